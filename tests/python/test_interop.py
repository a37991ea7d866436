"""__arrow_c_stream__: pyarrow, polars and duckdb take connectors, shards and streams directly."""

import duckdb
import polars as pl
import pyarrow as pa
import pytest

import sluice
from _util import assert_table_equal


@pytest.fixture(scope="module")
def connector(ids_dataset):
    return sluice.DataConnector.from_sources(str(ids_dataset.root))


def test_capsule_protocol(connector):
    capsule = connector.__arrow_c_stream__()
    assert type(capsule).__name__ == "PyCapsule"
    assert "arrow_array_stream" in repr(capsule)
    reader = pa.RecordBatchReader._import_from_c_capsule(capsule)
    assert reader.read_all().num_rows == connector.num_rows


def test_pyarrow_table_and_reader(connector, ids_dataset):
    table = pa.table(connector)
    assert table.column("id").to_pylist() == list(range(ids_dataset.total))
    reader = pa.RecordBatchReader.from_stream(connector)
    assert reader.schema.names == ["id", "x", "s"]
    assert_table_equal(reader.read_all(), table)


def test_stream_object_carries_read_options(connector, ids_dataset):
    stream = connector.stream(columns=["s", "id"], batch_size=500, limit=1234)
    table = pa.table(stream)
    assert table.column_names == ["s", "id"]
    assert table.column("id").to_pylist() == list(range(1234))
    assert [b.num_rows for b in pa.RecordBatchReader.from_stream(stream)] == [500, 500, 234]
    assert stream.schema.names == ["s", "id"]
    # a stream object can be consumed more than once
    assert pa.table(stream).equals(table)
    # it is a set of bound read options (BoundRead); `Stream` is its former, public name
    assert isinstance(stream, sluice.BoundRead) and sluice.Stream is sluice.BoundRead


def test_requested_schema_same_schema(connector):
    schema = connector.schema
    capsule = connector.__arrow_c_stream__(schema.__arrow_c_schema__())
    reader = pa.RecordBatchReader._import_from_c_capsule(capsule)
    assert reader.schema.equals(schema)


def test_polars(connector, ids_dataset):
    frame = pl.DataFrame(connector)
    assert frame.columns == ["id", "x", "s"]
    assert frame["id"].to_list() == list(range(ids_dataset.total))
    shuffled = pl.DataFrame(connector.stream(shuffle=True, seed=1))
    assert sorted(shuffled["id"].to_list()) == list(range(ids_dataset.total))
    assert shuffled["id"].to_list() == pa.table(connector.stream(shuffle=True, seed=1)).column("id").to_pylist()
    assert (shuffled["x"] == shuffled["id"] * 3 + 1).all()
    from_reader = pl.from_arrow(connector.to_arrow(columns=["id"]))
    assert from_reader["id"].to_list() == list(range(ids_dataset.total))


def test_duckdb(connector, ids_dataset):
    con = duckdb.connect()
    stream = connector.stream(columns=["id", "x"])  # noqa: F841 (duckdb finds it by its name)
    [(total, count)] = con.execute("SELECT sum(id), count(*) FROM stream").fetchall()
    n = ids_dataset.total
    assert count == n
    assert total == n * (n - 1) // 2
    shard = connector.stream(columns=["id"], num_shards=2, shard_index=0)
    rel = con.from_arrow(shard)
    assert rel.aggregate("max(id)").fetchall()[0][0] == pa.table(shard).column("id")[-1].as_py()


def test_shard_in_polars(ids_dataset):
    shard = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root)).get_shard(1, 3)
    frame = pl.DataFrame(shard)
    connector = sluice.DataConnector.from_sources(str(ids_dataset.root))
    assert frame["id"].to_list() == pa.table(connector.stream(num_shards=3, shard_index=1)).column("id").to_pylist()


def test_every_exported_array_has_offset_zero(tmp_path):
    # Batches re-cut from larger decoded ones would carry bit offsets (bools,
    # validity bitmaps); importers such as Arrow Java ignore ArrowArray.offset,
    # so the core exports every array at offset 0, children included.
    import pyarrow.parquet as pq

    n = 5000
    table = pa.table(
        {
            "flag": pa.array([i % 3 == 0 for i in range(n)]),
            "maybe": pa.array([None if i % 5 == 0 else i for i in range(n)], pa.int64()),
            "lists": pa.array([[i, None] if i % 7 == 0 else [i] for i in range(n)], pa.list_(pa.int32())),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=1500)
    reader = sluice.DataConnector.from_sources(str(tmp_path / "t.parquet")).to_arrow(batch_size=1000)

    def offsets(array):
        yield array.offset
        if pa.types.is_list(array.type):
            yield from offsets(array.values)

    batches = list(reader)
    seen = [o for b in batches for c in b.columns for o in offsets(c)]
    assert len(seen) == 4 * len(batches) == 20
    assert seen == [0] * len(seen)
    assert pa.Table.from_batches(batches).equals(table)
