"""iter_batches() and the typed column policy (docs/design.md), every row of its table.

The core applies the policy (tensors=true); the binding maps the resulting Arrow
types to numpy. Values are checked against pyarrow reading the same files.
"""

import decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import sluice
from _util import CATEGORIES, typed_table, write_parquet

#: how the core's errors surface: at the call (SluiceError), or mid-stream through pyarrow
READ_ERRORS = (sluice.SluiceError, pa.ArrowException, OSError)
N = 2500  # rows of the policy file (several batches of 1000 and a short last one)
INTS = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"]
FLOATS = ["f16", "f32", "f64"]


def policy_table(n):
    """One column of each input type of the policy table, no nulls."""
    ids = np.arange(n, dtype=np.int64)
    return pa.table(
        {
            "i8": (ids % 256 - 128).astype(np.int8),
            "i16": (ids * 7 % 65536 - 32768).astype(np.int16),
            "i32": (ids * 131).astype(np.int32),
            "i64": ids * -3,
            "u8": (ids % 256).astype(np.uint8),
            "u16": (ids % 65536).astype(np.uint16),
            "u32": (ids * 4099 % 2**32).astype(np.uint32),
            "u64": ids.astype(np.uint64) * np.uint64(2**40 + 3),
            "f16": (ids % 100 / 4).astype(np.float16),
            "f32": (ids / 3).astype(np.float32),
            "f64": ids / 7,
            "flag": ids % 3 == 0,
            "dec": pa.array([decimal.Decimal(int(i) * 37 - 5000).scaleb(-2) for i in ids], pa.decimal128(12, 2)),
            "dec256": pa.array([decimal.Decimal(int(i) * 11).scaleb(-3) for i in ids], pa.decimal256(40, 3)),
            "d32": pa.array((ids % 20000).astype(np.int32)).cast(pa.date32()),
            "d64": pa.array(ids * 86_400_000).cast(pa.date64()),
            "ts": pa.array(1_700_000_000_000_000 + ids * 1_000_003).cast(pa.timestamp("us", tz="UTC")),
            "ts_ns": pa.array(ids * 17).cast(pa.timestamp("ns")),
            "dur": pa.array(ids * 5).cast(pa.duration("ms")),
            "t32": pa.array((ids % 86400).astype(np.int32)).cast(pa.time32("s")),
            "t64": pa.array(ids * 999).cast(pa.time64("us")),
            "s": pa.array([f"s{i}-{'é' * (i % 3)}" for i in ids], pa.string()),
            "ls": pa.array([f"large {i}" for i in ids], pa.large_string()),
            "bin": pa.array([bytes([i % 256, 0, 7]) for i in ids], pa.binary()),
            "lbin": pa.array([b"x" * (i % 4) for i in ids], pa.large_binary()),
            "cat": pa.array([CATEGORIES[i % len(CATEGORIES)] for i in ids]).dictionary_encode(),
            "vec": pa.FixedSizeListArray.from_arrays(
                pa.array(np.stack([ids, -ids, ids * 2], 1).ravel().astype(np.float32)), 3
            ),
            "bvec": pa.FixedSizeListArray.from_arrays(pa.array(np.stack([ids % 2 == 0, ids % 5 == 0], 1).ravel()), 2),
            "ivec": pa.FixedSizeListArray.from_arrays(pa.array((ids.repeat(4) % 9).astype(np.int16)), 4),
        }
    )


def write_ipc(path, table):
    with pa.ipc.new_file(path, table.schema) as writer:
        writer.write_table(table, max_chunksize=700)
    return path


@pytest.fixture(scope="module")
def policy_file(tmp_path_factory):
    path = write_ipc(tmp_path_factory.mktemp("policy") / "policy.arrow", policy_table(N))
    return path, pa.ipc.open_file(path).read_all()


@pytest.fixture(scope="module")
def policy(policy_file):
    return sluice.DataConnector.from_sources(str(policy_file[0]))


def numpy_batches(reads, **options):
    return list(reads.iter_batches(**options))


def stacked(batches, name):
    """One column over all batches, concatenated along the batch axis."""
    return np.concatenate([b[name] for b in batches])


def assert_error_names(excinfo, *fragments):
    message = str(excinfo.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in the error: {message}"


# --- the mapping itself (hand-made tensor-mode batches: no core involved) ---------------------


def test_batch_to_numpy_maps_each_tensor_mode_type():
    batch = pa.record_batch(
        {
            "i": pa.array([1, 2, 3], pa.int32()),
            "h": pa.array([0.5, 1, 2], pa.float16()),
            "b": pa.array([True, False, True]),
            "s": pa.array(["a", "bé", ""]),
            "y": pa.array([b"\x00", b"", b"zz"], pa.large_binary()),
            "c": pa.DictionaryArray.from_arrays(pa.array([2, 0, 1], pa.int8()), ["x", "y", "z"]),
            "v": pa.FixedSizeListArray.from_arrays(pa.array(np.arange(6, dtype=np.float64)), 2),
            "r": pa.array([[1, 2], [], [3]], pa.large_list(pa.int16())),
        }
    )
    out = sluice.batch_to_numpy(batch)
    assert list(out) == batch.schema.names
    assert out["i"].dtype == np.int32 and out["i"].shape == (3, 1)
    assert out["h"].dtype == np.float16 and out["h"].ravel().tolist() == [0.5, 1, 2]
    assert out["b"].dtype == np.bool_ and out["b"].ravel().tolist() == [True, False, True]
    assert out["s"].dtype == object and out["s"].shape == (3, 1) and out["s"].ravel().tolist() == ["a", "bé", ""]
    assert out["y"].ravel().tolist() == [b"\x00", b"", b"zz"]
    assert out["c"].dtype == np.int8 and out["c"].ravel().tolist() == [2, 0, 1]
    assert out["v"].shape == (3, 2) and out["v"].tolist() == [[0, 1], [2, 3], [4, 5]]
    values, offsets = out["r"]
    assert values.dtype == np.int16 and values.tolist() == [1, 2, 3]
    assert offsets.dtype == np.int64 and offsets.tolist() == [0, 2, 2, 3]
    squeezed = sluice.batch_to_numpy(batch, squeeze=True)
    assert squeezed["i"].shape == (3,) and squeezed["s"].shape == (3,) and squeezed["v"].shape == (3, 2)


def test_batch_to_numpy_sliced_arrays():
    lists = pa.array([[9], [1, 2], [], [3, 4, 5]], pa.list_(pa.float32())).slice(1, 3)
    values, offsets = sluice.column_to_numpy("r", lists)
    assert offsets.tolist() == [0, 2, 2, 5] and values.tolist() == [1, 2, 3, 4, 5]
    fsl = pa.FixedSizeListArray.from_arrays(pa.array(np.arange(12, dtype=np.int32)), 3).slice(1, 2)
    np.testing.assert_array_equal(sluice.column_to_numpy("v", fsl), [[3, 4, 5], [6, 7, 8]])
    np.testing.assert_array_equal(sluice.column_to_numpy("n", pa.array(np.arange(10)).slice(4, 3)), [[4], [5], [6]])


@pytest.mark.parametrize(
    "array",
    [
        pa.array([decimal.Decimal("1.5")], pa.decimal128(5, 2)),
        pa.array([1], pa.date32()).cast(pa.date32()),
        pa.array([{"a": 1}]),
        pa.array([[[1]]]),
        pa.array([1.0, None]),
        pa.array(["a", None]),
    ],
    ids=["decimal", "date", "struct", "nested", "null-number", "null-string"],
)
def test_batch_to_numpy_refuses_what_tensor_mode_never_emits(array):
    with pytest.raises(ValueError, match="'col'.*tensors=True"):
        sluice.column_to_numpy("col", array)


# --- the policy through the core: iter_batches ------------------------------------------------


def test_numbers_and_bools_keep_their_dtype(policy, policy_file):
    expected = policy_file[1]
    batches = numpy_batches(policy, batch_size=1000, columns=INTS + FLOATS + ["flag"])
    assert [len(b["i8"]) for b in batches] == [1000, 1000, 500]
    for name in INTS + FLOATS + ["flag"]:
        want = expected.column(name).to_numpy()
        for batch in batches:
            assert batch[name].dtype == want.dtype, name
            assert batch[name].ndim == 2 and batch[name].shape[1] == 1, name
        np.testing.assert_array_equal(stacked(batches, name).ravel(), want, err_msg=name)


def test_numbers_are_zero_copy_views(policy):
    batch = next(
        iter(policy.iter_batches(columns=["i64", "f32", "cat", "vec", "ts"], batch_size=1000, dictionary="codes"))
    )
    for name in ["i64", "f32", "cat", "vec", "ts"]:
        assert not batch[name].flags.owndata, f"{name} was copied"
        assert not batch[name].flags.writeable, f"{name} should be a read-only view of Arrow memory"


def test_squeeze_gives_flat_columns(policy):
    batch = next(iter(policy.iter_batches(columns=["i32", "s", "vec", "cat"], batch_size=64, squeeze=True)))
    assert batch["i32"].shape == (64,) and batch["s"].shape == (64,) and batch["cat"].shape == (64,)
    assert batch["vec"].shape == (64, 3)


def test_decimals_become_float64_or_scaled_int64(policy, policy_file):
    expected = policy_file[1]
    as_float = numpy_batches(policy, columns=["dec", "dec256"], batch_size=1000)
    for name in ["dec", "dec256"]:
        assert all(b[name].dtype == np.float64 for b in as_float)
        want = [float(d) for d in expected.column(name).to_pylist()]
        np.testing.assert_array_equal(stacked(as_float, name).ravel(), want)
    scaled = numpy_batches(policy, columns=["dec", "dec256"], batch_size=1000, decimal="scaled_int64")
    for name, scale in [("dec", 2), ("dec256", 3)]:
        assert all(b[name].dtype == np.int64 for b in scaled)
        want = [int(d.scaleb(scale)) for d in expected.column(name).to_pylist()]
        assert stacked(scaled, name).ravel().tolist() == want


TEMPORAL = {
    "d32": pa.int32(),
    "d64": pa.int64(),
    "ts": pa.int64(),
    "ts_ns": pa.int64(),
    "dur": pa.int64(),
    "t32": pa.int32(),
    "t64": pa.int64(),
}


def test_dates_times_and_durations_become_int64_in_their_unit(policy, policy_file):
    expected = policy_file[1]
    batches = numpy_batches(policy, columns=list(TEMPORAL), batch_size=1000)
    for name, storage in TEMPORAL.items():
        assert all(b[name].dtype == np.int64 for b in batches), name
        want = expected.column(name).cast(storage).to_numpy().astype(np.int64)
        np.testing.assert_array_equal(stacked(batches, name).ravel(), want, err_msg=name)
    # the original type stays in the schema for whoever needs the unit
    with policy.to_arrow(columns=list(TEMPORAL), tensors=True) as reader:
        schema = reader.schema
    for name in TEMPORAL:
        field = schema.field(name)
        assert field.type == pa.int64(), name
        logical = (field.metadata or {}).get(b"sluice.logical_type", b"").decode()
        assert logical, f"{name}: no sluice.logical_type metadata"
    ts_type = schema.field("ts").metadata[b"sluice.logical_type"].decode()
    assert ts_type.startswith("Timestamp(") and "UTC" in ts_type and ("µs" in ts_type or "Microsecond" in ts_type)


def test_strings_and_binary_become_object_arrays(policy, policy_file):
    expected = policy_file[1]
    batches = numpy_batches(policy, columns=["s", "ls", "bin", "lbin"], batch_size=1000)
    for name in ["s", "ls", "bin", "lbin"]:
        assert all(b[name].dtype == object for b in batches)
        assert stacked(batches, name).ravel().tolist() == expected.column(name).to_pylist(), name


def test_string_view_becomes_strings(tmp_path):
    if not hasattr(pa, "string_view"):
        pytest.skip("this pyarrow has no string_view")
    table = pa.table({"sv": pa.array(["a", "long enough to be out of line", ""], pa.string_view())})
    path = write_ipc(tmp_path / "view.arrow", table)
    batch = next(iter(sluice.DataConnector.from_sources(str(path)).iter_batches()))
    assert batch["sv"].ravel().tolist() == ["a", "long enough to be out of line", ""]


def test_dictionary_decodes_to_its_values_by_default(policy, policy_file):
    # Codes mean something only within one batch (Parquet keeps a dictionary per row group):
    # by default a dictionary column gives its values.
    expected = policy_file[1]
    batches = numpy_batches(policy, columns=["cat"], batch_size=700)
    assert {b["cat"].dtype for b in batches} == {np.dtype(object)}
    assert stacked(batches, "cat").ravel().tolist() == pc.cast(expected.column("cat"), pa.string()).to_pylist()


def test_dictionary_codes_on_request(policy, policy_file):
    expected = policy_file[1]
    with policy.to_arrow(columns=["cat"], batch_size=1000, tensors=True, dictionary="codes") as reader:
        arrow_batches = list(reader)
    batches = numpy_batches(policy, columns=["cat"], batch_size=1000, dictionary="codes")
    values = []
    for arrow_batch, batch in zip(arrow_batches, batches):
        codes = batch["cat"].ravel()
        assert np.issubdtype(codes.dtype, np.integer)
        dictionary = np.array(arrow_batch.column(0).dictionary.to_pylist(), dtype=object)
        values.extend(dictionary[codes].tolist())
    assert values == pc.cast(expected.column("cat"), pa.string()).to_pylist()


def test_fixed_size_lists_become_2d(policy, policy_file):
    expected = policy_file[1]
    batches = numpy_batches(policy, columns=["vec", "bvec", "ivec"], batch_size=1000)
    for name, k, dtype in [("vec", 3, np.float32), ("bvec", 2, np.bool_), ("ivec", 4, np.int16)]:
        assert all(b[name].dtype == dtype and b[name].shape[1:] == (k,) for b in batches), name
        want = np.array(expected.column(name).to_pylist(), dtype=dtype)
        np.testing.assert_array_equal(stacked(batches, name), want, err_msg=name)


def test_parquet_types_through_the_policy(parquet_dataset):
    """The shared typed Parquet files (several files, row groups, dictionaries to merge)."""
    connector = sluice.DataConnector.from_sources(str(parquet_dataset.root))
    expected = parquet_dataset.expected
    columns = ["id", "u64", "f32", "flag", "name", "day", "ts", "price", "cat", "vec"]
    batches = numpy_batches(connector, columns=columns, batch_size=1000, squeeze=True)
    assert sum(len(b["id"]) for b in batches) == expected.num_rows
    np.testing.assert_array_equal(stacked(batches, "id"), expected.column("id").to_numpy())
    np.testing.assert_array_equal(stacked(batches, "u64"), expected.column("u64").to_numpy())
    assert stacked(batches, "name").tolist() == expected.column("name").to_pylist()
    np.testing.assert_array_equal(stacked(batches, "day"), expected.column("day").cast(pa.int32()).to_numpy())
    np.testing.assert_array_equal(stacked(batches, "ts"), expected.column("ts").cast(pa.int64()).to_numpy())
    np.testing.assert_array_equal(stacked(batches, "price"), [float(d) for d in expected.column("price").to_pylist()])
    ids = expected.column("id").to_numpy()
    np.testing.assert_array_equal(stacked(batches, "vec"), np.stack([ids, ids * 2, ids * 3], 1).astype(np.float32))


# --- ragged lists --------------------------------------------------------------------------------

RAGGED_ROWS = [[1, 2, 3], [], [4], [5, 6]] * 300  # 1200 rows


@pytest.fixture(scope="module")
def ragged(tmp_path_factory):
    table = pa.table(
        {
            "id": np.arange(len(RAGGED_ROWS)),
            "tags": pa.array(RAGGED_ROWS, pa.list_(pa.int32())),
            "ltags": pa.array([[float(x) for x in r] for r in RAGGED_ROWS], pa.large_list(pa.float64())),
        }
    )
    path = write_parquet(tmp_path_factory.mktemp("ragged") / "ragged.parquet", table, 500)
    return sluice.DataConnector.from_sources(str(path))


def test_ragged_list_is_an_error_naming_the_column(ragged):
    with pytest.raises(READ_ERRORS) as excinfo:
        next(iter(ragged.iter_batches(columns=["id", "tags"])))
    assert_error_names(excinfo, "'tags'")


@pytest.mark.parametrize("name", ["tags", "ltags"])
def test_ragged_values_offsets(ragged, name):
    batches = numpy_batches(ragged, columns=[name], batch_size=500, ragged="values_offsets")
    rows = []
    for batch in batches:
        values, offsets = batch[name]
        assert offsets[0] == 0 and offsets[-1] == len(values) and (np.diff(offsets) >= 0).all()
        assert len(offsets) == 501 or batch is batches[-1]
        rows.extend(values[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:]))
    assert rows == RAGGED_ROWS


def test_ragged_pad(ragged):
    batches = numpy_batches(ragged, columns=["tags"], batch_size=500, ragged="pad", pad_length=4, pad_value=-1)
    padded = stacked(batches, "tags")
    assert padded.dtype == np.int32 and padded.shape == (len(RAGGED_ROWS), 4)
    assert padded.tolist() == [row + [-1] * (4 - len(row)) for row in RAGGED_ROWS]
    default = stacked(numpy_batches(ragged, columns=["tags"], ragged="pad", pad_length=3), "tags")
    assert default[1].tolist() == [0, 0, 0]


def test_ragged_pad_too_long_row_names_the_column(ragged):
    with pytest.raises(READ_ERRORS) as excinfo:
        numpy_batches(ragged, columns=["ltags"], ragged="pad", pad_length=2)
    assert_error_names(excinfo, "'ltags'")


def test_nested_and_struct_columns_are_errors_naming_them(tmp_path):
    table = pa.table({"st": pa.array([{"a": 1}, {"a": 2}]), "nest": pa.array([[[1]], [[2, 3]]])})
    connector = sluice.DataConnector.from_sources(str(write_parquet(tmp_path / "n.parquet", table, 10)))
    for name in ["st", "nest"]:
        with pytest.raises(READ_ERRORS) as excinfo:
            numpy_batches(connector, columns=[name])
        assert_error_names(excinfo, f"'{name}'")


# --- nulls ---------------------------------------------------------------------------------------

HALF = 1500


@pytest.fixture(scope="module")
def late_nulls(tmp_path_factory):
    """Columns whose nulls are all in the second half (the first batches see none)."""
    n = 2 * HALF
    ids = np.arange(n)
    null = (ids >= HALF) & (ids % 4 == 0)
    table = pa.table(
        {
            "id": ids,
            "i32": pa.array(ids.astype(np.int32), mask=null),
            "f32": pa.array(ids.astype(np.float32), mask=null),
            "flag": pa.array(ids % 2 == 0, mask=null),
            "s": pa.array([None if m else f"s{i}" for i, m in zip(ids, null)], pa.string()),
            "cat": pa.array([None if m else CATEGORIES[i % 5] for i, m in zip(ids, null)]).dictionary_encode(),
            "tags": pa.array([None if m else [int(i), 1] for i, m in zip(ids, null)], pa.list_(pa.int64())),
        }
    )
    path = write_parquet(tmp_path_factory.mktemp("nulls") / "late_nulls.parquet", table, 600)
    return sluice.DataConnector.from_sources(str(path)), pq.read_table(path), null


def test_nulls_are_an_error_naming_the_column_and_count(late_nulls):
    connector, _, null = late_nulls
    batches = connector.iter_batches(columns=["id", "f32"], batch_size=HALF)
    first = next(batches)  # the first half has no nulls
    assert first["f32"].shape == (HALF, 1)
    with pytest.raises(READ_ERRORS) as excinfo:
        next(batches)
    assert_error_names(excinfo, "'f32'", str(int(null.sum())))


def test_null_fill_keeps_every_dtype_in_every_batch(late_nulls):
    connector, expected, null = late_nulls
    columns = ["i32", "f32", "flag", "s"]
    batches = numpy_batches(connector, columns=columns, batch_size=500, null_fill=-7)
    assert len(batches) == 6
    dtypes = {tuple((name, str(b[name].dtype), b[name].shape[1:]) for name in columns) for b in batches}
    assert len(dtypes) == 1, dtypes
    want_i32 = np.where(null, -7, expected.column("i32").fill_null(0).to_numpy())
    np.testing.assert_array_equal(stacked(batches, "i32").ravel(), want_i32)
    assert stacked(batches, "i32").dtype == np.int32
    np.testing.assert_array_equal(stacked(batches, "f32").ravel(), want_i32.astype(np.float32))
    want_flag = np.where(null, True, expected.column("flag").fill_null(False).to_numpy())
    np.testing.assert_array_equal(stacked(batches, "flag").ravel(), want_flag)
    assert stacked(batches, "s").ravel().tolist() == [
        s if s is not None else "" for s in expected.column("s").to_pylist()
    ]
    # dictionary codes take the fill value too (a code that must exist in the dictionary)
    codes = numpy_batches(connector, columns=["cat"], batch_size=500, null_fill=1, dictionary="codes")
    assert len({b["cat"].dtype for b in codes}) == 1
    np.testing.assert_array_equal(stacked(codes, "cat").ravel()[null], 1)
    # decoded (the default), a null category is a string column's null: ""
    values = stacked(numpy_batches(connector, columns=["cat"], batch_size=500, null_fill=1), "cat").ravel()
    assert values[null].tolist() == [""] * int(null.sum())


def test_null_fill_on_lists(late_nulls):
    connector, _, null = late_nulls
    padded = stacked(
        numpy_batches(connector, columns=["tags"], ragged="pad", pad_length=3, pad_value=9, null_fill=0), "tags"
    )
    assert padded[np.flatnonzero(null)[0]].tolist() == [9, 9, 9]  # a null row is all padding
    assert padded[1].tolist() == [1, 1, 9]
    rows = []
    for batch in connector.iter_batches(columns=["tags"], ragged="values_offsets", null_fill=0):
        values, offsets = batch["tags"]
        rows.extend(values[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:]))
    assert rows[np.flatnonzero(null)[0]] == []  # a null row is an empty row


def test_null_mask_inserts_an_is_null_column(late_nulls):
    connector, expected, null = late_nulls
    batches = numpy_batches(connector, columns=["id", "f32", "s"], null_mask="f32,s", batch_size=1000)
    assert list(batches[0]) == ["id", "f32", "f32_is_null", "s", "s_is_null"]
    np.testing.assert_array_equal(stacked(batches, "f32_is_null").ravel(), null)
    np.testing.assert_array_equal(stacked(batches, "s_is_null").ravel(), null)
    assert stacked(batches, "f32_is_null").dtype == np.bool_
    np.testing.assert_array_equal(stacked(batches, "f32").ravel(), np.where(null, 0, np.arange(2 * HALF)))
    filled = numpy_batches(connector, columns=["f32"], null_mask=["f32"], null_fill=2.5)
    np.testing.assert_array_equal(stacked(filled, "f32").ravel()[null], 2.5)


def test_null_mask_name_collision_is_an_error(tmp_path):
    table = pa.table({"x": pa.array([1.0, None]), "x_is_null": pa.array([0, 1])})
    connector = sluice.DataConnector.from_sources(str(write_parquet(tmp_path / "c.parquet", table, 10)))
    with pytest.raises(READ_ERRORS) as excinfo:
        numpy_batches(connector, null_mask="x")
    assert_error_names(excinfo, "x_is_null")


def test_dtypes_never_change_between_batches(tmp_path):
    path = write_parquet(tmp_path / "t.parquet", typed_table(0, 1050), 100)
    connector = sluice.DataConnector.from_sources(str(path))
    columns = ["id", "u8", "f32", "flag", "price", "day", "ts", "cat", "vec", "name", "maybe"]
    dtypes = {
        tuple((k, str(v.dtype), v.shape[1:]) for k, v in b.items())
        for b in connector.iter_batches(columns=columns, batch_size=256, null_fill=0)
    }
    assert len(dtypes) == 1, dtypes


def test_iter_batches_refuses_tensors_false(policy):
    with pytest.raises(ValueError, match="tensors"):
        policy.iter_batches(tensors=False)


def test_iter_batches_bad_option_raises_at_call(policy):
    with pytest.raises(sluice.SluiceInvalidArgument, match="batch_size"):
        policy.iter_batches(batch_size=0)
    with pytest.raises(sluice.SluiceInvalidArgument, match="ragged"):
        policy.iter_batches(ragged="sometimes")


@pytest.mark.parametrize("name", INTS + FLOATS)
def test_number_columns_are_views_of_sliced_arrays(name):
    """Numbers are read straight from the Arrow values buffer: a sliced array (an offset into
    its buffer, as batches cut from a chunk are) must give that slice's values, read-only."""
    from sluice._numpy import converter

    column = policy_table(40).column(name).combine_chunks()
    piece = column.slice(7, 20)
    values = converter(name, column.type, squeeze=True)(piece)
    np.testing.assert_array_equal(values, piece.to_numpy())
    assert values.dtype == piece.to_numpy().dtype and not values.flags.writeable
    assert len(converter(name, column.type, squeeze=True)(column.slice(0, 0))) == 0


def test_reading_numbers_does_not_import_pandas(tmp_path):
    """pyarrow's Array.to_numpy imports pandas on first use, which cost 0.4 s inside the first
    batch of every torch read; number columns must not go through it."""
    import subprocess
    import sys

    path = tmp_path / "numbers.parquet"
    pq.write_table(policy_table(N).select(INTS + FLOATS), path)
    code = (
        "import sys, sluice\n"
        f"c = sluice.DataConnector.from_sources([{str(path)!r}])\n"
        "for batch in c.iter_batches(batch_size=1000): pass\n"
        "print('pandas' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", result.stderr
