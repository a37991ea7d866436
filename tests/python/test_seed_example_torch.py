"""Snowflake ML's documented PyTorch examples, run against sluice.

The examples are Snowflake's ("Load structured data from Snowflake tables":
"Convert DataConnector to other formats" → PyTorch dataset, and "Use sharding with
PyTorch distributor"), kept as written except the lines marked `# sluice:`, which
are the import and data-source lines. Two lines of the published text do not run
anywhere and are fixed, marked `# doc bug:` (a name that is never defined, and a
variable used before its assignment in the same function).
"""

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

torch = pytest.importorskip("torch")

import sluice  # noqa: E402

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


# --- example 2: ShardedDataConnector, get_shard().to_torch_dataset(), DDP over 4 processes ------

EXAMPLE_2 = """
from snowflake_stand_in import load_digits_frame  # sluice: was from sklearn import datasets
from sluice import ShardedDataConnector  # sluice: was from snowflake.ml.data.sharded_data_connector import ...
from snowflake_stand_in import (  # sluice: was from snowflake.ml.modeling.pytorch import (
    PyTorchTrainer,
    ScalingConfig,
    WorkerResourceConfig,
    getContext,
)
from torch import nn

# Create the Snowflake data from a Snowpark dataframe
digits_path = load_digits_frame()  # sluice: was digits = datasets.load_digits(as_frame=True).frame ...

# Create sharded data connector
sharded_data_connector = ShardedDataConnector.from_sources(digits_path)  # sluice: was .from_dataframe(digits_df)

# Define the PyTorch model
class DigitsModel(nn.Module):
    def __init__(self):
        super(DigitsModel, self).__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(8 * 8, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10)
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits

# Define training function that runs across multiple nodes or devices
# Each process receives a unique data shard
def train_func():
    import os
    import torch
    import torch.distributed as dist
    from torch.utils.data import DataLoader
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel as DDP

    # Get context with data shards and model directory
    context = getContext()
    dataset_map = context.get_dataset_map()
    model_dir = context.get_model_dir()
    training_data = dataset_map["train"].get_shard().to_torch_dataset()
    batch_size = 64  # doc bug: this line came after the next one, which then raised UnboundLocalError
    train_dataloader = DataLoader(training_data, batch_size=batch_size, drop_last=True)

    dist.init_process_group()
    device = "cpu"
    label_col = '"target"'

    model = DDP(DigitsModel())
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)

    # Training loop
    for epoch in range(5):
        for batch, batch_data in enumerate(train_dataloader):
            y = batch_data.pop(label_col).flatten().type(torch.LongTensor).to(device)
            X = torch.concat(
                [tensor.to(torch.float32) for tensor in batch_data.values()],
                dim=-1,
            ).to(device)
            pred = model(X)
            loss = loss_fn(pred, y)

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            if batch % 100 == 0:
                print(f"Epoch {epoch}, Batch {batch}, Loss: {loss.item()}")

    # Save the model
    if dist.get_rank() == 0:
        torch.save(model.state_dict(), os.path.join(model_dir, "digits_model.pth"))

# Create PyTorch trainer with scaling configuration
pytorch_trainer = PyTorchTrainer(
    train_func=train_func,
    scaling_config=ScalingConfig(
        num_nodes=1,
        num_workers_per_node=4,
        resource_requirements_per_worker=WorkerResourceConfig(num_cpus=1, num_gpus=0),
    ),
)

# Run distributed training
response = pytorch_trainer.run(
    dataset_map=dict(
        train=sharded_data_connector,
    )
)
"""

# What the example imports from Snowflake, reduced to what it needs: a digits-like table
# (sklearn's digits: 64 pixel columns 0..16 and a target 0..9, named as Snowpark names
# lower-case pandas columns, in quotes) and a trainer that runs train_func in N forked
# processes with torchrun's variables, as Snowflake's PyTorchTrainer does on its nodes.
STAND_IN = """
import os
import socket
import types

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch.multiprocessing
# imported once here rather than by each forked rank (DDP pulls in torch._dynamo: many seconds)
import torch._dynamo  # noqa: F401
import torch.distributed  # noqa: F401
import torch.nn.parallel  # noqa: F401

_CONTEXT = None


def load_digits_frame():
    rng = np.random.default_rng(0)
    n = 1797
    target = rng.integers(0, 10, n)
    prototypes = rng.integers(0, 17, (10, 64))
    pixels = np.clip(prototypes[target] + rng.integers(-3, 4, (n, 64)), 0, 16).astype(np.int64)
    columns = {f'"pixel_{i // 8}_{i % 8}"': pixels[:, i] for i in range(64)}
    columns['"target"'] = target
    path = os.path.join(os.environ["EXAMPLE_DIR"], "digits.parquet")
    pq.write_table(pa.table(columns), path, row_group_size=500)
    return path


def ScalingConfig(num_nodes, num_workers_per_node, resource_requirements_per_worker):
    return types.SimpleNamespace(world_size=num_nodes * num_workers_per_node,
                                 num_cpus=resource_requirements_per_worker.num_cpus)


def WorkerResourceConfig(num_cpus, num_gpus):
    return types.SimpleNamespace(num_cpus=num_cpus)


def getContext():
    return _CONTEXT


def _run_rank(rank, train_func, world_size, port, num_cpus, dataset_map):
    global _CONTEXT
    torch.set_num_threads(num_cpus)
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    _CONTEXT = types.SimpleNamespace(get_dataset_map=lambda: dataset_map,
                                     get_model_dir=lambda: os.environ["EXAMPLE_DIR"])
    train_func()


class PyTorchTrainer:
    def __init__(self, train_func, scaling_config):
        self.train_func, self.scaling_config = train_func, scaling_config

    def run(self, dataset_map):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = self.scaling_config
        torch.multiprocessing.start_processes(
            _run_rank, args=(self.train_func, config.world_size, port, config.num_cpus, dataset_map),
            nprocs=config.world_size, start_method="fork")
"""


def test_example_sharded_pytorch_distributor(tmp_path):
    (tmp_path / "snowflake_stand_in.py").write_text(textwrap.dedent(STAND_IN))
    (tmp_path / "example.py").write_text(EXAMPLE_2)
    package_parent = os.path.dirname(os.path.dirname(sluice.__file__))
    env = dict(
        os.environ,
        EXAMPLE_DIR=str(tmp_path),
        PYTHONPATH=os.pathsep.join([str(tmp_path), package_parent, os.environ.get("PYTHONPATH", "")]),
    )
    result = subprocess.run(
        [sys.executable, str(tmp_path / "example.py")], env=env, capture_output=True, text=True, timeout=110
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "digits_model.pth").exists()
    losses = {}
    for epoch, loss in re.findall(r"Epoch (\d), Batch 0, Loss: ([0-9.e+-]+)", result.stdout):
        losses.setdefault(int(epoch), []).append(float(loss))
    assert sorted(losses) == [0, 1, 2, 3, 4] and all(len(v) == 4 for v in losses.values()), result.stdout
    assert np.mean(losses[4]) < np.mean(losses[0]) / 2, losses
