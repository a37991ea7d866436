"""The option names of docs/options.md as TypedDicts, so that type checkers and IDEs complete them.

Every method that takes options as keyword arguments is annotated `**options: Unpack[ReadOptions]`
(or SourceOptions): a misspelt or unknown option is a type error, and the core still checks every
value when the read opens (an error naming the option). Values are what the core parses: bools,
numbers, str, and lists (JSON) for column lists; see `_options.option_value`.
"""

import datetime
import os
import sys
from typing import Any, Callable, Dict, List, Sequence, Union

if sys.version_info >= (3, 11):
    from typing import TypedDict, Unpack
else:  # Unpack in **kwargs (PEP 692) before 3.11: typing_extensions, a dependency on those versions
    from typing_extensions import TypedDict, Unpack

__all__ = [
    "AdapterOptions",
    "Columns",
    "Equal",
    "NumpyBatch",
    "PandasOptions",
    "Progress",
    "ReadOptions",
    "Source",
    "SourceOptions",
    "Sources",
    "Unpack",
    "XGBoostOptions",
]

#: one source: a path, a directory (read recursively), a glob or a URI (s3://, gs://, az://, http(s)://)
Source = Union[str, bytes, os.PathLike]
#: one source, or a sequence of them
Sources = Union[Source, Sequence[Source]]
#: column names: a list, or one comma-separated string
Columns = Union[str, Sequence[str]]
#: shards of equal length: "off", "drop", "pad", or Snowflake's bool (True = "drop", False = "off")
Equal = Union[bool, str]
#: one batch of iter_batches: {column: numpy.ndarray}; a ragged column read with ragged="values_offsets"
#: is a tuple (values, offsets) of arrays. The values are Any, not that union, so that using an array
#: needs no narrowing where the read has no ragged column.
NumpyBatch = Dict[str, Any]
#: `progress=`: True for a tqdm bar, or a function called as fn(rows_done, rows_total)
Progress = Union[bool, Callable[[int, int], object], None]


class SourceOptions(TypedDict, total=False):
    """Source options (docs/options.md, "Source options"): where the rows live."""

    csv_header: bool
    csv_delimiter: str
    csv_quote: str
    csv_infer_rows: int
    schema: str
    ndjson_unknown_keys: str
    coerce_int96_timestamp_unit: str
    endpoint: str
    region: str
    anonymous: bool
    allow_http: bool
    access_key_id: str
    secret_access_key: str
    session_token: str
    request_timeout: Union[int, float, str]
    connect_timeout: Union[int, float, str]
    max_retries: int
    retry_timeout: Union[int, float, str]
    version: int
    timestamp: Union[str, datetime.datetime]
    snapshot: str
    snapshot_dir: Union[str, "os.PathLike[str]"]
    snapshot_id: str
    snapshot_max_age: Union[int, float, str]
    snapshot_max_bytes: Union[int, str]


class _PolicyOptions(TypedDict, total=False):
    """The column policy of tensor mode (docs/options.md, "Tensor options")."""

    null_fill: Union[int, float, bool]
    null_mask: Columns
    ragged: str
    pad_length: int
    pad_value: Union[int, float]
    dictionary: str
    decimal: str


class _ReaderOptions(_PolicyOptions, total=False):
    """Memory, concurrency and shards: options every output passes to the core unchanged.

    `threads`, the former name of `fragments_in_flight`, is still accepted at run time."""

    shuffle_window: int
    memory_budget: Union[int, str]
    fragments_in_flight: int
    num_shards: int
    shard_index: int
    equal_shards: str
    fixed_options: List[str]


class AdapterOptions(_ReaderOptions, total=False):
    """The read options of to_torch_dataset and to_tf_dataset beyond their own keyword arguments."""

    limit: int


class XGBoostOptions(AdapterOptions, total=False):
    """The read options of to_xgboost beyond its own keyword arguments."""

    batch_size: int
    drop_last_batch: bool
    shuffle: bool
    seed: int
    epoch: int


class PandasOptions(_ReaderOptions, total=False):
    """Every read option but `limit` (to_pandas takes it as its own argument, as Snowflake's)."""

    columns: Columns
    features: Columns
    label: str
    batch_size: int
    batches_per_chunk: int
    drop_last_batch: bool
    exact_batches: bool
    shuffle: bool
    seed: int
    epoch: int
    num_workers: int
    worker_index: int
    worker_interleave: int
    tensors: bool
    resume_from: str


class ReadOptions(PandasOptions, total=False):
    """Read and tensor options (docs/options.md, "Read options" and "Tensor options")."""

    limit: int
