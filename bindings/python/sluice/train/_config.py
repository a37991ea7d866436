"""The scaling configurations of the trainers, under Snowflake's names."""

import dataclasses
from typing import Optional


@dataclasses.dataclass(frozen=True)
class WorkerResourceConfig:
    """What one rank may use: `num_cpus` threads (torch.set_num_threads, OMP_NUM_THREADS) and
    `num_gpus` GPUs (0: the rank runs on the CPU and torch.distributed uses gloo; 1: one GPU per
    rank, chosen by its local rank, and nccl)."""

    num_cpus: int = 1
    num_gpus: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.num_cpus, int) or self.num_cpus < 1:
            raise ValueError(f"sluice.train: WorkerResourceConfig(num_cpus={self.num_cpus!r}) must be an int >= 1")
        if self.num_gpus not in (0, 1):
            raise ValueError(
                f"sluice.train: WorkerResourceConfig(num_gpus={self.num_gpus!r}) must be 0 or 1 (one GPU per rank)"
            )


@dataclasses.dataclass(frozen=True)
class ScalingConfig:
    """How many ranks `PyTorchTrainer` starts: `num_nodes` machines times `num_workers_per_node`
    processes, each with `resource_requirements_per_worker`."""

    num_nodes: int = 1
    num_workers_per_node: int = 1
    resource_requirements_per_worker: Optional[WorkerResourceConfig] = None

    def __post_init__(self) -> None:
        for name in ("num_nodes", "num_workers_per_node"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"sluice.train: ScalingConfig({name}={value!r}) must be an int >= 1")

    @property
    def resources(self) -> WorkerResourceConfig:
        return self.resource_requirements_per_worker or WorkerResourceConfig()


@dataclasses.dataclass(frozen=True)
class XGBScalingConfig:
    """How many processes `XGBEstimator` trains with: `num_workers` (-1: one per node, which is one
    on one machine), `num_cpu_per_worker` threads each (-1: the machine's CPUs shared evenly), and
    `use_gpu` (None: a GPU when this xgboost can use one)."""

    num_workers: int = -1
    num_cpu_per_worker: int = -1
    use_gpu: Optional[bool] = None

    def __post_init__(self) -> None:
        for name in ("num_workers", "num_cpu_per_worker"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or (value < 1 and value != -1):
                raise ValueError(f"sluice.train: XGBScalingConfig({name}={value!r}) must be -1 or an int >= 1")
