"""from_dataframe: DataFrames and Arrow streams as sources, and the snapshots that give them
every reading guarantee of files (docs/sources-from-streams.md). Values against pyarrow."""

import multiprocessing
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sluice
from _util import assert_table_equal, ids_table, read_ids, typed_table

ROWS = 3000


@pytest.fixture
def snapshots(tmp_path):
    """A snapshot directory of the test's own."""
    return tmp_path / "snapshots"


def counted_reader(table, counter, batch_rows=400):
    """A RecordBatchReader over `table` whose batches are counted as the core pulls them."""

    def batches():
        for batch in table.to_batches(max_chunksize=batch_rows):
            counter.append(batch.num_rows)
            yield batch

    return pa.RecordBatchReader.from_batches(table.schema, batches())


def snapshot_dirs(root):
    return sorted(p.name for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith("."))


def test_a_single_pass_streams_straight_from_the_producer(snapshots):
    table = typed_table(0, ROWS)
    pulled = []
    connector = sluice.DataConnector.from_dataframe(counted_reader(table, pulled, 100), snapshot_dir=str(snapshots))
    assert pulled == [] and connector.schema == table.schema  # nothing read at open
    reader = connector.to_arrow(batch_size=512)
    first = reader.read_next_batch()
    assert first.num_rows == 512
    # streamed: only a few producer batches were pulled, not the whole stream
    assert sum(pulled) < ROWS
    rest = reader.read_all()
    assert_table_equal(pa.Table.from_batches([first, *rest.to_batches()]), table)
    reader.close()


def test_exact_batches_false_emits_the_producers_own_batches(snapshots):
    # to_pandas reads a stream this way: no re-cut, so no copy of the rows that span two batches
    table = typed_table(0, ROWS)
    connector = sluice.DataConnector.from_dataframe(counted_reader(table, [], 700), snapshot_dir=str(snapshots))
    with connector.to_arrow(batch_size=512, exact_batches=False, columns=["id"], limit=2500) as reader:
        batches = list(reader)
    assert [batch.num_rows for batch in batches] == [700, 700, 700, 400]
    assert_table_equal(pa.Table.from_batches(batches), table.select(["id"]).slice(0, 2500))
    # a second pass reads the snapshot the first one wrote, in exact batches again
    with connector.to_arrow(batch_size=512, exact_batches=False) as reader:
        assert [batch.num_rows for batch in reader] == [512] * 5 + [ROWS - 2560]
    batches = connector.iter_batches(batch_size=512, columns=["id"])
    next(batches)
    token = batches.position()
    batches.close()
    for other in ({"drop_last_batch": True}, {"resume_from": token}):
        with pytest.raises(sluice.SluiceInvalidArgument, match="'exact_batches' is false.*" + next(iter(other))):
            connector.to_arrow(exact_batches=False, **other)


def test_to_pandas_of_a_stream_grows_its_columns_and_equals_pyarrows(snapshots, monkeypatch):
    # the stream's row count is not known up front: its columns start small here and grow four times
    import sluice._pandas

    monkeypatch.setattr(sluice._pandas, "_STREAM_START_ROWS", 200)
    late_null = pa.array([None if i == 2500 else i for i in range(ROWS)], pa.int32())  # after the columns grew
    table = ids_table(0, ROWS).append_column("late_null", late_null)
    table = table.append_column("flag", pa.array(np.arange(ROWS) % 3 == 0))
    table = table.append_column("name", pa.array([f"n{i % 7}" for i in range(ROWS)]))
    connector = sluice.DataConnector.from_dataframe(table.to_reader(max_chunksize=450), snapshot_dir=str(snapshots))
    frame = connector.to_pandas()
    pd.testing.assert_frame_equal(frame, table.to_pandas())
    assert frame["late_null"].dtype == np.float64 and np.isnan(frame["late_null"][2500])


@pytest.mark.parametrize("kind", ["pyarrow.Table", "RecordBatchReader", "pandas", "polars", "duckdb"])
def test_to_pandas_of_every_kind_of_frame(kind, snapshots):
    table = ids_table(0, ROWS).append_column("half", pa.array(np.arange(ROWS) * 0.5))
    if kind == "pyarrow.Table":
        frame = table
    elif kind == "RecordBatchReader":
        frame = table.to_reader(max_chunksize=700)
    elif kind == "pandas":
        frame = table.to_pandas()
    elif kind == "polars":
        import polars as pl

        frame = pl.from_arrow(table)
    else:
        import duckdb

        frame = duckdb.from_arrow(table)  # a relation: __arrow_c_stream__ runs its query
    connector = sluice.DataConnector.from_dataframe(frame, snapshot_dir=str(snapshots))
    pd.testing.assert_frame_equal(connector.to_pandas(), table.to_pandas())


def test_shuffle_reads_a_snapshot_with_the_rows_of_the_same_files(snapshots, tmp_path):
    table = typed_table(0, ROWS)
    connector = sluice.DataConnector.from_dataframe(table, snapshot_dir=str(snapshots))
    shuffled = read_ids(connector, shuffle=True, seed=7, batch_size=256, shuffle_window=1000)
    assert sorted(shuffled) == list(range(ROWS)) and shuffled != list(range(ROWS))
    [snapshot] = snapshot_dirs(snapshots)
    assert_table_equal(pq.read_table(snapshots / snapshot), table, "the snapshot")
    # the same rows as files would give: the snapshot is read by the file reader
    files = sluice.DataConnector.from_sources(str(snapshots / snapshot))
    assert read_ids(files, shuffle=True, seed=7, batch_size=256, shuffle_window=1000) == shuffled
    assert connector.count_rows() == ROWS and connector.num_rows == ROWS


def test_second_epoch_and_rereads_come_from_the_snapshot_written_by_the_first_pass(snapshots):
    table = ids_table(0, ROWS)
    pulled = []
    connector = sluice.DataConnector.from_dataframe(counted_reader(table, pulled), snapshot_dir=str(snapshots))
    assert read_ids(connector, batch_size=1000) == list(range(ROWS))  # the first pass, streamed
    assert sum(pulled) == ROWS
    for epoch in (1, 2):
        assert read_ids(connector, batch_size=1000, epoch=epoch) == list(range(ROWS))
    assert sorted(read_ids(connector, shuffle=True, epoch=1)) == list(range(ROWS))
    assert sum(pulled) == ROWS  # the stream was read once
    assert len(snapshot_dirs(snapshots)) == 1


def test_a_first_pass_stopped_early_still_completes_the_snapshot(snapshots):
    table = ids_table(0, ROWS)
    connector = sluice.DataConnector.from_dataframe(table.to_reader(max_chunksize=100), snapshot_dir=str(snapshots))
    reader = connector.to_arrow(batch_size=100)
    assert reader.read_next_batch().num_rows == 100
    reader.close()
    assert read_ids(connector) == list(range(ROWS))
    assert read_ids(connector, limit=10) == list(range(10))


def test_shards_cover_every_row_once(snapshots):
    table = ids_table(0, ROWS + 1)
    sharded = sluice.ShardedDataConnector.from_dataframe(table, snapshot_dir=str(snapshots), equal=False)
    shards = [read_ids(sharded.get_shard(rank, 3), batch_size=100) for rank in range(3)]
    assert sorted(i for shard in shards for i in shard) == list(range(ROWS + 1))
    files = sluice.DataConnector.from_sources(sharded.snapshot())
    assert shards == [read_ids(files, num_shards=3, shard_index=rank, batch_size=100) for rank in range(3)]


def test_iter_batches_tf_xgboost_outputs_match_pyarrow(snapshots):
    table = ids_table(0, ROWS).append_column("f", pa.array(np.arange(ROWS, dtype=np.float32)))
    connector = sluice.DataConnector.from_dataframe(table, snapshot_dir=str(snapshots))
    batches = list(connector.iter_batches(batch_size=1000, squeeze=True))
    np.testing.assert_array_equal(np.concatenate([b["f"] for b in batches]), table.column("f").to_numpy())
    import xgboost

    matrix = connector.to_xgboost(["f"], label="id")
    assert isinstance(matrix, xgboost.DMatrix) and matrix.num_row() == ROWS
    np.testing.assert_array_equal(matrix.get_label(), np.arange(ROWS))


def test_snapshot_never_refuses_what_needs_random_access(snapshots):
    table = ids_table(0, ROWS)

    def never():
        return sluice.DataConnector.from_dataframe(table, snapshot="never", snapshot_dir=str(snapshots))

    for read_options in ({"shuffle": True}, {"num_shards": 2, "shard_index": 1}, {"num_workers": 2, "worker_index": 0}):
        with pytest.raises(sluice.SluiceInvalidArgument, match="snapshot=never.*random access"):
            never().to_arrow(**read_options)
    once = never()
    assert read_ids(once) == list(range(ROWS))  # one ordered pass works
    with pytest.raises(sluice.SluiceInvalidArgument, match="read once with snapshot=never.*a stream can be read once"):
        read_ids(once, epoch=1)
    with pytest.raises(sluice.SluiceInvalidArgument, match="snapshot=never"):
        never().count_rows()
    assert not snapshots.exists()


def test_snapshot_always_reads_the_first_pass_from_the_snapshot_too(snapshots):
    table = typed_table(0, ROWS)
    connector = sluice.DataConnector.from_dataframe(table, snapshot="always", snapshot_dir=str(snapshots))
    assert_table_equal(connector.to_arrow().read_all(), table)
    assert len(snapshot_dirs(snapshots)) == 1


def test_an_unwritable_snapshot_dir_is_an_error_naming_it(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    bad = blocker / "snapshots"
    connector = sluice.DataConnector.from_dataframe(ids_table(0, ROWS), snapshot_dir=str(bad))
    with pytest.raises(sluice.SluiceError, match=f"snapshot directory '{bad}' cannot be written"):
        connector.to_arrow(shuffle=True)
    # the same for a first pass (which writes the snapshot as it streams)
    connector = sluice.DataConnector.from_dataframe(ids_table(0, ROWS), snapshot_dir=str(bad))
    with pytest.raises(sluice.SluiceError, match=f"snapshot directory '{bad}' cannot be written"):
        connector.to_arrow()


def test_a_producer_failing_mid_stream_is_an_error_never_a_short_result(snapshots):
    table = ids_table(0, ROWS)

    def failing():
        yield from table.to_batches(max_chunksize=500)[:2]
        raise ValueError("the database went away")

    def connector(**options):
        reader = pa.RecordBatchReader.from_batches(table.schema, failing())
        return sluice.DataConnector.from_dataframe(reader, snapshot_dir=str(snapshots), **options)

    for options in ({}, {"snapshot": "never"}):
        with pytest.raises(sluice.SluiceError, match="failed after 1000 rows: .*the database went away"):
            connector(**options).to_arrow(batch_size=100).read_all()
    failed = connector()
    with pytest.raises(sluice.SluiceError, match="the database went away"):
        failed.to_pandas()
    # later reads repeat the error, and no half-written snapshot is left to be read
    with pytest.raises(sluice.SluiceError, match="the database went away"):
        failed.to_arrow(shuffle=True)
    assert snapshot_dirs(snapshots) == []
    with pytest.raises(sluice.SluiceError, match="the database went away"):
        connector().to_arrow(shuffle=True)


def _worker_ids(dataset, workers, context):
    from torch.utils.data import DataLoader

    loader = DataLoader(dataset, batch_size=None, num_workers=workers, multiprocessing_context=context)
    return [item["id"].reshape(-1).tolist() for item in loader]


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_dataloader_workers_share_one_snapshot_written_once(snapshots, context):
    table = ids_table(0, ROWS)
    pulled = []
    connector = sluice.DataConnector.from_dataframe(counted_reader(table, pulled), snapshot_dir=str(snapshots))
    dataset = connector.to_torch_dataset(batch_size=250, shuffle=True, seed=3)
    per_batch = _worker_ids(dataset, 2, context)
    assert sum(pulled) == ROWS and len(snapshot_dirs(snapshots)) == 1  # written once, by this process
    single = [item["id"].reshape(-1).tolist() for item in dataset]
    assert per_batch == single
    assert sorted(i for batch in single for i in batch) == list(range(ROWS))


def test_a_pickled_connector_carries_its_snapshot(snapshots):
    table = ids_table(0, ROWS)
    connector = sluice.ShardedDataConnector.from_dataframe(table, snapshot_dir=str(snapshots), equal="drop")
    copy = pickle.loads(pickle.dumps(connector))
    assert copy.sources == [connector.snapshot()] and copy._equal == "drop"
    assert read_ids(copy.get_shard(1, 2)) == read_ids(connector.get_shard(1, 2))


def _rank(args):
    """A rank started on its own: its own copy of the frame, the shared snapshot id."""
    snapshot_dir, marker_dir, rank = args
    sys.path.insert(0, str(Path(__file__).parent))
    from _util import ids_table as make

    table = make(0, ROWS)

    def batches():
        Path(marker_dir, f"rank-{rank}-read-its-stream").touch()
        yield from table.to_batches(max_chunksize=500)

    reader = pa.RecordBatchReader.from_batches(table.schema, batches())
    connector = sluice.ShardedDataConnector.from_dataframe(reader, snapshot_dir=snapshot_dir, snapshot_id="job-42")
    return read_ids(connector.get_shard(rank, 3), batch_size=100)


def test_ranks_started_separately_agree_on_one_snapshot(snapshots, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        shards = pool.map(_rank, [(str(snapshots), str(markers), rank) for rank in range(3)])
    assert sorted(i for shard in shards for i in shard) == list(range(ROWS))
    assert snapshot_dirs(snapshots) == ["job-42"]
    assert len(list(markers.iterdir())) == 1  # one rank wrote it; the others waited and read it


def test_old_snapshots_are_removed_by_age_and_by_hand(snapshots):
    for seed in range(2):
        connector = sluice.DataConnector.from_dataframe(ids_table(0, 100), snapshot_dir=str(snapshots))
        connector.snapshot()
    assert len(snapshot_dirs(snapshots)) == 2
    old = snapshots / snapshot_dirs(snapshots)[0]
    os.utime(old, (1, 1))
    assert sluice.remove_snapshots(snapshots, older_than=3600) == 1
    assert len(snapshot_dirs(snapshots)) == 1
    # publishing a new snapshot removes those unused for longer than snapshot_max_age
    os.utime(snapshots / snapshot_dirs(snapshots)[0], (1, 1))
    sluice.DataConnector.from_dataframe(ids_table(0, 100), snapshot_dir=str(snapshots), snapshot_max_age=60).snapshot()
    assert len(snapshot_dirs(snapshots)) == 1
    assert sluice.remove_snapshots(snapshots) == 1 and snapshot_dirs(snapshots) == []
    assert sluice.remove_snapshots(snapshots / "missing") == 0


def test_bad_snapshot_options_name_the_option():
    with pytest.raises(sluice.SluiceInvalidArgument, match="snapshot.*expected auto, always or never"):
        sluice.DataConnector.from_dataframe(ids_table(0, 10), snapshot="sometimes")
    with pytest.raises(sluice.SluiceInvalidArgument, match="snapshot_id"):
        sluice.DataConnector.from_dataframe(ids_table(0, 10), snapshot_id="../escape")
    with pytest.raises(TypeError, match="from_dataframe takes a pandas DataFrame or an object with __arrow_c_stream__"):
        sluice.DataConnector.from_dataframe([1, 2, 3])


def test_a_position_taken_in_the_first_pass_resumes_in_the_snapshot(snapshots):
    table = ids_table(0, ROWS)
    connector = sluice.DataConnector.from_dataframe(table.to_reader(max_chunksize=300), snapshot_dir=str(snapshots))
    batches = connector.iter_batches(batch_size=200, columns=["id"], squeeze=True)
    seen = [next(batches)["id"].tolist() for _ in range(3)]
    token = batches.position()
    batches.close()
    rest = connector.iter_batches(batch_size=200, columns=["id"], squeeze=True, resume_from=token)
    assert [i for b in seen for i in b] + [i for b in rest for i in b["id"].tolist()] == list(range(ROWS))
