"""Ray Data: `to_ray_dataset` (a `ray.data.Dataset` whose read tasks are sluice shards) and
`from_ray_dataset` (a connector over a Ray dataset's Arrow batches).

`to_ray_dataset` never reads rows on the driver: its `Datasource` splits the read into N contiguous
shards of the plan (the core's `num_shards` / `shard_index`, `equal_shards="off"`: every row once),
and each Ray read task opens the connector from its description (sources and source options) and
reads its shard with the Rust core, in whichever Ray worker runs it. The blocks are pyarrow Tables of
the core's batches, one block per emitted Arrow batch: the core joins whole batches into chunks of
a little over Ray's target block size (`batches_per_chunk`; Ray would join smaller blocks and slice
larger ones, copying and cutting across batches), so that every column of a block is one
contiguous array (Ray's batcher copies blocks of many chunks before slicing them) and a block holds
a whole number of 65,536-row batches (a power-of-two `iter_torch_batches` size never spans two
blocks, except at a shard's end). A connector from a DataFrame or a query is described by its snapshot directory:
in a local directory its read tasks run on this node (`supports_distributed_reads`), in an object
store on any node. The number of tasks is `override_num_blocks`, else as many as give each task at
least 2^20 rows (a task decodes whole row groups, so small tasks would decode the rows at their edges
twice), at most two per CPU of the cluster. Ray is always told that number: otherwise it splits each
task's output into smaller blocks to reach its default parallelism.

Packed mode (`features=[...]`, `label=...`, as `to_torch_dataset`'s): the core packs the features
into its float32 matrix (`pack.rs`), and each block holds it as the tensor column `X`, Ray's
fixed-shape tensor extension (`ArrowTensorArray`, the matrix's buffer without a copy), next to the
label column: `iter_torch_batches` gives `X` as one (batch, n_features) tensor and the label as a
(batch,) tensor, instead of one tensor per column that the training loop must stack.

`from_ray_dataset` streams the dataset's Arrow batches (`iter_batches(batch_format="pyarrow")`) into
`from_dataframe`'s stream source: one ordered pass straight from Ray, a snapshot for the rest.
"""

import functools
import itertools
from typing import Any, Dict, Iterator, List, Optional

import numpy as np
import pyarrow as pa
import ray.data
from ray.data.block import BlockMetadata
from ray.data.datasource import Datasource, ReadTask

#: fewest rows worth a read task of its own: each opens the connector (its metadata is read again) and
#: decodes the whole row groups at its range's edges
_MIN_ROWS_PER_TASK = 1 << 20
#: the packed features' column in Ray's blocks
PACKED_COLUMN = "X"
#: X's dtypes: the core packs float32; the others are a cast of it in the read task
_PACKED_DTYPES = ("float32", "float16", "float64")
#: a block's size against Ray's target block size: inside the 1 to 1.5 that Ray's read operator leaves
#: whole, with room for the bytes that the estimate below leaves out (validity bitmaps)
_BLOCK_OVER_TARGET = 1.25
#: bytes a row of a variable-width column is guessed to take, for the rows of a block
_VARIABLE_WIDTH_GUESS = 32


class SluiceDatasource(Datasource):
    """The rows of a sluice connector, read as shards by Ray read tasks."""

    def __init__(
        self,
        sources: List[str],
        source_options: Dict[str, Any],
        read_options: Dict[str, Any],
        local_only: bool,
        num_tasks: Optional[int] = None,
        packed_dtype: Optional[str] = None,
    ) -> None:
        super().__init__()
        self._num_tasks = num_tasks
        self._sources = list(sources)
        self._source_options = dict(source_options)
        self._local_only = local_only
        self._packed_dtype = packed_dtype
        from ._connector import DataConnector

        # one look at the metadata: checks the sources and options now (packed mode: the features'
        # types too), not in every task, and gives the schema that sizes the blocks
        self._connector: Optional[DataConnector] = DataConnector._open(self._sources, self._source_options)
        with self._connector.to_arrow(**{**read_options, "limit": 0}) as probe:
            schema = probe.schema
        self._read_options = _block_options(dict(read_options), schema)
        self.total_rows = self._connector.count_rows(**self._read_options)

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
        shards = self._num_tasks or min(parallelism, -(-self.total_rows // _MIN_ROWS_PER_TASK))
        shards = max(1, min(shards, self.total_rows))
        tasks = []
        for index in range(shards):
            options = dict(self._read_options, num_shards=shards, shard_index=index, equal_shards="off")
            rows = self._count_rows(options)
            metadata = BlockMetadata(num_rows=rows, size_bytes=None, input_files=None, exec_stats=None)
            read = functools.partial(_read_shard, self._sources, self._source_options, options, self._packed_dtype)
            tasks.append(ReadTask(read, metadata, per_task_row_limit=per_task_row_limit))
        return tasks


def _block_options(read_options: Dict[str, Any], schema: pa.Schema) -> Dict[str, Any]:
    """The read options with `batches_per_chunk` (unless given) so that each emitted batch, one
    block, is a little over Ray's target block size: whole batches, each column one array. Ray's
    read operator passes a block of 1 to 1.5 times its target through as it is; it holds a smaller
    one back to join it with the next, and slices a larger one, either way at rows unrelated to the
    batches."""
    if "batches_per_chunk" in read_options:
        return read_options
    batch_size = int(read_options.get("batch_size") or 65536)
    target = ray.data.DataContext.get_current().target_max_block_size or (128 << 20)
    batch_bytes = (sum(_field_bytes(field.type) for field in schema) or 1) * batch_size
    chunk = int(_BLOCK_OVER_TARGET * target) // batch_bytes
    return dict(read_options, batch_size=batch_size, batches_per_chunk=max(1, chunk))


def _field_bytes(data_type: pa.DataType) -> int:
    """Bytes a value of this type takes in a decoded batch (variable width: a guess)."""
    if pa.types.is_fixed_size_list(data_type):
        return data_type.list_size * _field_bytes(data_type.value_type)
    try:
        return max(1, data_type.bit_width // 8)
    except ValueError:  # not fixed width
        return _VARIABLE_WIDTH_GUESS


def _read_shard(
    sources: List[str], source_options: Dict[str, Any], read_options: Dict[str, Any], packed_dtype: Optional[str]
) -> Iterator[pa.Table]:
    """One read task: the shard's emitted batches, one block each (packed: with `X`)."""
    from ._connector import DataConnector

    with DataConnector._open(sources, source_options) as connector, connector.to_arrow(**read_options) as reader:
        blocks = 0
        for batch in reader:
            yield _block(batch, packed_dtype)
            blocks += 1
        if not blocks:  # an empty shard is one empty block, with the schema
            yield _block(reader.schema.empty_table(), packed_dtype)


def _block(batch: Any, packed_dtype: Optional[str]) -> pa.Table:
    """A Ray block from an emitted batch; packed: the core's `features` column (a
    fixed_size_list<float32>[n], row-major) becomes the (rows, n) tensor column X."""
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    if packed_dtype is None:
        return table
    from ray.data.extensions import ArrowTensorArray

    column = table.column(0)
    features = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()  # one chunk: no copy
    width = features.type.list_size
    matrix = features.flatten().to_numpy(zero_copy_only=packed_dtype == "float32").reshape(len(features), width)
    if packed_dtype != "float32":
        matrix = matrix.astype(packed_dtype)
    return table.set_column(0, PACKED_COLUMN, ArrowTensorArray.from_numpy(matrix))


def to_ray_dataset(
    connector: Any, read_options: Dict[str, Any], override_num_blocks: Optional[int], dtype: Optional[Any] = None
) -> Any:
    """`connector.to_ray_dataset(**read_options)`."""
    from ._connector import in_object_store
    from ._dataset import default_label

    options = dict(read_options)
    packed_dtype = None
    if options.get("features") is not None:
        label = default_label(connector._label_cols(), options.get("label"), options["features"])
        if label is not None:
            options["label"] = label
        if label == PACKED_COLUMN:
            raise ValueError(
                f"sluice: to_ray_dataset: the label cannot be named {PACKED_COLUMN!r}, the packed features' column"
            )
        options["tensors"] = True  # packed mode's column policy, as to_torch_dataset's
        packed_dtype = _packed_dtype(dtype)
    elif options.get("label") is not None:
        raise ValueError(
            "sluice: label= is for packed mode and needs features=[...]; "
            "without features, name the label in columns=[...]"
        )
    elif dtype is not None:
        raise ValueError("sluice: dtype= is the dtype of packed mode's X and needs features=[...]")
    sources, source_options = connector._reopen_sources()  # a stream connector: its snapshot, made now
    datasource = SluiceDatasource(
        sources,
        source_options,
        options,
        # a stream's snapshot in a local directory is read on this node only; in an object store, anywhere
        local_only=connector._streams() and not in_object_store(sources[0]),
        num_tasks=override_num_blocks,
        packed_dtype=packed_dtype,
    )
    # Always name the number of tasks: without it Ray asks for its default parallelism (200 blocks) and
    # splits every task's output to get there (`SplitBlocks`), slicing the core's batches into blocks
    # that no power-of-two batch lines up with: its batcher then copies rows across blocks
    tasks = override_num_blocks or _default_num_tasks(datasource.total_rows)
    return ray.data.read_datasource(datasource, override_num_blocks=tasks)


def _default_num_tasks(rows: int) -> int:
    """Read tasks when the caller names none: at least 2^20 rows each, and at most two per CPU of the
    cluster (each task opens the connector and reads the metadata again)."""
    if not ray.is_initialized():
        ray.init()  # as read_datasource would, to learn the cluster's CPUs
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return max(1, min(-(-rows // _MIN_ROWS_PER_TASK), 2 * max(1, cpus)))


def _packed_dtype(dtype: Optional[Any]) -> str:
    """X's dtype name from None (float32), a name, a numpy dtype or a torch dtype."""
    if dtype is None:
        return "float32"
    try:
        name = np.dtype(dtype).name
    except TypeError:  # a torch dtype: torch.float32
        name = str(dtype).removeprefix("torch.")
    if name not in _PACKED_DTYPES:
        raise ValueError(f"sluice: to_ray_dataset: dtype must be one of {', '.join(_PACKED_DTYPES)}, not {dtype!r}")
    return name


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
