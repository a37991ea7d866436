"""fork(): a child keeps reading with the parent's connector; a 'fork' pool reads shards."""

import multiprocessing
import os
import signal
import time

import pytest

import sluice
from _util import read_ids

# set by the tests before forking; the pool's workers inherit it
_CONNECTOR = None


def _wait(pid, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"child {pid} hung (killed after {timeout}s)")


def test_read_in_parent_fork_read_in_child(ids_dataset):
    connector = sluice.DataConnector.from_sources(str(ids_dataset.root))
    expected = list(range(ids_dataset.total))
    # the parent has used the library (threads, runtime) before the fork
    assert read_ids(connector, batch_size=256) == expected
    shuffled = read_ids(connector, shuffle=True, seed=4, batch_size=300)
    second_shard = read_ids(connector, num_shards=2, shard_index=1)
    reader = connector.to_arrow(batch_size=100, columns=["id"])  # a stream open across the fork
    reader.read_next_batch()
    pid = os.fork()
    if pid == 0:  # child: any failure is an exit code, never an exception escaping into pytest
        code = 1
        try:
            ok = read_ids(connector, batch_size=256) == expected
            ok = ok and read_ids(connector, shuffle=True, seed=4, batch_size=300) == shuffled
            fresh = sluice.DataConnector.from_sources(str(ids_dataset.root))
            ok = ok and read_ids(fresh, num_shards=2, shard_index=1) == second_shard
            code = 0 if ok else 3
        except BaseException:
            code = 2
        finally:
            os._exit(code)
    status = _wait(pid)
    assert os.WIFEXITED(status), f"child died: status {status}"
    assert os.WEXITSTATUS(status) == 0, f"child exit code {os.WEXITSTATUS(status)} (3: wrong rows, 2: error)"
    # the parent still reads, including the stream it opened before the fork
    rest = [x for b in reader for x in b.column(0).to_pylist()]
    assert rest == expected[100:]
    assert read_ids(connector) == expected


def _read_shard(args):
    shard, n, options = args
    return read_ids(_CONNECTOR, num_shards=n, shard_index=shard, **options)


@pytest.mark.parametrize("options", [{}, dict(shuffle=True, seed=8, epoch=1)])
def test_fork_pool_reads_shards(ids_dataset, options):
    global _CONNECTOR
    _CONNECTOR = sluice.DataConnector.from_sources(str(ids_dataset.root))
    single = read_ids(_CONNECTOR, **options)  # used in the parent before the workers fork
    n = 4
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        result = pool.map_async(_read_shard, [(i, n, options) for i in range(n)])
        shards = result.get(timeout=60)
    assert [x for s in shards for x in s] == single
    _CONNECTOR = None


def _read_pickled(connector):
    return read_ids(connector, shuffle=True, seed=2)


def test_spawn_pool_gets_a_reopened_connector(ids_dataset):
    connector = sluice.DataConnector.from_sources(str(ids_dataset.root))
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        got = pool.apply_async(_read_pickled, (connector,)).get(timeout=120)
    assert got == _read_pickled(connector)
