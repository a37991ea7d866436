"""to_pandas() against pyarrow's own conversion (the numpy column policy: test_numpy_policy.py)."""

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
