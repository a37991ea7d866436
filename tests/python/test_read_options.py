"""Projection, limit, exact batch sizes, drop_last_batch, memory budget, fragments in flight."""

import pyarrow as pa
import pytest

import sluice
from _util import assert_batches_match, assert_table_equal, column_values


def batches_of(reads, **read_options):
    with reads.to_arrow(**read_options) as reader:
        return list(reader)


@pytest.fixture(scope="module")
def connector(parquet_dataset):
    return sluice.DataConnector.from_sources(str(parquet_dataset.root))


@pytest.mark.parametrize("columns", [["f64", "id", "name"], ["cat"], ["vec", "tags", "ts", "price", "u64"]])
def test_columns_in_requested_order(connector, parquet_dataset, columns):
    batches = batches_of(connector, columns=columns, batch_size=1500)
    assert all(b.schema.names == columns for b in batches)
    assert_batches_match(batches, parquet_dataset.expected.select(columns), 1500)


def test_columns_as_comma_separated_string(connector, parquet_dataset):
    batches = batches_of(connector, columns="name,id")
    assert_table_equal(pa.Table.from_batches(batches), parquet_dataset.expected.select(["name", "id"]))


def test_stream_schema_follows_projection(connector):
    with connector.to_arrow(columns=["flag", "id"]) as reader:
        assert reader.schema.names == ["flag", "id"]
        assert str(reader.schema.field("flag").type) == "bool"


def test_unknown_column_is_an_error_naming_it(connector):
    with pytest.raises(sluice.SluiceInvalidArgument, match="no_such_column") as info:
        connector.to_arrow(columns=["id", "no_such_column"]).read_all()
    assert info.value.status == sluice.Status.INVALID_ARGUMENT


@pytest.mark.parametrize("batch_size", [1, 7, 299, 1000, 1777, 4122, 5000])
def test_batch_size_exact_across_files(connector, parquet_dataset, batch_size):
    columns = ["id", "name", "cat"] if batch_size == 1 else None
    expected = parquet_dataset.expected if columns is None else parquet_dataset.expected.select(columns)
    batches = batches_of(connector, batch_size=batch_size, columns=columns)
    assert_batches_match(batches, expected, batch_size)


@pytest.mark.parametrize("batch_size", [1000, 999, 4122, 4123])
def test_drop_last_batch(connector, parquet_dataset, batch_size):
    batches = batches_of(connector, batch_size=batch_size, drop_last_batch=True, columns=["id", "f64"])
    assert_batches_match(batches, parquet_dataset.expected.select(["id", "f64"]), batch_size, drop_last=True)
    assert all(b.num_rows == batch_size for b in batches)
    assert sum(b.num_rows for b in batches) == (4122 // batch_size) * batch_size


@pytest.mark.parametrize(
    "limit, batch_size", [(0, 100), (1, 100), (1234, 500), (1000, 1000), (4122, 4000), (10**9, 3000)]
)
def test_limit(connector, parquet_dataset, limit, batch_size):
    batches = batches_of(connector, limit=limit, batch_size=batch_size, columns=["id", "name", "tags"])
    expected = parquet_dataset.expected.select(["id", "name", "tags"]).slice(0, min(limit, 4122))
    assert_batches_match(batches, expected, batch_size)


def test_limit_with_drop_last_batch(connector):
    batches = batches_of(connector, limit=1234, batch_size=500, drop_last_batch=True, columns=["id"])
    assert [b.num_rows for b in batches] == [500, 500]
    assert column_values(batches) == list(range(1000))


def test_fragments_in_flight_do_not_change_the_order(connector, parquet_dataset):
    one = column_values(batches_of(connector, fragments_in_flight=1, batch_size=100, columns=["id"]))
    two = column_values(batches_of(connector, fragments_in_flight=2, batch_size=100, columns=["id"]))
    # `threads`: the option's former name, still accepted
    many = column_values(batches_of(connector, threads=8, batch_size=100, columns=["id"]))
    assert one == two == many == parquet_dataset.expected.column("id").to_pylist()


def test_small_memory_budget_streams_every_row(big_parquet):
    connector = sluice.DataConnector.from_sources(str(big_parquet.path))
    expected = big_parquet.table
    offset = 0
    count = 0
    with connector.to_arrow(memory_budget="1MiB", batch_size=10_000) as reader:
        for batch in reader:
            assert batch.num_rows == min(10_000, expected.num_rows - offset)
            assert batch.equals(expected.slice(offset, batch.num_rows).combine_chunks().to_batches()[0])
            offset += batch.num_rows
            count += 1
    assert offset == expected.num_rows
    assert count == 125


def test_memory_budget_smaller_than_a_batch_still_progresses(big_parquet):
    connector = sluice.DataConnector.from_sources(str(big_parquet.path))
    with connector.to_arrow(memory_budget=65536, batch_size=100_000, columns=["id"]) as reader:
        ids = column_values(list(reader))
    assert ids == list(range(big_parquet.table.num_rows))


def test_memory_budget_with_shuffle(big_parquet):
    connector = sluice.DataConnector.from_sources(str(big_parquet.path))
    with connector.to_arrow(
        memory_budget="1MiB", shuffle=True, seed=3, shuffle_window=20_000, batch_size=50_000, columns=["id"]
    ) as reader:
        ids = column_values(list(reader))
    assert len(ids) == big_parquet.table.num_rows
    assert sorted(ids) == list(range(big_parquet.table.num_rows))
    assert ids != sorted(ids)


@pytest.mark.parametrize("size", ["2MiB", "1GiB", "123456", "512KiB"])
def test_memory_budget_values(connector, size):
    assert len(column_values(batches_of(connector, memory_budget=size, columns=["id"]))) == 4122


@pytest.mark.parametrize("value", ["yes", "1", "true", True])
def test_boolean_spellings(connector, value):
    batches = batches_of(connector, drop_last_batch=value, batch_size=1000, columns=["id"])
    assert [b.num_rows for b in batches] == [1000] * 4


def test_none_means_default(connector):
    batches = batches_of(connector, limit=None, columns=None, batch_size=None)
    assert sum(b.num_rows for b in batches) == 4122
    assert len(batches) == 1


def test_packed_mode_gives_a_row_major_float32_matrix(tmp_path):
    import numpy as np
    import pyarrow.parquet as pq

    n = 1000
    table = pa.table(
        {
            "a": pa.array(range(n), pa.int64()),
            "b": pa.array([i / 8 for i in range(n)], pa.float64()),
            "flag": pa.array([i % 2 == 0 for i in range(n)]),
            "y": pa.array([i % 3 for i in range(n)], pa.int32()),
        }
    )
    path = tmp_path / "packed.parquet"
    pq.write_table(table, path, row_group_size=300)
    connector = sluice.DataConnector.from_sources(str(path))
    rows = 0
    for batch in connector.to_arrow(features=["b", "a", "flag"], label="y", batch_size=128):
        assert batch.schema.names == ["features", "y"]
        matrix = batch.column(0).flatten().to_numpy().reshape(batch.num_rows, 3)
        assert matrix.dtype == np.float32
        part = table.slice(rows, batch.num_rows)
        np.testing.assert_array_equal(matrix[:, 0], part.column("b").to_numpy().astype(np.float32))
        np.testing.assert_array_equal(matrix[:, 1], part.column("a").to_numpy().astype(np.float32))
        np.testing.assert_array_equal(matrix[:, 2], part.column("flag").to_numpy().astype(np.float32))
        assert batch.column(1).equals(part.column("y").combine_chunks())
        rows += batch.num_rows
    assert rows == n


def test_packed_mode_names_a_feature_column_with_nulls(tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "nulls.parquet"
    pq.write_table(pa.table({"a": pa.array([1.0, None, 3.0]), "y": pa.array([0, 1, 0])}), path)
    connector = sluice.DataConnector.from_sources(str(path))
    with pytest.raises(Exception, match="'a'.*null"):
        connector.to_arrow(features=["a"], label="y").read_all()
