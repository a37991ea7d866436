"""`PyTorchTrainer` on Ray: its ranks as workers of Ray Train's `TorchTrainer`.

Ray Train places the workers (ScalingConfig: num_workers, resources_per_worker, PACK on one node,
SPREAD on several), watches them, and ends the run when one fails (FailureConfig(max_failures=0)).
Its usual torch backend would also make the process group; sluice's only agrees on MASTER_ADDR and
MASTER_PORT (rank 0's node and a free port there), and every worker gets torchrun's variables, so the
train_func's own `torch.distributed.init_process_group()` works as under torchrun. Ray Train keeps no
return values and only rank 0's metrics, so each worker hands its outcome (or its traceback) to a small
actor of the run, which the driver reads at the end. The program travels as in `_ray.py`.
"""

import dataclasses
import os
import pickle
import socket
import sys
import tempfile
import time
import traceback
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

import ray
from ray.train.backend import Backend
from ray.train.torch import TorchConfig

from ._config import WorkerResourceConfig
from ._launch import TrainingFailedError, _lost_a_peer, require


class _Outcomes:
    """The actor that keeps what each rank ended with: pickled return values, or tracebacks."""

    def __init__(self) -> None:
        self._values: Dict[int, bytes] = {}
        self._errors: Dict[int, Tuple[int, str]] = {}

    def done(self, rank: int, value: bytes) -> None:
        self._values[rank] = value

    def failed(self, rank: int, when_ns: int, text: str) -> None:
        self._errors[rank] = (when_ns, text)

    def values(self) -> Dict[int, bytes]:
        return self._values

    def errors(self) -> Dict[int, Tuple[int, str]]:
        return self._errors


def _master_address() -> Tuple[str, int]:
    """Rank 0's node address and a free port on it, for torch.distributed's store."""
    with socket.socket() as probe:
        probe.bind(("", 0))
        port = probe.getsockname()[1]
    return ray.util.get_node_ip_address(), port


def _set_master(address: str, port: int) -> None:
    os.environ["MASTER_ADDR"] = address
    os.environ["MASTER_PORT"] = str(port)


class _RendezvousBackend(Backend):
    """Ray Train's backend hooks: only agree on MASTER_ADDR and MASTER_PORT; the train_func makes (and
    sluice closes) the process group, as under torchrun."""

    share_cuda_visible_devices = True

    def on_start(self, worker_group: Any, backend_config: Any) -> None:
        address, port = worker_group.execute_single(0, _master_address)
        worker_group.execute(_set_master, address, port)


@dataclasses.dataclass
class _RendezvousTorchConfig(TorchConfig):
    @property
    def backend_cls(self) -> Any:
        return _RendezvousBackend


@dataclasses.dataclass(frozen=True)
class _WorkerConfig:
    program: bytes
    sys_path: List[str]
    env: Dict[str, str]
    outcomes: Any


def _torch_worker(config: Dict[str, Any]) -> None:
    """The loop of a Ray Train worker: torchrun's variables, then the program; its outcome to the actor."""
    import cloudpickle
    import ray.train

    worker: _WorkerConfig = config["worker"]
    sys.path[:0] = [path for path in worker.sys_path if path not in sys.path]
    context = ray.train.get_context()
    rank = context.get_world_rank()
    os.environ.update(worker.env)
    torchrun = {
        "RANK": context.get_world_rank(),
        "WORLD_SIZE": context.get_world_size(),
        "LOCAL_RANK": context.get_local_rank(),
        "LOCAL_WORLD_SIZE": context.get_local_world_size(),
        "GROUP_RANK": context.get_node_rank(),
        "NODE_RANK": context.get_node_rank(),
    }
    os.environ.update({key: str(value) for key, value in torchrun.items()})
    try:
        value = pickle.loads(worker.program)()
    except BaseException:
        ray.get(worker.outcomes.failed.remote(rank, time.time_ns(), traceback.format_exc()))
        raise
    ray.get(worker.outcomes.done.remote(rank, cloudpickle.dumps(value)))


def run_torch_workers(
    program: Callable[[], Any],
    *,
    num_workers: int,
    resources: WorkerResourceConfig,
    spread: bool,
    storage_dir: Optional[str],
    what: str,
) -> List[Any]:
    """Run `program()` on `num_workers` workers of Ray Train's TorchTrainer; their return values by rank."""
    require("cloudpickle", what)
    require("torch", what)
    import cloudpickle
    from ray.train import FailureConfig, RunConfig, ScalingConfig
    from ray.train import TrainingFailedError as RayTrainingFailed
    from ray.train.torch import TorchTrainer

    outcomes = ray.remote(num_cpus=0)(_Outcomes).remote()
    threads = str(resources.num_cpus)
    worker = _WorkerConfig(
        program=cloudpickle.dumps(program),
        sys_path=[path for path in sys.path if path],
        env={"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads},
        outcomes=outcomes,
    )
    per_worker = {
        "CPU": float(resources.num_cpus),
        **({"GPU": float(resources.num_gpus)} if resources.num_gpus else {}),
    }
    # Ray Train's own files (no checkpoints are reported): removed with the run
    with tempfile.TemporaryDirectory(prefix="sluice-ray-train-", dir=storage_dir) as storage:
        trainer = TorchTrainer(
            _torch_worker,
            train_loop_config={"worker": worker},
            torch_config=_RendezvousTorchConfig(),
            scaling_config=ScalingConfig(
                num_workers=num_workers,
                use_gpu=bool(resources.num_gpus),
                resources_per_worker=per_worker,
                placement_strategy="SPREAD" if spread else "PACK",
            ),
            run_config=RunConfig(
                name=f"sluice-{uuid.uuid4().hex[:12]}",
                storage_path=storage,
                failure_config=FailureConfig(max_failures=0),
            ),
        )
        try:
            trainer.fit()
        except RayTrainingFailed as failed:
            raise _failure(failed, ray.get(outcomes.errors.remote()), what, num_workers) from None
        values = ray.get(outcomes.values.remote())
        ray.kill(outcomes)
    missing = sorted(set(range(num_workers)) - set(values))
    if missing:
        raise TrainingFailedError(
            f"sluice.train: {what}: rank {missing[0]} of {num_workers} gave no result", missing[0]
        )
    return [pickle.loads(values[rank]) for rank in range(num_workers)]


def _failure(failed: Exception, errors: Dict[int, Tuple[int, str]], what: str, n: int) -> TrainingFailedError:
    """The error of a failed run: the rank whose traceback came first (not a collective's "peer left"),
    else the rank Ray saw die (killed, out of memory, its node lost)."""
    if errors:
        rank = min(errors, key=lambda r: (_lost_a_peer(errors[r][1]), errors[r][0], r))
        return TrainingFailedError(f"sluice.train: {what}: rank {rank} of {n} raised:\n{errors[rank][1]}", rank)
    worker_failures: Dict[int, Exception] = getattr(failed, "worker_failures", None) or {}
    if worker_failures:
        rank = min(worker_failures)
        lines = str(worker_failures[rank]).strip().splitlines()
        cause = lines[0] if lines else repr(worker_failures[rank])
        return TrainingFailedError(
            f"sluice.train: {what}: rank {rank} of {n} died on Ray without raising (killed, out of memory, or its "
            f"node left the cluster); the other ranks were stopped. Ray: {cause}",
            rank,
        )
    return TrainingFailedError(f"sluice.train: {what}: Ray Train failed: {failed}")
