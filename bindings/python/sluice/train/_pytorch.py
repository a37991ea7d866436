"""`PyTorchTrainer`: a `train_func` run on N ranks, each with its shard of every dataset.

On one machine the ranks are processes of PyTorch's elastic launcher (`_launch.py`); on several
machines, or with backend="ray", they are workers of Ray Train's `TorchTrainer` (`_ray_torch.py`). Either
way they have torchrun's environment, so `torch.distributed.init_process_group()` works as written in
a train_func, and `get_context()` gives each rank its connectors (bound to the rank, equal shards),
model directory and hyper-parameters.
"""

import dataclasses
import functools
import os
import tempfile
from typing import Any, Callable, Dict, List, Mapping, Optional

from ._config import ScalingConfig
from ._context import Context, set_context
from ._datasets import ConnectorDescription, describe_all, snapshot_placement
from ._launch import require, run_ranks

BACKENDS = ("auto", "torch", "ray")


@dataclasses.dataclass
class TrainingResult:
    """What `PyTorchTrainer.run()` returns."""

    #: the directory every rank's `get_model_dir()` gave (`artifact_dir`, else a new temporary one)
    model_dir: str
    #: each rank's `report()`s in order: metrics_per_rank[rank] is a list of dicts
    metrics_per_rank: List[List[Dict[str, Any]]]
    #: what train_func returned on each rank
    return_values: List[Any]

    @property
    def metrics(self) -> Dict[str, Any]:
        """The last metrics rank 0 reported ({} when it reported none)."""
        reports = self.metrics_per_rank[0] if self.metrics_per_rank else []
        return dict(reports[-1]) if reports else {}


@dataclasses.dataclass(frozen=True)
class _RankSpec:
    train_func: Callable[..., Any]
    datasets: Dict[str, ConnectorDescription]
    hyper_params: Dict[str, Any]
    model_dir: str
    num_cpus: int
    num_gpus: int


@dataclasses.dataclass(frozen=True)
class _RankOutcome:
    reports: List[Dict[str, Any]]
    value: Any


class PyTorchTrainer:
    """Runs `train_func()` on `num_nodes * num_workers_per_node` ranks.

    `train_func` takes no arguments and is shipped to the ranks by value (cloudpickle): it may be
    defined in a script's `__main__`, a notebook or a script read from stdin. Inside it,
    `sluice.train.get_context()` gives the rank's datasets, model directory and hyper-parameters.

    `backend`: "torch" runs the ranks on this machine through PyTorch's elastic launcher; "ray" runs
    them as workers of Ray Train's `TorchTrainer` on the Ray cluster this process is connected to
    (`ray.init()`; else the one $RAY_ADDRESS or `ray start` names, else a new local one); "auto"
    (the default) is "ray" when `num_nodes` > 1, else "torch". `shared_dir`: a directory that every
    node of the Ray cluster mounts at the same path, for the snapshots of DataFrames and the default
    model directory when the cluster has several nodes (docs/distributed.md).
    """

    def __init__(
        self,
        train_func: Callable[[], Any],
        scaling_config: Optional[ScalingConfig] = None,
        *,
        backend: str = "auto",
        shared_dir: Optional[str] = None,
    ) -> None:
        if not callable(train_func):
            raise TypeError(f"sluice.train: train_func must be a function, not {type(train_func).__name__}")
        if backend not in BACKENDS:
            raise ValueError(f"sluice.train: PyTorchTrainer(backend={backend!r}) is not one of {', '.join(BACKENDS)}")
        self.train_func = train_func
        self.scaling_config = scaling_config or ScalingConfig()
        if backend == "torch" and self.scaling_config.num_nodes != 1:
            raise ValueError(
                f"sluice.train: ScalingConfig(num_nodes={self.scaling_config.num_nodes}) needs several machines, "
                "which backend='torch' (the elastic launcher on this machine) does not start: use backend='ray' "
                "(or 'auto') on a Ray cluster"
            )
        self.backend = "ray" if backend == "ray" or self.scaling_config.num_nodes > 1 else "torch"
        self.shared_dir = os.path.abspath(shared_dir) if shared_dir is not None else None

    def run(
        self,
        *,
        dataset_map: Optional[Mapping[str, Any]] = None,
        hyper_params: Optional[Mapping[str, Any]] = None,
        artifact_dir: Optional[str] = None,
    ) -> TrainingResult:
        """Run train_func on every rank and wait for all of them.

        `dataset_map`: {name: DataConnector, ShardedDataConnector, pandas DataFrame or pyarrow Table};
        the ranks open the connectors from their sources and options (tables: from a Parquet snapshot
        written once, now). `hyper_params` reach the ranks by `get_hyper_params()`. `artifact_dir` is
        the model directory (default: a new temporary directory). Raises `TrainingFailedError` with
        the traceback of a rank that raised, or the signal that ended one.
        """
        config = self.scaling_config
        resources = config.resources
        what = f"PyTorchTrainer({_name(self.train_func)})"
        if self.backend == "ray":
            require("ray", what)
            from . import _ray, _ray_torch

            nodes = _ray.connect(what, config.num_nodes)
        else:
            nodes = 1
            if resources.num_gpus:
                _check_gpus(config.num_workers_per_node)
        model_dir = artifact_dir
        if model_dir is None:
            model_dir = tempfile.mkdtemp(prefix="sluice-model-", dir=self.shared_dir if nodes > 1 else None)
        with snapshot_placement(nodes, self.shared_dir, "PyTorchTrainer") as placement:
            spec = _RankSpec(
                train_func=self.train_func,
                datasets=describe_all(dataset_map or {}, placement),
                hyper_params=dict(hyper_params or {}),
                model_dir=model_dir,
                num_cpus=resources.num_cpus,
                num_gpus=resources.num_gpus,
            )
            program = functools.partial(_run_rank, spec)
            if self.backend == "ray":
                outcomes = _ray_torch.run_torch_workers(
                    program,
                    num_workers=config.num_nodes * config.num_workers_per_node,
                    resources=resources,
                    spread=config.num_nodes > 1,
                    storage_dir=placement.directory,
                    what=what,
                )
            else:
                outcomes = run_ranks(
                    program, nproc=config.num_workers_per_node, what=what, num_threads=resources.num_cpus
                )
        return TrainingResult(model_dir, [o.reports for o in outcomes], [o.value for o in outcomes])


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__qualname__", None) or type(func).__name__


def _check_gpus(nproc: int) -> None:
    import torch

    available = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if available < nproc:
        raise ValueError(
            f"sluice.train: {nproc} ranks with num_gpus=1 each need {nproc} GPUs; this machine has {available}"
        )


def _run_rank(spec: _RankSpec) -> _RankOutcome:
    """One rank: set up its device and context, run train_func, give back its reports."""
    import torch
    import torch.distributed as dist

    torch.set_num_threads(spec.num_cpus)
    if spec.num_gpus:
        local_rank = int(os.environ["LOCAL_RANK"])
        torch.cuda.set_device(local_rank)
        device, backend = f"cuda:{local_rank}", "nccl"
    else:
        device, backend = "cpu", "gloo"
    os.makedirs(spec.model_dir, exist_ok=True)  # a rank of another node may be the first to see it
    datasets = {name: description.open_for_training() for name, description in spec.datasets.items()}
    context = Context(datasets, spec.model_dir, spec.hyper_params, device, backend)
    set_context(context)
    try:
        value = spec.train_func()
    finally:
        set_context(None)
    # only after a success: closing the group on an error would make the other ranks fail at once,
    # as if they had failed first
    if dist.is_initialized():
        dist.destroy_process_group()
    return _RankOutcome(context._reports, value)
