"""Snowflake ML's documented single-process Data Connector examples, run against sluice.

Source: https://docs.snowflake.com/en/developer-guide/snowflake-ml/load-data ("Convert
DataConnector to other formats": the pandas dataframe and TensorFlow dataset tabs). Each test
quotes the original and changes only the import and data-source lines (and `xgb.Classifier`,
a class XGBoost does not have, to `xgb.XGBClassifier`); the checks after the example are ours.
"""

import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _util import write_parquet

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROWS = 2002


@pytest.fixture(scope="module")
def training_table(tmp_path_factory):
    """A 'TRAINING_TABLE' of numeric features and a binary TARGET, in two Parquet files."""
    root = tmp_path_factory.mktemp("TRAINING_TABLE")
    rng = np.random.default_rng(42)
    x = rng.normal(size=(ROWS, 3))
    target = (x[:, 0] - 0.5 * x[:, 1] + 0.1 * rng.normal(size=ROWS) > 0).astype(np.int64)
    table = pa.table(
        {
            "FEATURE1": x[:, 0],
            "FEATURE2": x[:, 1].astype(np.float32),
            "FEATURE3": (x[:, 2] * 10).astype(np.int32),
            "TARGET": target,
        }
    )
    write_parquet(root / "part-0.parquet", table.slice(0, 1000), 400)
    write_parquet(root / "part-1.parquet", table.slice(1000), 400)
    return root


def test_pandas_into_xgboost_classifier(training_table):
    # Original (Snowflake docs):
    #
    #   from snowflake.ml.data.data_connector import DataConnector
    #   from snowflake.snowpark.context import get_active_session
    #   import xgboost as xgb
    #
    #   session = get_active_session()
    #
    #   # Specify training table location
    #   table_name = "TRAINING_TABLE"
    #
    #   # Load table into DataConnector
    #   data_connector = DataConnector.from_dataframe(session.table(table_name))
    #
    #   # Convert to pandas dataframe
    #   pandas_df = data_connector.to_pandas()
    #
    #   # Prepare features and labels
    #   label_column_name = 'TARGET'
    #   X, y = pandas_df.drop(label_column_name, axis=1), pandas_df[label_column_name]
    #
    #   # Train classifier
    #   clf = xgb.Classifier()
    #   clf.fit(X, y)

    import xgboost as xgb

    from sluice import DataConnector  # changed: import

    # Specify training table location
    table_name = str(training_table)  # changed: a directory of Parquet files

    # Load table into DataConnector
    data_connector = DataConnector.from_sources(table_name)  # changed: data source

    # Convert to pandas dataframe
    pandas_df = data_connector.to_pandas()

    # Prepare features and labels
    label_column_name = "TARGET"
    X, y = pandas_df.drop(label_column_name, axis=1), pandas_df[label_column_name]

    # Train classifier
    clf = xgb.XGBClassifier()  # changed: the class is XGBClassifier
    clf.fit(X, y)

    # checks
    expected = pq.read_table(training_table).to_pandas()
    assert list(X.columns) == ["FEATURE1", "FEATURE2", "FEATURE3"]
    np.testing.assert_array_equal(y.to_numpy(), expected["TARGET"].to_numpy())
    np.testing.assert_array_equal(X.to_numpy(), expected.drop(columns="TARGET").to_numpy())
    assert (clf.predict(X) == y.to_numpy()).mean() > 0.9


def test_tensorflow_dataset_loop(training_table, capsys):
    # Original (Snowflake docs):
    #
    #   from snowflake.ml.data.data_connector import DataConnector
    #
    #   # Create DataConnector (see previous examples)
    #   # data_connector = DataConnector.from_dataframe(...)
    #
    #   # Convert to TensorFlow dataset
    #   tf_ds = data_connector.to_tf_dataset(
    #       batch_size=4,
    #       shuffle=True,
    #       drop_last_batch=True
    #   )
    #
    #   for batch in tf_ds:
    #       print(batch)

    from sluice import DataConnector  # changed: import

    # Create DataConnector (see previous examples)
    data_connector = DataConnector.from_sources(str(training_table))  # changed: data source

    # Convert to TensorFlow dataset
    tf_ds = data_connector.to_tf_dataset(batch_size=4, shuffle=True, drop_last_batch=True)

    for batch in tf_ds:
        print(batch)

    # checks: ROWS // 4 full batches (the last 2 rows dropped), each a dict of (4, 1) tensors
    out = capsys.readouterr().out
    assert out.count("'TARGET': <tf.Tensor: shape=(4, 1), dtype=int64") == ROWS // 4
    assert out.count("'FEATURE2': <tf.Tensor: shape=(4, 1), dtype=float32") == ROWS // 4
    import tensorflow as tf

    assert tf_ds.element_spec["FEATURE3"] == tf.TensorSpec((4, 1), tf.int32)
    seen = sorted(float(v) for batch in tf_ds for v in batch["FEATURE1"].numpy()[:, 0])
    everything = sorted(pq.read_table(training_table).column("FEATURE1").to_pylist())
    assert len(seen) == ROWS - 2 and set(seen) <= set(everything)
