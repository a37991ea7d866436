"""The size policy of snapshots (`snapshot_max_bytes`, docs/sources-from-streams.md): when a
snapshot is published, the least recently used others go until the rest fit."""

import os
import time
from pathlib import Path

import sluice
from _util import ids_table, read_ids

ROWS = 5000


def snapshot_dirs(root):
    return {p.name for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith(".")}


def bytes_under(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def publish(snapshots, **options):
    """A new snapshot in `snapshots`; returns its connector and its directory's name."""
    before = snapshot_dirs(snapshots) if snapshots.exists() else set()
    connector = sluice.DataConnector.from_dataframe(ids_table(0, ROWS), snapshot_dir=str(snapshots), **options)
    connector.snapshot()
    (name,) = snapshot_dirs(snapshots) - before
    return connector, name


def test_publishing_removes_the_least_recently_used_snapshots_over_max_bytes(tmp_path):
    snapshots = tmp_path / "snapshots"
    names = [publish(snapshots)[1] for _ in range(3)]
    size = bytes_under(snapshots / names[0])
    assert size > 0
    # used in the order middle, first, last (minutes ago: within snapshot_max_age)
    for name, minutes_ago in zip(names, (20, 30, 10)):
        used = time.time() - 60 * minutes_ago
        os.utime(snapshots / name, (used, used))

    # four snapshots of `size` bytes, a limit of 2.5: the two least recently used go
    connector, newest = publish(snapshots, snapshot_max_bytes=int(size * 2.5))
    assert snapshot_dirs(snapshots) == {names[2], newest}
    assert not (snapshots / f"{names[1]}.lock").exists()

    # a limit below the new snapshot's own size removes every other one, never the new one
    connector, newest = publish(snapshots, snapshot_max_bytes=1)
    assert snapshot_dirs(snapshots) == {newest}
    assert sorted(read_ids(connector, shuffle=True, seed=3)) == list(range(ROWS))


def test_without_a_limit_nothing_is_removed_by_size(tmp_path):
    snapshots = tmp_path / "snapshots"
    names = {publish(snapshots)[1] for _ in range(3)}
    assert snapshot_dirs(snapshots) == names
