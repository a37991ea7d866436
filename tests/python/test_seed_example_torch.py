"""Snowflake ML's documented PyTorch examples, run against sluice.

The example is Snowflake's ("Load structured data from Snowflake tables":
"Convert DataConnector to other formats" → PyTorch dataset), kept as written except
the lines marked `# sluice:`, which are the import and data-source lines. One line of
the published text does not run anywhere and is fixed, marked `# doc bug:` (a name
that is never defined). The distributed example ("Use sharding with PyTorch
distributor") is examples/python/distributed_pytorch_digits.py, run by
test_train_examples.py.
"""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

torch = pytest.importorskip("torch")


# --- example 1: DataConnector.to_torch_dataset(batch_size=32) + DataLoader(batch_size=None) ------

EXAMPLE_1 = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from sluice import DataConnector  # sluice: was from snowflake.ml.data.data_connector import DataConnector

# Create DataConnector (see previous examples)
data_connector = DataConnector.from_sources(SOURCE)  # sluice: was DataConnector.from_dataframe(...)

# Convert to PyTorch dataset
torch_dataset = data_connector.to_torch_dataset(batch_size=32)
dataloader = DataLoader(torch_dataset, batch_size=None)

label_col = 'TARGET'
feature_cols = ['FEATURE1', 'FEATURE2']

for batch_idx, batch in enumerate(dataloader):
    y = batch.pop(label_col).squeeze()  # doc bug: was batch_data.pop (batch_data is never defined)
    X = torch.stack(
        [tensor.squeeze() for key, tensor in batch.items() if key in feature_cols]
    )
"""


def test_example_to_torch_dataset(tmp_path):
    n = 1000
    table = pa.table(
        {
            "FEATURE1": np.arange(n, dtype=np.float32),
            "FEATURE2": np.arange(n, dtype=np.float64) * 2,
            "TARGET": np.arange(n) % 2,
        }
    )
    pq.write_table(table, tmp_path / "train.parquet", row_group_size=300)
    namespace = {"SOURCE": str(tmp_path / "train.parquet")}
    exec(compile(EXAMPLE_1, "snowflake_example_1", "exec"), namespace)
    # the loop ran over every full batch (drop_last_batch=True by default); the last one is left in X, y
    assert namespace["batch_idx"] == n // 32 - 1
    X, y = namespace["X"], namespace["y"]
    assert X.shape == (2, 32) and y.shape == (32,)
    first = (n // 32 - 1) * 32
    np.testing.assert_array_equal(X[0].numpy(), np.arange(first, first + 32, dtype=np.float32))
    np.testing.assert_array_equal(X[1].numpy(), np.arange(first, first + 32) * 2.0)
    np.testing.assert_array_equal(y.numpy(), np.arange(first, first + 32) % 2)
