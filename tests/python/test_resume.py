"""Resume tokens from Python: iter_batches' position, the torch dataset's state_dict (batch and
row mode, DataLoader workers through torchdata's StatefulDataLoader), the policy for another
number of workers or shards, and real checkpoints: a training process killed with SIGKILL."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import sluice

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader  # noqa: E402
from torchdata.stateful_dataloader import StatefulDataLoader  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")

SHUFFLED = {"shuffle": True, "seed": 3, "shuffle_window": 700}


def test_iter_batches_position_resumes_with_the_same_batches(ids_connector):
    options = dict(batch_size=256, columns=["id"], **SHUFFLED)
    whole = [b["id"].ravel().tolist() for b in ids_connector.iter_batches(**options)]
    batches = ids_connector.iter_batches(**options)
    assert batches.position().startswith("sluice-pos-1:")
    for _ in range(7):
        next(batches)
    token = batches.position()
    batches.close()
    rest = [b["id"].ravel().tolist() for b in ids_connector.iter_batches(resume_from=token, **options)]
    assert rest == whole[7:]
    # The position at the end resumes to nothing.
    batches = ids_connector.iter_batches(**options)
    assert len(list(batches)) == len(whole)
    assert list(ids_connector.iter_batches(resume_from=batches.position(), **options)) == []


def test_a_token_from_another_read_is_refused_by_name(ids_connector):
    batches = ids_connector.iter_batches(batch_size=100, num_workers=2, worker_index=1, **SHUFFLED)
    next(batches)
    token = batches.position()
    # World-size change: refused, naming the old and new counts.
    with pytest.raises(sluice.SluiceError, match=r"worker 1 of 2\).*worker 1 of 3\).*refused") as info:
        ids_connector.iter_batches(batch_size=100, num_workers=3, worker_index=1, resume_from=token, **SHUFFLED)
    assert info.value.status == sluice.Status.INVALID_ARGUMENT
    with pytest.raises(sluice.SluiceError, match=r"shard 0 of 1 .* shard 0 of 2"):
        ids_connector.iter_batches(
            batch_size=100, num_workers=2, worker_index=1, num_shards=2, resume_from=token, **SHUFFLED
        )
    with pytest.raises(sluice.SluiceError, match=r"'epoch' \(token: 0, this read: 1\)"):
        ids_connector.iter_batches(
            batch_size=100, num_workers=2, worker_index=1, epoch=1, resume_from=token, **SHUFFLED
        )
    with pytest.raises(sluice.SluiceError, match="not a sluice resume token"):
        ids_connector.iter_batches(resume_from="step-7")


def items_ids(items):
    return [item["id"].reshape(-1).tolist() if isinstance(item, dict) else item for item in items]


@pytest.mark.parametrize("batch_size", [64, None], ids=["batches", "rows"])
def test_torch_dataset_state_dict_resumes_mid_epoch(ids_connector, batch_size):
    def dataset():
        return ids_connector.to_torch_dataset(batch_size=batch_size, columns=["id"], shuffle=True, seed=5)

    whole = items_ids(dataset())
    first = dataset()
    assert first.state_dict()["position"] is None
    iterator = iter(first)
    stop = 13 if batch_size else 1500  # mid-chunk: the core's chunks hold several batches
    head = items_ids(next(iterator) for _ in range(stop))
    state = first.state_dict()
    json.dumps(state)  # plain values
    iterator.close()
    second = dataset()
    second.load_state_dict(state)
    assert second.state_dict() == state
    assert head + items_ids(second) == whole
    # The next iteration after a resumed one starts at the beginning again.
    assert items_ids(second) == whole


def loader(dataset, workers, stateful=True):
    kind = StatefulDataLoader if stateful else DataLoader
    extra = dict(num_workers=workers, multiprocessing_context="fork") if workers else {}
    return kind(dataset, batch_size=None, **extra)


@pytest.mark.parametrize("workers", [0, 2])
def test_stateful_dataloader_restores_every_workers_position(ids_connector, workers):
    def dataset():
        return ids_connector.to_torch_dataset(batch_size=100, columns=["id"], **SHUFFLED)

    whole = [b["id"].reshape(-1).tolist() for b in loader(dataset(), workers, stateful=False)]
    first = loader(dataset(), workers)
    head = []
    for batch in first:
        head.append(batch["id"].reshape(-1).tolist())
        if len(head) == 9:
            break
    state = first.state_dict()
    del first
    second = loader(dataset(), workers)
    second.load_state_dict(state)
    rest = [b["id"].reshape(-1).tolist() for b in second]
    assert head + rest == whole


# --- real checkpoints: a training process killed with SIGKILL mid-epoch, then restarted ----------

TRAIN = r"""
import json, os, sys, time
import sluice
from torchdata.stateful_dataloader import StatefulDataLoader

root, checkpoint, cases = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
connector = sluice.DataConnector.from_sources(root)
loaders = []
for options in cases:  # one loader per case, trained in turns: one process start covers them all
    options = dict(options)
    workers = options.pop("workers")
    dataset = connector.to_torch_dataset(batch_size=50, columns=["id"], drop_last_batch=False, **options)
    fork = {"multiprocessing_context": "fork"} if workers else {}
    loaders.append(StatefulDataLoader(dataset, batch_size=None, num_workers=workers, **fork))
seen = [[] for _ in cases]
if os.path.exists(checkpoint):
    with open(checkpoint) as f:
        saved = json.load(f)
    seen = saved["seen"]
    for loader, state in zip(loaders, saved["loaders"]):
        loader.load_state_dict(state)
iterators = [iter(loader) for loader in loaders]
while any(it is not None for it in iterators):
    for i, it in enumerate(iterators):  # a "training step" of each case
        batch = next(it, None) if it is not None else None
        if batch is None:
            iterators[i] = None
            continue
        seen[i].extend(batch["id"].reshape(-1).tolist())
    # The rows trained on and the loaders' states, saved together.
    with open(checkpoint + ".tmp", "w") as f:
        json.dump({"seen": seen, "loaders": [loader.state_dict() for loader in loaders]}, f)
    os.replace(checkpoint + ".tmp", checkpoint)
    time.sleep(0.005)
with open(checkpoint + ".done", "w") as f:
    json.dump(seen, f)
"""

#: shuffle off and on, one shard of two, DataLoader workers, row mode
TRAIN_CASES = [
    {"workers": 0},
    {"workers": 2, "shuffle": True, "seed": 9, "num_shards": 2, "shard_index": 1},
    {"workers": 0, "shuffle": True, "seed": 4, "shuffle_window": 300, "num_shards": 3, "shard_index": 0},
]


def test_a_killed_training_process_resumes_from_its_checkpoint(ids_dataset, ids_connector, tmp_path):
    checkpoint = str(tmp_path / "checkpoint.json")
    command = [sys.executable, "-c", TRAIN, str(ids_dataset.root), checkpoint, json.dumps(TRAIN_CASES)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 120
    steps = 0
    while steps < 10 and time.monotonic() < deadline and process.poll() is None:  # mid-epoch
        time.sleep(0.02)
        if os.path.exists(checkpoint):
            with open(checkpoint) as f:
                steps = len(json.load(f)["seen"][0]) // 50
    assert process.poll() is None, "the training process ended before it was killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not os.path.exists(checkpoint + ".done")
    with open(checkpoint) as f:
        assert 10 <= len(json.load(f)["seen"][0]) // 50 < 100  # killed mid-epoch
    subprocess.run(command, env=env, check=True, timeout=240)
    with open(checkpoint + ".done") as f:
        seen = json.load(f)
    for case, rows in zip(TRAIN_CASES, seen):
        # The epoch (this shard's rows, in its order), each row exactly once.
        options = {key: value for key, value in case.items() if key != "workers"}
        expected = ids_connector.to_arrow(columns=["id"], **options).read_all()["id"].to_pylist()
        assert len(rows) == len(set(rows)) == len(expected), case
        assert sorted(rows) == sorted(expected), case
        assert rows == expected, case  # in the uninterrupted order too: workers interleave to the single reader
