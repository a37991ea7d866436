"""Snowflake ML's distributed XGBoost example (XGBEstimator, "Distributed training"), run by sluice.

The example is Snowflake's, kept as written except the lines marked `# sluice:` (the imports and the
line that builds the connector). The table it trains on is made first, as Parquet files: Snowflake's
example assumes a table that exists. XGBoost's tracker and workers run on this machine:

    python examples/python/distributed_xgboost.py
"""

import os  # sluice: added, for the table below
import tempfile  # sluice: added, for the table below

import numpy as np  # sluice: added, for the table below
import pandas as pd  # sluice: added, for the table below

from sluice import DataConnector  # sluice: was from snowflake.ml.data.data_connector import ...
from sluice.train import XGBEstimator, XGBScalingConfig  # sluice: was from snowflake.ml.modeling.distributors.xgboost

# sluice: added: a TRAINING_TABLE of three features and a numeric TARGET, as Parquet files
table_dir = tempfile.mkdtemp(prefix="training-table-")
rng = np.random.default_rng(0)
features = rng.normal(size=(5000, 3))
target = 3 * features[:, 0] - 2 * features[:, 1] + features[:, 2] ** 2 + 0.1 * rng.normal(size=5000)
frame = pd.DataFrame({f"FEATURE{i + 1}": features[:, i] for i in range(3)}).assign(TARGET=target)
frame.iloc[:2500].to_parquet(os.path.join(table_dir, "part-0.parquet"))
frame.iloc[2500:].to_parquet(os.path.join(table_dir, "part-1.parquet"))

# Create data connector
# sluice: was DataConnector.from_dataframe(session.table("TRAINING_TABLE"))
data_connector = DataConnector.from_sources(table_dir)

# Configure XGBoost training
params = {
    "eta": 0.1,
    "max_depth": 8,
    "min_child_weight": 100,
    "tree_method": "hist",
}

scaling_config = XGBScalingConfig(
    use_gpu=False,
    num_workers=-1,
    num_cpu_per_worker=-1,
)

estimator = XGBEstimator(
    n_estimators=50,
    objective="reg:squarederror",
    params=params,
    scaling_config=scaling_config,
)

# Train model
booster = estimator.fit(
    dataset=data_connector,
    input_cols=["FEATURE1", "FEATURE2", "FEATURE3"],
    label_col="TARGET",
)
print(f"sluice: trained {booster.num_boosted_rounds()} rounds")  # sluice: added, what came out
