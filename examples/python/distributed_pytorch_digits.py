"""Snowflake ML's distributed PyTorch example ("Use sharding with PyTorch distributor"), run by sluice.

The example is Snowflake's, kept as written except the lines marked `# sluice:` (the imports, and the
two lines that made the Snowpark DataFrame and the connector from it), and one line of the published
text that raised UnboundLocalError, fixed and marked `# doc bug:`. It trains on sklearn's digits with
1 node and 4 ranks (processes of torch's elastic launcher, gloo on loopback):

    python examples/python/distributed_pytorch_digits.py
"""

import os  # sluice: added, for the Parquet file below
import tempfile  # sluice: added, for the Parquet file below

from sklearn import datasets
from torch import nn

from sluice import ShardedDataConnector  # sluice: was from snowflake.ml.data.sharded_data_connector import ...
from sluice.train import (  # sluice: was from snowflake.ml.modeling.pytorch import (
    PyTorchTrainer,
    ScalingConfig,
    WorkerResourceConfig,
    getContext,
)

# Create the Snowflake data from a Snowpark dataframe
digits = datasets.load_digits(as_frame=True).frame
# sluice: was digits_df = session.create_dataframe(digits); Snowpark quotes the lower-case column names
digits_path = os.path.join(tempfile.mkdtemp(prefix="digits-"), "digits.parquet")
digits.rename(columns=lambda name: f'"{name}"').to_parquet(digits_path)

# Create sharded data connector
sharded_data_connector = ShardedDataConnector.from_sources(digits_path)  # sluice: was .from_dataframe(digits_df)


# Define the PyTorch model
class DigitsModel(nn.Module):
    def __init__(self):
        super(DigitsModel, self).__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(8 * 8, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
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
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel as DDP
    from torch.utils.data import DataLoader

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
print(f"sluice: the model is in {response.model_dir}")  # sluice: added, where the model went
