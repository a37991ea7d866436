"""Shuffle, shards, equal shards, workers, and ShardedDataConnector.get_shard()."""

import collections

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sluice
from _util import ids_table, read_ids, round_robin, write_parquet

SHUFFLE = dict(shuffle=True, seed=11, shuffle_window=500)


# --- shuffle ---------------------------------------------------------------------------------


def test_unshuffled_is_source_order(ids_connector, ids_dataset):
    assert read_ids(ids_connector, batch_size=1000) == list(range(ids_dataset.total))


def test_shuffle_is_a_permutation_and_not_the_identity(ids_connector, ids_dataset):
    ids = read_ids(ids_connector, **SHUFFLE)
    assert len(ids) == ids_dataset.total
    assert sorted(ids) == list(range(ids_dataset.total))
    assert ids != list(range(ids_dataset.total))


def test_same_seed_same_order_in_a_new_connector(ids_connector, ids_dataset):
    first = read_ids(ids_connector, epoch=2, **SHUFFLE)
    other = sluice.DataConnector.from_sources([str(f) for f in ids_dataset.files])
    assert read_ids(other, epoch=2, **SHUFFLE) == first
    assert read_ids(ids_connector, epoch=2, **SHUFFLE) == first


def test_new_epoch_new_order(ids_connector, ids_dataset):
    orders = [read_ids(ids_connector, epoch=epoch, **SHUFFLE) for epoch in range(3)]
    for order in orders:
        assert sorted(order) == list(range(ids_dataset.total))
    assert orders[0] != orders[1] != orders[2] != orders[0]


def test_new_seed_new_order(ids_connector):
    a = read_ids(ids_connector, shuffle=True, seed=1)
    b = read_ids(ids_connector, shuffle=True, seed=2)
    assert sorted(a) == sorted(b) and a != b


def test_default_seed_is_fixed(ids_connector):
    assert read_ids(ids_connector, shuffle=True) == read_ids(ids_connector, shuffle=True, seed=0)


def test_order_does_not_depend_on_batch_size_threads_or_budget(ids_connector):
    reference = read_ids(ids_connector, batch_size=64, threads=1, **SHUFFLE)
    assert read_ids(ids_connector, batch_size=1000, threads=2, **SHUFFLE) == reference
    assert read_ids(ids_connector, batch_size=7, memory_budget="64KiB", **SHUFFLE) == reference


def test_shuffle_window_permutes_rows_only_inside_windows(tmp_path):
    # one file, one row group: the fragment order is trivial, so output window k must be a
    # permutation of the rows k*w .. (k+1)*w-1
    path = write_parquet(tmp_path / "one.parquet", ids_table(0, 2000), 2000)
    connector = sluice.DataConnector.from_sources(str(path))
    window = 300
    ids = read_ids(connector, shuffle=True, seed=5, shuffle_window=window)
    for start in range(0, 2000, window):
        chunk = ids[start : start + window]
        assert sorted(chunk) == list(range(start, min(start + window, 2000))), f"window at {start}"
    assert ids != list(range(2000))


def test_shuffle_permutes_fragments(ids_connector, ids_dataset):
    # window 1: rows keep their order inside fragments (row groups); the fragments are permuted
    ids = read_ids(ids_connector, shuffle=True, seed=9, shuffle_window=1)
    assert sorted(ids) == list(range(ids_dataset.total))
    runs = []  # maximal runs of consecutive ids
    for value in ids:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    assert len(runs) > 1, "fragments were not permuted"
    boundaries = {0}
    acc = 0
    for size in ids_dataset.row_groups:
        acc += size
        boundaries.add(acc)
    for first, last in runs:
        assert first in boundaries and last + 1 in boundaries, f"a fragment was split: run {first}..{last}"


# --- shards ----------------------------------------------------------------------------------


def shard_ids(reads, n, **options):
    return [read_ids(reads, num_shards=n, shard_index=i, **options) for i in range(n)]


@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_shards_off_are_contiguous_disjoint_and_cover(ids_connector, ids_dataset, n, shuffled):
    options = SHUFFLE if shuffled else {}
    single = read_ids(ids_connector, **options)
    shards = shard_ids(ids_connector, n, **options)
    lengths = [len(s) for s in shards]
    assert sum(lengths) == ids_dataset.total
    assert max(lengths) - min(lengths) <= 1
    assert [x for s in shards for x in s] == single  # contiguous ranges, in shard order


@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("n", [2, 3, 7])
def test_equal_shards_drop(ids_connector, ids_dataset, n, shuffled):
    options = SHUFFLE if shuffled else {}
    single = read_ids(ids_connector, **options)
    shards = shard_ids(ids_connector, n, equal_shards="drop", **options)
    each = ids_dataset.total // n
    assert [len(s) for s in shards] == [each] * n
    flat = [x for s in shards for x in s]
    assert len(set(flat)) == len(flat), "shards overlap"
    assert ids_dataset.total - len(flat) <= n - 1
    position = {v: i for i, v in enumerate(single)}
    for shard in shards:  # each shard is a contiguous range of the epoch sequence
        first = position[shard[0]]
        assert shard == single[first : first + each]
    assert [position[s[0]] for s in shards] == sorted(position[s[0]] for s in shards)


@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("n", [2, 3, 7])
def test_equal_shards_pad(ids_connector, ids_dataset, n, shuffled):
    options = SHUFFLE if shuffled else {}
    single = read_ids(ids_connector, **options)
    shards = shard_ids(ids_connector, n, equal_shards="pad", **options)
    each = -(-ids_dataset.total // n)
    assert [len(s) for s in shards] == [each] * n
    counts = collections.Counter(x for s in shards for x in s)
    assert set(counts) == set(range(ids_dataset.total)), "a row is missing"
    repeated = sorted(v for v, c in counts.items() if c > 1)
    assert all(c <= 2 for c in counts.values())
    pad = each * n - ids_dataset.total
    assert len(repeated) == pad
    assert repeated == sorted(single[:pad]), "padding repeats rows from the start of the epoch"


def test_equal_shards_pad_and_drop_equal_batch_counts(ids_connector):
    for mode in ["drop", "pad"]:
        counts = []
        for i in range(3):
            with ids_connector.to_arrow(
                num_shards=3, shard_index=i, equal_shards=mode, batch_size=128, columns=["id"]
            ) as reader:
                counts.append(sum(1 for _ in reader))
        assert len(set(counts)) == 1, (mode, counts)


def test_shard_with_limit(ids_connector):
    shards = shard_ids(ids_connector, 3)
    limited = shard_ids(ids_connector, 3, limit=100)
    assert limited == [s[:100] for s in shards]


def test_equal_shards_off_explicit(ids_connector):
    assert shard_ids(ids_connector, 3, equal_shards="off") == shard_ids(ids_connector, 3)


# --- workers ---------------------------------------------------------------------------------


def worker_batches(reads, k, **options):
    out = []
    for w in range(k):
        with reads.to_arrow(num_workers=k, worker_index=w, columns=["id"], **options) as reader:
            out.append([b.column(0).to_pylist() for b in reader])
    return out


@pytest.mark.parametrize(
    "options",
    [
        dict(batch_size=100),
        dict(batch_size=333, drop_last_batch=True),
        dict(batch_size=256, **SHUFFLE),
        dict(batch_size=97, num_shards=3, shard_index=1, **SHUFFLE),
        dict(batch_size=128, num_shards=2, shard_index=1, equal_shards="pad", epoch=4, **SHUFFLE),
        dict(batch_size=100, limit=950),
    ],
    ids=["plain", "drop_last", "shuffle", "shard+shuffle", "pad+shuffle", "limit"],
)
@pytest.mark.parametrize("k", [2, 3, 5])
def test_workers_round_robin_equals_single_reader(ids_connector, options, k):
    with ids_connector.to_arrow(columns=["id"], **options) as reader:
        single = [b.column(0).to_pylist() for b in reader]
    per_worker = worker_batches(ids_connector, k, **options)
    assert round_robin(per_worker) == single
    assert all(len(w) >= 1 for w in per_worker[: min(k, len(single))])


def test_worker_index_out_of_range(ids_connector):
    with pytest.raises(sluice.SluiceInvalidArgument, match="worker_index"):
        ids_connector.to_arrow(num_workers=2, worker_index=2).read_all()


# --- ShardedDataConnector --------------------------------------------------------------------


def test_get_shard_from_torchrun_environment(monkeypatch, ids_dataset, ids_connector):
    sharded = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root))
    seen = []
    for rank in range(3):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "3")
        shard = sharded.get_shard()
        assert (shard.rank, shard.world_size) == (rank, 3)
        ids = read_ids(shard, batch_size=200)
        assert ids == read_ids(ids_connector, num_shards=3, shard_index=rank)
        seen.append(ids)
        # the shard offers the same reads as the connector
        frame = shard.to_pandas(columns=["id"])
        assert frame["id"].tolist() == ids
        assert [x for b in shard.iter_batches(columns=["id"], batch_size=500) for x in b["id"].ravel().tolist()] == ids
    assert [x for s in seen for x in s] == list(range(ids_dataset.total))


def test_get_shard_defaults_without_environment(monkeypatch, ids_dataset):
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    shard = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root)).get_shard()
    assert (shard.rank, shard.world_size) == (0, 1)
    assert read_ids(shard) == list(range(ids_dataset.total))


def test_get_shard_arguments_override_environment(monkeypatch, ids_dataset, ids_connector):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    shard = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root)).get_shard(rank=2, world_size=4)
    assert read_ids(shard) == read_ids(ids_connector, num_shards=4, shard_index=2)


def test_get_shard_equal_modes(monkeypatch, ids_dataset, ids_connector):
    monkeypatch.setenv("WORLD_SIZE", "7")
    monkeypatch.setenv("RANK", "6")
    sharded = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root), equal="pad")
    assert len(read_ids(sharded.get_shard())) == -(-ids_dataset.total // 7)
    assert len(read_ids(sharded.get_shard(equal="drop"))) == ids_dataset.total // 7
    assert read_ids(sharded.get_shard(equal="drop", **{})) == read_ids(
        ids_connector, num_shards=7, shard_index=6, equal_shards="drop"
    )


def test_shard_options_are_fixed(ids_dataset):
    # the core merges a shard's options with a read's (fixed_options), the same rule as in Java
    shard = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root)).get_shard(0, 2)
    for key, value in [("shard_index", 1), ("num_shards", 3), ("equal_shards", "off"), ("shard_index", 0)]:
        with pytest.raises(sluice.SluiceInvalidArgument, match=f"'{key}' is fixed"):
            shard.to_arrow(**{key: value})
        with pytest.raises(sluice.SluiceInvalidArgument, match=f"'{key}' is fixed"):
            shard.count_rows(**{key: value})
    # a stream bound over a shard fixes its own options as well
    stream = shard.stream(batch_size=100)
    assert pa.table(stream).num_rows == shard.count_rows()
    with pytest.raises(sluice.SluiceInvalidArgument, match="'batch_size' is fixed"):
        stream.to_arrow(batch_size=10)
    with pytest.raises(sluice.SluiceInvalidArgument, match="'shard_index' is fixed"):
        stream.to_arrow(shard_index=1)


def test_bad_rank_environment(monkeypatch, ids_dataset):
    monkeypatch.setenv("RANK", "zero")
    with pytest.raises(ValueError, match="RANK"):
        sluice.ShardedDataConnector.from_sources(str(ids_dataset.root)).get_shard()


def test_rank_beyond_world_size_is_the_core_error(ids_dataset):
    shard = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root)).get_shard(rank=4, world_size=4)
    with pytest.raises(sluice.SluiceInvalidArgument, match="shard_index"):
        shard.to_arrow().read_all()


def test_shard_stream_object(ids_dataset):
    import pyarrow as pa

    shard = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root)).get_shard(1, 2)
    stream = shard.stream(columns=["id"], batch_size=1000)
    table = pa.table(stream)
    assert table.column_names == ["id"]
    assert table.num_rows in (ids_dataset.total // 2, ids_dataset.total // 2 + 1)
    assert pq.read_table(ids_dataset.files[-1]).column("id")[-1].as_py() == table.column("id")[-1].as_py()
