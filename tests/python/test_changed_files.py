"""A file or object replaced during a read is an error naming it, never a mix of versions.

Every read is pinned to the version seen at open: the ETag (If-Match), or the
modification time and size where a server gives no ETag.
"""

import os
import threading
import types
from http.server import ThreadingHTTPServer

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

import sluice
from conftest import MOTO_KEY, MOTO_REGION, MOTO_SECRET, RangeHandler, boto_client

NEW = 10**10
CHANGED = "changed after the connector was opened"


def ids(first, rows):
    return pa.table({"id": pa.array(range(first, first + rows), pa.int64())})


def write_pair(root, rows=200_000, new_rows=None):
    """A.parquet (ids 0..) and B.parquet (ids 10**10..): same layout and size unless new_rows differs."""
    a, b = root / "A.parquet", root / "B.parquet"
    pq.write_table(ids(0, rows), a, row_group_size=20_000, compression="none")
    pq.write_table(ids(NEW, new_rows or rows), b, row_group_size=20_000, compression="none")
    return a, b


def read_replacing(connector, replace):
    """The issue's reproduction: replace after the third batch; returns (ids read, error)."""
    seen = []
    try:
        for i, batch in enumerate(connector.to_arrow(batch_size=10_000, threads=1, memory_budget=2**20)):
            seen.extend(batch.column("id").to_pylist())
            if i == 2:
                replace()
    except Exception as error:  # noqa: BLE001 - mid-stream errors reach Python as pyarrow's types
        return seen, error
    return seen, None


@pytest.mark.parametrize("new_rows", [None, 150_000], ids=["same_size", "other_size"])
def test_local_file_replaced_during_read_is_an_error(tmp_path, new_rows):
    a, b = write_pair(tmp_path, new_rows=new_rows)
    assert (a.stat().st_size == b.stat().st_size) == (new_rows is None)
    connector = sluice.DataConnector.from_sources([str(a)])
    seen, error = read_replacing(connector, lambda: os.replace(b, a))
    assert error is not None, f"read {len(seen)} rows without an error"
    assert CHANGED in str(error) and str(a) in str(error)
    assert "not a readable" not in str(error)
    assert seen == list(range(len(seen))), "only rows of the version planned at open"
    assert len(seen) < 200_000


@pytest.mark.parametrize("fmt", ["parquet", "arrow", "csv", "ndjson"])
def test_every_format_checks_the_version(tmp_path, fmt):
    def write(path, first):
        table = ids(first, 1000)
        if fmt == "parquet":
            pq.write_table(table, path, row_group_size=100, compression="none")
        elif fmt == "arrow":
            with ipc.new_file(path, table.schema) as writer:
                for batch in table.to_batches(max_chunksize=100):
                    writer.write_batch(batch)
        elif fmt == "csv":
            pacsv.write_csv(table, path)
        else:
            path.write_text("".join(f'{{"id": {i}}}\n' for i in table.column("id").to_pylist()))

    # Same length in bytes for every format: ids of the same width.
    a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    write(a, 1000)
    write(b, 5000)
    assert a.stat().st_size == b.stat().st_size
    connector = sluice.DataConnector.from_sources([str(a)])
    os.replace(b, a)
    with pytest.raises(Exception, match=CHANGED) as caught:
        connector.to_arrow().read_all()
    assert str(a) in str(caught.value)


def test_unchanged_local_file_reads_many_times(tmp_path):
    a, _ = write_pair(tmp_path, rows=50_000)
    connector = sluice.DataConnector.from_sources([str(a)])
    for _ in range(20):
        assert connector.to_arrow(batch_size=7_000, threads=2).read_all().num_rows == 50_000


# --- S3 (moto) -------------------------------------------------------------------------------


@pytest.fixture()
def bucket(moto_server):
    client = boto_client("s3", moto_server.endpoint)
    name = "sluice-changes"
    client.create_bucket(Bucket=name)
    yield client, name
    for item in client.list_objects_v2(Bucket=name).get("Contents", []):
        client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


def s3_options(moto_server):
    return dict(
        endpoint=moto_server.endpoint,
        allow_http=True,
        access_key_id=MOTO_KEY,
        secret_access_key=MOTO_SECRET,
        region=MOTO_REGION,
    )


def test_moto_honours_if_match(bucket):
    # What the S3 check relies on: a GET with a stale ETag is refused with 412.
    import botocore.exceptions

    client, name = bucket
    client.put_object(Bucket=name, Key="k", Body=b"0123456789")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.get_object(Bucket=name, Key="k", IfMatch='"not-the-etag"', Range="bytes=0-3")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


@pytest.mark.parametrize("single", [True, False], ids=["object", "prefix"])
def test_s3_object_overwritten_with_same_size_is_an_error(tmp_path, moto_server, bucket, single):
    client, name = bucket
    a, b = write_pair(tmp_path, rows=100_000)
    assert a.stat().st_size == b.stat().st_size
    client.upload_file(str(a), name, "data/A.parquet")
    uri = f"s3://{name}/data/A.parquet" if single else f"s3://{name}/data/"
    connector = sluice.DataConnector.from_sources([uri], **s3_options(moto_server))
    seen, error = read_replacing(connector, lambda: client.upload_file(str(b), name, "data/A.parquet"))
    assert error is not None, f"read {len(seen)} rows without an error"
    assert CHANGED in str(error) and f"s3://{name}/data/A.parquet" in str(error)
    assert MOTO_SECRET not in str(error)
    assert seen == list(range(len(seen)))


def test_unchanged_s3_object_reads_many_times(tmp_path, moto_server, bucket):
    client, name = bucket
    a, _ = write_pair(tmp_path, rows=20_000)
    client.upload_file(str(a), name, "same.parquet")
    connector = sluice.DataConnector.from_sources([f"s3://{name}/same.parquet"], **s3_options(moto_server))
    for _ in range(5):
        assert connector.to_arrow(batch_size=3_000).read_all().column("id").to_pylist() == list(range(20_000))


# --- HTTP without ETag -----------------------------------------------------------------------


class NoETagHandler(RangeHandler):
    """Like the shared server, without an ETag header (and without Last-Modified when `dated` is off)."""

    dated = True

    def send_header(self, keyword, value):
        if keyword == "ETag" or (keyword == "Last-Modified" and not self.dated):
            return
        super().send_header(keyword, value)


@pytest.fixture()
def plain_http(tmp_path):
    root = tmp_path.resolve()
    handler = type("Handler", (NoETagHandler,), {"root": root, "log": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield types.SimpleNamespace(root=root, url=f"http://127.0.0.1:{server.server_address[1]}", handler=handler)
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("dated", [True, False], ids=["last_modified", "nothing"])
def test_http_without_etag_reads_unchanged_file_many_times(plain_http, dated):
    plain_http.handler.dated = dated
    a, _ = write_pair(plain_http.root, rows=20_000)
    connector = sluice.DataConnector.from_sources([f"{plain_http.url}/{a.name}"])
    for _ in range(10):
        assert connector.to_arrow(batch_size=3_000).read_all().column("id").to_pylist() == list(range(20_000))


def test_http_without_etag_sees_a_new_modification_time(plain_http):
    a, b = write_pair(plain_http.root, rows=100_000)
    os.utime(a, (1_600_000_000, 1_600_000_000))  # Last-Modified has whole seconds: make the change visible
    url = f"{plain_http.url}/{a.name}"
    connector = sluice.DataConnector.from_sources([url])
    seen, error = read_replacing(connector, lambda: os.replace(b, a))
    assert error is not None and CHANGED in str(error) and url in str(error)
    assert "modified at" in str(error)
    assert seen == list(range(len(seen)))


def test_http_server_ignoring_if_match_is_still_checked(http_server):
    # The shared loopback server sends ETags but ignores If-Match: each answer's ETag is compared.
    (http_server.root / "changes").mkdir(exist_ok=True)
    a, b = write_pair(http_server.root / "changes", rows=100_000)
    url = f"{http_server.url}/changes/A.parquet"
    connector = sluice.DataConnector.from_sources([url])
    seen, error = read_replacing(connector, lambda: os.replace(b, a))
    assert error is not None and CHANGED in str(error) and url in str(error)
    assert seen == list(range(len(seen)))
