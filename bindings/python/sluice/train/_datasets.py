"""Connectors as they travel to the ranks: descriptions (sources, source options, equal), never data.

Each rank opens its own connector from the description, and its reads are done by the Rust core in
that rank. An in-memory table (a pandas DataFrame or a pyarrow Table) is written once, before the
ranks start, to a Parquet snapshot in a directory of the run, and travels as that file; a connector
built from a DataFrame or a query (`from_dataframe`, `from_sql`) travels as its own snapshot's
directory, made once, before the ranks start.

On a Ray cluster of several nodes, a rank may run on another machine: a snapshot must then be in an
object store (the source option `snapshot_dir="s3://..."`), or in a directory that every node mounts
at the same path, which the caller names as `shared_dir`. sluice
never guesses that a local path is shared; a snapshot outside `shared_dir` is an error that says so.
"""

import contextlib
import dataclasses
import os
import tempfile
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

import pyarrow as pa
import pyarrow.parquet as pq

from .._connector import DataConnector, ShardedDataConnector, in_object_store


@dataclasses.dataclass(frozen=True)
class ConnectorDescription:
    """What a rank needs to open the same connector: no rows, no handle."""

    sources: List[str]
    source_options: Dict[str, Any]
    equal: str

    def open_for_training(self) -> ShardedDataConnector:
        """The connector, sharded: `get_shard()` gives this rank's rows ($RANK of $WORLD_SIZE).
        Shards are equal ("drop") unless the connector asked for "pad": an "off" shard of a rank
        with fewer rows would end its loop early and leave the others waiting in a collective."""
        connector = ShardedDataConnector._open(self.sources, self.source_options)
        connector._equal = "pad" if self.equal == "pad" else "drop"
        return connector


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where the snapshots of a run go: `directory` (None: nowhere yet, see `nodes`), and how many
    nodes the ranks may run on (`nodes` > 1: only `shared_dir` is seen by all of them)."""

    directory: Optional[str]
    nodes: int = 1
    shared_dir: Optional[str] = None
    #: who is asked for shared_dir in errors ("PyTorchTrainer", "XGBEstimator")
    owner: str = "PyTorchTrainer"


@contextlib.contextmanager
def snapshot_placement(nodes: int, shared_dir: Optional[str], owner: str) -> Iterator[Placement]:
    """A directory for the run's snapshots, removed at the end: a local temporary one on one node,
    one under `shared_dir` on several (none when `shared_dir` is not given: a table is then an error)."""
    if nodes > 1 and shared_dir is None:
        yield Placement(None, nodes, None, owner)
        return
    with tempfile.TemporaryDirectory(prefix="sluice-snapshots-", dir=shared_dir if nodes > 1 else None) as directory:
        yield Placement(directory, nodes, shared_dir, owner)


def describe(name: str, value: Any, placement: Union[Placement, str]) -> ConnectorDescription:
    """The description of `value` (a connector, a pandas DataFrame or a pyarrow Table) named `name`.
    `placement`: where snapshots go (a plain directory: one node)."""
    if isinstance(placement, str):
        placement = Placement(placement)
    if isinstance(value, DataConnector):
        # a DataFrame's or a query's connector: its snapshot directory, made now, once for every rank
        sources, options = value._reopen_sources()
        if value._streams():
            _check_shared(name, sources[0], placement)
        return ConnectorDescription(sources, dict(options), getattr(value, "_equal", "off"))
    table = _as_table(value)
    if table is None:
        raise TypeError(
            f"sluice.train: dataset {name!r} is a {type(value).__name__}; give a DataConnector or "
            "ShardedDataConnector (DataConnector.from_sources(...)), a pandas DataFrame or a pyarrow Table"
        )
    if placement.directory is None:
        raise ValueError(
            f"sluice.train: dataset {name!r} is a {type(value).__name__}, which travels to the ranks as a "
            f"snapshot written before they start; the Ray cluster has {placement.nodes} nodes, and a local "
            "directory is not seen by the ranks of the other nodes. Give "
            f"{placement.owner}(shared_dir=...) a directory that every node mounts at the same path (NFS, a "
            "cluster filesystem), or write the rows to files on such a directory or an object store "
            "(s3://...) and pass DataConnector.from_sources(...)"
        )
    path = os.path.join(placement.directory, f"{len(os.listdir(placement.directory)):04d}-snapshot.parquet")
    pq.write_table(table, path)
    return ConnectorDescription([path], {}, "off")


def describe_all(dataset_map: Mapping[str, Any], placement: Union[Placement, str]) -> Dict[str, ConnectorDescription]:
    if not isinstance(dataset_map, Mapping):
        raise TypeError(f"sluice.train: dataset_map must be a dict of name -> connector, not {type(dataset_map)}")
    return {str(name): describe(str(name), value, placement) for name, value in dataset_map.items()}


def _check_shared(name: str, snapshot: str, placement: Placement) -> None:
    """On several nodes, a connector's snapshot must be under shared_dir."""
    if placement.nodes <= 1 or in_object_store(snapshot):  # every node reaches an object store
        return
    shared = placement.shared_dir
    if shared is not None and _is_within(snapshot, shared):
        return
    where = f"outside shared_dir {shared!r}" if shared is not None else "in a local directory"
    raise ValueError(
        f"sluice.train: dataset {name!r} is built from a DataFrame or a query, and travels to the ranks as "
        f"its snapshot {snapshot!r}, {where}; the Ray cluster has {placement.nodes} nodes, whose ranks cannot "
        "read a local directory of this one. Build the connector with the source option snapshot_dir= an "
        "object store URI (s3://...), or a directory that every node mounts at the same path, and give that "
        f"directory (or one above it) as {placement.owner}(shared_dir=...)"
    )


def _is_within(path: str, directory: str) -> bool:
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return os.path.commonpath([path, directory]) == directory


def _as_table(value: Any) -> Any:
    if isinstance(value, pa.Table):
        return value
    if type(value).__module__.split(".")[0] == "pandas" and type(value).__name__ == "DataFrame":
        return pa.Table.from_pandas(value, preserve_index=False)
    return None
