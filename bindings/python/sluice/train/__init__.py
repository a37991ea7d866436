"""Distributed training on sluice's shards, launched by the engines users already run (docs/distributed.md).

    from sluice import ShardedDataConnector
    from sluice.train import PyTorchTrainer, ScalingConfig, WorkerResourceConfig, get_context

    def train_func():
        context = get_context()
        shard = context.get_dataset_map()["train"].get_shard()    # this rank's rows, equal length on every rank
        torch.distributed.init_process_group()
        ...

    PyTorchTrainer(train_func, ScalingConfig(num_nodes=1, num_workers_per_node=4,
                   resource_requirements_per_worker=WorkerResourceConfig(num_cpus=1, num_gpus=0))
                   ).run(dataset_map={"train": ShardedDataConnector.from_sources("s3://bucket/train/")})

`PyTorchTrainer` runs its ranks through PyTorch's elastic launcher (torchrun's), `XGBEstimator` trains
through XGBoost's own collective (its tracker and communicator). They need cloudpickle
(`pip install sluice-data[train]`), and torch or xgboost.
"""

from ._config import ScalingConfig, WorkerResourceConfig, XGBScalingConfig
from ._context import Context, get_context, getContext
from ._launch import TrainingFailedError
from ._pytorch import PyTorchTrainer, TrainingResult
from ._xgboost_estimator import XGBEstimator

__all__ = [
    "Context",
    "PyTorchTrainer",
    "ScalingConfig",
    "TrainingFailedError",
    "TrainingResult",
    "WorkerResourceConfig",
    "XGBEstimator",
    "XGBScalingConfig",
    "getContext",
    "get_context",
]
