"""close() while other threads read: the native connector lives until its last call ends."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import sluice
from sluice._handle_guard import HandleGuard

# issue 9 item 1: threads read while the main thread closes the connector. Before the fix,
# close() freed the handle under a call in flight: a segfault or an abort within a few rounds.
# The address-space limit turns the garbage-sized allocations of a freed handle into a quick
# abort instead of minutes of swapping.
RACE = textwrap.dedent("""
    import resource, sys, threading
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    import sluice

    path, rounds = sys.argv[1], int(sys.argv[2])
    failures = []
    for _ in range(rounds):
        c = sluice.DataConnector.from_sources([path])

        def use():
            try:
                while True:
                    c.to_arrow(limit=5).read_all()
                    c.count_rows(limit=5)
            except ValueError as exc:
                if "closed" not in str(exc):
                    failures.append(repr(exc))
            except BaseException as exc:
                failures.append(repr(exc))

        threads = [threading.Thread(target=use) for _ in range(3)]
        [t.start() for t in threads]
        c.close()
        [t.join() for t in threads]
    print("failures:", failures)
    sys.exit(1 if failures else 0)
""")


def test_close_racing_reads_in_threads(parquet_dataset):
    env = dict(os.environ, PYTHONPATH=str(Path(sluice.__file__).parent.parent))
    run = subprocess.run(
        [sys.executable, "-c", RACE, str(parquet_dataset.files[0]), "80"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, f"exit status {run.returncode}\n{run.stdout}\n{run.stderr[-3000:]}"


def test_a_closing_handle_is_freed_by_its_last_user():
    freed = []
    guard = HandleGuard(42, freed.append, "sluice: this thing is closed")
    with guard.use() as first, guard.use() as second:
        assert first == second == 42
        guard.close()
        assert guard.closed and freed == []  # in use: not freed, and close() did not wait
        with pytest.raises(ValueError, match="this thing is closed"):
            with guard.use():
                pass
    assert freed == [42]
    guard.close()  # twice: nothing more
    assert freed == [42]


def test_a_call_in_another_thread_ends_before_the_free():
    freed, entered, leave = [], threading.Event(), threading.Event()
    guard = HandleGuard(7, freed.append, "closed")

    def call():
        with guard.use():
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=call)
    thread.start()
    entered.wait(10)
    guard.close()
    assert freed == []
    leave.set()
    thread.join()
    assert freed == [7]


def test_an_unused_connector_is_freed_at_close(parquet_dataset):
    connector = sluice.DataConnector.from_sources(str(parquet_dataset.files[0]))
    reader = connector.to_arrow(batch_size=100)
    connector.close()
    assert connector.closed and connector._guard._handle is None
    assert reader.read_all().num_rows == pq.ParquetFile(parquet_dataset.files[0]).metadata.num_rows
    with pytest.raises(ValueError, match="DataConnector is closed"):
        connector.schema


def test_a_forked_child_starts_with_no_users():
    # A thread in a call (or inside the guard's own lock) at the fork does not exist in the
    # child: the child must neither deadlock on the lock nor wait for that call forever.
    freed, entered, leave = [], threading.Event(), threading.Event()
    guard = HandleGuard(9, freed.append, "closed")

    def call():
        with guard.use():
            with guard._lock:
                entered.set()
                leave.wait(10)

    thread = threading.Thread(target=call)
    thread.start()
    entered.wait(10)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with guard.use() as handle:
                code = 0 if handle == 9 else 3
            guard.close()
            code = code or (0 if freed == [9] else 4)
        finally:
            os._exit(code)
    leave.set()
    thread.join()
    deadline = time.monotonic() + 20
    done, status = os.waitpid(pid, os.WNOHANG)
    while not done:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError("the forked child hung on the guard")
        time.sleep(0.02)
        done, status = os.waitpid(pid, os.WNOHANG)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child status {status}"
    guard.close()
    assert freed == [9]
