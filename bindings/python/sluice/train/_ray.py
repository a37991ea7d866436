"""Ray for the trainers: connecting to the cluster, and `XGBEstimator`'s workers as Ray tasks joined by
XGBoost's own collective (`_ray_torch.py` runs `PyTorchTrainer` on Ray Train).

As with the elastic launcher (`_launch.py`), a trainer hands this a `program` (a callable of no
arguments, cloudpickled here into bytes, with the driver's `sys.path` put first in each worker so that
functions of the driver's modules resolve) and gets back each worker's return value. sluice must be
installed on every node (it is imported by reference there); each worker reads its shard with the
Rust core of its own process. Imported only for backend="ray", after require("ray").
"""

import os
import pickle
import sys
from typing import Any, Callable, Dict, List

import ray

from ._launch import TrainingFailedError, require


def connect(what: str, num_nodes: int = 1) -> int:
    """Connect this process to the Ray cluster (unless it is already), and return its number of alive
    nodes. `num_nodes` more than that is an error."""
    if not ray.is_initialized():
        # $RAY_ADDRESS, else a cluster `ray start` made on this machine, else a new local one
        ray.init()
    nodes = alive_nodes()
    if num_nodes > nodes:
        raise ValueError(
            f"sluice.train: {what}: ScalingConfig(num_nodes={num_nodes}), but the Ray cluster "
            f"({ray.get_runtime_context().gcs_address}) has {nodes} alive node(s)"
        )
    return nodes


def node_address() -> str:
    """This node's address in the Ray cluster."""
    return str(ray.util.get_node_ip_address())


def alive_nodes() -> int:
    return sum(1 for node in ray.nodes() if node.get("Alive"))


def _task_main(program: bytes, sys_path: List[str], env: Dict[str, str]) -> bytes:
    """The body of a Ray task of XGBEstimator: its environment for the run, then the program."""
    import cloudpickle

    sys.path[:0] = [path for path in sys_path if path not in sys.path]
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        return bytes(cloudpickle.dumps(pickle.loads(program)()))
    finally:  # a Ray worker process runs other tasks later
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_tasks(program: Callable[[], Any], *, nproc: int, num_cpus: int, num_gpus: int, what: str) -> List[Any]:
    """Run `program()` as `nproc` Ray tasks spread over the nodes, with torchrun's RANK, WORLD_SIZE and
    LOCAL_RANK; their return values by rank. The first task that fails cancels the others (a task
    waiting in a collective would wait forever) and raises `TrainingFailedError`."""
    require("cloudpickle", what)
    import cloudpickle

    pickled = cloudpickle.dumps(program)
    sys_path = [path for path in sys.path if path]
    task = ray.remote(_task_main).options(
        num_cpus=num_cpus, num_gpus=num_gpus, max_retries=0, scheduling_strategy="SPREAD"
    )
    # each task sees its own GPU as device 0 (Ray sets CUDA_VISIBLE_DEVICES)
    refs = [
        task.remote(pickled, sys_path, {"RANK": str(rank), "WORLD_SIZE": str(nproc), "LOCAL_RANK": "0"})
        for rank in range(nproc)
    ]
    results: Dict[int, bytes] = {}
    pending = list(refs)
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                rank = refs.index(ref)
                try:
                    results[rank] = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    raise _task_failure(exc, rank, nproc, what) from None
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
    return [pickle.loads(results[rank]) for rank in range(nproc)]


def _task_failure(exc: Exception, rank: int, nproc: int, what: str) -> TrainingFailedError:
    if isinstance(exc, ray.exceptions.RayTaskError):
        return TrainingFailedError(f"sluice.train: {what}: worker {rank} of {nproc} raised:\n{exc}", rank)
    return TrainingFailedError(
        f"sluice.train: {what}: worker {rank} of {nproc} died on Ray without raising (killed, out of memory, or its "
        f"node left the cluster); the other workers were stopped. Ray: {exc}",
        rank,
    )
