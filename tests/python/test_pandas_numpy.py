"""to_pandas() against pyarrow's own conversion (the numpy column policy: test_numpy_policy.py)."""

import gc

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sluice
from _util import typed_table, write_parquet


@pytest.fixture(scope="module")
def connector(parquet_dataset):
    return sluice.DataConnector.from_sources(str(parquet_dataset.root))


def assert_frames_equal(actual, expected):
    assert list(actual.columns) == list(expected.columns)
    assert list(actual.dtypes.astype(str)) == list(expected.dtypes.astype(str))
    actual, expected = actual.copy(), expected.copy()
    for name in expected.columns:
        if isinstance(expected[name].dtype, pd.CategoricalDtype):
            # category order depends on how dictionaries were unified; compare the values
            actual[name] = actual[name].astype(object)
            expected[name] = expected[name].astype(object)
        if expected[name].dtype == object and len(expected) and isinstance(expected[name].iloc[0], np.ndarray):
            assert all(np.array_equal(a, e) for a, e in zip(actual[name], expected[name])), name
            actual = actual.drop(columns=[name])
            expected = expected.drop(columns=[name])
    pd.testing.assert_frame_equal(actual, expected)


def test_to_pandas_equals_pyarrow(connector, parquet_dataset):
    expected = pa.concat_tables([pq.read_table(f) for f in parquet_dataset.files]).to_pandas()
    frame = connector.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 4122
    assert_frames_equal(frame, expected)


def test_to_pandas_single_file_equals_read_table(tmp_path):
    path = write_parquet(tmp_path / "one.parquet", typed_table(0, 3001), 700)
    frame = sluice.DataConnector.from_sources(str(path)).to_pandas()
    assert_frames_equal(frame, pq.read_table(path).to_pandas())


def test_to_pandas_limit_and_options(connector, parquet_dataset):
    frame = connector.to_pandas(limit=123, columns=["name", "id"], batch_size=50)
    assert list(frame.columns) == ["name", "id"]
    assert frame["id"].tolist() == parquet_dataset.expected.column("id").to_pylist()[:123]
    assert frame["name"].tolist() == parquet_dataset.expected.column("name").to_pylist()[:123]


def test_to_pandas_empty(connector):
    frame = connector.to_pandas(limit=0, columns=["id", "f64"])
    assert list(frame.columns) == ["id", "f64"]
    assert len(frame) == 0
    assert str(frame["id"].dtype) == "int64"


def test_iter_batches_dictionary_codes_one_per_value(connector, parquet_dataset):
    # "dictionary -> codes": within a batch, one value has one code (batches here span
    # row groups and files, whose dictionaries the core has to merge)
    for batch in connector.to_arrow(columns=["cat"], batch_size=2000):
        column = batch.column(0)
        codes = sluice.column_to_numpy("cat", column)
        values = column.dictionary.to_pylist()
        seen = {}
        for code in np.unique(codes):
            seen.setdefault(values[code], []).append(int(code))
        assert all(len(c) == 1 for c in seen.values()), f"several codes for one value: {seen}"
        assert len(values) == len(set(values)), f"dictionary with repeated values: {len(values)} entries"


def test_to_pandas_uses_little_memory(big_parquet, tmp_path):
    """Peak RSS of to_pandas() is at most that of pyarrow's read_table().to_pandas() (plus noise)."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import sys
        import pyarrow.parquet as pq
        import sluice
        def status(field):
            with open("/proc/self/status") as f:
                return next(int(l.split()[1]) for l in f if l.startswith(field + ":"))
        path, how = sys.argv[1], sys.argv[2]
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM (ru_maxrss would carry the parent's peak across fork+exec)
        base = status("VmRSS")
        if how == "sluice":
            frame = sluice.DataConnector.from_sources(path).to_pandas()
        else:
            frame = pq.read_table(path).to_pandas()
        assert len(frame) == 1_250_000
        print(status("VmHWM") - base)
        """
    )
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.dirname(sluice.__file__)), env.get("PYTHONPATH", "")])
    peaks = {}
    for how in ["sluice", "pyarrow"]:
        result = subprocess.run(
            [sys.executable, "-c", script, str(big_parquet.path), how],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        peaks[how] = int(result.stdout.split()[-1]) / 1024  # MiB
    table_mib = big_parquet.table.nbytes / 2**20
    message = f"peak RSS growth in MiB: {peaks} (table {table_mib:.0f} MiB)"
    assert peaks["sluice"] >= table_mib, message  # the measurement measures something
    assert peaks["sluice"] <= peaks["pyarrow"] * 1.1 + 8, message


def test_to_pandas_nulls_first_seen_in_a_later_batch(tmp_path):
    """A column filled in place hands over to pyarrow's conversion when a null shows up late."""
    n = 5000
    ints = pa.array([None if i == 4321 else i for i in range(n)], type=pa.int32())
    flags = pa.array([None if i == 4999 else i % 3 == 0 for i in range(n)], type=pa.bool_())
    floats = pa.array([None if i == 2500 else i / 4 for i in range(n)], type=pa.float32())
    table = pa.table({"i": ints, "b": flags, "f": floats, "plain": pa.array(range(n), type=pa.uint16())})
    path = tmp_path / "late_nulls.parquet"
    pq.write_table(table, path, row_group_size=1000)
    frame = sluice.DataConnector.from_sources(str(path)).to_pandas(batch_size=700)
    assert_frames_equal(frame, pq.read_table(path).to_pandas())
    assert str(frame["i"].dtype) == "float64" and np.isnan(frame["i"][4321])
    assert str(frame["plain"].dtype) == "uint16"


def test_count_rows_matches_what_a_read_emits(connector):
    for options in [
        {},
        dict(limit=100),
        dict(num_shards=3, shard_index=2, equal_shards="pad"),
        dict(batch_size=64, drop_last_batch=True, num_workers=3, worker_index=1),
    ]:
        emitted = sum(b.num_rows for b in connector.to_arrow(**options))
        assert connector.count_rows(**options) == emitted, options
    with pytest.raises(sluice.SluiceError, match="shard_index"):
        connector.count_rows(num_shards=2, shard_index=5)


def every_pandas_type(n):
    """n rows of each type to_pandas handles, nulls in every nullable column."""
    ids = np.arange(n, dtype=np.int64)
    every = ids % 97 == 5  # a null now and then, in every row group
    table = typed_table(0, n)
    extra = {
        "i64_nulls": pa.array(ids * 3, mask=every),
        "u16_nulls": pa.array((ids % 60000).astype(np.uint16), mask=every),
        "f32_nulls": pa.array(ids.astype(np.float32) / 8, mask=every),
        "f16": pa.array((ids % 100).astype(np.float16)),
        "flag_nulls": pa.array(ids % 2 == 0, mask=every),
        "ts_s": pa.array(ids * 61, pa.timestamp("s")),
        "ts_ms": pa.array(ids * 1001, pa.timestamp("ms"), mask=every),
        "ts_ns": pa.array(1_600_000_000_000_000_000 + ids * 7, pa.timestamp("ns")),
        "ts_tz": pa.array(ids * 1_000_000, pa.timestamp("us", tz="Europe/Paris"), mask=every),
        "dur": pa.array(ids * 13, pa.duration("us"), mask=every),
        "big_text": pa.array([None if e else f"t{i}" for i, e in zip(ids, every)], pa.large_string()),
        "blob": pa.array([None if e else bytes([i % 256]) * (i % 5) for i, e in zip(ids, every)], pa.binary()),
    }
    for name, column in extra.items():
        table = table.append_column(name, column)
    return table


@pytest.mark.parametrize("batch_size", [65536, 333])
def test_to_pandas_every_type_equals_read_parquet(tmp_path, batch_size):
    """Values and dtypes as pandas.read_parquet and pyarrow's to_pandas give them, with nulls
    arriving in later batches and batches that cross row groups and files."""
    table = every_pandas_type(3000)
    for i, start in enumerate(range(0, 3000, 1000)):
        write_parquet(tmp_path / "every" / f"part-{i}.parquet", table.slice(start, 1000), 400)
    frame = sluice.DataConnector.from_sources(str(tmp_path / "every")).to_pandas(batch_size=batch_size)
    assert_frames_equal(frame, pd.read_parquet(tmp_path / "every"))
    assert_frames_equal(frame, pq.read_table(tmp_path / "every").to_pandas())
    assert str(frame["i64_nulls"].dtype) == "float64" and np.isnan(frame["i64_nulls"][5])
    assert frame["flag_nulls"].dtype == object and frame["flag_nulls"][5] is None
    assert frame["ts_ms"].isna()[5] and str(frame["ts_ms"].dtype) == "datetime64[ms]"


def test_to_pandas_numeric_columns_are_consolidated_blocks(tmp_path):
    """One 2-D block per dtype, filled in place: a column is a view of its block."""
    n = 5000
    table = pa.table({f"f{i}": np.arange(n, dtype=np.float32) + i for i in range(4)})
    table = table.append_column("i", pa.array(np.arange(n))).append_column(
        "s", pa.array([f"v{i % 3}" for i in range(n)])
    )
    path = write_parquet(tmp_path / "blocks.parquet", table, 1000)
    frame = sluice.DataConnector.from_sources(str(path)).to_pandas(batch_size=700)
    assert_frames_equal(frame, pd.read_parquet(path))
    address = {name: frame[name].to_numpy().ctypes.data for name in ["f0", "f3"]}
    assert address["f3"] - address["f0"] == 3 * n * 4  # rows of one (4, n) float32 block
    if hasattr(pd.api, "internals"):  # pandas >= 3 builds the frame from the blocks as they are
        assert frame._mgr.nblocks == 3  # float32, int64, the strings
    frame.iloc[0, 0] = -1.0  # the frame owns its memory: it can be written
    assert frame["f0"][0] == -1.0


@pytest.mark.parametrize(
    "options",
    [
        dict(shuffle=True, seed=3, shuffle_window=1000, batch_size=256),
        dict(num_shards=3, shard_index=1, equal_shards="pad", batch_size=100),
        dict(limit=777, columns=["f32", "name", "id", "maybe"], batch_size=64),
        dict(columns=["name", "note"]),  # no column the core writes
        dict(columns=["u8", "f64"], batch_size=64, drop_last_batch=True),  # only such columns
        dict(num_workers=2, worker_index=1, batch_size=50),
    ],
)
def test_to_pandas_rows_as_the_stream_emits_them(connector, options):
    options = dict(options)
    limit = options.pop("limit", None)
    expected = connector.to_arrow(**options, **({"limit": limit} if limit else {})).read_all().to_pandas()
    assert_frames_equal(connector.to_pandas(limit, **options), expected)


def test_to_pandas_corrupt_file_mid_stream_raises_and_returns_nothing(tmp_path):
    from test_errors import corrupt_second_row_group

    table = pa.table({"id": np.arange(30_000), "x": np.arange(30_000) * 0.5, "s": [f"s{i % 7}" for i in range(30_000)]})
    good = write_parquet(tmp_path / "good.parquet", table, 10_000)
    corrupt = corrupt_second_row_group(good, tmp_path / "corrupt.parquet")
    connector = sluice.DataConnector.from_sources(str(corrupt))
    for options in [{}, dict(batch_size=1000), dict(columns=["x"])]:
        frame = None
        with pytest.raises(sluice.SluiceError, match="corrupt.parquet") as info:
            frame = connector.to_pandas(**options)
        assert frame is None
        assert isinstance(info.value, sluice.SluiceInvalidData), repr(info.value)
    gc.collect()  # the core wrote nothing after the stream was released
    assert len(connector.to_pandas(limit=10_000)) == 10_000


def test_to_pandas_packed_mode_still_converts(connector, parquet_dataset):
    frame = connector.to_pandas(features=["f32", "f64"], label="i32", batch_size=100)
    assert list(frame.columns) == ["features", "i32"]
    assert len(frame) == 4122 and frame["features"][0].dtype == np.float32
