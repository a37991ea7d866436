"""to_tf_dataset with real TensorFlow: element_spec from the schema (no data read), values
against pyarrow reading the same files, epochs, shards, drop_last_batch, packed mode, Keras.

Importing TensorFlow takes seconds: everything TF lives in this one module.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import sluice  # noqa: E402
from _util import ids_table, write_parquet  # noqa: E402

TOTAL = 4122  # rows of the parquet_dataset fixture (conftest.py)

# name -> (tf dtype, shape after the batch dimension): what the schema says in tensor mode
SPEC = {
    "id": (tf.int64, (1,)),
    "i32": (tf.int32, (1,)),
    "u8": (tf.uint8, (1,)),
    "f32": (tf.float32, (1,)),
    "f64": (tf.float64, (1,)),
    "flag": (tf.bool, (1,)),
    "name": (tf.string, (1,)),
    "cat": (tf.string, (1,)),  # dictionary<int32, utf8>: decoded to its values
    "vec": (tf.float32, (3,)),  # fixed_size_list<float32>[3]
    "day": (tf.int64, (1,)),  # date32: days since the epoch
    "price": (tf.float64, (1,)),  # decimal128(12, 2)
}
COLUMNS = list(SPEC)


@pytest.fixture(scope="module")
def connector(parquet_dataset):
    return sluice.DataConnector.from_sources(str(parquet_dataset.root))


@pytest.fixture(scope="module")
def expected(parquet_dataset):
    return parquet_dataset.expected


def collect(dataset):
    """Every element as numpy: a list of {name: array} (or tuples in packed mode)."""
    return [tf.nest.map_structure(lambda t: t.numpy(), element) for element in dataset]


def ids_of(dataset):
    return np.concatenate([element["id"].reshape(-1) for element in collect(dataset)]).tolist()


# --- element_spec ------------------------------------------------------------------------------


def test_element_spec_is_the_schema(connector):
    dataset = connector.to_tf_dataset(batch_size=100, columns=COLUMNS)
    assert dataset.element_spec == {name: tf.TensorSpec((100,) + shape, dtype) for name, (dtype, shape) in SPEC.items()}
    squeezed = connector.to_tf_dataset(batch_size=100, columns=COLUMNS, squeeze=True, drop_last_batch=False)
    assert squeezed.element_spec["id"] == tf.TensorSpec((None,), tf.int64)
    assert squeezed.element_spec["name"] == tf.TensorSpec((None,), tf.string)
    assert squeezed.element_spec["vec"] == tf.TensorSpec((None, 3), tf.float32)


def test_element_spec_follows_the_cores_policy_options(connector):
    # null_mask inserts <col>_is_null after the column: the spec is the stream's schema, not a guess
    dataset = connector.to_tf_dataset(batch_size=10, columns=["id", "note", "maybe"], null_mask="note", null_fill=-1)
    assert list(dataset.element_spec) == ["id", "note", "note_is_null", "maybe"]
    assert dataset.element_spec["note_is_null"].dtype == tf.bool
    assert dataset.element_spec["maybe"].dtype == tf.float64


def test_building_reads_no_data(tmp_path):
    # a valid footer but garbage where the pages are: only a read of the data can fail
    good = write_parquet(tmp_path / "g.parquet", ids_table(0, 5000), 1000)
    data = bytearray(good.read_bytes())
    for i in range(200, 3000):
        data[i] = (data[i] * 7 + 13) % 256
    bad = tmp_path / "garbled.parquet"
    bad.write_bytes(bytes(data))
    dataset = sluice.DataConnector.from_sources(str(bad)).to_tf_dataset(batch_size=100, columns=["id", "x"])
    assert dataset.element_spec["x"] == tf.TensorSpec((100, 1), tf.float64)
    with pytest.raises(tf.errors.OpError, match="garbled.parquet"):
        collect(dataset)


def test_building_requests_no_data_bytes(http_server):
    path = write_parquet(http_server.root / "tf" / "remote.parquet", ids_table(0, 3000), 500)
    size = path.stat().st_size
    footer_start = size - 8 - int.from_bytes(path.read_bytes()[-8:-4], "little")
    connector = sluice.DataConnector.from_sources(f"{http_server.url}/tf/remote.parquet")
    del http_server.log[:]
    dataset = connector.to_tf_dataset(batch_size=100, columns=["id", "s"], shuffle=True)
    assert dataset.element_spec["s"].dtype == tf.string

    def data_ranges():
        out = []
        for method, _, header in http_server.log:
            if method != "GET":
                continue
            if not header:
                out.append((0, size))
                continue
            first, last = header.split("=")[1].split("-")
            if first and int(first) < footer_start:
                out.append((int(first), last))
        return out

    assert data_ranges() == [], http_server.log
    assert sorted(ids_of(dataset)) == list(range(3000))
    assert data_ranges(), "iterating reads the column chunks"


# --- values ------------------------------------------------------------------------------------


def test_values_equal_pyarrow(connector, expected):
    elements = collect(connector.to_tf_dataset(batch_size=1000, columns=COLUMNS, drop_last_batch=False))
    assert [len(e["id"]) for e in elements] == [1000, 1000, 1000, 1000, 122]
    got = {name: np.concatenate([e[name] for e in elements]) for name in COLUMNS}
    for name, (dtype, shape) in SPEC.items():
        assert got[name].shape == (TOTAL,) + shape, name
        assert got[name].dtype == (object if dtype == tf.string else dtype.as_numpy_dtype), name

    def column(name):
        return expected.column(name)

    for name in ("id", "i32", "u8", "f32", "f64", "flag"):
        np.testing.assert_array_equal(got[name][:, 0], column(name).to_numpy(), err_msg=name)
    assert [v.decode("utf-8") for v in got["name"][:, 0]] == column("name").to_pylist()
    assert [v.decode("utf-8") for v in got["cat"][:, 0]] == pc.cast(column("cat"), pa.string()).to_pylist()
    np.testing.assert_array_equal(got["vec"], np.stack(column("vec").to_numpy(zero_copy_only=False)))
    np.testing.assert_array_equal(got["day"][:, 0], column("day").cast(pa.int32()).to_numpy())
    # the nearest float64 to each decimal (pyarrow's own cast can be one ulp off)
    np.testing.assert_array_equal(got["price"][:, 0], [float(d) for d in column("price").to_pylist()])


def test_dictionary_codes_are_the_streams_codes(connector, expected):
    # with dictionary="codes", codes index the dictionary of the core's read batch, which TensorFlow does not carry
    # (the core reads chunks of batches_per_chunk(batch_size) batches for TF, see _options.py):
    # decoded through it, they give pyarrow's values
    from sluice._options import batches_per_chunk

    dataset = connector.to_tf_dataset(
        columns=["cat"], batch_size=700, drop_last_batch=False, squeeze=True, dictionary="codes"
    )
    assert dataset.element_spec == {"cat": tf.TensorSpec((None,), tf.int32)}
    codes = np.concatenate([e["cat"] for e in collect(dataset)])
    with connector.to_arrow(
        tensors=True, columns=["cat"], batch_size=700, batches_per_chunk=batches_per_chunk(700), dictionary="codes"
    ) as reader:
        batches = list(reader)
    values, offset = [], 0
    for batch in batches:
        column = batch.column(0)
        mine = codes[offset : offset + len(column)]
        np.testing.assert_array_equal(mine, column.indices.to_numpy())
        values.extend(column.dictionary.take(pa.array(mine)).to_pylist())
        offset += len(column)
    assert offset == TOTAL
    assert values == pc.cast(expected.column("cat"), pa.string()).to_pylist()


def test_ragged_values_offsets(connector, expected):
    dataset = connector.to_tf_dataset(batch_size=500, columns=["tags"], ragged="values_offsets", drop_last_batch=False)
    spec = dataset.element_spec["tags"]
    assert isinstance(spec, tf.RaggedTensorSpec) and spec.dtype == tf.int64
    rows = [row for element in dataset for row in element["tags"].to_list()]
    assert rows == expected.column("tags").to_pylist()


def test_packed_mode(connector, expected):
    features = ["f32", "f64", "i32", "flag"]
    dataset = connector.to_tf_dataset(batch_size=1000, features=features, label="u8", drop_last_batch=False)
    assert dataset.element_spec == (
        tf.TensorSpec((None, 4), tf.float32),
        tf.TensorSpec((None,), tf.uint8),  # (batch,), as to_torch_dataset's label
    )
    elements = collect(dataset)
    x = np.concatenate([e[0] for e in elements])
    y = np.concatenate([e[1] for e in elements])
    want = np.stack([expected.column(n).to_numpy().astype(np.float32) for n in features], axis=1)
    np.testing.assert_array_equal(x, want)
    np.testing.assert_array_equal(y, expected.column("u8").to_numpy())
    only_x = connector.to_tf_dataset(batch_size=64, features=features, squeeze=True)
    assert only_x.element_spec == tf.TensorSpec((64, 4), tf.float32)


# --- batches, epochs, shards ---------------------------------------------------------------------


def test_drop_last_batch(connector):
    kept = collect(connector.to_tf_dataset(batch_size=1000, columns=["id"], drop_last_batch=False))
    assert [len(e["id"]) for e in kept] == [1000, 1000, 1000, 1000, 122]
    dropped = connector.to_tf_dataset(batch_size=1000, columns=["id"])  # the default, as Snowflake's
    assert dropped.element_spec["id"].shape == (1000, 1)
    assert [len(e["id"]) for e in collect(dropped)] == [1000] * 4
    assert (len(connector.to_tf_dataset(batch_size=1000, columns=["id"], drop_last_batch=False)), len(dropped)) == (
        5,
        4,
    )


def test_shuffle_with_seed_is_reproducible_and_new_each_epoch(connector):
    options = dict(batch_size=500, columns=["id"], shuffle=True, seed=3, drop_last_batch=False)
    dataset = connector.to_tf_dataset(**options)
    first, second = ids_of(dataset), ids_of(dataset)  # each iteration is the next epoch
    assert sorted(first) == sorted(second) == list(range(TOTAL))
    assert first != list(range(TOTAL)) and first != second
    again = connector.to_tf_dataset(**options)
    assert ids_of(again) == first
    assert ids_of(connector.to_tf_dataset(epoch=1, **options)) == second
    dataset.set_epoch(0)
    assert ids_of(dataset) == first
    # the core's order, nothing reordered here
    with connector.to_arrow(epoch=1, **options) as reader:
        assert pa.Table.from_batches(list(reader)).column("id").to_pylist() == second
    other_seed = connector.to_tf_dataset(**dict(options, seed=4))
    assert ids_of(other_seed) != first


def test_shards_cover_the_rows(parquet_dataset):
    sharded = sluice.ShardedDataConnector.from_sources(str(parquet_dataset.root))
    per_rank = []
    for rank in range(3):
        shard = sharded.get_shard(rank=rank, world_size=3)
        per_rank.append(
            ids_of(shard.to_tf_dataset(batch_size=256, columns=["id"], shuffle=True, seed=9, drop_last_batch=False))
        )
    assert all(per_rank)
    assert sorted(i for ids in per_rank for i in ids) == list(range(TOTAL))
    assert abs(len(per_rank[0]) - len(per_rank[2])) <= 1


@pytest.mark.parametrize("drop_last_batch", [False, True])
def test_batches_are_the_cores_batches_with_workers(connector, drop_last_batch):
    # TF gets the core's chunks of whole batches (batches_per_chunk) and cuts them every batch_size
    # rows: the batches must be exactly the ones the core cuts at batch_size, for every worker
    options = dict(batch_size=300, shuffle=True, seed=2, epoch=5, num_workers=2, drop_last_batch=drop_last_batch)
    for worker in range(2):
        got = [
            e["id"][:, 0].tolist()
            for e in collect(connector.to_tf_dataset(worker_index=worker, columns=["id"], **options))
        ]
        with connector.to_arrow(tensors=True, columns=["id"], worker_index=worker, **options) as reader:
            want = [batch.column(0).to_pylist() for batch in reader]
        assert got == want, worker
    with pytest.raises(TypeError, match="batches_per_chunk"):
        connector.to_tf_dataset(batch_size=300, batches_per_chunk=2)


def test_iteration_can_stop_early_and_restart(connector):
    dataset = connector.to_tf_dataset(batch_size=100, columns=["id"])
    assert [int(e["id"][0, 0]) for e in dataset.take(2)] == [0, 100]
    assert [int(e["id"][0, 0]) for e in dataset.take(1)] == [0]


# --- errors ----------------------------------------------------------------------------------


def test_errors_name_the_column_or_option(connector):
    with pytest.raises(sluice.SluiceInvalidArgument, match="nope"):
        connector.to_tf_dataset(batch_size=10, columns=["id", "nope"])
    with pytest.raises(sluice.SluiceError, match="tags"):
        connector.to_tf_dataset(batch_size=10, columns=["id", "tags"])  # ragged: needs the ragged option
    with pytest.raises(tf.errors.OpError, match="maybe"):  # a null is a mid-stream error without null_fill
        collect(connector.to_tf_dataset(batch_size=10, columns=["maybe"]))
    with pytest.raises(sluice.SluiceInvalidArgument, match="shuffle_windw"):
        connector.to_tf_dataset(batch_size=10, shuffle_windw=5)
    with pytest.raises(ValueError, match="batch_size"):
        connector.to_tf_dataset(batch_size=0)
    with pytest.raises(TypeError, match="tensors"):
        connector.to_tf_dataset(batch_size=10, tensors=False)
    with pytest.raises(TypeError, match="batch_size"):
        connector.to_tf_dataset()


# --- Keras -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regression(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 4096
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ np.array([2.0, -1.0, 0.5, 0.0], np.float32) + 3.0 + rng.normal(scale=0.05, size=n)).astype(np.float32)
    table = pa.table({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "d": x[:, 3], "y": y})
    path = write_parquet(tmp_path_factory.mktemp("regression") / "r.parquet", table, 1000)
    return sluice.DataConnector.from_sources(str(path))


def test_keras_model_trains(regression):
    tf.keras.utils.set_random_seed(0)
    dataset = regression.to_tf_dataset(batch_size=64, features=["a", "b", "c", "d"], label="y", shuffle=True, seed=1)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse")
    history = model.fit(dataset, epochs=3, verbose=0, shuffle=False)  # sluice shuffles, per epoch
    losses = history.history["loss"]
    assert losses[-1] < losses[0] * 0.2, losses
    weights = model.layers[-1].get_weights()[0][:, 0]
    np.testing.assert_allclose(weights, [2.0, -1.0, 0.5, 0.0], atol=0.1)


def test_text_columns_in_tf_datasets(text_file):  # the fixture: conftest.py
    """to_tf_dataset's text (through the same object arrays): pyarrow's bytes, repeating or distinct."""
    connector, expected = text_file
    dataset = connector.to_tf_dataset(batch_size=700, drop_last_batch=False)
    assert dataset.element_spec["distinct"] == tf.TensorSpec((None, 1), tf.string)
    batches = list(dataset)
    for name in expected.column_names:
        got = np.concatenate([b[name].numpy() for b in batches]).ravel().tolist()
        want = expected.column(name).to_pylist()
        assert got == [w if isinstance(w, bytes) else w.encode() for w in want], name
    squeezed = next(iter(connector.to_tf_dataset(batch_size=64, squeeze=True)))
    assert squeezed["repeating"].shape == (64,) and squeezed["distinct"].shape == (64,)


def test_a_dataframe_source_gives_two_epochs_of_the_same_rows(tmp_path):
    # from_dataframe (docs/sources-from-streams.md): to_tf_dataset counts the rows for the dataset's
    # cardinality, which writes the snapshot; every epoch reads it
    table = ids_table(0, 1000)
    connector = sluice.DataConnector.from_dataframe(table.to_pandas(), snapshot_dir=str(tmp_path / "snapshots"))
    dataset = connector.to_tf_dataset(batch_size=300, drop_last_batch=False, columns=["id", "x"], squeeze=True)
    for _ in range(2):
        batches = list(dataset)
        np.testing.assert_array_equal(np.concatenate([b["id"].numpy() for b in batches]), np.arange(1000))
        np.testing.assert_array_equal(np.concatenate([b["x"].numpy() for b in batches]), table.column("x").to_numpy())
