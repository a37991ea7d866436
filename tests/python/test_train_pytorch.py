"""sluice.train.PyTorchTrainer: real ranks of torch's elastic launcher, gloo on loopback.

Each launch starts fresh Python processes that import torch (seconds each on 2 cores), so one run
checks many things: the script read from stdin runs every read option in one train_func.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

import sluice
from _util import ids_table, write_parquet

pytest.importorskip("torch")
pytest.importorskip("cloudpickle")

from sluice.train import (  # noqa: E402
    PyTorchTrainer,
    ScalingConfig,
    TrainingFailedError,
    WorkerResourceConfig,
    get_context,
    getContext,
)

#: rows of the data set: odd, so that two ranks cannot split it evenly
ROWS = 1001


@pytest.fixture(scope="module")
def odd_dataset(tmp_path_factory):
    """1001 rows whose `id` is the row's position, in three files of uneven row groups."""
    root = tmp_path_factory.mktemp("train_odd")
    for index, (start, n, rg) in enumerate([(0, 400, 130), (400, 1, 1), (401, 600, 170)]):
        write_parquet(root / f"part-{index}.parquet", ids_table(start, n), rg)
    return root


def _python_env():
    package_parent = os.path.dirname(os.path.dirname(sluice.__file__))
    return dict(os.environ, PYTHONPATH=os.pathsep.join([package_parent, os.environ.get("PYTHONPATH", "")]))


# The driver of this script is read from stdin, so train_func exists nowhere but in the pickle the
# ranks load. It runs every read option, counts each rank's steps and all-reduces them.
STDIN_SCRIPT = """
import json, sys
from sluice import DataConnector, ShardedDataConnector
from sluice.train import PyTorchTrainer, ScalingConfig, WorkerResourceConfig, get_context

# (batch_size, shuffle, drop_last_batch, DataLoader workers, DataLoader batch_size)
OPTIONS = [(64, False, False, 0, None), (64, True, True, 0, None), (50, True, False, 2, None),
           (64, False, True, 2, None), (None, True, False, 0, 32)]

def train_func():
    import torch, torch.distributed as dist
    from torch.utils.data import DataLoader
    dist.init_process_group()  # as written in the docs: the launcher set the environment
    context = get_context()
    datasets = context.get_dataset_map()
    shard = datasets["train"].get_shard()
    results = []
    for batch_size, shuffle, drop_last_batch, workers, loader_batch in OPTIONS:
        dataset = shard.to_torch_dataset(batch_size=batch_size, shuffle=shuffle, drop_last_batch=drop_last_batch,
                                         columns=["id"], squeeze=True, seed=3)
        loader = DataLoader(dataset, batch_size=loader_batch, num_workers=workers)
        steps, ids = 0, []
        for batch in loader:
            steps += 1
            ids.extend(batch["id"].reshape(-1).tolist())
        counts = torch.tensor([steps, -steps])
        dist.all_reduce(counts, op=dist.ReduceOp.MAX)
        everyone = [None] * dist.get_world_size()
        dist.all_gather_object(everyone, ids)
        results.append({"steps": steps, "max": int(counts[0]), "min": -int(counts[1]), "ids": everyone})
    context.report({"results": results})
    context.report({
        "rank": context.get_world_rank(), "world_size": context.get_world_size(),
        "local_rank": context.get_local_rank(), "local_world_size": context.get_local_world_size(),
        "node_rank": context.get_node_rank(), "device": context.get_default_device(),
        "backend": context.get_backend(), "hyper_params": context.get_hyper_params(),
        "model_dir": context.get_model_dir(), "whole": datasets["whole"].count_rows(),
        "pandas": datasets["pandas"].get_shard().to_pandas()["id"].tolist(),
        "equal": datasets["train"].get_shard().equal, "threads": torch.get_num_threads(),
    })
    return dist.get_rank() * 10

import pandas
trainer = PyTorchTrainer(train_func, scaling_config=ScalingConfig(
    num_nodes=1, num_workers_per_node=2,
    resource_requirements_per_worker=WorkerResourceConfig(num_cpus=1, num_gpus=0)))
result = trainer.run(
    dataset_map={"train": ShardedDataConnector.from_sources(sys.argv[1]),
                 "whole": DataConnector.from_sources(sys.argv[1]),
                 "pandas": pandas.DataFrame({"id": range(5)})},
    hyper_params={"lr": "0.1"}, artifact_dir=sys.argv[2])
print(json.dumps({"metrics": result.metrics_per_rank, "returned": result.return_values,
                  "model_dir": result.model_dir, "last": result.metrics}))
"""


def test_stdin_train_func_runs_equal_steps_on_every_rank(odd_dataset, tmp_path):
    result = subprocess.run(
        [sys.executable, "-", str(odd_dataset), str(tmp_path)],
        input=STDIN_SCRIPT,
        env=_python_env(),
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["returned"] == [0, 10]
    assert out["model_dir"] == str(tmp_path)
    per_rank = out["metrics"]
    # every rank ran the same number of steps under every option (DDP would hang otherwise)
    for option in range(5):
        runs = [rank_reports[0]["results"][option] for rank_reports in per_rank]
        assert {run["steps"] for run in runs} == {runs[0]["min"]} == {runs[0]["max"]}, (option, runs)
        ids = runs[0]["ids"]
        assert len(ids[0]) == len(ids[1]) and not set(ids[0]) & set(ids[1])
    # equal_shards="drop" by default: 500 rows each, every row but one read once when nothing is dropped
    no_drop = per_rank[0][0]["results"][0]["ids"]
    assert len(no_drop[0]) == 500 and len(set(no_drop[0]) | set(no_drop[1])) == ROWS - 1
    assert set(no_drop[0]) | set(no_drop[1]) <= set(range(ROWS))
    # shuffled, with DataLoader workers: rows spread over the ranks in another order, each read once
    shuffled = per_rank[0][0]["results"][2]["ids"]
    assert len(set(shuffled[0]) | set(shuffled[1])) == ROWS - 1 and shuffled[0] != no_drop[0]
    # row mode, DataLoader batches of 32: 500 rows -> 16 steps (the last one short)
    assert per_rank[0][0]["results"][4]["steps"] == 16
    for rank, reports in enumerate(per_rank):
        context = reports[1]
        assert context == {
            "rank": rank,
            "world_size": 2,
            "local_rank": rank,
            "local_world_size": 2,
            "node_rank": 0,
            "device": "cpu",
            "backend": "gloo",
            "hyper_params": {"lr": "0.1"},
            "model_dir": str(tmp_path),
            "whole": ROWS,
            "pandas": [[0, 1], [2, 3]][rank],  # a DataFrame travels as a snapshot file, sharded too
            "equal": "drop",
            "threads": 1,
        }
    assert out["last"] == per_rank[0][1]


def _raises_on_rank_one():
    import torch
    import torch.distributed as dist

    dist.init_process_group()
    if dist.get_rank() == 1:
        raise ValueError("rank one has a broken batch")
    dist.all_reduce(torch.zeros(1))  # rank 0 waits here for a rank that is gone


def _killed_on_rank_one():
    import signal
    import time

    if get_context().get_world_rank() == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(300)  # rank 0 would sleep past the test's timeout unless the launcher stops it


@pytest.mark.timeout(100)
def test_a_rank_that_raises_fails_the_run_with_its_traceback():
    with pytest.raises(TrainingFailedError) as failed:
        PyTorchTrainer(_raises_on_rank_one, ScalingConfig(num_workers_per_node=2)).run()
    message = str(failed.value)
    assert failed.value.rank == 1
    assert "PyTorchTrainer(_raises_on_rank_one): rank 1 of 2 raised" in message, message
    assert "ValueError: rank one has a broken batch" in message and "in _raises_on_rank_one" in message


@pytest.mark.timeout(100)
def test_a_rank_killed_by_sigkill_fails_the_run_in_bounded_time():
    import time

    start = time.monotonic()
    with pytest.raises(TrainingFailedError, match=r"rank 1 of 2 \(pid \d+\) was killed by signal SIGKILL") as failed:
        PyTorchTrainer(_killed_on_rank_one, ScalingConfig(num_workers_per_node=2)).run()
    assert failed.value.rank == 1
    assert time.monotonic() - start < 80  # start-up included; rank 0 alone would sleep 300 s


def test_configuration_errors_before_any_process_starts(odd_dataset):
    with pytest.raises(ValueError, match=r"num_nodes=2.*backend='torch'.*backend='ray'"):
        PyTorchTrainer(lambda: None, ScalingConfig(num_nodes=2, num_workers_per_node=1), backend="torch")
    assert PyTorchTrainer(lambda: None, ScalingConfig(num_nodes=2)).backend == "ray"  # several nodes: Ray
    with pytest.raises(ValueError, match=r"backend='mpi'"):
        PyTorchTrainer(lambda: None, backend="mpi")
    with pytest.raises(ValueError, match=r"num_workers_per_node=0"):
        ScalingConfig(num_workers_per_node=0)
    with pytest.raises(ValueError, match=r"num_gpus=2"):
        WorkerResourceConfig(num_gpus=2)
    with pytest.raises(TypeError, match=r"train_func must be a function"):
        PyTorchTrainer("train.py")  # type: ignore[arg-type]
    trainer = PyTorchTrainer(lambda: None, ScalingConfig(num_workers_per_node=1))
    with pytest.raises(TypeError, match=r"dataset 'train' is a DataShard"):
        trainer.run(dataset_map={"train": sluice.ShardedDataConnector.from_sources(str(odd_dataset)).get_shard(0, 2)})
    with pytest.raises(RuntimeError, match=r"only available inside a train_func"):
        get_context()
    assert getContext is get_context


def test_connectors_travel_as_descriptions(odd_dataset, tmp_path):
    from sluice.train._datasets import describe

    connector = sluice.ShardedDataConnector.from_sources(str(odd_dataset), equal="pad")
    description = describe("train", connector, str(tmp_path))
    assert description.sources == [str(odd_dataset)] and description.equal == "pad"
    import pickle

    assert len(pickle.dumps(description)) < 500  # sources and options, no rows
    reopened = description.open_for_training()
    assert reopened.get_shard(1, 2).equal == "pad"
    table = pa.table({"id": np.arange(7)})
    snapshot = describe("t", table, str(tmp_path))
    assert snapshot.open_for_training().to_arrow().read_all().equals(table)


def test_a_missing_extra_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "cloudpickle", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"PyTorchTrainer\(.*<lambda>\) needs cloudpickle.*sluice-data\[train\]"):
        PyTorchTrainer(lambda: None, ScalingConfig()).run()
