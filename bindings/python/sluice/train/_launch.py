"""Run one Python callable in N processes on this machine, through PyTorch's elastic launcher
(or, for jobs that do not use torch.distributed, as plain child processes with the same environment).

The trainers hand this a `program` (a callable of no arguments) and get back each rank's return
value. The program travels by value: cloudpickle writes it to a private run directory (functions
and classes of `__main__`, a notebook cell or a script read from stdin included), and each rank is
a fresh `python -c` process, as torchrun starts them, that puts the driver's `sys.path` first, loads
the program and runs it. Fresh processes rather than fork: nothing of the driver's threads is
inherited, and a script without an `if __name__ == "__main__"` guard is not run again in each rank,
as multiprocessing's spawn would.

The elastic agent (torch.distributed.launcher.api.elastic_launch, one node, no restarts) sets
RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR and MASTER_PORT in every
rank, watches the processes, and when one fails (an exception or a signal) stops the others and
raises; the error names the failed rank with its traceback, or the signal that ended it.
"""

import dataclasses
import importlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from typing import Any, Callable, Dict, List, Optional

#: how long the agent waits for the other ranks to stop after a failure before it kills them
_SHUTDOWN_TIMEOUT_S = 5

#: the whole program of a rank process: sys.path and environment first, then the rank's code
_BOOTSTRAP = """\
import json, os, sys
run_dir = sys.argv[1]
with open(os.path.join(run_dir, "launch.json")) as f:
    launch = json.load(f)
sys.path[:0] = launch["sys_path"]
os.environ.update(launch["env"])
from sluice.train._launch import rank_main
rank_main(run_dir)
"""


class TrainingFailedError(RuntimeError):
    """A rank failed: it raised (the message carries its traceback) or was ended by a signal."""

    def __init__(self, message: str, rank: Optional[int] = None) -> None:
        super().__init__(message)
        #: the global rank that failed first, when known
        self.rank = rank


def run_ranks(
    program: Callable[[], Any],
    *,
    nproc: int,
    what: str,
    num_threads: int,
    launcher: str = "torch",
    env: Optional[Dict[str, str]] = None,
) -> List[Any]:
    """Run `program()` in `nproc` processes and return their return values, by rank.

    `launcher` "torch" starts them through torch's elastic launcher (what torch.distributed needs);
    "processes" as plain child processes with the same environment, for jobs whose collective is not
    torch's (XGBoost), so that they need no torch. `what` names the job in errors; `num_threads` sets
    OMP_NUM_THREADS and friends in each rank. Raises `TrainingFailedError` when a rank fails; the
    other ranks are stopped first.
    """
    require("cloudpickle", what)
    if launcher == "torch":
        require("torch", what)
    import cloudpickle

    run_dir = tempfile.mkdtemp(prefix="sluice-train-")  # mode 0700: the program may carry credentials
    try:
        with open(os.path.join(run_dir, "program.pkl"), "wb") as f:
            cloudpickle.dump(program, f)
        threads = str(num_threads)
        rank_env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, **(env or {})}
        with open(os.path.join(run_dir, "launch.json"), "w") as f:
            json.dump({"sys_path": [p for p in sys.path if p], "env": rank_env}, f)
        failures = _elastic_launch(nproc, run_dir) if launcher == "torch" else _launch_processes(nproc, run_dir)
        if failures:
            raise _failure(failures, run_dir, what, nproc)
        return [_load(os.path.join(run_dir, f"rank-{rank}.result")) for rank in range(nproc)]
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _elastic_launch(nproc: int, run_dir: str) -> Dict[int, Any]:
    """torchrun --standalone, in this process: the failed ranks' ProcessFailures, {} on success."""
    from torch.distributed.elastic.multiprocessing.api import DefaultLogsSpecs
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=nproc,
        run_id=f"sluice-{uuid.uuid4()}",
        rdzv_backend="c10d",
        rdzv_endpoint="127.0.0.1:0",  # a store on a free loopback port
        local_addr="127.0.0.1",
        max_restarts=0,
        monitor_interval=0.1,
        logs_specs=DefaultLogsSpecs(log_dir=os.path.join(run_dir, "logs")),
        shutdown_timeout=_SHUTDOWN_TIMEOUT_S,
    )
    try:
        elastic_launch(config, sys.executable)("-c", _BOOTSTRAP, run_dir)
    except ChildFailedError as failed:
        return dict(failed.failures)
    return {}


@dataclasses.dataclass(frozen=True)
class _ProcessFailure:
    """What `_failure` reads of a failed rank (the fields of torch's ProcessFailure it uses)."""

    pid: int
    exitcode: int
    timestamp: float


def _launch_processes(nproc: int, run_dir: str) -> Dict[int, Any]:
    """The ranks as child processes with torchrun's variables; at the first failure the others get
    SIGTERM, then SIGKILL after the shutdown timeout. The failed ranks, {} on success."""
    processes = []
    failures: Dict[int, Any] = {}
    try:
        for rank in range(nproc):
            variables = {"RANK": rank, "LOCAL_RANK": rank, "WORLD_SIZE": nproc, "LOCAL_WORLD_SIZE": nproc}
            env = dict(os.environ, GROUP_RANK="0", **{key: str(value) for key, value in variables.items()})
            processes.append(subprocess.Popen([sys.executable, "-c", _BOOTSTRAP, run_dir], env=env))
        while not failures and None in [process.poll() for process in processes]:  # polls every one
            time.sleep(0.1)
            for rank, process in enumerate(processes):
                if process.poll():
                    failures[rank] = _ProcessFailure(process.pid, process.returncode, time.time())
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + _SHUTDOWN_TIMEOUT_S
        for process in processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    if not failures:  # a rank that failed last, after the loop's final look
        for rank, process in enumerate(processes):
            if process.returncode:
                failures[rank] = _ProcessFailure(process.pid, process.returncode, time.time())
    return failures


def require(module: str, what: str) -> None:
    """Import `module`, or raise an ImportError naming the extra that installs it."""
    extra = "ray" if module == "ray" else "train"
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"sluice.train: {what} needs {module}, which is not installed ({exc}); "
            f"install it with `pip install 'sluice-data[{extra}]'` or `pip install {module}`"
        ) from exc


def rank_main(run_dir: str) -> None:
    """The body of a rank process: run the program, write its return value or its traceback."""
    import cloudpickle

    rank = os.environ["RANK"]
    try:
        with open(os.path.join(run_dir, "program.pkl"), "rb") as f:
            program = pickle.load(f)
        value = program()
    except BaseException:
        # Written whole, then renamed: a rank stopped while writing (the SIGTERM the launcher sends
        # the others when one fails) must not leave half a file for `_failure` to read.
        path = os.path.join(run_dir, f"rank-{rank}.error")
        with open(path + ".partial", "w") as f:
            # when it failed (a clock every process shares), for `_first_failure`, then the traceback
            f.write(f"{time.monotonic_ns()}\n{traceback.format_exc()}")
        os.replace(path + ".partial", path)
        raise
    with open(os.path.join(run_dir, f"rank-{rank}.result"), "wb") as f:
        cloudpickle.dump(value, f)


def _load(path: str) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)


def _failure(failures: Dict[int, Any], run_dir: str, what: str, nproc: int) -> TrainingFailedError:
    """The error of a failed run: the first rank that failed, with its traceback or its signal."""
    raised = {}
    for rank in range(nproc):
        path = os.path.join(run_dir, f"rank-{rank}.error")
        if os.path.exists(path):
            with open(path) as f:
                when, text = f.read().split("\n", 1)
            raised[rank] = (int(when), text)
    first = _first_failure(failures, raised)
    failure = failures.get(first)
    if first in raised:
        message = f"sluice.train: {what}: rank {first} of {nproc} raised:\n{raised[first][1]}"
    elif failure is not None and failure.exitcode < 0:
        name = _signal_name(-failure.exitcode)
        message = (
            f"sluice.train: {what}: rank {first} of {nproc} (pid {failure.pid}) was killed by signal {name} "
            "(out of memory, or killed from outside); the other ranks were stopped"
        )
    else:
        code = failure.exitcode if failure is not None else "unknown"
        message = f"sluice.train: {what}: rank {first} of {nproc} exited with status {code}"
    others = sorted(set(failures) - {first})
    if others:
        message += f"\n(also failed or stopped: rank {', '.join(map(str, others))})"
    return TrainingFailedError(message, first)


def _first_failure(failures: Dict[int, Any], raised: Dict[int, Any]) -> int:
    """The rank whose failure came first. The others usually fail because of it (a collective whose
    peer left raises too; the agent stops the rest with SIGTERM), so a rank killed by another signal
    comes first, then the earliest traceback."""
    killed = [rank for rank, failure in failures.items() if failure.exitcode < 0]
    killed.sort(key=lambda rank: (failures[rank].exitcode == -signal.SIGTERM, failures[rank].timestamp, rank))
    if killed and failures[killed[0]].exitcode != -signal.SIGTERM:
        return killed[0]
    if raised:
        return min(
            raised, key=lambda rank: (_lost_a_peer(raised[rank][1]), raised[rank][0], rank not in failures, rank)
        )
    if killed:
        return killed[0]
    return min(failures) if failures else 0


#: what a collective raises when another rank left it: a consequence, not a cause
_PEER_LOST = ("Connection closed by peer", "Connection reset by peer", "DistBackendError", "DistNetworkError")


def _lost_a_peer(traceback_text: str) -> bool:
    last_line = traceback_text.strip().splitlines()[-1] if traceback_text.strip() else ""
    return any(sign in last_line for sign in _PEER_LOST)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
