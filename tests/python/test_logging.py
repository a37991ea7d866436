"""The core's log events in the `sluice` logger: what was planned, file counts, retries."""

import logging
import os
import re
import signal
import threading
import time
import types
from http.server import ThreadingHTTPServer

import pyarrow.parquet as pq
import pytest

import sluice
from _util import ids_table, write_parquet
from conftest import RangeHandler
from sluice import _logging


def _fields(message):
    """The `key=value` fields of a core event's line."""
    return dict(re.findall(r" (\w+)=(\S+)", message))


def _core_lines(caplog, text):
    _logging.flush()  # the core delivers its records on a thread of its own
    return [r.getMessage() for r in caplog.records if r.name == "sluice" and text in r.getMessage()]


@pytest.fixture()
def three_files(tmp_path):
    """Three Parquet files of 4, 2 and 1 row groups (160 rows)."""
    write_parquet(tmp_path / "a.parquet", ids_table(0, 100), row_group_size=30)
    write_parquet(tmp_path / "b.parquet", ids_table(100, 50), row_group_size=25)
    write_parquet(tmp_path / "c.parquet", ids_table(150, 10), row_group_size=100)
    return tmp_path


def test_plan_counts_match_pyarrow(three_files, caplog):
    caplog.set_level(logging.INFO, logger="sluice")
    files = sorted(three_files.glob("*.parquet"))
    row_groups = sum(pq.ParquetFile(f).metadata.num_row_groups for f in files)
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    connector = sluice.DataConnector.from_sources(str(three_files))
    read = connector.to_arrow(batch_size=16, num_shards=2, shard_index=1, shuffle=True, seed=5).read_all()

    (opened,) = _core_lines(caplog, "sluice: connector opened")
    assert _fields(opened) == {
        "inputs": "1",
        "files": str(len(files)),
        "formats": f"parquet:{len(files)}",
        "fragments": str(row_groups),
        "rows": str(rows),
        "columns": "3",
    }
    (planned,) = _core_lines(caplog, "sluice: planned a read")
    fields = _fields(planned)
    assert (fields["files"], fields["fragments"], fields["rows_total"]) == ("3", "7", "160")
    assert (len(files), row_groups, rows) == (3, 7, 160)
    assert fields["rows"] == str(read.num_rows) == "80"
    assert (fields["shard"], fields["worker"], fields["batch_size"]) == ("1/2", "0/1", "16")
    assert (fields["shuffle"], fields["seed"], fields["epoch"]) == ("true", "5", "0")
    assert all(r.levelno == logging.INFO for r in caplog.records if "planned a read" in r.getMessage())


def test_the_core_is_told_the_loggers_level(three_files, caplog):
    """A disabled logger costs nothing: the core drops the events before formatting them."""
    caplog.set_level(logging.WARNING, logger="sluice")
    connector = sluice.DataConnector.from_sources(str(three_files))
    connector.to_arrow().read_all()
    assert _logging._core_level == 2  # SLUICE_LOG_WARN
    assert not _core_lines(caplog, "planned a read")
    caplog.set_level(logging.DEBUG, logger="sluice")
    connector.to_arrow().read_all()
    assert _logging._core_level == 4  # SLUICE_LOG_DEBUG
    assert len(_core_lines(caplog, "planned a read")) == 1


class FailingOnceHandler(RangeHandler):
    """Answers 503 to the next `failures` requests, then serves the files."""

    failures = 0

    def _serve(self, head):
        if type(self).failures > 0:
            type(self).failures -= 1
            self.send_error(503, "Service Unavailable")
            return
        super()._serve(head)


@pytest.fixture()
def failing_once(tmp_path):
    root = tmp_path.resolve()
    pq.write_table(ids_table(0, 100), root / "d.parquet")
    handler = type("Handler", (FailingOnceHandler,), {"root": root, "log": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield types.SimpleNamespace(port=server.server_address[1], handler=handler)
    server.shutdown()
    server.server_close()


def test_a_retry_is_logged_with_the_uri_without_its_password(failing_once, caplog):
    caplog.set_level(logging.INFO, logger="sluice")
    url = f"http://ann:hunter2@127.0.0.1:{failing_once.port}/d.parquet"
    connector = sluice.DataConnector.from_sources([url])
    failing_once.handler.failures = 1  # the first read of data
    assert connector.to_arrow().read_all().column("id").to_pylist() == list(range(100))

    _logging.flush()
    retries = [r for r in caplog.records if "sluice: object_store: " in r.getMessage()]
    assert len(retries) == 1, [r.getMessage() for r in caplog.records]
    message = retries[0].getMessage()
    assert "503" in message and "retry 1 of" in message, message
    assert f"(request for http://ann:***@127.0.0.1:{failing_once.port}/d.parquet)" in message, message
    assert retries[0].levelno == logging.INFO
    assert retries[0].sluice_target == "object_store::client::retry"
    assert all("hunter2" not in r.getMessage() for r in caplog.records)


def test_a_forked_child_logs_its_reads(three_files):
    """The registration survives fork(): the child's reads are logged by the child's logger."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("sluice")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        connector = sluice.DataConnector.from_sources(str(three_files))
        connector.to_arrow().read_all()
        pid = os.fork()
        if pid == 0:  # child: any failure is an exit code, never an exception escaping into pytest
            code = 1
            try:
                records.clear()
                connector.to_arrow(num_shards=2, shard_index=0).read_all()
                _logging.flush()
                planned = [r.getMessage() for r in records if "planned a read" in r.getMessage()]
                code = 0 if len(planned) == 1 and " rows=80 " in planned[0] else 3
            finally:
                os._exit(code)
        deadline = time.monotonic() + 60
        done, status = os.waitpid(pid, os.WNOHANG)
        while not done:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError("the forked child hung")
            time.sleep(0.05)
            done, status = os.waitpid(pid, os.WNOHANG)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child status {status} (3: not logged)"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
