"""Connectors as they travel to the ranks: descriptions (sources, source options, equal), never data.

Each rank opens its own connector from the description, and its reads are done by the Rust core in
that rank. An in-memory table (a pandas DataFrame or a pyarrow Table) is written once, before the
ranks start, to a Parquet snapshot in a directory of the run, and travels as that file.
"""

import dataclasses
import os
from typing import Any, Dict, List, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from .._connector import DataConnector, ShardedDataConnector


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


def describe(name: str, value: Any, snapshot_dir: str) -> ConnectorDescription:
    """The description of `value` (a connector, a pandas DataFrame or a pyarrow Table) named `name`."""
    if isinstance(value, DataConnector):
        return ConnectorDescription(value.sources, dict(value._source_options), getattr(value, "_equal", "off"))
    table = _as_table(value)
    if table is None:
        raise TypeError(
            f"sluice.train: dataset {name!r} is a {type(value).__name__}; give a DataConnector or "
            "ShardedDataConnector (DataConnector.from_sources(...)), a pandas DataFrame or a pyarrow Table"
        )
    path = os.path.join(snapshot_dir, f"{len(os.listdir(snapshot_dir)):04d}-snapshot.parquet")
    pq.write_table(table, path)
    return ConnectorDescription([path], {}, "off")


def describe_all(dataset_map: Mapping[str, Any], snapshot_dir: str) -> Dict[str, ConnectorDescription]:
    if not isinstance(dataset_map, Mapping):
        raise TypeError(f"sluice.train: dataset_map must be a dict of name -> connector, not {type(dataset_map)}")
    return {str(name): describe(str(name), value, snapshot_dir) for name, value in dataset_map.items()}


def _as_table(value: Any) -> Any:
    if isinstance(value, pa.Table):
        return value
    if type(value).__module__.split(".")[0] == "pandas" and type(value).__name__ == "DataFrame":
        return pa.Table.from_pandas(value, preserve_index=False)
    return None
