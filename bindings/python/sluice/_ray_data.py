"""Ray Data: `to_ray_dataset` (a `ray.data.Dataset` whose read tasks are sluice shards) and
`from_ray_dataset` (a connector over a Ray dataset's Arrow batches).

`to_ray_dataset` never reads rows on the driver: its `Datasource` splits the read into N contiguous
shards of the plan (the core's `num_shards` / `shard_index`, `equal_shards="off"`: every row once),
and each Ray read task opens the connector from its description (sources and source options) and
reads its shard with the Rust core, in whichever Ray worker runs it. The blocks are pyarrow Tables of
the core's batches. A connector from a DataFrame or a query is described by its snapshot directory:
in a local directory its read tasks run on this node (`supports_distributed_reads`), in an object
store on any node. The number of tasks is `override_num_blocks`, else Ray's parallelism with at least
2^20 rows a task: a task decodes whole row groups, so small tasks would decode the rows at their
edges twice.

`from_ray_dataset` streams the dataset's Arrow batches (`iter_batches(batch_format="pyarrow")`) into
`from_dataframe`'s stream source: one ordered pass straight from Ray, a snapshot for the rest.
"""

import functools
import itertools
from typing import Any, Dict, Iterator, List, Optional

import pyarrow as pa
import ray.data
from ray.data.block import BlockMetadata
from ray.data.datasource import Datasource, ReadTask

#: fewest rows worth a read task of its own: each opens the connector (its metadata is read again) and
#: decodes the whole row groups at its range's edges
_MIN_ROWS_PER_TASK = 1 << 20


class SluiceDatasource(Datasource):
    """The rows of a sluice connector, read as shards by Ray read tasks."""

    def __init__(
        self,
        sources: List[str],
        source_options: Dict[str, Any],
        read_options: Dict[str, Any],
        local_only: bool,
        num_tasks: Optional[int] = None,
    ) -> None:
        super().__init__()
        self._num_tasks = num_tasks
        self._sources = list(sources)
        self._source_options = dict(source_options)
        self._read_options = dict(read_options)
        self._local_only = local_only
        from ._connector import DataConnector

        # one look at the metadata: checks the sources and options now, not in every task
        self._connector: Optional[DataConnector] = DataConnector._open(self._sources, self._source_options)
        self._total_rows = self._connector.count_rows(**self._read_options)

    def __getstate__(self) -> Dict[str, Any]:
        return dict(self.__dict__, _connector=None)  # a description travels, never a handle

    def _count_rows(self, read_options: Dict[str, Any]) -> int:
        if self._connector is None:
            from ._connector import DataConnector

            self._connector = DataConnector._open(self._sources, self._source_options)
        return self._connector.count_rows(**read_options)

    def get_name(self) -> str:
        return "Sluice"

    def estimate_inmemory_data_size(self) -> Optional[int]:
        return None

    @property
    def supports_distributed_reads(self) -> bool:
        return not self._local_only

    def get_read_tasks(self, parallelism: int, per_task_row_limit: Optional[int] = None, **_: Any) -> List[ReadTask]:
        shards = self._num_tasks or min(parallelism, -(-self._total_rows // _MIN_ROWS_PER_TASK))
        shards = max(1, min(shards, self._total_rows))
        tasks = []
        for index in range(shards):
            options = dict(self._read_options, num_shards=shards, shard_index=index, equal_shards="off")
            rows = self._count_rows(options)
            metadata = BlockMetadata(num_rows=rows, size_bytes=None, input_files=None, exec_stats=None)
            read = functools.partial(_read_shard, self._sources, self._source_options, options)
            tasks.append(ReadTask(read, metadata, per_task_row_limit=per_task_row_limit))
        return tasks


def _read_shard(sources: List[str], source_options: Dict[str, Any], read_options: Dict[str, Any]) -> Iterator[pa.Table]:
    """One read task: the shard's batches, in tables of about Ray's target block size."""
    from ._connector import DataConnector

    target = ray.data.DataContext.get_current().target_max_block_size or (128 << 20)
    with DataConnector._open(sources, source_options) as connector, connector.to_arrow(**read_options) as reader:
        batches: List[pa.RecordBatch] = []
        size, blocks = 0, 0
        for batch in reader:
            batches.append(batch)
            size += batch.nbytes
            if size >= target:
                yield pa.Table.from_batches(batches, reader.schema)
                batches, size, blocks = [], 0, blocks + 1
        if batches or not blocks:  # an empty shard is one empty block, with the schema
            yield pa.Table.from_batches(batches, reader.schema)


def to_ray_dataset(connector: Any, read_options: Dict[str, Any], override_num_blocks: Optional[int]) -> Any:
    """`connector.to_ray_dataset(**read_options)`."""
    from ._connector import in_object_store

    sources, source_options = connector._reopen_sources()  # a stream connector: its snapshot, made now
    datasource = SluiceDatasource(
        sources,
        source_options,
        read_options,
        # a stream's snapshot in a local directory is read on this node only; in an object store, anywhere
        local_only=connector._streams() and not in_object_store(sources[0]),
        num_tasks=override_num_blocks,
    )
    return ray.data.read_datasource(datasource, override_num_blocks=override_num_blocks)


def ray_dataset_stream(dataset: Any) -> pa.RecordBatchReader:
    """The dataset's rows as one Arrow stream, batch after batch as Ray hands them out."""
    if not isinstance(dataset, ray.data.Dataset):
        raise TypeError(f"sluice: from_ray_dataset takes a ray.data.Dataset, not {type(dataset).__name__}")
    tables = iter(dataset.iter_batches(batch_format="pyarrow", batch_size=None))
    first = next(tables, None)
    if first is None:
        schema = dataset.schema()
        arrow_schema = getattr(schema, "base_schema", None)
        if not isinstance(arrow_schema, pa.Schema):
            raise ValueError("sluice: from_ray_dataset: the Ray dataset has no rows and no Arrow schema")
        return pa.RecordBatchReader.from_batches(arrow_schema, iter(()))
    schema = first.schema

    def batches() -> Iterator[pa.RecordBatch]:
        for table in itertools.chain([first], tables):
            if not table.schema.equals(schema):
                table = table.cast(schema)  # Ray may type a later block differently (nullability, metadata)
            yield from table.to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())
