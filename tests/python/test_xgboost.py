"""to_xgboost with real XGBoost: QuantileDMatrix / ExtMemQuantileDMatrix / DMatrix streamed from
the core's packed mode, checked against pyarrow and pandas reading the same files."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xgboost as xgb

import sluice
from _util import write_parquet

FEATURES = ["f32", "f64", "i32", "i64", "flag"]
PARAMS = {"tree_method": "hist", "objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "seed": 0, "nthread": 1}
ROUNDS = 6


def table(start, n):
    # few distinct values per feature: the quantile cuts are then the values themselves, whatever the
    # batching, so a streamed QuantileDMatrix and an in-memory DMatrix give the same trees
    rng = np.random.default_rng(start)
    i32 = rng.integers(0, 50, n).astype(np.int32)
    f32 = (rng.integers(-40, 40, n) / 8).astype(np.float32)
    f64 = rng.integers(0, 30, n) * 0.25
    i64 = rng.integers(-1000, 1000, n) // 100 * 100
    flag = rng.random(n) < 0.3
    logit = 0.8 * f32 - 0.1 * f64 + 0.05 * i32 + 1.5 * flag + rng.normal(size=n)
    label = (logit > 0.5).astype(np.int32)
    maybe = pa.array(f64, mask=np.arange(n) % 97 == 5)
    return pa.table(
        {
            "f32": f32,
            "f64": f64,
            "i32": i32,
            "i64": i64,
            "flag": flag,
            "label": label,
            "name": [f"r{i}" for i in range(start, start + n)],
            "maybe": maybe,
        }
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("xgb")
    files = [
        write_parquet(root / "a.parquet", table(0, 3000), 800),
        write_parquet(root / "b.parquet", table(3000, 2123), 1000),
    ]
    frame = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
    return sluice.DataConnector.from_sources(str(root)), frame


def pandas_dmatrix(frame):
    return xgb.DMatrix(frame[FEATURES], label=frame["label"])


def test_quantile_matrix_is_the_table(data):
    connector, frame = data
    matrix = connector.to_xgboost(FEATURES, "label", batch_size=700)
    assert isinstance(matrix, xgb.QuantileDMatrix)
    assert (matrix.num_row(), matrix.num_col()) == (len(frame), len(FEATURES)) == (5123, 5)
    assert matrix.feature_names == FEATURES
    np.testing.assert_array_equal(matrix.get_label(), frame["label"].to_numpy(np.float32))


def test_quantile_model_equals_pandas_dmatrix_model(data):
    connector, frame = data
    streamed = xgb.train(PARAMS, connector.to_xgboost(FEATURES, "label", batch_size=512), ROUNDS)
    reference = xgb.train(PARAMS, pandas_dmatrix(frame), ROUNDS)
    check = pandas_dmatrix(frame)
    np.testing.assert_array_equal(streamed.predict(check), reference.predict(check))
    first, last = reference.predict(check, iteration_range=(0, 1)), reference.predict(check)
    labels = frame["label"].to_numpy()
    logloss = lambda p: -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))  # noqa: E731
    assert logloss(last) < logloss(first)  # it learned something


def test_extmem_matrix_trains_the_same_model(data):
    connector, frame = data
    matrix = connector.to_xgboost(FEATURES, "label", kind="extmem", batch_size=1000)
    assert isinstance(matrix, xgb.ExtMemQuantileDMatrix)
    assert (matrix.num_row(), matrix.num_col()) == (5123, 5)
    check = pandas_dmatrix(frame)
    streamed = xgb.train(PARAMS, matrix, ROUNDS)
    np.testing.assert_array_equal(
        streamed.predict(check), xgb.train(PARAMS, pandas_dmatrix(frame), ROUNDS).predict(check)
    )


def test_extmem_cache_lives_in_a_temporary_directory(data, tmp_path):
    connector, _ = data
    matrix = connector.to_xgboost(
        FEATURES, "label", kind="extmem", batch_size=1000, cache_prefix=str(tmp_path / "cache")
    )
    assert matrix.num_row() == 5123
    assert any(p.name.startswith("cache") for p in tmp_path.iterdir()), list(tmp_path.iterdir())


def test_in_memory_dmatrix_equals_pandas(data):
    connector, frame = data
    matrix = connector.to_xgboost(FEATURES, "label", kind="dmatrix", batch_size=999, nthread=1)
    assert type(matrix) is xgb.DMatrix
    assert (matrix.num_row(), matrix.num_col()) == (5123, 5)
    check = pandas_dmatrix(frame)
    np.testing.assert_array_equal(
        xgb.train(PARAMS, matrix, ROUNDS).predict(check),
        xgb.train(PARAMS, pandas_dmatrix(frame), ROUNDS).predict(check),
    )


def test_every_pass_sees_the_same_shuffled_rows(data):
    connector, _ = data
    options = dict(batch_size=600, shuffle=True, seed=5, epoch=2)
    matrix = connector.to_xgboost(FEATURES, "label", **options)  # XGBoost makes several passes
    with connector.to_arrow(columns=["label"], **options) as reader:
        labels = pa.Table.from_batches(list(reader)).column("label").to_numpy()
    np.testing.assert_array_equal(matrix.get_label(), labels.astype(np.float32))


def test_read_options_pass_through(data):
    connector, frame = data
    limited = connector.to_xgboost(FEATURES, "label", limit=1000, batch_size=300)
    assert limited.num_row() == 1000
    np.testing.assert_array_equal(limited.get_label(), frame["label"].to_numpy(np.float32)[:1000])
    shard = sluice.ShardedDataConnector.from_sources(connector.sources).get_shard(rank=1, world_size=2)
    assert shard.to_xgboost(FEATURES, "label").num_row() == shard.count_rows()
    few_bins = connector.to_xgboost(FEATURES, "label", max_bin=8)
    xgb.train(dict(PARAMS, max_bin=8), few_bins, 2)
    unlabelled = connector.to_xgboost(FEATURES, kind="dmatrix")
    assert unlabelled.num_row() == 5123 and unlabelled.get_label().size == 0
    filled = connector.to_xgboost(["f32", "maybe"], "label", null_fill=-1, kind="dmatrix")
    assert filled.num_row() == 5123


def test_features_are_a_zero_copy_view_of_the_packed_column(data):
    from sluice._xgboost import _xy

    connector, _ = data
    with connector.to_arrow(tensors=True, features=FEATURES, label="flag", batch_size=256) as reader:
        batch = reader.read_next_batch()
        x, y = _xy(batch, "flag")
    values = batch.column(0).values
    assert x.shape == (256, 5) and x.dtype == np.float32
    assert x.ctypes.data == values.buffers()[1].address + values.offset * 4
    assert y.dtype == np.float32  # a bool label reaches XGBoost as 0/1


def test_errors_name_the_column_or_option(data):
    connector, _ = data
    with pytest.raises(sluice.SluiceInvalidArgument, match="nope"):
        connector.to_xgboost(["f32", "nope"], "label")
    with pytest.raises(sluice.SluiceInvalidArgument, match="nolabel"):
        connector.to_xgboost(FEATURES, "nolabel")
    with pytest.raises(ValueError, match="kind='bad'"):
        connector.to_xgboost(FEATURES, "label", kind="bad")
    with pytest.raises(TypeError, match="'name'"):
        connector.to_xgboost(FEATURES, "name")  # a string label
    with pytest.raises(TypeError, match="features"):
        connector.to_xgboost("f32", "label")
    with pytest.raises(TypeError, match="columns"):
        connector.to_xgboost(FEATURES, "label", columns=["f32"])
    with pytest.raises(TypeError, match="max_bin"):
        connector.to_xgboost(FEATURES, "label", kind="dmatrix", max_bin=8)
    with pytest.raises(sluice.SluiceInvalidArgument, match="batch_sise"):
        connector.to_xgboost(FEATURES, "label", batch_sise=10)
    # a null in a feature is found while XGBoost iterates: the core's stream error comes through
    # (pyarrow raises a stream's error as ArrowInvalid)
    with pytest.raises((pa.ArrowException, sluice.SluiceError), match="maybe"):
        connector.to_xgboost(["f32", "maybe"], "label")


def test_import_sluice_loads_no_framework():
    # tensorflow and xgboost are imported by to_tf_dataset / to_xgboost, never by `import sluice`
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(sluice.__file__)))
    code = (
        "import sys, sluice; sluice.DataConnector.to_xgboost; "
        "print(sorted(m for m in ('tensorflow', 'xgboost') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
