"""to_torch_dataset(): real torch, real DataLoader workers (fork and spawn), values against pyarrow."""

import pickle

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader, IterableDataset  # noqa: E402

import sluice  # noqa: E402
from _util import write_parquet  # noqa: E402

# up to 4 workers on a 2-core machine is the point of the worker tests
pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")
from test_numpy_policy import READ_ERRORS, N, policy_table, write_ipc  # noqa: E402

#: torch dtype of each numeric/bool column of the policy table (torch has every numpy dtype used)
TORCH_DTYPES = {
    "i8": torch.int8,
    "i16": torch.int16,
    "i32": torch.int32,
    "i64": torch.int64,
    "u8": torch.uint8,
    "u16": torch.uint16,
    "u32": torch.uint32,
    "u64": torch.uint64,
    "f16": torch.float16,
    "f32": torch.float32,
    "f64": torch.float64,
    "flag": torch.bool,
    "dec": torch.float64,
    "d32": torch.int64,
    "ts": torch.int64,
    "dur": torch.int64,
}


@pytest.fixture(scope="module")
def policy_file(tmp_path_factory):
    path = write_ipc(tmp_path_factory.mktemp("torch_policy") / "policy.arrow", policy_table(N))
    return sluice.DataConnector.from_sources(str(path)), pa.ipc.open_file(path).read_all()


def ids_of(item):
    """The ids of one DataLoader item (a dict with an "id" tensor of any shape) as a list."""
    return item["id"].reshape(-1).tolist()


def loader_batches(dataset, workers, context="fork", **loader_options):
    """[ids of each DataLoader batch] for num_workers=workers."""
    if workers:
        loader_options.update(num_workers=workers, multiprocessing_context=context)
    return [ids_of(item) for item in DataLoader(dataset, **loader_options)]


# --- shapes, dtypes and values -------------------------------------------------------------------


def test_batches_are_dicts_of_tensors_by_the_policy(policy_file):
    connector, expected = policy_file
    columns = list(TORCH_DTYPES) + ["s", "cat", "vec", "bvec"]
    dataset = connector.to_torch_dataset(batch_size=1000, columns=columns, drop_last_batch=False)
    assert isinstance(dataset, IterableDataset)
    batches = list(DataLoader(dataset, batch_size=None))
    assert [len(b["s"]) for b in batches] == [1000, 1000, 500]
    for name, dtype in TORCH_DTYPES.items():
        assert all(b[name].dtype == dtype and b[name].shape[1:] == (1,) for b in batches), name
    got = {name: torch.cat([b[name] for b in batches]).reshape(-1) for name in TORCH_DTYPES}
    for name in ["i8", "i16", "i32", "i64", "u8", "f16", "f32", "f64", "flag"]:
        np.testing.assert_array_equal(got[name].numpy(), expected.column(name).to_numpy(), err_msg=name)
    # torch has few operations on uint16..uint64: compare through int64 / numpy views
    for name in ["u16", "u32", "u64"]:
        np.testing.assert_array_equal(got[name].numpy(), expected.column(name).to_numpy(), err_msg=name)
    np.testing.assert_array_equal(got["dec"].numpy(), [float(d) for d in expected.column("dec").to_pylist()])
    np.testing.assert_array_equal(got["d32"].numpy(), expected.column("d32").cast(pa.int32()).to_numpy())
    np.testing.assert_array_equal(got["ts"].numpy(), expected.column("ts").cast(pa.int64()).to_numpy())
    np.testing.assert_array_equal(got["dur"].numpy(), expected.column("dur").cast(pa.int64()).to_numpy())
    # text: numpy object arrays shaped like a scalar column, which DataLoader's default_convert passes through
    assert all(isinstance(b["s"], np.ndarray) and b["s"].dtype == object and b["s"].shape[1:] == (1,) for b in batches)
    assert np.concatenate([b["s"] for b in batches]).ravel().tolist() == expected.column("s").to_pylist()
    # a dictionary column gives its values (codes would mean something only within a batch)
    assert (
        np.concatenate([b["cat"] for b in batches]).ravel().tolist()
        == expected.column("cat").cast(pa.string()).to_pylist()
    )
    codes = next(iter(connector.to_torch_dataset(batch_size=10, columns=["cat"], dictionary="codes")))["cat"]
    assert codes.dtype in (torch.int8, torch.int16, torch.int32, torch.int64) and codes.shape == (10, 1)
    assert all(b["vec"].dtype == torch.float32 and b["vec"].shape[1:] == (3,) for b in batches)
    np.testing.assert_array_equal(
        torch.cat([b["vec"] for b in batches]).numpy(), np.array(expected.column("vec").to_pylist(), dtype=np.float32)
    )
    assert all(b["bvec"].dtype == torch.bool and b["bvec"].shape[1:] == (2,) for b in batches)


def test_scalar_columns_concat_into_a_feature_matrix(policy_file):
    connector, expected = policy_file
    dataset = connector.to_torch_dataset(batch_size=32, columns=["f32", "f64", "i32"])
    batch = next(iter(DataLoader(dataset, batch_size=None)))
    X = torch.concat([t.to(torch.float32) for t in batch.values()], dim=-1)
    assert X.shape == (32, 3)
    want = np.stack([expected.column(c).to_numpy()[:32].astype(np.float32) for c in ["f32", "f64", "i32"]], 1)
    np.testing.assert_array_equal(X.numpy(), want)


def test_squeeze(policy_file):
    connector, _ = policy_file
    batch = next(iter(connector.to_torch_dataset(batch_size=16, columns=["i32", "vec"], squeeze=True)))
    assert batch["i32"].shape == (16,) and batch["vec"].shape == (16, 3)
    row = next(iter(connector.to_torch_dataset(columns=["i32", "vec"], squeeze=True)))
    assert row["i32"].shape == () and row["vec"].shape == (3,)
    stacked = next(iter(DataLoader(connector.to_torch_dataset(columns=["i32"], squeeze=True), batch_size=8)))
    assert stacked["i32"].shape == (8,)


def test_rows_stack_into_batches(policy_file):
    connector, expected = policy_file
    dataset = connector.to_torch_dataset(columns=["i64", "f16", "s", "vec"])
    row = next(iter(dataset))
    assert row["i64"].shape == (1,) and row["f16"].dtype == torch.float16 and row["vec"].shape == (3,)
    assert row["s"] == expected.column("s")[0].as_py()
    batches = list(DataLoader(dataset, batch_size=64))
    assert batches[0]["i64"].shape == (64, 1) and batches[0]["vec"].shape == (64, 3)
    assert batches[-1]["i64"].shape == (N % 64, 1)  # the DataLoader keeps its short last batch
    assert batches[0]["s"] == expected.column("s").to_pylist()[:64]  # default_collate: a list of str
    np.testing.assert_array_equal(
        torch.cat([b["i64"] for b in batches]).reshape(-1).numpy(), expected.column("i64").to_numpy()
    )
    assert dataset.count_rows() == N


def test_text_batches_pass_through_the_loader_untouched(policy_file, monkeypatch):
    """A DataLoader(batch_size=None) converts each item with default_convert, which walks a list
    item by item: text comes as a numpy object array, which it returns as it is."""
    connector, expected = policy_file
    from torch.utils.data._utils import collate as torch_collate

    dataset = connector.to_torch_dataset(batch_size=256, columns=["s", "i32"], drop_last_batch=False)
    walked = []
    convert = torch_collate.default_convert

    def counting_convert(data):
        walked.append(type(data))
        return convert(data)

    monkeypatch.setattr(torch_collate, "default_convert", counting_convert)
    batch = next(iter(dataset))
    assert counting_convert(batch)["s"] is batch["s"]
    # dict, then its 2 values: nothing below the text column's array (a list would add one call per row)
    assert walked == [dict, np.ndarray, torch.Tensor]
    got = np.concatenate([b["s"] for b in DataLoader(dataset, batch_size=None, pin_memory=False)])
    assert got.shape == (N, 1) and got.ravel().tolist() == expected.column("s").to_pylist()
    squeezed = next(iter(connector.to_torch_dataset(batch_size=8, columns=["s"], squeeze=True)))["s"]
    assert squeezed.shape == (8,) and squeezed.tolist() == expected.column("s").to_pylist()[:8]


def test_row_collate_gives_text_as_object_arrays(policy_file):
    connector, expected = policy_file
    dataset = connector.to_torch_dataset(columns=["i64", "s", "cat", "vec"])
    collate = pickle.loads(pickle.dumps(dataset.collate_fn))  # DataLoader workers (spawn) get a pickled copy
    batches = list(DataLoader(dataset, batch_size=64, collate_fn=collate))
    first = batches[0]
    assert first["s"].dtype == object and first["s"].shape == (64, 1) and first["i64"].shape == (64, 1)
    assert first["vec"].shape == (64, 3) and first["vec"].dtype == torch.float32
    assert np.concatenate([b["s"] for b in batches]).ravel().tolist() == expected.column("s").to_pylist()
    cats = np.concatenate([b["cat"] for b in batches]).ravel().tolist()
    assert cats == expected.column("cat").cast(pa.string()).to_pylist()
    np.testing.assert_array_equal(torch.cat([b["i64"] for b in batches]).reshape(-1).numpy(), expected["i64"])
    squeezed = connector.to_torch_dataset(columns=["s", "i64"], squeeze=True, loader_batch_size=16)
    workers = DataLoader(
        squeezed, batch_size=16, collate_fn=squeezed.collate_fn, num_workers=2, multiprocessing_context="fork"
    )
    items = list(workers)
    assert items[0]["s"].shape == (16,) and items[0]["i64"].shape == (16,)
    assert np.concatenate([b["s"] for b in items]).tolist() == expected.column("s").to_pylist()


def test_ragged_values_offsets_and_pad(tmp_path):
    rows = [[1, 2, 3], [], [4]] * 10
    path = write_parquet(tmp_path / "r.parquet", pa.table({"tags": pa.array(rows, pa.list_(pa.int64()))}), 7)
    connector = sluice.DataConnector.from_sources(str(path))
    values, offsets = next(iter(connector.to_torch_dataset(batch_size=6, ragged="values_offsets")))["tags"]
    assert values.dtype == torch.int64 and offsets.tolist() == [0, 3, 3, 4, 7, 7, 8]
    assert values.tolist() == [1, 2, 3, 4, 1, 2, 3, 4]
    row_values = [r["tags"].tolist() for r in connector.to_torch_dataset(ragged="values_offsets")]
    assert row_values == rows
    padded = next(iter(connector.to_torch_dataset(batch_size=3, ragged="pad", pad_length=4)))["tags"]
    assert padded.tolist() == [[1, 2, 3, 0], [0, 0, 0, 0], [4, 0, 0, 0]]


# --- errors name the column ----------------------------------------------------------------------


def first_item(make_dataset):
    return next(iter(make_dataset()))


def test_ragged_list_without_option_names_the_column(parquet_dataset):
    connector = sluice.DataConnector.from_sources(str(parquet_dataset.root))
    with pytest.raises(READ_ERRORS) as excinfo:
        first_item(lambda: connector.to_torch_dataset(batch_size=10, columns=["id", "tags"]))
    assert "'tags'" in str(excinfo.value)


def test_nulls_without_fill_name_the_column(parquet_dataset):
    connector = sluice.DataConnector.from_sources(str(parquet_dataset.root))
    with pytest.raises(READ_ERRORS) as excinfo:
        list(connector.to_torch_dataset(batch_size=500, columns=["id", "maybe"]))
    assert "'maybe'" in str(excinfo.value)
    filled = next(iter(connector.to_torch_dataset(batch_size=500, columns=["maybe"], null_fill=0)))
    assert filled["maybe"].dtype == torch.float64 and filled["maybe"][0].item() == 0  # id 0 % 7 == 0: a null


def test_bad_arguments(ids_connector):
    with pytest.raises(ValueError, match="batch_size"):
        ids_connector.to_torch_dataset(batch_size=0)
    with pytest.raises(TypeError, match="num_workers"):
        ids_connector.to_torch_dataset(num_workers=2)
    with pytest.raises(ValueError, match="features"):
        ids_connector.to_torch_dataset(label="x")
    with pytest.raises(sluice.SluiceInvalidArgument, match="nope"):
        ids_connector.to_torch_dataset(columns=["nope"])


# --- workers, epochs, shards ---------------------------------------------------------------------

WORKER_CASES = [
    pytest.param(dict(batch_size=100), {}, id="batches"),
    pytest.param(dict(batch_size=100, shuffle=True, shuffle_window=1000), {}, id="batches-shuffled"),
    pytest.param(dict(batch_size=64, drop_last_batch=False), {}, id="batches-keep-last"),
    pytest.param({}, dict(batch_size=64), id="rows"),
    pytest.param(dict(shuffle=True, shuffle_window=700), dict(batch_size=50, drop_last=True), id="rows-shuffled"),
    # a batched dataset in a batching DataLoader (Snowflake's DataLoader(to_torch_dataset(batch_size=1024))):
    # each DataLoader batch stacks 3 dataset batches
    pytest.param(dict(batch_size=100), dict(batch_size=3), id="batches-of-batches"),
]


@pytest.mark.parametrize("dataset_options, loader_options", WORKER_CASES)
def test_every_worker_count_gives_the_same_batches_fork(ids_connector, ids_dataset, dataset_options, loader_options):
    loader_options.setdefault("batch_size", None)
    dataset = ids_connector.to_torch_dataset(
        columns=["id"], loader_batch_size=loader_options["batch_size"] or 1, **dataset_options
    )
    single = loader_batches(dataset, 0, **loader_options)
    rows = [i for batch in single for i in batch]
    assert len(rows) == len(set(rows)), "a row came twice"
    total = ids_dataset.total
    if dataset_options.get("batch_size") and dataset_options.get("drop_last_batch", True):
        total -= total % dataset_options["batch_size"]
    if loader_options.get("drop_last"):
        total -= total % loader_options["batch_size"]
    if dataset_options.get("batch_size") and loader_options["batch_size"]:
        assert len(single[0]) == dataset_options["batch_size"] * loader_options["batch_size"]
    assert len(rows) == total
    if not dataset_options.get("shuffle"):
        assert rows == list(range(total))
    for workers in range(1, 5):
        assert loader_batches(dataset, workers, "fork", **loader_options) == single, f"num_workers={workers}"


@pytest.mark.parametrize(
    "dataset_options, loader_options, workers",
    [
        (dict(batch_size=100, shuffle=True), dict(batch_size=None), 2),
        ({}, dict(batch_size=64), 2),
    ],
    ids=["batches-shuffled-2", "rows-2"],
)
def test_spawned_workers_give_the_same_batches(ids_connector, dataset_options, loader_options, workers):
    dataset = ids_connector.to_torch_dataset(
        columns=["id", "s"], loader_batch_size=loader_options["batch_size"] or 1, **dataset_options
    )
    single = loader_batches(dataset, 0, **loader_options)
    assert loader_batches(dataset, workers, "spawn", **loader_options) == single


def test_single_rows_in_workers_need_the_loader_batch_size(ids_connector):
    # without it a worker cannot know how many rows make one DataLoader batch (torch does not say)
    dataset = ids_connector.to_torch_dataset(columns=["id"])
    with pytest.raises(ValueError, match="loader_batch_size"):
        loader_batches(dataset, 2, batch_size=64)
    assert len(loader_batches(dataset, 0, batch_size=64)) == -(-ids_connector.count_rows() // 64)
    for bad in [0, -1, 2.0, True]:
        with pytest.raises(ValueError, match="loader_batch_size"):
            ids_connector.to_torch_dataset(loader_batch_size=bad)


def test_the_core_cuts_the_batches_and_drops_the_last(ids_connector):
    # batches are cut from chunks of whole batches (batches_per_chunk): the same as one core batch per item
    for drop_last in [True, False]:
        dataset = ids_connector.to_torch_dataset(batch_size=300, drop_last_batch=drop_last, columns=["id"])
        got = [ids_of(b) for b in DataLoader(dataset, batch_size=None)]
        with ids_connector.to_arrow(batch_size=300, drop_last_batch=drop_last, columns=["id"]) as reader:
            assert got == [batch.column("id").to_pylist() for batch in reader]
    with pytest.raises(TypeError, match="batches_per_chunk"):
        ids_connector.to_torch_dataset(batch_size=10, batches_per_chunk=2)


def test_dataset_pickles(ids_connector):
    dataset = ids_connector.to_torch_dataset(batch_size=100, shuffle=True, epoch=3, columns=["id"])
    copy = pickle.loads(pickle.dumps(dataset))
    assert [ids_of(b) for b in copy] == [ids_of(b) for b in dataset]


def test_set_epoch_in_every_worker_mode(ids_connector):
    dataset = ids_connector.to_torch_dataset(
        batch_size=128, shuffle=True, seed=11, columns=["id"], drop_last_batch=False
    )
    orders = {}
    for epoch in [0, 1, 2]:
        dataset.set_epoch(epoch)
        orders[epoch] = loader_batches(dataset, 0, batch_size=None)
        for workers in [2, 3]:
            assert loader_batches(dataset, workers, batch_size=None) == orders[epoch], (epoch, workers)
        direct = ids_connector.to_torch_dataset(
            batch_size=128, shuffle=True, seed=11, epoch=epoch, columns=["id"], drop_last_batch=False
        )
        assert loader_batches(direct, 0, batch_size=None) == orders[epoch]
    assert orders[0] != orders[1] != orders[2] != orders[0]
    assert sorted(sum(orders[0], [])) == sorted(sum(orders[1], []))
    rows = ids_connector.to_torch_dataset(shuffle=True, seed=11, columns=["id"], loader_batch_size=32)
    rows.set_epoch(1)
    assert loader_batches(rows, 2, batch_size=32) == loader_batches(rows, 0, batch_size=32)


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_set_epoch_reaches_persistent_workers(ids_connector, context):
    # issue 9 item 5: persistent workers kept the epoch they started with, so every epoch
    # repeated epoch 0's order
    dataset = ids_connector.to_torch_dataset(batch_size=256, shuffle=True, seed=11, columns=["id"])
    loader = DataLoader(
        dataset, batch_size=None, num_workers=2, persistent_workers=True, multiprocessing_context=context
    )
    orders = []
    for epoch in range(3):
        dataset.set_epoch(epoch)
        ids = torch.cat([b["id"].reshape(-1) for b in loader]).tolist()
        fresh = ids_connector.to_arrow(
            batch_size=256, shuffle=True, seed=11, epoch=epoch, columns=["id"], drop_last_batch=True
        )
        assert ids == fresh.read_all().column("id").to_pylist(), f"epoch {epoch}"
        orders.append(ids)
    assert orders[0] != orders[1] != orders[2] != orders[0]
    dataset.set_epoch(1)  # back to an earlier epoch: its order again
    assert torch.cat([b["id"].reshape(-1) for b in loader]).tolist() == orders[1]


def test_shuffle_without_seed_uses_a_fixed_seed(ids_connector, ids_dataset):
    a = ids_connector.to_torch_dataset(batch_size=50, shuffle=True, columns=["id"])
    b = sluice.DataConnector.from_sources(str(ids_dataset.root)).to_torch_dataset(
        batch_size=50, shuffle=True, columns=["id"]
    )
    zero = ids_connector.to_torch_dataset(batch_size=50, shuffle=True, seed=0, columns=["id"])
    first = [ids_of(x) for x in a]
    assert first == [ids_of(x) for x in b] == [ids_of(x) for x in zero]
    assert sum(first, []) != sorted(sum(first, []))  # it did shuffle


@pytest.mark.parametrize("equal", ["off", "drop"])
def test_shards_are_disjoint_and_cover(ids_dataset, monkeypatch, equal):
    sharded = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root), equal=equal)
    world = 3
    per_rank = []
    for rank in range(world):
        shard = sharded.get_shard(rank, world)
        dataset = shard.to_torch_dataset(batch_size=64, shuffle=True, seed=5, drop_last_batch=False, columns=["id"])
        ids = sum(loader_batches(dataset, 2, batch_size=None), [])
        assert ids == sum(loader_batches(dataset, 0, batch_size=None), [])
        per_rank.append(ids)
    every = sum(per_rank, [])
    assert len(every) == len(set(every)), "a row went to two ranks"
    if equal == "off":
        assert sorted(every) == list(range(ids_dataset.total))
    else:
        assert len({len(r) for r in per_rank}) == 1
        assert len(every) == ids_dataset.total - ids_dataset.total % world
    # Snowflake's spelling: get_shard() from torchrun's variables
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", str(world))
    from_env = sharded.get_shard().to_torch_dataset(
        batch_size=64, shuffle=True, seed=5, drop_last_batch=False, columns=["id"]
    )
    assert sum((ids_of(b) for b in from_env), []) == per_rank[1]


# --- packed mode and training --------------------------------------------------------------------

FEATURES = ["f32", "f64", "i32", "u8", "flag"]


def test_packed_mode_yields_x_and_y(policy_file):
    connector, expected = policy_file
    dataset = connector.to_torch_dataset(batch_size=500, features=FEATURES, label="i64")
    batches = list(DataLoader(dataset, batch_size=None))
    assert len(batches) == N // 500
    X = torch.cat([x for x, _ in batches])
    y = torch.cat([y for _, y in batches])
    assert batches[0][0].shape == (500, len(FEATURES)) and batches[0][0].dtype == torch.float32
    assert batches[0][1].shape == (500,) and batches[0][1].dtype == torch.int64
    want = np.stack([expected.column(c).to_numpy().astype(np.float32) for c in FEATURES], 1)
    np.testing.assert_array_equal(X.numpy(), want)
    np.testing.assert_array_equal(y.numpy(), expected.column("i64").to_numpy())
    # rows: (x, y) per row; the DataLoader stacks them as it would a TensorDataset's
    X_rows, y_rows = next(iter(DataLoader(connector.to_torch_dataset(features=FEATURES, label="i64"), batch_size=8)))
    assert X_rows.shape == (8, len(FEATURES)) and y_rows.shape == (8,)
    np.testing.assert_array_equal(X_rows.numpy(), want[:8])
    only_x = next(iter(connector.to_torch_dataset(batch_size=4, features=FEATURES)))
    assert isinstance(only_x, torch.Tensor) and only_x.shape == (4, len(FEATURES))


def test_packed_mode_with_workers(policy_file):
    connector, _ = policy_file
    dataset = connector.to_torch_dataset(batch_size=128, features=FEATURES, label="i64", shuffle=True)
    single = [y.tolist() for _, y in DataLoader(dataset, batch_size=None)]
    forked = [
        y.tolist() for _, y in DataLoader(dataset, batch_size=None, num_workers=3, multiprocessing_context="fork")
    ]
    assert forked == single


def test_a_workers_batch_crosses_as_one_storage(policy_file):
    """In a DataLoader worker every tensor of a batch is a view of one shared-memory storage, so
    that torch hands the batch over as one file descriptor instead of one per tensor (X and y
    were two; dict mode one per column). Values, shapes and order are those read in process."""
    connector, expected = policy_file
    loader = {"batch_size": None, "num_workers": 2, "multiprocessing_context": "fork"}
    packed = list(DataLoader(connector.to_torch_dataset(batch_size=300, features=FEATURES, label="i64"), **loader))
    assert len(packed) == N // 300
    for X, y in packed:
        assert X.untyped_storage().data_ptr() == y.untyped_storage().data_ptr()
        assert X.shape == (300, len(FEATURES)) and X.dtype == torch.float32 and y.shape == (300,)
    want = np.stack([expected.column(c).to_numpy().astype(np.float32) for c in FEATURES], 1)[: N // 300 * 300]
    np.testing.assert_array_equal(torch.cat([X for X, _ in packed]).numpy(), want)
    labels = expected.column("i64").to_numpy()[: len(want)]
    np.testing.assert_array_equal(torch.cat([y for _, y in packed]).numpy(), labels)
    columns = ["i8", "f64", "flag", "i64"]
    dicts = list(DataLoader(connector.to_torch_dataset(batch_size=300, columns=columns), **loader))
    in_process = list(connector.to_torch_dataset(batch_size=300, columns=columns))
    assert len(dicts) == len(in_process)
    for batch, same in zip(dicts, in_process):
        assert len({batch[name].untyped_storage().data_ptr() for name in columns}) == 1
        for name in columns:
            assert batch[name].dtype == same[name].dtype and torch.equal(batch[name], same[name])


def test_a_model_trains(tmp_path):
    rng = np.random.default_rng(3)
    n, weights = 4096, np.array([1.5, -2.0, 0.5, 3.0], dtype=np.float32)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    target = x @ weights + 0.25 + rng.normal(scale=0.01, size=n).astype(np.float32)
    table = pa.table({**{f"x{i}": x[:, i] for i in range(4)}, "target": target})
    for part in range(2):
        pq.write_table(table.slice(part * n // 2, n // 2), tmp_path / f"part-{part}.parquet", row_group_size=700)
    connector = sluice.DataConnector.from_sources(str(tmp_path))
    dataset = connector.to_torch_dataset(
        batch_size=128, shuffle=True, features=[f"x{i}" for i in range(4)], label="target"
    )
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for epoch in range(3):
        dataset.set_epoch(epoch)
        for X, y in DataLoader(dataset, batch_size=None, num_workers=2, multiprocessing_context="fork"):
            loss = torch.nn.functional.mse_loss(model(X).squeeze(-1), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert len(losses) == 3 * (n // 128)
    assert losses[-1] < losses[0] / 100, losses[::8]
    np.testing.assert_allclose(model.weight.detach().numpy().ravel(), weights, atol=0.05)
