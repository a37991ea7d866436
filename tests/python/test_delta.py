"""Delta Lake tables as sources, against tables written by the `deltalake` package.

Each version's rows are compared with what `deltalake` itself reads at that version.
"""

import datetime
import json
import os
from pathlib import Path

import deltalake
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import sluice
from _util import read_ids

GROUPS = deltalake.WriterProperties(max_row_group_size=300)


def _rows(start, stop):
    ids = pa.array(range(start, stop), pa.int64())
    return pa.table(
        {"id": ids, "name": [f"row {i}" for i in range(start, stop)], "x": pc.multiply(ids.cast(pa.float64()), 0.5)}
    )


def _set_commit_time(table: Path, version: int, when: datetime.datetime) -> None:
    """Commit times come from the log files' modification times (no in-commit timestamps)."""
    os.utime(table / "_delta_log" / f"{version:020d}.json", (when.timestamp(), when.timestamp()))


COMMIT_DAYS = [datetime.datetime(2024, 1, d, tzinfo=datetime.timezone.utc) for d in (1, 2, 3, 4)]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Version 0: rows 0..999; 1: append 1000..1499; 2: delete every 7th id; 3: append with a new column."""
    path = tmp_path_factory.mktemp("delta") / "history"
    deltalake.write_deltalake(path, _rows(0, 1000), writer_properties=GROUPS)
    deltalake.write_deltalake(path, _rows(1000, 1500), mode="append", writer_properties=GROUPS)
    deltalake.DeltaTable(path).delete("id % 7 = 0")
    added = _rows(1500, 1600).append_column("extra", pa.array([f"e{i}" for i in range(100)]))
    deltalake.write_deltalake(path, added, mode="append", schema_mode="merge", writer_properties=GROUPS)
    for version, day in enumerate(COMMIT_DAYS):
        _set_commit_time(path, version, day)
    return path


def _expected(path, version=None):
    table = deltalake.DeltaTable(path, version=version).to_pyarrow_table()
    return _sorted_rows(table)


def _sorted_rows(table):
    rows = table.to_pylist()
    return sorted(rows, key=lambda r: r["id"])


def _read(connector, **read_options):
    with connector.to_arrow(**read_options) as reader:
        return reader.read_all()


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_each_version_reads_as_deltalake_does(history, version):
    connector = sluice.DataConnector.from_sources([str(history)], format="delta", version=version)
    table = _read(connector)
    assert _sorted_rows(table) == _expected(history, version)
    assert connector.num_rows == table.num_rows


def test_latest_version_is_found_without_format(history):
    # A table's directory read as plain Parquet would also hold the files the delete removed.
    connector = sluice.DataConnector.from_sources(str(history))
    table = _read(connector)
    assert table.schema.names == ["id", "name", "x", "extra"]
    assert table.schema.field("name").type == pa.string()
    assert _sorted_rows(table) == _expected(history)
    assert sum(1 for r in table.to_pylist() if r["extra"] is None) == table.num_rows - 100


def test_schema_change_between_versions(history):
    before = sluice.DataConnector.from_sources(str(history), version=2)
    assert before.schema.names == ["id", "name", "x"]
    after = sluice.DataConnector.from_sources(str(history), version=3)
    assert after.schema.names == ["id", "name", "x", "extra"]


def test_timestamp_picks_the_version_committed_at_or_before(history):
    noon_day_2 = "2024-01-02T12:00:00Z"
    connector = sluice.DataConnector.from_sources(str(history), timestamp=noon_day_2)
    assert _sorted_rows(_read(connector)) == _expected(history, 1)
    as_datetime = datetime.datetime(2024, 1, 3, 0, 0, 1, tzinfo=datetime.timezone.utc)
    connector = sluice.DataConnector.from_sources(str(history), timestamp=as_datetime)
    assert connector.num_rows == len(_expected(history, 2))


def test_shuffle_shards_and_workers_give_the_same_rows(history):
    expected = sorted(r["id"] for r in _expected(history))
    connector = sluice.DataConnector.from_sources(str(history))
    shuffled = read_ids(connector, shuffle=True, seed=3, shuffle_window=100, batch_size=64)
    assert sorted(shuffled) == expected and shuffled != sorted(shuffled)
    assert read_ids(connector, shuffle=True, seed=3, shuffle_window=100, batch_size=500) == shuffled
    shards = [read_ids(connector, num_shards=3, shard_index=i) for i in range(3)]
    assert sorted(sum(shards, [])) == expected
    workers = [read_ids(connector, num_workers=2, worker_index=i, shuffle=True, seed=1) for i in range(2)]
    assert sorted(sum(workers, [])) == expected


def test_columns_and_small_memory_budget(history):
    connector = sluice.DataConnector.from_sources(str(history))
    table = _read(connector, columns=["extra", "id"], memory_budget="64KiB", batch_size=50)
    assert table.schema.names == ["extra", "id"]
    expected = [{"extra": r["extra"], "id": r["id"]} for r in _expected(history)]
    assert _sorted_rows(table) == expected


@pytest.fixture(scope="module")
def partitioned(tmp_path_factory):
    path = tmp_path_factory.mktemp("delta") / "partitioned"
    rows = _rows(0, 600)
    rows = rows.append_column("day", pa.array([datetime.date(2024, 5, 1 + i % 3) for i in range(600)]))
    rows = rows.append_column("split", pa.array(["train" if i % 4 else None for i in range(600)]))
    deltalake.write_deltalake(path, rows, partition_by=["day", "split"], writer_properties=GROUPS)
    return path


def test_partition_columns_appear_as_columns(partitioned):
    connector = sluice.DataConnector.from_sources(str(partitioned))
    table = _read(connector)
    assert table.schema.field("day").type == pa.date32()
    assert table.schema.field("split").type == pa.string()
    assert _sorted_rows(table) == _expected(partitioned)
    only = _read(connector, columns=["split", "day"])
    assert only.num_rows == 600
    assert only.column("split").null_count == 150


# --- refused and bad input -------------------------------------------------------------------


def test_a_version_that_does_not_exist(history):
    with pytest.raises(sluice.SluiceNotFoundError, match=r"history.* has no version 9"):
        sluice.DataConnector.from_sources(str(history), version=9)


def test_a_timestamp_before_the_first_commit(history):
    with pytest.raises(sluice.SluiceNotFoundError, match=r"no version at or before timestamp '2023-12-31'"):
        sluice.DataConnector.from_sources(str(history), timestamp="2023-12-31")


def test_not_a_delta_table(tmp_path):
    (tmp_path / "plain").mkdir()
    pq.write_table(_rows(0, 5), tmp_path / "plain" / "a.parquet")
    with pytest.raises(sluice.SluiceNotFoundError, match=r"plain' is not a Delta table: it has no _delta_log"):
        sluice.DataConnector.from_sources(str(tmp_path / "plain"), format="delta")
    with pytest.raises(sluice.SluiceInvalidArgument, match=r"'version' and 'timestamp' choose a snapshot of a Delta"):
        sluice.DataConnector.from_sources(str(tmp_path / "plain"), version=0)


def test_version_and_timestamp_together(history):
    with pytest.raises(sluice.SluiceInvalidArgument, match=r"'timestamp' and 'version' both choose"):
        sluice.DataConnector.from_sources(str(history), version=1, timestamp="2024-01-02")


def test_a_table_with_other_sources(history, tmp_path):
    pq.write_table(_rows(0, 5), tmp_path / "a.parquet")
    with pytest.raises(sluice.SluiceInvalidArgument, match=r"is a Delta table, which is read as the only source"):
        sluice.DataConnector.from_sources([str(history), str(tmp_path / "a.parquet")])


def test_column_mapping_by_name_is_applied(tmp_path):
    # The files' columns and the log's partition values carry physical names (col-<uuid>).
    path = tmp_path / "mapped"
    rows = _rows(0, 40).append_column("part", pa.array(["p" if i % 3 else "q" for i in range(40)]))
    mapping = {"delta.columnMapping.mode": "name"}
    deltalake.write_deltalake(path, rows, partition_by=["part"], configuration=mapping)
    deltalake.write_deltalake(path, rows.slice(0, 5), mode="append", partition_by=["part"])
    stored = pq.read_schema(next(path.rglob("*.parquet"))).names
    assert "id" not in stored
    connector = sluice.DataConnector.from_sources(str(path))
    assert connector.schema.names == ["id", "name", "x", "part"]
    assert all(not field.metadata for field in connector.schema)
    # deltalake 1.6's own reader gives nulls for such a table, so the rows written are the reference.
    written = _sorted_rows(pa.concat_tables([rows, rows.slice(0, 5)]))
    assert _sorted_rows(_read(connector)) == written


def test_column_mapping_of_nested_fields_and_by_id_is_refused(tmp_path):
    nested = tmp_path / "nested"
    rows = _rows(0, 5).append_column("point", pa.array([{"a": i, "b": -i} for i in range(5)]))
    deltalake.write_deltalake(nested, rows, configuration={"delta.columnMapping.mode": "name"})
    with pytest.raises(sluice.SluiceUnsupported, match=r"nested' \(version 0\) uses column mapping .* column 'point'"):
        sluice.DataConnector.from_sources(str(nested))
    by_id = tmp_path / "by_id"
    deltalake.write_deltalake(by_id, _rows(0, 5), configuration={"delta.columnMapping.mode": "id"})
    with pytest.raises(sluice.SluiceUnsupported, match=r"by_id' \(version 0\) uses column mapping by field id"):
        sluice.DataConnector.from_sources(str(by_id))


def test_deletion_vectors_are_refused(tmp_path):
    # deltalake rewrites files on delete; this commit marks a row of the file deleted the way
    # Spark and Databricks do, with an inline deletion vector.
    path = tmp_path / "dv"
    deltalake.write_deltalake(path, _rows(0, 10))
    log = path / "_delta_log"
    add = next(json.loads(line)["add"] for line in (log / f"{0:020d}.json").read_text().splitlines() if '"add"' in line)
    protocol = {
        "minReaderVersion": 3,
        "minWriterVersion": 7,
        "readerFeatures": ["deletionVectors"],
        "writerFeatures": ["deletionVectors"],
    }
    remove = {
        "path": add["path"],
        "deletionTimestamp": 1,
        "dataChange": True,
        "size": add["size"],
        "partitionValues": {},
    }
    # z85 of a portable roaring bitmap holding row 0 (the bitmap's bytes padded to a multiple of 4)
    add_with_dv = {
        **add,
        "deletionVector": {
            "storageType": "i",
            "pathOrInlineDv": "wi5b=000010000siXQKl0rr91000",
            "sizeInBytes": 24,
            "cardinality": 1,
        },
    }
    commit = [{"protocol": protocol}, {"remove": remove}, {"add": add_with_dv}]
    (log / f"{1:020d}.json").write_text("\n".join(json.dumps(action) for action in commit) + "\n")
    with pytest.raises(sluice.SluiceUnsupported, match=r"dv' \(version 1\) has deletion vectors"):
        sluice.DataConnector.from_sources(str(path))
    assert sluice.DataConnector.from_sources(str(path), version=0).num_rows == 10


def test_a_table_on_s3(moto_server, history):
    """The same table uploaded to moto's S3: found by its _delta_log/ prefix, read at two versions."""
    from conftest import MOTO_KEY, MOTO_REGION, MOTO_SECRET, boto_client

    client = boto_client("s3", moto_server.endpoint)
    client.create_bucket(Bucket="sluice-delta")
    for file in sorted(p for p in history.rglob("*") if p.is_file()):
        client.upload_file(str(file), "sluice-delta", f"tables/history/{file.relative_to(history).as_posix()}")
    options = dict(
        endpoint=moto_server.endpoint,
        allow_http=True,
        access_key_id=MOTO_KEY,
        secret_access_key=MOTO_SECRET,
        region=MOTO_REGION,
    )
    latest = sluice.DataConnector.from_sources("s3://sluice-delta/tables/history", **options)
    assert _sorted_rows(_read(latest)) == _expected(history)
    older = sluice.DataConnector.from_sources("s3://sluice-delta/tables/history/", version=1, **options)
    shards = [_read(older, num_shards=2, shard_index=i) for i in range(2)]
    assert _sorted_rows(pa.concat_tables(shards)) == _expected(history, 1)
    with pytest.raises(sluice.SluiceNotFoundError, match=r"s3://sluice-delta/tables' is not a Delta table"):
        sluice.DataConnector.from_sources("s3://sluice-delta/tables", format="delta", **options)


def test_resume_within_a_version_and_not_across_versions(history):
    options = dict(batch_size=100, columns=["id"], shuffle=True, seed=5, shuffle_window=200)
    at_2 = sluice.DataConnector.from_sources(str(history), version=2)
    whole = [b["id"].tolist() for b in at_2.iter_batches(**options)]
    batches = at_2.iter_batches(**options)
    for _ in range(4):
        next(batches)
    token = batches.position()
    batches.close()
    again = sluice.DataConnector.from_sources(str(history), version=2)
    assert [b["id"].tolist() for b in again.iter_batches(resume_from=token, **options)] == whole[4:]
    at_3 = sluice.DataConnector.from_sources(str(history), version=3)
    with pytest.raises(sluice.SluiceInvalidArgument, match="files"):
        list(at_3.iter_batches(resume_from=token, **options))
