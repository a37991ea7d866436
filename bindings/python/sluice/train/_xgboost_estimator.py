"""`XGBEstimator`: XGBoost trained by N workers through XGBoost's own collective: processes of this
machine, or Ray tasks on the nodes of a Ray cluster (backend="ray").

The driver starts XGBoost's tracker (`xgboost.tracker.RabitTracker`) on loopback; each worker, a
child process (`_launch.py`; no torch needed), joins it with `xgboost.collective.CommunicatorContext`,
streams its shard of the rows from the Rust core into a `QuantileDMatrix` (sluice's `to_xgboost`, packed
batches: the table is never whole in any process), and calls `xgboost.train`. The matrices' quantile
sketches and every histogram are all-reduced across the workers, so the model is the one a single
process would train on all the rows, within the sketch's tolerance. Rank 0 hands back the model.
With `external_memory=True` each worker builds an `ExtMemQuantileDMatrix` instead, whose pages are
cached on disk, for shards larger than memory.
"""

import contextlib
import dataclasses
import functools
import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from ._config import XGBScalingConfig
from ._datasets import ConnectorDescription, describe, snapshot_placement
from ._launch import require, run_ranks

BACKENDS = ("processes", "ray")

if TYPE_CHECKING:
    import xgboost

#: seconds the tracker waits for the workers to join and finish once the launcher returned
_TRACKER_WAIT_S = 60


@dataclasses.dataclass(frozen=True)
class _WorkerSpec:
    tracker_args: Dict[str, Any]
    dataset: ConnectorDescription
    eval_set: Optional[ConnectorDescription]
    input_cols: List[str]
    label_col: str
    params: Dict[str, Any]
    num_boost_round: int
    verbose_eval: Any
    external_memory: bool = False


class XGBEstimator:
    """XGBoost training on several workers, under Snowflake's name.

    `params` are XGBoost's parameters (https://xgboost.readthedocs.io/en/stable/parameter.html);
    "n_estimators" or "objective" in `params` override the arguments of the same name.
    `backend`: "processes" (child processes of this machine) or "ray" (Ray tasks spread over the
    nodes of the Ray cluster this process is connected to; `num_workers=-1` is one per node).
    `shared_dir`: as for `PyTorchTrainer`, a directory every Ray node mounts, for snapshots.
    `external_memory=True`: each worker's matrix is an `xgboost.ExtMemQuantileDMatrix`, its pages
    cached in a temporary directory, for shards larger than memory.
    """

    def __init__(
        self,
        n_estimators: int = 100,
        objective: str = "reg:squarederror",
        params: Optional[Dict[str, Any]] = None,
        scaling_config: Optional[XGBScalingConfig] = None,
        *,
        backend: str = "processes",
        shared_dir: Optional[str] = None,
        external_memory: bool = False,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"sluice.train: XGBEstimator(backend={backend!r}) is not one of {', '.join(BACKENDS)}")
        self.n_estimators = n_estimators
        self.objective = objective
        self.params = dict(params or {})
        self.scaling_config = scaling_config or XGBScalingConfig()
        self.backend = backend
        self.shared_dir = os.path.abspath(shared_dir) if shared_dir is not None else None
        self.external_memory = bool(external_memory)

    def fit(
        self,
        dataset: Any,
        input_cols: List[str],
        label_col: str,
        eval_set: Any = None,
        verbose_eval: Union[bool, int, None] = None,
    ) -> "xgboost.Booster":
        """Train on `dataset` (a DataConnector, a pandas DataFrame or a pyarrow Table) and return the
        `xgboost.Booster`. Each worker reads its shard of the rows (every row is used once:
        equal_shards="off"). `eval_set` (the same kinds) is evaluated as "validation" after each
        round, printed every `verbose_eval` rounds (True: each round)."""
        require("xgboost", "XGBEstimator.fit")
        import xgboost

        if isinstance(input_cols, str) or not input_cols:
            raise TypeError(
                f"sluice.train: XGBEstimator.fit: input_cols must be a list of column names, not {input_cols!r}"
            )
        params = {"objective": self.objective, **self.params}
        num_boost_round = int(params.pop("n_estimators", self.n_estimators))
        config = self.scaling_config
        nodes, host = 1, "127.0.0.1"
        if self.backend == "ray":
            require("ray", "XGBEstimator.fit")
            from . import _ray

            nodes = _ray.connect("XGBEstimator.fit")
            host = _ray.node_address()  # the workers of every node reach the tracker here
        workers = (nodes if self.backend == "ray" else 1) if config.num_workers == -1 else config.num_workers
        threads = (
            max(1, _cpus(self.backend) // workers) if config.num_cpu_per_worker == -1 else config.num_cpu_per_worker
        )
        params.setdefault("nthread", threads)
        use_gpu = _use_gpu(config.use_gpu, xgboost)
        if use_gpu:
            params.setdefault("device", "cuda")
        with snapshot_placement(nodes, self.shared_dir, "XGBEstimator") as placement:
            train_set = describe("dataset", dataset, placement)
            eval_description = None if eval_set is None else describe("eval_set", eval_set, placement)
            for name, description in (("dataset", train_set), ("eval_set", eval_description)):
                if description is not None:
                    _check_columns(name, description, [*input_cols, label_col])
            tracker = xgboost.tracker.RabitTracker(host_ip=host, n_workers=workers)
            tracker.start()
            try:
                spec = _WorkerSpec(
                    tracker_args=dict(tracker.worker_args()),
                    dataset=train_set,
                    eval_set=eval_description,
                    input_cols=list(input_cols),
                    label_col=label_col,
                    params=params,
                    num_boost_round=num_boost_round,
                    verbose_eval=verbose_eval if verbose_eval is not None else False,
                    external_memory=self.external_memory,
                )
                program = functools.partial(_train_worker, spec)
                if self.backend == "ray":
                    models = _ray.run_tasks(
                        program, nproc=workers, num_cpus=threads, num_gpus=int(use_gpu), what="XGBEstimator.fit"
                    )
                else:
                    models = run_ranks(
                        program, nproc=workers, what="XGBEstimator.fit", num_threads=threads, launcher="processes"
                    )
                tracker.wait_for(_TRACKER_WAIT_S)
            except BaseException:
                # the workers' failure is the error to show; the tracker complains that they left
                with contextlib.suppress(xgboost.core.XGBoostError):
                    tracker.free()
                raise
            tracker.free()
        booster = xgboost.Booster()
        booster.load_model(bytearray(models[0]))
        return booster


def _cpus(backend: str) -> int:
    """The CPUs the workers share: this machine's, or the Ray cluster's."""
    if backend == "ray":
        import ray

        return int(ray.cluster_resources().get("CPU", 1))
    return os.cpu_count() or 1


def _check_columns(name: str, description: ConnectorDescription, columns: List[str]) -> None:
    """Every column must be there before the workers start (the schema is read from metadata)."""
    schema = description.open_for_training().schema
    missing = [column for column in columns if column not in schema.names]
    if missing:
        raise KeyError(
            f"sluice.train: XGBEstimator.fit: {name} has no column {', '.join(map(repr, missing))}: "
            f"its columns are {schema.names}"
        )


def _use_gpu(use_gpu: Optional[bool], xgboost: Any) -> bool:
    built_with_cuda = bool(xgboost.build_info().get("USE_CUDA"))
    if use_gpu and not built_with_cuda:
        raise ValueError(
            "sluice.train: XGBScalingConfig(use_gpu=True), but this xgboost is built without CUDA "
            "(xgboost-cpu?): install the xgboost package with GPU support"
        )
    if use_gpu is None:
        return built_with_cuda and _cuda_device_present()
    return bool(use_gpu)


def _cuda_device_present() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _train_worker(spec: _WorkerSpec) -> Optional[bytes]:
    """One worker: join the collective, stream its shard into a QuantileDMatrix, train; rank 0 returns
    the model as UBJSON bytes."""
    import xgboost

    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if spec.params.get("device", "cpu").startswith("cuda"):
        spec.params["device"] = f"cuda:{os.environ['LOCAL_RANK']}"
    matrix_args = {
        "max_bin": spec.params.get("max_bin"),
        "nthread": spec.params["nthread"],
        "kind": "extmem" if spec.external_memory else "quantile",
    }
    with xgboost.collective.CommunicatorContext(**spec.tracker_args, dmlc_task_id=str(rank)):
        shard = spec.dataset.open_for_training().get_shard(rank, world_size, equal="off")
        train = shard.to_xgboost(spec.input_cols, spec.label_col, **matrix_args)
        evals = []
        if spec.eval_set is not None:
            eval_shard = spec.eval_set.open_for_training().get_shard(rank, world_size, equal="off")
            evals.append(
                (eval_shard.to_xgboost(spec.input_cols, spec.label_col, ref=train, **matrix_args), "validation")
            )
        booster = xgboost.train(
            spec.params, train, num_boost_round=spec.num_boost_round, evals=evals, verbose_eval=spec.verbose_eval
        )
        return bytes(booster.save_raw("ubj")) if rank == 0 else None
