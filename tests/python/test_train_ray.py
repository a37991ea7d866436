"""sluice on a real Ray cluster of two nodes on 127.0.0.1: PyTorchTrainer through Ray Train's
TorchTrainer, XGBEstimator as Ray tasks, to_ray_dataset and from_ray_dataset.

The module starts the cluster once (a head `ray start --head` and a second `ray start --address=...`,
each a `--block` process of its own with one CPU, so that two one-CPU workers must run on both
nodes) and stops it at the end. Ray's workers import sluice from this source tree (PYTHONPATH) and
use the library SLUICE_LIBRARY names, as an installed sluice would be on every node.
"""

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray
import xgboost

import sluice
from _util import assert_table_equal, ids_table, write_parquet
from conftest import MOTO_KEY, MOTO_REGION, MOTO_SECRET, boto_client
from sluice.train import (
    PyTorchTrainer,
    ScalingConfig,
    TrainingFailedError,
    WorkerResourceConfig,
    XGBEstimator,
    XGBScalingConfig,
    get_context,
)

#: rows of the data set: odd, so that two ranks cannot split it evenly
ROWS = 1001
#: how long a Ray node may take to come up on a loaded machine
_START_TIMEOUT_S = 60


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def ray_cluster():
    """A head and a second node, one CPU each; this process is the driver. Yields the GCS address.

    Each node is a `ray start --block` process in a process group of its own, which the teardown
    ends (Ray's agents outlive a plain SIGTERM to `ray start`). Ray gives both nodes this machine's
    reachable address even when told 127.0.0.1; the driver connects through 127.0.0.1."""
    ray_cli = os.path.join(os.path.dirname(sys.executable), "ray")
    package_parent = os.path.dirname(os.path.dirname(sluice.__file__))
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_parent, tests_dir, os.environ.get("PYTHONPATH", "")]))
    temp_dir = tempfile.mkdtemp(prefix="sray-", dir="/tmp")  # Ray's socket paths must stay short
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--block", "--num-cpus=1", "--num-gpus=0", "--disable-usage-stats", "--object-store-memory=80000000"]
    commands = [
        [ray_cli, "start", "--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={temp_dir}", *common],
        [ray_cli, "start", f"--address={address}", *common, f"--dashboard-agent-listen-port={_free_port()}"],
    ]
    nodes = []
    try:
        nodes.append(_start_node(commands[0], env))
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:  # the head's GCS answers once it is up
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline and nodes[0].poll() is None, "the Ray head did not start"
                time.sleep(0.5)
        ray.init(address=address, logging_level=logging.WARNING)
        ray.data.DataContext.get_current().enable_progress_bars = False
        while sum(node["Alive"] for node in ray.nodes()) < 1:
            assert time.monotonic() < deadline and nodes[0].poll() is None, "the Ray head did not start"
            time.sleep(0.5)
        # only now: the second node names its sockets after the head's (plasma_store.1 ...), which must exist
        nodes.append(_start_node(commands[1], env))
        while sum(node["Alive"] for node in ray.nodes()) < 2:
            assert time.monotonic() < deadline and nodes[1].poll() is None, "the second Ray node did not join"
            time.sleep(0.5)
        yield address
    finally:
        ray.shutdown()
        for node in reversed(nodes):
            _stop_node(node)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _start_node(command, env):
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, start_new_session=True)


def _stop_node(node):
    """SIGTERM to the node's process group (ray start, its raylet, agents and workers), SIGKILL after 10 s."""
    for signal_number, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(node.pid, signal_number)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                os.killpg(node.pid, 0)
            except ProcessLookupError:
                node.wait()
                return
            node.poll()  # reaps `ray start` itself
            time.sleep(0.2)


@pytest.fixture(scope="module")
def odd_dataset(tmp_path_factory):
    """1001 rows whose `id` is the row's position, in three files of uneven row groups."""
    root = tmp_path_factory.mktemp("ray_odd")
    for index, (start, n, rg) in enumerate([(0, 400, 130), (400, 1, 1), (401, 600, 170)]):
        write_parquet(root / f"part-{index}.parquet", ids_table(start, n), rg)
    return root


def _train_on_both_nodes():
    """A train_func as a user writes it: its own process group, a few shuffled steps, reports."""
    import torch
    import torch.distributed as dist

    dist.init_process_group()  # torchrun's environment, set by sluice in the Ray worker
    context = get_context()
    datasets = context.get_dataset_map()
    shard = datasets["train"].get_shard()
    steps, ids, xs = 0, [], []
    for batch in shard.to_torch_dataset(
        batch_size=64, shuffle=True, drop_last_batch=False, seed=5, columns=["id", "x"], squeeze=True
    ):
        steps += 1
        ids.extend(batch["id"].tolist())
        xs.extend(batch["x"].tolist())
    counts = torch.tensor([steps, -steps])
    dist.all_reduce(counts, op=dist.ReduceOp.MAX)
    total = torch.tensor([len(ids)])
    dist.all_reduce(total)
    context.report(
        {
            "node": ray.get_runtime_context().get_node_id(),
            "rank": context.get_world_rank(),
            "world_size": context.get_world_size(),
            "steps": steps,
            "max_steps": int(counts[0]),
            "min_steps": -int(counts[1]),
            "total_rows": int(total[0]),
            "ids": ids,
            "xs": xs,
            "frame": datasets["frame"].get_shard().to_pandas()["v"].tolist(),
            "stream": sorted(datasets["stream"].get_shard().to_pandas()["v"].tolist()),
            "hyper_params": context.get_hyper_params(),
            "model_dir": context.get_model_dir(),
            "backend": context.get_backend(),
        }
    )
    return dist.get_rank() * 10


@pytest.mark.timeout(150)
def test_pytorch_trainer_runs_ranks_on_both_nodes(ray_cluster, odd_dataset, tmp_path):
    shared = tmp_path / "shared"  # both nodes are this machine: any directory is shared by them
    shared.mkdir()
    frame = pd.DataFrame({"v": np.arange(6, dtype=np.int64)})
    trainer = PyTorchTrainer(
        _train_on_both_nodes,
        ScalingConfig(num_nodes=2, num_workers_per_node=1, resource_requirements_per_worker=WorkerResourceConfig(1)),
        shared_dir=str(shared),
    )
    assert trainer.backend == "ray"  # several nodes: Ray, without asking
    result = trainer.run(
        dataset_map={
            "train": sluice.ShardedDataConnector.from_sources(str(odd_dataset)),
            "frame": frame,  # written once, as a snapshot under shared_dir
            "stream": sluice.DataConnector.from_dataframe(frame, snapshot_dir=str(shared / "snapshots")),
        },
        hyper_params={"lr": 0.5},
        artifact_dir=str(tmp_path / "model"),
    )
    assert result.return_values == [0, 10]
    reports = [rank_reports[-1] for rank_reports in result.metrics_per_rank]
    assert len({report["node"] for report in reports}) == 2, "the ranks ran on one node"
    expected = pq.read_table(odd_dataset).to_pandas().set_index("id")["x"]
    seen = []
    for rank, report in enumerate(reports):
        assert (report["rank"], report["world_size"], report["backend"]) == (rank, 2, "gloo")
        # equal shards: 500 rows each, 8 steps of 64 (the last one short) on both ranks
        assert report["steps"] == report["max_steps"] == report["min_steps"] == 8
        assert report["total_rows"] == 1000 and len(report["ids"]) == 500
        assert report["xs"] == expected.loc[report["ids"]].tolist()  # values as pyarrow reads them
        assert report["frame"] == [[0, 1, 2], [3, 4, 5]][rank]
        assert report["stream"] == [[0, 1, 2], [3, 4, 5]][rank]
        assert report["hyper_params"] == {"lr": 0.5}
        assert report["model_dir"] == str(tmp_path / "model")
        seen.extend(report["ids"])
    assert len(set(seen)) == 1000 and set(seen) <= set(range(ROWS))
    assert result.metrics == reports[0]
    assert not list(shared.glob("sluice-snapshots-*"))  # the run's snapshot directory is removed


def _report_stream_shard():
    import torch.distributed as dist

    dist.init_process_group()
    context = get_context()
    rows = context.get_dataset_map()["stream"].get_shard().to_pandas()["v"].tolist()
    context.report({"node": ray.get_runtime_context().get_node_id(), "rows": sorted(rows)})


@pytest.mark.timeout(120)
def test_a_snapshot_in_an_object_store_needs_no_shared_dir(ray_cluster, moto_server):
    """A DataFrame's snapshot in S3 (moto) reaches the ranks of both nodes without shared_dir."""
    bucket = "sluice-ray-snapshots"
    boto_client("s3", moto_server.endpoint).create_bucket(Bucket=bucket)
    store = dict(
        endpoint=moto_server.endpoint,
        allow_http=True,
        access_key_id=MOTO_KEY,
        secret_access_key=MOTO_SECRET,
        region=MOTO_REGION,
    )
    frame = pd.DataFrame({"v": np.arange(10, dtype=np.int64)})
    stream = sluice.DataConnector.from_dataframe(frame, snapshot_dir=f"s3://{bucket}/snaps", **store)
    trainer = PyTorchTrainer(_report_stream_shard, ScalingConfig(num_nodes=2, num_workers_per_node=1))
    result = trainer.run(dataset_map={"stream": stream})
    reports = [rank_reports[-1] for rank_reports in result.metrics_per_rank]
    assert len({report["node"] for report in reports}) == 2, "the ranks ran on one node"
    assert [report["rows"] for report in reports] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def _raises_on_rank_one():
    import torch
    import torch.distributed as dist

    dist.init_process_group()
    if dist.get_rank() == 1:
        raise ValueError("rank one has a broken batch")
    dist.all_reduce(torch.zeros(1))  # rank 0 waits here for a rank that is gone


@pytest.mark.timeout(120)
def test_a_failing_rank_fails_the_run_with_its_traceback(ray_cluster):
    trainer = PyTorchTrainer(_raises_on_rank_one, ScalingConfig(num_nodes=2, num_workers_per_node=1))
    with pytest.raises(TrainingFailedError) as failed:
        trainer.run()
    message = str(failed.value)
    assert failed.value.rank == 1
    assert "PyTorchTrainer(_raises_on_rank_one): rank 1 of 2 raised" in message, message
    assert "ValueError: rank one has a broken batch" in message and "in _raises_on_rank_one" in message


def test_a_local_snapshot_with_several_nodes_is_an_error(ray_cluster, tmp_path):
    trainer = PyTorchTrainer(lambda: None, ScalingConfig(num_nodes=2, num_workers_per_node=1))
    frame = pd.DataFrame({"v": [1, 2, 3]})
    with pytest.raises(ValueError, match=r"dataset 'train' is a DataFrame.*2 nodes.*PyTorchTrainer\(shared_dir=") as e:
        trainer.run(dataset_map={"train": frame})
    assert "local directory" in str(e.value)
    stream = sluice.DataConnector.from_dataframe(frame, snapshot_dir=str(tmp_path / "local"))
    (tmp_path / "shared").mkdir()
    shared = PyTorchTrainer(lambda: None, ScalingConfig(num_nodes=2), shared_dir=str(tmp_path / "shared"))
    with pytest.raises(
        ValueError, match=r"dataset 'rows' is built from a DataFrame.*outside shared_dir.*snapshot_dir="
    ):
        shared.run(dataset_map={"rows": stream})
    with pytest.raises(ValueError, match=r"num_nodes=3.*2 alive node"):
        PyTorchTrainer(lambda: None, ScalingConfig(num_nodes=3)).run()
    with pytest.raises(ValueError, match=r"num_nodes=2.*backend='torch'"):
        PyTorchTrainer(lambda: None, ScalingConfig(num_nodes=2), backend="torch")
    with pytest.raises(ValueError, match=r"dataset 'dataset' is a DataFrame.*XGBEstimator\(shared_dir="):
        XGBEstimator(backend="ray").fit(pd.DataFrame({"a": [1.0], "y": [0]}), ["a"], "y")


def _classification(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    logit = 2 * x[:, 0] - x[:, 1] + x[:, 2] * x[:, 0] + 0.5 * rng.normal(size=n)
    return pa.table({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": (logit > 0).astype(np.int64)})


@pytest.mark.timeout(120)
def test_xgb_estimator_on_ray_predicts_like_one_process(ray_cluster, tmp_path):
    train, held_out = _classification(2001, 1), _classification(800, 2)
    write_parquet(tmp_path / "train" / "part-0.parquet", train, 300)
    params = {"max_depth": 3, "eta": 0.3}
    estimator = XGBEstimator(
        n_estimators=15,
        objective="binary:logistic",
        params=params,
        scaling_config=XGBScalingConfig(num_workers=2, num_cpu_per_worker=1),
        backend="ray",
    )
    booster = estimator.fit(sluice.DataConnector.from_sources(str(tmp_path / "train")), ["a", "b", "c"], "label")
    assert booster.num_boosted_rounds() == 15
    frame = train.to_pandas()
    single = xgboost.train(
        {"objective": "binary:logistic", "nthread": 1, **params},
        xgboost.QuantileDMatrix(frame[["a", "b", "c"]], label=frame["label"]),
        num_boost_round=15,
    )
    test_x = xgboost.DMatrix(held_out.select(["a", "b", "c"]).to_pandas())
    labels = held_out.column("label").to_numpy()
    distributed = float(((booster.predict(test_x) > 0.5) == labels).mean())
    alone = float(((single.predict(test_x) > 0.5) == labels).mean())
    assert alone > 0.85 and abs(distributed - alone) <= 0.02, (distributed, alone)


def test_to_ray_dataset_reads_shards_in_ray_tasks(ray_cluster, odd_dataset, tmp_path):
    connector = sluice.DataConnector.from_sources(str(odd_dataset))
    dataset = connector.to_ray_dataset(override_num_blocks=3)
    expected = pq.read_table(odd_dataset)
    blocks = ray.get(dataset.to_arrow_refs())
    assert len(blocks) >= 3  # one task per shard, each a block at least
    assert_table_equal(pa.concat_tables(blocks).sort_by("id"), expected)
    # read options reach every task: columns, and one seeded shuffle over all of them (each row once)
    shuffled = connector.to_ray_dataset(columns=["id"], shuffle=True, seed=7, override_num_blocks=2)
    ids = [row["id"] for row in shuffled.take_all()]
    assert sorted(ids) == list(range(ROWS)) and ids != list(range(ROWS))
    # a DataFrame's connector: read from its snapshot, on this node
    frame = pd.DataFrame({"v": np.arange(50, dtype=np.int64)})
    from_frame = sluice.DataConnector.from_dataframe(frame, snapshot_dir=str(tmp_path)).to_ray_dataset()
    assert sorted(row["v"] for row in from_frame.take_all()) == list(range(50))


def test_to_ray_dataset_blocks_are_the_cores_batches_not_split_or_joined_by_ray(ray_cluster, odd_dataset):
    # Each block must stay one emitted batch (whole batches of batch_size rows): Ray would split the
    # one task's output into its default parallelism's 200 blocks unless told the number of tasks,
    # and would join blocks under its target block size and slice those over 1.5 times it
    context = ray.data.DataContext.get_current()
    saved = context.target_max_block_size
    context.target_max_block_size = 4096  # bytes: 512 rows of `id`, 8 batches of 64
    try:
        connector = sluice.DataConnector.from_sources(str(odd_dataset))
        blocks = ray.get(connector.to_ray_dataset(columns=["id"], batch_size=64).to_arrow_refs())
    finally:
        context.target_max_block_size = saved
    assert [block.num_rows for block in blocks] == [640, ROWS - 640]  # 10 batches: 1.25 times the target
    assert pa.concat_tables(blocks).column("id").to_pylist() == list(range(ROWS))


#: packed mode's features in `packed_dataset`: a float64, an int32 and a bool column
PACKED_FEATURES = ["a", "b", "flag"]


@pytest.fixture(scope="module")
def packed_dataset(tmp_path_factory):
    """300 rows in two files: `id` (the label), three numeric features and a text column."""
    root = tmp_path_factory.mktemp("ray_packed")
    ids = np.arange(300, dtype=np.int64)
    table = pa.table(
        {
            "id": ids,
            "a": np.sin(ids) * 1e3,  # float64 values that float32 rounds
            "b": (ids * 7 - 900).astype(np.int32),
            "flag": ids % 3 == 0,
            "s": [f"s{i}" for i in ids],
        }
    )
    write_parquet(root / "part-0.parquet", table.slice(0, 130), 50)
    write_parquet(root / "part-1.parquet", table.slice(130), 64)
    return root


def _expected_x(directory, dtype=np.float32):
    """The features as pyarrow reads them, one float32 row per id (packed mode's values), then `dtype`."""
    table = pq.read_table(directory).sort_by("id")
    columns = [table.column(name).to_numpy().astype(np.float32) for name in PACKED_FEATURES]
    return np.stack(columns, axis=1).astype(dtype), table.column("id").to_numpy()


def _torch_rows(batches, x_of):
    """(X, y) of all the batches, rows in id order."""
    import torch

    xs, ys = zip(*((x_of(batch), batch["id"]) for batch in batches))
    x, y = torch.cat(xs), torch.cat(ys)
    order = torch.argsort(y)
    return x[order].numpy(), y[order].numpy()


def test_packed_to_ray_dataset_gives_x_as_the_torch_dataset_and_read_parquet_do(ray_cluster, packed_dataset):
    import torch

    expected_x, expected_y = _expected_x(packed_dataset)
    connector = sluice.DataConnector.from_sources(str(packed_dataset))
    dataset = connector.to_ray_dataset(features=PACKED_FEATURES, label="id", override_num_blocks=2)
    batches = list(dataset.iter_torch_batches(batch_size=64))
    assert batches[0]["X"].shape == (64, 3) and batches[0]["X"].dtype == torch.float32
    assert batches[0]["id"].shape == (64,) and batches[0]["id"].dtype == torch.int64
    x, y = _torch_rows(batches, lambda batch: batch["X"])
    np.testing.assert_array_equal(y, expected_y)
    np.testing.assert_array_equal(x, expected_x)
    # the packed torch dataset's (X, y), and read_parquet's batches stacked as Ray's examples do
    packed = connector.to_torch_dataset(batch_size=64, features=PACKED_FEATURES, label="id", drop_last_batch=False)
    torch_x = torch.cat([item[0] for item in packed]).numpy()
    np.testing.assert_array_equal(torch_x, expected_x)
    by_ray = ray.data.read_parquet(str(packed_dataset), columns=PACKED_FEATURES + ["id"])
    x, y = _torch_rows(
        by_ray.iter_torch_batches(batch_size=64),
        lambda batch: torch.stack([batch[c] for c in PACKED_FEATURES], dim=1).to(torch.float32),
    )
    np.testing.assert_array_equal(y, expected_y)
    np.testing.assert_array_equal(x, expected_x)
    # dtype: X's dtype, a cast of the packed float32 values; a torch dtype names it too
    for dtype, numpy_dtype in [("float64", np.float64), (torch.float16, np.float16)]:
        cast = connector.to_ray_dataset(features=PACKED_FEATURES, label="id", dtype=dtype, override_num_blocks=2)
        x, y = _torch_rows(cast.iter_torch_batches(batch_size=100), lambda batch: batch["X"])
        assert x.dtype == numpy_dtype, (dtype, x.dtype)
        np.testing.assert_array_equal(x, _expected_x(packed_dataset, numpy_dtype)[0])


def test_packed_to_ray_dataset_keeps_shards_and_shuffle_and_names_bad_features(ray_cluster, packed_dataset):
    connector = sluice.DataConnector.from_sources(str(packed_dataset))
    expected_x, _ = _expected_x(packed_dataset)
    # one task per shard: three contiguous thirds of the rows, each its own block
    dataset = connector.to_ray_dataset(features=PACKED_FEATURES, label="id", override_num_blocks=3)
    blocks = ray.get(dataset.to_arrow_refs())
    shards = sorted((block.column("id")[0].as_py(), block.num_rows) for block in blocks)
    assert shards == [(0, 100), (100, 100), (200, 100)]
    # a seeded shuffle over all tasks: each row once, in another order, its X still its own
    shuffled = connector.to_ray_dataset(
        features=PACKED_FEATURES, label="id", shuffle=True, seed=7, override_num_blocks=2
    )
    rows = shuffled.take_all()
    ids = [row["id"] for row in rows]
    assert sorted(ids) == list(range(300)) and ids != list(range(300))
    np.testing.assert_array_equal(np.stack([row["X"] for row in rows]), expected_x[ids])
    # a text feature is the core's error naming it, raised when the dataset is made
    with pytest.raises(sluice.SluiceInvalidArgument, match=r"column 's' is Utf8, which cannot be packed"):
        connector.to_ray_dataset(features=["a", "s"], label="id")
    with pytest.raises(ValueError, match=r"label= is for packed mode and needs features"):
        connector.to_ray_dataset(label="id")
    with pytest.raises(ValueError, match=r"dtype must be one of float32, float16, float64, not 'int32'"):
        connector.to_ray_dataset(features=PACKED_FEATURES, dtype="int32")
    with pytest.raises(ValueError, match=r"dtype= is the dtype of packed mode's X and needs features"):
        connector.to_ray_dataset(dtype="float64")


def test_from_ray_dataset_streams_its_batches(ray_cluster):
    table = pa.table({"id": np.arange(300, dtype=np.int64), "s": [f"r{i}" for i in range(300)]})
    dataset = ray.data.from_arrow([table.slice(0, 120), table.slice(120)])
    connector = sluice.DataConnector.from_ray_dataset(dataset)
    assert_table_equal(connector.to_arrow().read_all(), table)
    sharded = sluice.ShardedDataConnector.from_ray_dataset(ray.data.from_arrow(table), equal="drop")
    shards = [sharded.get_shard(rank, 2).to_arrow().read_all() for rank in range(2)]
    assert_table_equal(pa.concat_tables(shards), table)
    with pytest.raises(TypeError, match=r"from_ray_dataset takes a ray.data.Dataset, not DataFrame"):
        sluice.DataConnector.from_ray_dataset(table.to_pandas())


def _killed_on_rank_one():
    import signal

    if get_context().get_world_rank() == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(300)  # rank 0 would sleep past any timeout unless Ray Train stops it


@pytest.mark.timeout(120)
def test_a_rank_killed_by_sigkill_fails_the_run_in_bounded_time(ray_cluster):
    start = time.monotonic()
    with pytest.raises(TrainingFailedError, match=r"rank 1 of 2 died on Ray without raising.*Ray: ") as failed:
        PyTorchTrainer(_killed_on_rank_one, ScalingConfig(num_nodes=2, num_workers_per_node=1)).run()
    assert failed.value.rank == 1
    assert time.monotonic() - start < 90  # Ray's health check finds it; rank 0 alone would sleep 300 s
