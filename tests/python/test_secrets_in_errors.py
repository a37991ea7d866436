"""Passwords and query-string secrets of URIs, and credentials given as options, appear in no
error message, repr() or log line (the core redacts every error message it builds)."""

import logging
import socket

import pytest

import sluice
from sluice import _logging


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_nowhere(secrets, error, caplog):
    _logging.flush()  # the core's records arrive on a thread of its own
    lines = [r.getMessage() for r in caplog.records]
    for secret in secrets:
        for text in (str(error), repr(error), *lines):
            assert secret not in text, text


def test_an_unreachable_url_with_a_password(caplog):
    caplog.set_level(logging.DEBUG, logger="sluice")
    port = _closed_port()
    with pytest.raises(sluice.SluiceError) as raised:
        sluice.DataConnector.from_sources(f"http://user:s3cr3t-pw@127.0.0.1:{port}/x.parquet?sig=s1gnature")
    assert f"'http://user:***@127.0.0.1:{port}/x.parquet?sig=***' could not be read" in str(raised.value)
    _logging.flush()
    assert any("retry" in r.getMessage() for r in caplog.records)  # the URL is in log lines too
    _assert_nowhere(["s3cr3t-pw", "s1gnature"], raised.value, caplog)


def test_an_unknown_format_url_with_a_password(http_server, caplog):
    caplog.set_level(logging.DEBUG, logger="sluice")
    (http_server.root / "data.bin").write_bytes(b"not a table")
    url = http_server.url.replace("http://", "http://ann:hunter2@") + "/data.bin?X-Amz-Signature=f00dfeed"
    with pytest.raises(sluice.SluiceError, match="cannot tell the format of") as raised:
        sluice.DataConnector.from_sources(url)
    assert "'http://ann:***@127.0.0.1:" in str(raised.value) and "X-Amz-Signature=***" in str(raised.value)
    _assert_nowhere(["hunter2", "f00dfeed"], raised.value, caplog)


def test_an_s3_uri_with_credentials_in_options(caplog):
    caplog.set_level(logging.DEBUG, logger="sluice")
    port = _closed_port()
    secrets = {"access_key_id": "AKIAK3YID", "secret_access_key": "s3cr3t-key", "session_token": "s3ss10n-tok"}
    with pytest.raises(sluice.SluiceError) as raised:
        sluice.DataConnector.from_sources(
            "s3://bucket/x.parquet", endpoint=f"http://127.0.0.1:{port}", region="us-east-1", **secrets
        )
    assert "s3://bucket/x.parquet" in str(raised.value)
    _assert_nowhere(secrets.values(), raised.value, caplog)


def test_an_endpoint_with_a_password(caplog):
    caplog.set_level(logging.DEBUG, logger="sluice")
    port = _closed_port()
    with pytest.raises(sluice.SluiceError) as raised:
        sluice.DataConnector.from_sources(
            "s3://bucket/x.parquet", endpoint=f"http://ann:endp0int-pw@127.0.0.1:{port}", region="us-east-1"
        )
    _assert_nowhere(["endp0int-pw"], raised.value, caplog)


def test_the_python_side_logs_sources_without_query_values():
    from sluice._connector import _loggable_source

    assert _loggable_source("https://a:pw@h/x.parquet?sv=1&sig=abc") == "https://a:***@h/x.parquet?sv=***&sig=***"
    assert _loggable_source("s3://bucket/part-?.parquet") == "s3://bucket/part-?.parquet"
    assert _loggable_source("/data/a?b.parquet") == "/data/a?b.parquet"
