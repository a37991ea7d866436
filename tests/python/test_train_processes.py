"""The plain-process launcher of sluice.train (what XGBEstimator's workers run on): results by rank,
and a rank that raises or is killed fails the run quickly, with the others stopped."""

import os
import signal
import time

import pytest

pytest.importorskip("cloudpickle")

from sluice.train import TrainingFailedError  # noqa: E402
from sluice.train._launch import run_ranks  # noqa: E402


def _rank_and_threads():
    return int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), os.environ["OMP_NUM_THREADS"]


def _raise_on_rank_one():
    if os.environ["RANK"] == "1":
        raise KeyError("rank one lost its column")
    time.sleep(300)  # stopped by the launcher, or the test times out


def _kill_rank_one():
    if os.environ["RANK"] == "1":
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(300)


def test_every_rank_returns_its_value():
    assert run_ranks(_rank_and_threads, nproc=3, what="job", num_threads=2, launcher="processes") == [
        (0, 3, "2"),
        (1, 3, "2"),
        (2, 3, "2"),
    ]


@pytest.mark.timeout(60)
def test_a_rank_that_raises_stops_the_others():
    start = time.monotonic()
    with pytest.raises(TrainingFailedError, match=r"job: rank 1 of 2 raised:\n(.|\n)*KeyError: 'rank one lost") as e:
        run_ranks(_raise_on_rank_one, nproc=2, what="job", num_threads=1, launcher="processes")
    assert e.value.rank == 1 and time.monotonic() - start < 40


@pytest.mark.timeout(60)
def test_a_killed_rank_stops_the_others():
    start = time.monotonic()
    with pytest.raises(TrainingFailedError, match=r"job: rank 1 of 2 \(pid \d+\) was killed by signal SIGKILL"):
        run_ranks(_kill_rank_one, nproc=2, what="job", num_threads=1, launcher="processes")
    assert time.monotonic() - start < 40
