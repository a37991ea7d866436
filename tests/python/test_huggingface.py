"""to_huggingface_dataset against the real `datasets` library."""

import sys

import pyarrow.parquet as pq
import pytest

datasets = pytest.importorskip("datasets")


def test_in_memory_dataset_holds_the_rows_as_read(parquet_dataset):
    import sluice

    connector = sluice.DataConnector.from_sources(str(parquet_dataset.root))
    expected = parquet_dataset.expected.select(["id", "f64", "name"])
    dataset = connector.to_huggingface_dataset(columns=["id", "f64", "name"])
    assert isinstance(dataset, datasets.Dataset) and dataset.num_rows == expected.num_rows
    assert dataset.data.table.equals(expected)
    assert dataset[5] == expected.slice(5, 1).to_pylist()[0]
    limited = connector.to_huggingface_dataset(limit=10, batch_size=3, drop_last_batch=True, columns=["id"])
    assert limited["id"] == list(range(9))
    shuffled = connector.to_huggingface_dataset(shuffle=True, columns=["id"])
    assert sorted(shuffled["id"]) == sorted(expected.column("id").to_pylist())
    assert shuffled["id"] != expected.column("id").to_pylist()


def test_streaming_dataset_reads_on_each_pass(ids_dataset):
    import sluice

    shard = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root)).get_shard(1, 2)
    stream = shard.to_huggingface_dataset(streaming=True, batch_size=100, columns=["id", "s"])
    assert isinstance(stream, datasets.IterableDataset)
    assert stream.features == datasets.Features({"id": datasets.Value("int64"), "s": datasets.Value("string")})
    rows = list(stream)
    expected = shard.to_arrow(columns=["id", "s"]).read_all().to_pylist()
    assert rows == expected and 0 < len(rows) < ids_dataset.total
    assert list(stream) == rows  # a second pass reads again
    with pytest.raises(sluice.SluiceError, match="nope"):
        shard.to_huggingface_dataset(streaming=True, columns=["nope"])


def test_files_written_by_pyarrow_round_trip(tmp_path):
    import pyarrow as pa

    import sluice

    table = pa.table({"x": [1.5, None, 3.0], "tag": ["a", "b", None]})
    pq.write_table(table, tmp_path / "t.parquet")
    dataset = sluice.DataConnector.from_sources(str(tmp_path / "t.parquet")).to_huggingface_dataset()
    assert dataset.to_list() == table.to_pylist()


def test_a_missing_datasets_is_named(ids_connector, monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"to_huggingface_dataset needs datasets.*sluice-data\[huggingface\]"):
        ids_connector.to_huggingface_dataset()
