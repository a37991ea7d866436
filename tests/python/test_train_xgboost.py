"""sluice.train.XGBEstimator: two worker processes, xgboost's tracker and collective on loopback."""

import numpy as np
import pyarrow as pa
import pytest

import sluice
from _util import write_parquet

xgboost = pytest.importorskip("xgboost")

from sluice.train import TrainingFailedError, XGBEstimator, XGBScalingConfig  # noqa: E402

FEATURES = ["a", "b", "c", "d"]


def _table(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    logit = 2 * x[:, 0] - x[:, 1] + x[:, 2] * x[:, 3] + 0.5 * rng.normal(size=n)
    columns = {name: x[:, i].astype(np.float32 if i % 2 else np.float64) for i, name in enumerate(FEATURES)}
    return pa.table({**columns, "label": (logit > 0).astype(np.int64)})


@pytest.fixture(scope="module")
def classification(tmp_path_factory):
    root = tmp_path_factory.mktemp("xgb")
    train = _table(3001, 1)
    write_parquet(root / "train" / "part-0.parquet", train.slice(0, 1700), 400)
    write_parquet(root / "train" / "part-1.parquet", train.slice(1700), 333)
    return root, train, _table(1000, 2)


def _accuracy(booster, table):
    x = np.column_stack([table.column(name).to_numpy().astype(np.float32) for name in FEATURES])
    predicted = booster.predict(xgboost.DMatrix(x, feature_names=FEATURES)) > 0.5
    return float((predicted == table.column("label").to_numpy()).mean())


@pytest.mark.timeout(110)
def test_two_workers_predict_like_one_process(classification, capfd):
    root, train, held_out = classification
    params = {"max_depth": 4, "eta": 0.3, "eval_metric": "error"}
    estimator = XGBEstimator(
        n_estimators=20,
        objective="binary:logistic",
        params=params,
        scaling_config=XGBScalingConfig(num_workers=2, num_cpu_per_worker=1),
    )
    # the eval set is a pandas DataFrame: it travels to the workers as a snapshot file
    booster = estimator.fit(
        sluice.DataConnector.from_sources(str(root / "train")),
        FEATURES,
        "label",
        eval_set=held_out.to_pandas(),
        verbose_eval=5,
    )
    assert isinstance(booster, xgboost.Booster) and booster.num_boosted_rounds() == 20
    printed = capfd.readouterr()
    assert "[19]\tvalidation-error" in printed.out + printed.err  # printed by xgboost's collective

    frame = train.to_pandas()
    single = xgboost.train(
        {"objective": "binary:logistic", "nthread": 1, **params},
        xgboost.QuantileDMatrix(frame[FEATURES], label=frame["label"]),
        num_boost_round=20,
    )
    distributed, alone = _accuracy(booster, held_out), _accuracy(single, held_out)
    assert alone > 0.85
    assert abs(distributed - alone) <= 0.02, (distributed, alone)


@pytest.mark.timeout(110)
def test_external_memory_matrices_predict_like_in_memory_ones(classification):
    root, _, held_out = classification

    def fit(external_memory):
        estimator = XGBEstimator(
            n_estimators=10,
            objective="binary:logistic",
            params={"max_depth": 4, "eta": 0.3},
            scaling_config=XGBScalingConfig(num_workers=2, num_cpu_per_worker=1),
            external_memory=external_memory,
        )
        return estimator.fit(sluice.DataConnector.from_sources(str(root / "train")), FEATURES, "label")

    x = np.column_stack([held_out.column(name).to_numpy().astype(np.float32) for name in FEATURES])
    matrix = xgboost.DMatrix(x, feature_names=FEATURES)
    in_memory, external = fit(False).predict(matrix), fit(True).predict(matrix)
    assert np.abs(in_memory - external).max() < 0.05, np.abs(in_memory - external).max()


def test_errors_name_what_is_wrong(classification):
    root, _, _ = classification
    with pytest.raises(ValueError, match=r"num_workers=0"):
        XGBScalingConfig(num_workers=0)
    estimator = XGBEstimator(scaling_config=XGBScalingConfig(num_workers=1))
    with pytest.raises(TypeError, match=r"input_cols must be a list"):
        estimator.fit(sluice.DataConnector.from_sources(str(root / "train")), "a", "label")
    with pytest.raises(TypeError, match=r"dataset 'dataset' is a list"):
        estimator.fit([1, 2], FEATURES, "label")
    with pytest.raises(
        KeyError, match=r"dataset has no column 'nope': its columns are \['a', 'b', 'c', 'd', 'label'\]"
    ):
        estimator.fit(sluice.DataConnector.from_sources(str(root / "train")), FEATURES, "nope")
    assert issubclass(TrainingFailedError, RuntimeError)
