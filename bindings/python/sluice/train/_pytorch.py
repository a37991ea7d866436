"""`PyTorchTrainer`: a `train_func` run on N ranks of one machine, each with its shard of every dataset.

The ranks are processes of PyTorch's elastic launcher (`_launch.py`), with torchrun's environment, so
`torch.distributed.init_process_group()` works as written in a train_func; `get_context()` gives each
rank its connectors (bound to the rank, equal shards), model directory and hyper-parameters.
"""

import dataclasses
import functools
import tempfile
from typing import Any, Callable, Dict, List, Mapping, Optional

from ._config import ScalingConfig
from ._context import Context, set_context
from ._datasets import ConnectorDescription, describe_all
from ._launch import run_ranks


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
    """Runs `train_func()` on `scaling_config.num_workers_per_node` ranks of this machine.

    `train_func` takes no arguments and is shipped to the ranks by value (cloudpickle): it may be
    defined in a script's `__main__`, a notebook or a script read from stdin. Inside it,
    `sluice.train.get_context()` gives the rank's datasets, model directory and hyper-parameters.
    """

    def __init__(self, train_func: Callable[[], Any], scaling_config: Optional[ScalingConfig] = None) -> None:
        if not callable(train_func):
            raise TypeError(f"sluice.train: train_func must be a function, not {type(train_func).__name__}")
        self.train_func = train_func
        self.scaling_config = scaling_config or ScalingConfig()
        if self.scaling_config.num_nodes != 1:
            raise NotImplementedError(
                f"sluice.train: ScalingConfig(num_nodes={self.scaling_config.num_nodes}) needs several machines, "
                "which PyTorchTrainer does not launch yet: it runs num_workers_per_node ranks on this machine "
                "(num_nodes=1). On several machines, start torchrun on each and call "
                "ShardedDataConnector.get_shard() in the training script."
            )

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
        nproc = config.num_workers_per_node
        if resources.num_gpus:
            _check_gpus(nproc)
        model_dir = artifact_dir if artifact_dir is not None else tempfile.mkdtemp(prefix="sluice-model-")
        with tempfile.TemporaryDirectory(prefix="sluice-snapshots-") as snapshot_dir:
            spec = _RankSpec(
                train_func=self.train_func,
                datasets=describe_all(dataset_map or {}, snapshot_dir),
                hyper_params=dict(hyper_params or {}),
                model_dir=model_dir,
                num_cpus=resources.num_cpus,
                num_gpus=resources.num_gpus,
            )
            outcomes = run_ranks(
                functools.partial(_run_rank, spec),
                nproc=nproc,
                what=f"PyTorchTrainer({_name(self.train_func)})",
                num_threads=resources.num_cpus,
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
    import os

    import torch
    import torch.distributed as dist

    torch.set_num_threads(spec.num_cpus)
    if spec.num_gpus:
        local_rank = int(os.environ["LOCAL_RANK"])
        torch.cuda.set_device(local_rank)
        device, backend = f"cuda:{local_rank}", "nccl"
    else:
        device, backend = "cpu", "gloo"
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
