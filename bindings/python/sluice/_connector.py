"""DataConnector, ShardedDataConnector and the objects they hand out.

Everything here is a thin layer over the C API: options become key/value
strings, reads become Arrow C streams pulled by `_stream.py`. The core decides
which rows come out, in which order; nothing here looks at the data except the
numpy type mapping of `iter_batches` and the pandas conversion of `to_pandas`.
"""

import contextlib
import ctypes
import logging
import os
import re
import warnings
import weakref
from typing import (
    TYPE_CHECKING,
    Any,
    ContextManager,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    cast,
)

import pyarrow as pa

from . import _lib
from ._dataframe import open_stream_connector, snapshot_path
from ._errors import Status, error_for
from ._handle_guard import HandleGuard
from ._logging import sync_level
from ._numpy import batch_converter
from ._options import encode, option_items
from ._pandas import frame_from_read, needs_pyarrow_conversion, reader_to_pandas
from ._progress import ProgressReport, logger, progress_report
from ._stream import _OwnedStream, import_positioned_stream, import_stream
from ._types import (
    AdapterOptions,
    Columns,
    Equal,
    NumpyBatch,
    PandasOptions,
    Progress,
    ReadOptions,
    SourceOptions,
    Sources,
    Unpack,
    XGBoostOptions,
)

if TYPE_CHECKING:  # the frameworks are optional: only type checkers import them here
    import pandas as pd
    import tensorflow as tf
    import xgboost

    from ._torch import SluiceTorchDataset

_lib_handle = _lib.lib

_Connector = TypeVar("_Connector", bound="DataConnector")

_RELEASE_SCHEMA = ctypes.CFUNCTYPE(None, ctypes.POINTER(_lib.ArrowSchema))


def _check(status: int, error: ctypes.c_void_p) -> None:
    """Raise the core's error if `status` is not SLUICE_OK (frees the error)."""
    if status == Status.OK:
        return
    if error.value:
        try:
            message = _lib_handle.sluice_error_message(error).decode("utf-8", "replace")
            error_status = _lib_handle.sluice_error_status(error)
        finally:
            _lib_handle.sluice_error_free(error)
            error.value = None
    else:
        message = f"sluice: the call failed with status {status} and no message"
        error_status = status
    raise error_for(status if status else error_status, message)


def _new_error() -> ctypes.c_void_p:
    return ctypes.c_void_p()


def _set_options(new: Any, free: Any, setter: Any, options: Any) -> Any:
    """A new option handle holding `options`; the caller frees it with `free`."""
    handle = new()
    if not handle:
        raise MemoryError("sluice: could not allocate an options handle")
    try:
        for key, value in option_items(options):
            error = _new_error()
            _check(setter(handle, key, value, ctypes.byref(error)), error)
    except BaseException:
        free(handle)
        raise
    return handle


def _sources_list(paths_or_uris: Sources) -> List[str]:
    if isinstance(paths_or_uris, (str, bytes, os.PathLike)):
        paths_or_uris = [paths_or_uris]
    else:
        _refuse_in_memory(paths_or_uris)
    sources = []
    for item in paths_or_uris:
        if isinstance(item, bytes):
            item = item.decode("utf-8")
        elif isinstance(item, os.PathLike):
            item = os.fspath(item)
        if not isinstance(item, str):
            _refuse_in_memory(item)
            raise TypeError(f"sluice: a source must be a str or path, not {type(item).__name__}")
        sources.append(item)
    return sources


#: how to turn an in-memory table of each library into files sluice reads
_WRITE_IT_OUT = {
    "pandas": 'df.to_parquet("train.parquet")',
    "polars": 'df.write_parquet("train.parquet")',
    "pyarrow": 'pyarrow.parquet.write_table(table, "train.parquet")',
}


def _refuse_in_memory(value: object) -> None:
    """Raise a TypeError saying what to call instead when `value` is a DataFrame, an Arrow table or a
    Snowpark object rather than paths: iterating one would take its column names for file paths."""
    kind = type(value)
    library = kind.__module__.split(".")[0]
    what = f"{library}.{kind.__name__}" if library != "builtins" else kind.__name__
    if library == "snowflake" or hasattr(value, "queries") or (hasattr(value, "sql") and hasattr(value, "table")):
        raise TypeError(
            f"sluice: a {what} (a Snowpark session or DataFrame) is not a source: sluice reads files, not Snowflake "
            "queries. Unload the table to Parquet on an object store (COPY INTO @stage/prefix/ ... "
            "FILE_FORMAT = (TYPE = PARQUET), or df.write.copy_into_location(...)), then call "
            'DataConnector.from_sources("s3://bucket/prefix/") (docs/migrating-from-snowflake.md)'
        )
    in_memory = (
        library in _WRITE_IT_OUT
        or hasattr(value, "__arrow_c_stream__")
        or hasattr(value, "__dataframe__")
        or (hasattr(value, "columns") and hasattr(value, "dtypes"))
    )
    if in_memory:
        raise TypeError(
            f"sluice: a {what} is not a source for from_sources, which takes paths, directories, globs or URIs "
            "of Parquet, Arrow IPC, CSV or NDJSON files. In-memory tables (DataFrames, Arrow tables, "
            "__arrow_c_stream__ objects) are read with DataConnector.from_dataframe(df) "
            "(docs/sources-from-streams.md)"
        )


def _refuse_snowpark(value: object) -> None:
    """Raise `_refuse_in_memory`'s TypeError for a Snowpark session or DataFrame (not a stream of rows)."""
    if (
        type(value).__module__.split(".")[0] == "snowflake"
        or hasattr(value, "queries")
        or (hasattr(value, "sql") and hasattr(value, "table"))
    ):
        _refuse_in_memory(value)


#: option values never written to the log
_SECRET_OPTIONS = ("access_key_id", "secret_access_key", "session_token")


def _loggable_options(options: Mapping[str, object]) -> Dict[str, object]:
    return {key: "***" if key in _SECRET_OPTIONS else value for key, value in options.items()}


def _loggable_source(uri: str) -> str:
    """A URI without the password it may carry (scheme://user:password@host/...) nor its query
    values (pre-signed URL signatures, SAS tokens), as the core redacts its messages."""
    uri = re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^/@:]*):[^/@]*@", r"\1:***@", uri)
    if "://" not in uri or "?" not in uri:
        return uri
    path, query = uri.split("?", 1)
    # a part without '=' stays: it may be a glob's '?' wildcard
    return path + "?" + "&".join(re.sub(r"=.*", "=***", part, flags=re.S) for part in query.split("&"))


def in_object_store(location: str) -> bool:
    """Whether a snapshot or source location is an object-store URI (`s3://...`), which every
    machine reaches, rather than a local path."""
    scheme, separator, _ = location.partition("://")
    return bool(separator) and scheme.lower() != "file"


class _Reads:
    """The read API shared by connectors, shards and streams.

    `_option_layers(read_options)` gives the options of one read in layers: a shard's
    options, a bound stream's, then the read's own. The core merges them by one rule
    (read option `fixed_options`, docs/options.md): every layer but the last is fixed,
    and setting a fixed option again is an error naming it.
    """

    def _use_connector(self) -> ContextManager[int]:
        """A context manager giving the open connector's handle, kept alive until it exits."""
        raise NotImplementedError

    def _option_layers(self, read_options: Mapping[str, Any]) -> List[Dict[str, Any]]:
        return [dict(read_options)]

    def _streams(self) -> bool:
        """Whether the rows come from a stream (`from_dataframe`) rather than files."""
        return False

    def _prepare_for_workers(self) -> None:
        """Called before the rows are handed to DataLoader workers (see DataConnector's)."""

    def _label_cols(self) -> List[str]:
        """A dataset version's label_cols: the default label of packed reads (see DataConnector's)."""
        return []

    def _read_option_items(self, read_options: Mapping[str, Any]) -> List[Tuple[str, Any]]:
        """(key, value) pairs for the core, in order: each fixed layer, then `fixed_options`
        naming its keys, then the read's options."""
        layers = self._option_layers(read_options)
        items: List[Tuple[str, Any]] = []
        for layer in layers[:-1]:
            fixed = {key: value for key, value in layer.items() if value is not None}
            items.extend(fixed.items())
            if fixed:
                items.append(("fixed_options", list(fixed)))
        items.extend(layers[-1].items())
        return items

    def to_arrow(self, **read_options: Unpack[ReadOptions]) -> pa.RecordBatchReader:
        """A new `pyarrow.RecordBatchReader` over the rows (read options: docs/options.md)."""
        items = self._read_option_items(read_options)
        logger.debug("sluice: opening a read of %r with options %s", self, items)
        with self._use_connector() as connector:
            return _open_stream(connector, items)

    def stream(self, **read_options: Unpack[ReadOptions]) -> "BoundRead":
        """An object with `__arrow_c_stream__` (and the same reads) that remembers `read_options`."""
        return BoundRead(self, read_options)

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        """Arrow PyCapsule stream protocol: a new stream over all rows with default read options."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    def iter_batches(
        self, *, squeeze: bool = False, progress: Progress = None, **read_options: Unpack[ReadOptions]
    ) -> "ResumableBatches":
        """An iterator of batches as {column: numpy.ndarray}, by the column policy (docs/design.md).

        The read runs in tensor mode (`tensors=true`): the core applies the policy (decimals,
        dates, nulls, ragged lists: see the read options null_fill, null_mask, decimal, ragged)
        and this only maps types (see `_numpy.py`). Scalar columns have the shape (batch, 1),
        or (batch,) with `squeeze=True`; fixed_size_list columns (batch, k); a ragged list
        read with ragged="values_offsets" is a tuple (values, offsets). Numbers are read-only
        views of the Arrow buffers (zero-copy). The stream is opened now, so bad options
        raise here rather than at the first batch. `progress=True` shows a tqdm bar of the
        rows, a function is called as `progress(rows_done, rows_total)` after each batch.

        Resuming: the iterator's `position()` is a resume token (a string) after the batches it
        gave so far; `iter_batches(resume_from=token, **the same options)` gives the rest.
        """
        report = self._progress(progress, "iter_batches", {**read_options, "tensors": True})
        reader, stream = self._positioned_tensor_arrow(read_options)
        return ResumableBatches(_numpy_batches(reader, squeeze, report), stream)

    def to_numpy(
        self, *, squeeze: bool = False, progress: Progress = None, **read_options: Unpack[ReadOptions]
    ) -> Iterator[NumpyBatch]:
        """`iter_batches` under the name of other loaders: batches as {column: numpy.ndarray}."""
        return self.iter_batches(squeeze=squeeze, progress=progress, **read_options)

    def to_pandas(
        self, limit: Optional[int] = None, *, progress: Progress = None, **read_options: Unpack[PandasOptions]
    ) -> "pd.DataFrame":
        """All rows (at most `limit`) as a pandas DataFrame.

        The core's decoding threads write the numeric, bool and timestamp columns straight
        into the DataFrame's blocks, so the whole Arrow table never exists next to the
        DataFrame (see `_pandas.py`); other columns are converted by pyarrow, and every
        dtype is pyarrow's. `progress=True` shows a tqdm bar of the rows, a function is
        called as `progress(rows_done, rows_total)`.
        """
        options: Dict[str, Any] = dict(read_options)
        if limit is not None:
            options["limit"] = limit
        if progress in (None, False) and self._streams():
            # counting a stream's rows would make its snapshot: the core decides what this pass reads.
            # A frame has no batches: the source's own batches save the copy that re-cutting makes,
            # and each is copied into the frame's growing columns while the core reads the next.
            exact = {} if options.get("drop_last_batch") or "resume_from" in options else {"exact_batches": False}
            with self.to_arrow(**{**exact, **options}) as reader:
                return reader_to_pandas(reader)
        rows = self.count_rows(**options)
        logger.info("sluice: to_pandas of %r: %d rows planned", self, rows)
        items = self._read_option_items(options)
        report = progress_report(progress, rows, "to_pandas")
        try:
            if not any(key in ("features", "tensors") and value for key, value in items):
                with self._use_connector() as connector:
                    schema = _read_schema(connector, items)
                    if not needs_pyarrow_conversion(schema):
                        logger.debug("sluice: opening a read of %r into a DataFrame with options %s", self, items)
                        return frame_from_read(
                            schema, rows, lambda targets: _open_owned_into(connector, items, targets), report
                        )
            # packed or tensor-mode reads, and files that pandas wrote with its own metadata
            reader = self.to_arrow(**options)
            if report is not None:
                reader = pa.RecordBatchReader.from_batches(reader.schema, _counted(reader, report))
            with reader:
                return reader_to_pandas(reader, rows)
        finally:
            if report is not None:
                report.close()

    def _progress(self, progress: Progress, what: str, read_options: Mapping[str, Any]) -> Optional[ProgressReport]:
        """The report of a read's progress; the total is counted (from metadata) only when asked for."""
        if progress is None or progress is False:
            return None
        return progress_report(progress, self.count_rows(**read_options), what)

    def count_rows(self, **read_options: Unpack[ReadOptions]) -> int:
        """The number of rows a read with these options emits (after shards, workers, limit
        and drop_last_batch), computed from metadata without reading any data."""
        out = ctypes.c_uint64()
        error = _new_error()
        with _read_options_handle(self._read_option_items(read_options)) as options, self._use_connector() as connector:
            status = _lib_handle.sluice_connector_count_rows(connector, options, ctypes.byref(out), ctypes.byref(error))
        _check(status, error)
        return int(out.value)

    def _tensor_arrow(self, read_options: Mapping[str, Any]) -> pa.RecordBatchReader:
        """A reader in tensor mode (tensors=true: the core applies the column policy), which
        the numpy and framework outputs need; they only map the resulting types."""
        return self.to_arrow(**self._tensor_options(read_options))

    def _tensor_options(self, read_options: Mapping[str, Any]) -> Dict[str, Any]:
        """`read_options` with tensors=true, unless a layer already sets it (to true only)."""
        layers = self._option_layers(read_options)
        tensors = next((layer["tensors"] for layer in reversed(layers) if "tensors" in layer), True)
        if tensors not in (True, "true", "1"):
            raise ValueError(f"sluice: numpy and tensor outputs read with tensors=True, not {tensors!r}")
        if not any("tensors" in layer for layer in layers[:-1]):
            return {**read_options, "tensors": True}
        return dict(read_options)

    def _positioned_tensor_arrow(self, read_options: Mapping[str, Any]) -> Tuple[pa.RecordBatchReader, Any]:
        """`_tensor_arrow`, and the C stream behind it, whose `position(unconsumed_rows)` gives resume tokens."""
        items = self._read_option_items(self._tensor_options(read_options))
        with self._use_connector() as connector:
            return _open_stream(connector, items, positioned=True)

    # Snowflake ML DataConnector spelling
    def to_pyarrow(self, **read_options: Unpack[ReadOptions]) -> pa.RecordBatchReader:
        """`to_arrow` under the name of Snowflake's DataConnector."""
        return self.to_arrow(**read_options)

    def to_torch_dataset(
        self,
        *,
        batch_size: Optional[int] = None,
        shuffle: bool = False,
        drop_last_batch: bool = True,
        seed: Optional[int] = None,
        epoch: int = 0,
        squeeze: bool = False,
        columns: Optional[Columns] = None,
        features: Optional[Columns] = None,
        label: Optional[str] = None,
        loader_batch_size: Optional[int] = None,
        **read_options: Unpack[AdapterOptions],
    ) -> "SluiceTorchDataset":
        """A `torch.utils.data.IterableDataset` over the rows, for a DataLoader (see `_torch.py`).

        Items are {column: tensor} (text columns: numpy object arrays of str or bytes, shaped like
        a scalar column, which DataLoader passes through; single rows: one str or bytes, and
        `DataLoader(ds, batch_size=L, collate_fn=ds.collate_fn)` batches them into those arrays).
        Scalar columns have the shape (batch_size, 1), or (batch_size,) with `squeeze=True`, so that
        `torch.concat(list(item.values()), dim=-1)` is a feature matrix; use
        `DataLoader(ds, batch_size=None)`. With `batch_size=None` each item is one row, shaped
        (1,) (squeeze: a scalar), and `DataLoader(ds, batch_size=L)` stacks rows into (L, 1).
        `drop_last_batch` drops a short last batch (it has no effect on single rows).

        Packed mode: `features=[...]` (and `label="..."`) yields (X, y): X one
        (batch_size, n_features) float32 tensor assembled by the core, y the label as a
        (batch_size,) tensor of its own dtype, what `nn` losses take (without `label`: X alone).

        DataLoader workers (fork or spawn) each decode only their own rows, and any number of
        workers gives the same batches in the same order. For that each worker must fill whole
        DataLoader batches, so the dataset needs the number of items per DataLoader batch:
        `loader_batch_size`, the DataLoader's own `batch_size` (1 for `batch_size=None`). With
        `batch_size=None` (single rows) and `num_workers > 1` it is required (iterating without
        it raises ValueError); with batches it defaults to 1, as with `DataLoader(ds,
        batch_size=None)` or the DataLoader's default 1. `shuffle` without `seed` uses the core's
        fixed default seed (0), so ranks and workers always agree; `set_epoch(e)` (or `epoch=`) picks the
        epoch's order. Tensors share memory with the decoded batch: do not write into them.
        Other read options (null_fill, null_mask, decimal, ragged, memory_budget ...) go to
        the core: docs/options.md.

        `len(dataset)` is exact (counted by the core from metadata): the number of items a
        DataLoader takes from it in one pass, all its workers together (batches, or rows with
        `batch_size=None`), so `len(DataLoader(dataset, ...))` gives tqdm and Lightning their total.
        """
        from ._dataset import default_label
        from ._torch import SluiceTorchDataset

        label = default_label(self._label_cols(), label, features)
        self._prepare_for_workers()
        return SluiceTorchDataset(
            self,
            batch_size=batch_size,
            shuffle=shuffle,
            drop_last_batch=drop_last_batch,
            seed=seed,
            epoch=epoch,
            squeeze=squeeze,
            columns=columns,
            features=features,
            label=label,
            loader_batch_size=loader_batch_size,
            read_options=read_options,
        )

    def to_torch_datapipe(
        self,
        *,
        batch_size: int,
        shuffle: bool = False,
        drop_last_batch: bool = True,
        **read_options: Any,
    ) -> "SluiceTorchDataset":
        """Deprecated (as in Snowflake's connector): `to_torch_dataset`, which this calls."""
        warnings.warn(
            "sluice: to_torch_datapipe() is deprecated, as in Snowflake's connector: call to_torch_dataset() "
            "with the same arguments",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.to_torch_dataset(
            batch_size=batch_size, shuffle=shuffle, drop_last_batch=drop_last_batch, **read_options
        )

    def to_tf_dataset(
        self,
        *,
        batch_size: int,
        shuffle: bool = False,
        drop_last_batch: bool = True,
        seed: Optional[int] = None,
        epoch: int = 0,
        squeeze: bool = False,
        columns: Optional[Columns] = None,
        features: Optional[Columns] = None,
        label: Optional[str] = None,
        **read_options: Unpack[AdapterOptions],
    ) -> "tf.data.Dataset":
        """A streaming tf.data.Dataset whose element_spec comes from the schema, no data read
        ({name: tensor}, or (X, y) with features=/label=); see `_tensorflow.py`."""
        from ._dataset import default_label
        from ._tensorflow import to_tf_dataset

        label = default_label(self._label_cols(), label, features)
        return to_tf_dataset(
            self,
            batch_size=batch_size,
            shuffle=shuffle,
            drop_last_batch=drop_last_batch,
            seed=seed,
            epoch=epoch,
            squeeze=squeeze,
            columns=columns,
            features=features,
            label=label,
            **read_options,
        )

    def to_xgboost(
        self,
        features: Columns,
        label: Optional[str] = None,
        *,
        kind: str = "quantile",
        missing: Optional[float] = None,
        nthread: Optional[int] = None,
        max_bin: Optional[int] = None,
        ref: "Optional[xgboost.DMatrix]" = None,
        feature_names: Optional[Sequence[str]] = None,
        cache_prefix: Optional[str] = None,
        progress: Progress = None,
        **read_options: Unpack[XGBoostOptions],
    ) -> "xgboost.DMatrix":
        """An xgboost QuantileDMatrix ("quantile"), ExtMemQuantileDMatrix ("extmem") or DMatrix
        ("dmatrix") streamed from the core's packed mode; see `_xgboost.py`."""
        from ._dataset import default_label
        from ._xgboost import to_xgboost

        label = default_label(self._label_cols(), label, features)
        return to_xgboost(
            self,
            features,
            label,
            kind=kind,
            missing=missing,
            nthread=nthread,
            max_bin=max_bin,
            ref=ref,
            feature_names=feature_names,
            cache_prefix=cache_prefix,
            progress=progress,
            **read_options,
        )

    def to_huggingface_dataset(
        self,
        *,
        streaming: bool = False,
        limit: Optional[int] = None,
        batch_size: int = 1024,
        shuffle: bool = False,
        drop_last_batch: bool = False,
        **read_options: Any,
    ) -> Any:
        """A Hugging Face `datasets.Dataset` (in memory, Arrow as read), or with `streaming=True` an
        `IterableDataset` that reads on each pass; Snowflake's signature, other read options allowed."""
        from ._huggingface import to_huggingface_dataset

        options: Dict[str, Any] = dict(
            read_options, batch_size=batch_size, shuffle=shuffle, drop_last_batch=drop_last_batch
        )
        if limit is not None:
            options["limit"] = limit
        return to_huggingface_dataset(self, streaming, options)


def _numpy_batches(
    reader: pa.RecordBatchReader, squeeze: bool = False, report: Optional[ProgressReport] = None
) -> Iterator[NumpyBatch]:
    try:
        convert = batch_converter(reader.schema, squeeze)  # a read's types never change
        for batch in reader:
            if report is not None:
                report.add(batch.num_rows)
            yield convert(batch)
    finally:
        reader.close()
        if report is not None:
            report.close()


def _counted(reader: pa.RecordBatchReader, report: ProgressReport) -> Iterator[pa.RecordBatch]:
    """The batches of `reader`, each counted once the consumer asks for the next one."""
    for batch in reader:
        rows = batch.num_rows
        yield batch
        del batch  # the consumer has let go of it: do not keep it while the next is decoded
        report.add(rows)


@contextlib.contextmanager
def _read_options_handle(read_options: Sequence[Tuple[str, Any]]) -> Iterator[int]:
    """A native read-options handle holding `read_options`, freed on leaving the block."""
    options = _set_options(
        _lib_handle.sluice_read_options_new,
        _lib_handle.sluice_read_options_free,
        _lib_handle.sluice_read_options_set,
        read_options,
    )
    try:
        yield options
    finally:
        _lib_handle.sluice_read_options_free(options)


def _open_stream(connector_handle: int, read_options: Sequence[Tuple[str, Any]], positioned: bool = False) -> Any:
    sync_level()  # the core formats log events only when the `sluice` logger would keep them
    stream = _lib.ArrowArrayStream()
    error = _new_error()
    with _read_options_handle(read_options) as options:
        status = _lib_handle.sluice_connector_read(connector_handle, options, ctypes.byref(stream), ctypes.byref(error))
    _check(status, error)
    # The binding keeps the C stream, so that errors mid-stream raise SluiceError (_stream.py).
    return import_positioned_stream(stream) if positioned else import_stream(stream)


class ResumableBatches(Iterator[NumpyBatch]):
    """The iterator `iter_batches` returns: batches as {column: numpy.ndarray}, and `position()`."""

    def __init__(self, batches: Iterator[NumpyBatch], stream: Any) -> None:
        self._batches = batches
        self._stream = stream

    def __iter__(self) -> "ResumableBatches":
        return self

    def __next__(self) -> NumpyBatch:
        return next(self._batches)

    def position(self) -> str:
        """A resume token after the batches given so far (an opaque string): pass it as
        `resume_from=` to a read with the same options to get the batches that would come next."""
        return str(self._stream.position())

    def close(self) -> None:
        """Stops the read (as closing a generator does)."""
        close = getattr(self._batches, "close", None)
        if close is not None:
            close()


def _read_schema(connector_handle: int, read_options: Sequence[Tuple[str, Any]]) -> pa.Schema:
    """The schema of the batches a read with these options emits (nothing is read)."""
    out = _lib.ArrowSchema()
    error = _new_error()
    with _read_options_handle(read_options) as options:
        status = _lib_handle.sluice_connector_read_schema(
            connector_handle, options, ctypes.byref(out), ctypes.byref(error)
        )
    _check(status, error)
    try:
        return pa.Schema._import_from_c(ctypes.addressof(out))
    except BaseException:
        if out.release:
            _RELEASE_SCHEMA(out.release)(ctypes.byref(out))
        raise


def _open_owned_into(connector_handle: int, read_options: Sequence[Tuple[str, Any]], targets: Any) -> _OwnedStream:
    """A read whose decoding threads write the columns of `targets` (`_lib.ColumnTarget`s) into
    their memory; the stream, kept by the binding, carries the other columns."""
    stream = _lib.ArrowArrayStream()
    error = _new_error()
    with _read_options_handle(read_options) as options:
        status = _lib_handle.sluice_connector_read_into(
            connector_handle, options, targets, len(targets), ctypes.byref(stream), ctypes.byref(error)
        )
    _check(status, error)
    return _OwnedStream(stream)


class DataConnector(_Reads):
    """Rows from files or object-store URIs (Parquet, Arrow IPC, CSV, NDJSON).

    Create one with `DataConnector.from_sources(...)`. The connector is immutable and
    may be shared between threads; every `to_arrow()` is a new, independent stream.
    It survives `fork()`: a child process may keep reading from it.
    """

    def __init__(
        self, _handle: int, _sources: Sequence[str] = (), _source_options: Optional[Mapping[str, Any]] = None
    ) -> None:
        if isinstance(_handle, bool) or not isinstance(_handle, int) or not _handle:
            _refuse_in_memory(_handle)
            raise TypeError(
                f"sluice: DataConnector({type(_handle).__name__}) is not how a connector is made: call "
                'DataConnector.from_sources("path/or/s3://uri", **source_options)'
            )
        self._sources = list(_sources)
        self._source_options = dict(_source_options or {})
        self._schema: Optional[pa.Schema] = None
        self._num_rows: Optional[int] = None
        #: made by from_dataframe: the rows come from a stream (and its snapshot)
        self._from_stream = False
        #: a from_sql connector's driver, URI (without secrets) and query
        self._sql: Optional[Dict[str, str]] = None
        #: a from_dataset connector's version (what reopens it) and label columns
        self._dataset: Optional[Dict[str, Any]] = None
        self._dataset_labels: List[str] = []
        self._guard = HandleGuard(
            _handle, _lib_handle.sluice_connector_free, f"sluice: this {type(self).__name__} is closed"
        )
        self._finalizer = weakref.finalize(self, self._guard.close)

    @classmethod
    def from_sources(
        cls: "type[_Connector]",
        paths_or_uris: Sources,
        format: Optional[str] = None,
        **source_options: Unpack[SourceOptions],
    ) -> "_Connector":
        """Open files, directories (recursively), globs or URIs (s3://, gs://, az://, http(s)://).

        `format` and `source_options` are the source options of docs/options.md:
        bool values become "true"/"false", lists become JSON, other values str().
        Errors of the core (missing file, bad option …) raise `SluiceError` subclasses.
        """
        sources = _sources_list(paths_or_uris)
        options: Dict[str, Any] = dict(source_options)
        if format is not None:
            options = {"format": format, **options}
        connector = cls._open(sources, options)
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "sluice: opened %d source(s) %s with options %s: %d rows, columns %s",
                len(sources),
                [_loggable_source(source) for source in sources],
                _loggable_options(options),
                connector.num_rows,
                connector.schema.names,
            )
        return connector

    @classmethod
    def from_sql(
        cls: "type[_Connector]",
        query: str,
        uri: str = "",
        driver: Optional[str] = None,
        partition_on: Optional[str] = None,
        partitions: int = 1,
        params: Optional[Sequence[Any]] = None,
        *,
        db_kwargs: Optional[Mapping[str, Any]] = None,
        **source_options: Unpack[SourceOptions],
    ) -> "_Connector":
        """Run `query` on a database through an ADBC driver; its result is the source (docs/sql.md).

        `driver`: postgresql, sqlite, snowflake, flightsql, duckdb, or a driver library's path
        (default: the one `uri`'s scheme names). `partition_on` + `partitions`: read N ranges of a
        numeric column in parallel, on separate connections (PostgreSQL: on one snapshot).
        `params`: values of the query's parameters ($1 ... or ?). `db_kwargs`: the driver's options
        (username, password, adbc.*). The source option `connect_timeout` (seconds) also bounds
        connecting to the database (default 10). `source_options`: as for `from_sources`, with the
        snapshot's options.
        """
        from . import _sql

        driver = _sql.driver_for(uri, driver)
        connect_timeout = source_options.get("connect_timeout")
        items = _sql.sql_options(partition_on, partitions, connect_timeout, db_kwargs)
        sync_level()
        native_options = _set_options(
            _lib_handle.sluice_source_options_new,
            _lib_handle.sluice_source_options_free,
            _lib_handle.sluice_source_options_set,
            source_options,
        )
        try:
            handle = _sql.open_sql(query, uri, driver, items, _sql.params_stream(params), native_options)
        finally:
            _lib_handle.sluice_source_options_free(native_options)
        connector = cls(handle, [], source_options)
        connector._from_stream = True
        connector._sql = _sql.description(driver, uri, query)
        if logger.isEnabledFor(logging.INFO):
            logger.info("sluice: opened the query %s", connector._sql)
        return connector

    @classmethod
    def from_dataframe(cls: "type[_Connector]", df: object, **source_options: Unpack[SourceOptions]) -> "_Connector":
        """A connector over the rows of `df`: a pandas DataFrame (its index is not read), or any object
        with `__arrow_c_stream__` (a pyarrow Table or RecordBatchReader, a polars DataFrame, a duckdb
        relation). Every read and output works as for files.

        A first pass in order (`to_pandas`, `to_arrow`, one epoch without shuffle, shards or workers)
        streams straight from `df`; anything needing random access (shuffle, shards, DataLoader
        workers, a second epoch, resume, counting rows) reads a snapshot: Parquet files written once,
        as the stream is read, under the source option `snapshot_dir`. `snapshot` ("auto", "always",
        "never"), `snapshot_id` (processes given one id share one snapshot) and `snapshot_max_age`
        say when, which and how long; see docs/sources-from-streams.md.
        """
        _refuse_snowpark(df)
        options: Dict[str, Any] = dict(source_options)
        sync_level()
        handle = _set_options(
            _lib_handle.sluice_source_options_new,
            _lib_handle.sluice_source_options_free,
            _lib_handle.sluice_source_options_set,
            options,
        )
        try:
            connector = cls(open_stream_connector(df, handle), [], options)
        finally:
            _lib_handle.sluice_source_options_free(handle)
        connector._from_stream = True
        logger.info("sluice: opened %r over a %s", connector, type(df).__name__)
        return connector

    @classmethod
    def from_dataset(
        cls: "type[_Connector]", dataset: Any, *, verify: bool = False, **source_options: Any
    ) -> "_Connector":
        """A connector over the selected version of `dataset` (a `sluice.Dataset`, docs/datasets.md): its
        files in the manifest's order, each checked against the manifest first (its size; with
        `verify=True` its SHA-256 too, which reads every byte). Reads leave out the version's
        `exclude_cols` unless they name them, and its `label_cols` is the default `label` of
        `to_torch_dataset(features=...)`, `to_tf_dataset(features=...)` and `to_xgboost`."""
        from ._dataset import open_version

        connector: _Connector = open_version(cls, dataset, verify, source_options)
        logger.info("sluice: opened %r over %r", connector, dataset)
        return connector

    def _label_cols(self) -> List[str]:
        return self._dataset_labels

    def snapshot(self) -> Optional[str]:
        """For a connector from `from_dataframe`: its snapshot's directory (Parquet files), made now if it
        is not yet; None for a connector over files. Pickling such a connector (a spawned DataLoader
        worker, another rank) makes the snapshot and carries its directory."""
        with self._use_connector() as connector:
            return snapshot_path(connector)

    @classmethod
    def from_ray_dataset(cls: "type[_Connector]", ds: Any, **source_options: Unpack[SourceOptions]) -> "_Connector":
        """A connector over the rows of a `ray.data.Dataset`: its Arrow batches, streamed into
        `from_dataframe` (one ordered pass straight from Ray; a snapshot for the rest)."""
        from ._ray_data import ray_dataset_stream

        return cls.from_dataframe(ray_dataset_stream(ds), **source_options)

    def to_ray_dataset(
        self, *, override_num_blocks: Optional[int] = None, dtype: Any = None, **read_options: Unpack[ReadOptions]
    ) -> Any:
        """A `ray.data.Dataset` of the rows, read by Ray read tasks that each read one shard of the
        plan with the Rust core (`override_num_blocks`: how many; default Ray's choice, at least
        2^20 rows each). Nothing is read on the driver. Read options (columns, shuffle, seed,
        batch_size ...) apply to every task; see `_ray_data.py`.

        Packed mode, as `to_torch_dataset`'s: with `features=[...]` (and `label="..."`) the rows are
        the column `X`, the features as one float32 vector per row (a Ray tensor column, so that
        `iter_torch_batches` gives one (batch, n_features) tensor), and the label column;
        `dtype` ("float32", "float16" or "float64", or the numpy or torch dtype) is X's dtype,
        a cast of the core's float32 matrix."""
        from ._ray_data import to_ray_dataset

        return to_ray_dataset(self, dict(read_options), override_num_blocks, dtype)

    def _streams(self) -> bool:
        return self._from_stream

    def _prepare_for_workers(self) -> None:
        """Make a stream connector's snapshot now, in this process, before DataLoader workers fork
        (a forked worker cannot read the parent's stream), unless snapshots are off."""
        if self._from_stream and str(self._source_options.get("snapshot", "auto")).lower() != "never":
            self.snapshot()

    @classmethod
    def _open(cls: "type[_Connector]", sources: List[str], options: Mapping[str, Any]) -> "_Connector":
        from ._dataset import REOPEN_KEY, reopen

        if REOPEN_KEY in options:
            reopened: _Connector = reopen(cls, options[REOPEN_KEY])
            return reopened
        handle = _open_connector(sources, options)
        return cls(handle, sources, options)

    # pickling: a connector is re-opened from its sources and options (e.g. in a spawned process)
    def __reduce__(self) -> Tuple[Any, ...]:
        return (_reopen, (type(self), *self._reopen_sources()))

    def _reopen_sources(self) -> Tuple[List[str], Dict[str, Any]]:
        """The sources and options another process opens this connector's rows from: a stream
        connector's snapshot directory (made now if needed), which holds the same rows in order."""
        if self._from_stream:
            snapshot = cast(str, self.snapshot())
            if not in_object_store(snapshot):  # a local directory: no options needed
                return [snapshot], {}
            # in an object store: the store's settings (endpoint, region, credentials) go with it
            store = {key: value for key, value in self._source_options.items() if not key.startswith("snapshot")}
            return [snapshot], store
        if self._dataset is not None:
            from ._dataset import REOPEN_KEY

            return [], {REOPEN_KEY: self._dataset}
        return self._sources, self._source_options

    def _use_connector(self) -> ContextManager[int]:
        return self._guard.use()

    @property
    def sources(self) -> List[str]:
        """The sources the connector was opened with."""
        return list(self._sources)

    @property
    def data_sources(self) -> List[str]:
        """`sources` under the name of Snowflake's DataConnector (here: the paths and URIs)."""
        return self.sources

    @property
    def schema(self) -> pa.Schema:
        """The `pyarrow.Schema` of every read."""
        if self._schema is None:
            out = _lib.ArrowSchema()
            error = _new_error()
            with self._use_connector() as connector:
                status = _lib_handle.sluice_connector_schema(connector, ctypes.byref(out), ctypes.byref(error))
            _check(status, error)
            try:
                self._schema = pa.Schema._import_from_c(ctypes.addressof(out))
            except BaseException:
                if out.release:
                    _RELEASE_SCHEMA(out.release)(ctypes.byref(out))
                raise
        return self._schema

    @property
    def num_rows(self) -> int:
        """The number of rows of all sources (before sharding, limit …)."""
        if self._num_rows is None:
            out = ctypes.c_uint64()
            error = _new_error()
            with self._use_connector() as connector:
                status = _lib_handle.sluice_connector_num_rows(connector, ctypes.byref(out), ctypes.byref(error))
            _check(status, error)
            self._num_rows = int(out.value)
        return self._num_rows

    def close(self) -> None:
        """Free the native connector (streams already open keep working). Calls running in
        other threads finish first: the last of them frees it; new calls raise ValueError."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        return self._guard.closed

    def __enter__(self: "_Connector") -> "_Connector":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._sql is not None and not self.closed:
            state = f"{self._sql['driver']} query on {self._sql['uri']}"
        else:
            state = "closed" if self.closed else "a stream" if self._from_stream else f"{len(self._sources)} source(s)"
        return f"<sluice.{type(self).__name__} {state}>"


def _open_connector(sources: Sequence[str], options: Mapping[str, Any]) -> int:
    sync_level()
    source_options = _set_options(
        _lib_handle.sluice_source_options_new,
        _lib_handle.sluice_source_options_free,
        _lib_handle.sluice_source_options_set,
        options,
    )
    try:
        array = (ctypes.c_char_p * max(len(sources), 1))(*[encode(s) for s in sources])
        out = ctypes.c_void_p()
        error = _new_error()
        _check(
            _lib_handle.sluice_connector_open(
                array, len(sources), source_options, ctypes.byref(out), ctypes.byref(error)
            ),
            error,
        )
    finally:
        _lib_handle.sluice_source_options_free(source_options)
    assert out.value, "sluice_connector_open returned SLUICE_OK without a connector"
    return out.value


def _reopen(cls: "type[_Connector]", sources: List[str], options: Mapping[str, Any]) -> "_Connector":
    return cls._open(sources, options)


_EQUAL_SHARDS = ("off", "drop", "pad")


def _equal_shards(equal: Equal) -> str:
    """The core's equal_shards for `equal`: "off", "drop", "pad", or Snowflake's bool (True: every
    shard the same length, extra rows dropped, which is "drop"; False: "off")."""
    if equal is True:
        return "drop"
    if equal is False:
        return "off"
    if isinstance(equal, str) and equal in _EQUAL_SHARDS:
        return equal
    raise ValueError(f"sluice: equal={equal!r} is not one of True (= 'drop'), False (= 'off'), 'off', 'drop', 'pad'")


class ShardedDataConnector(DataConnector):
    """A DataConnector for distributed training: one shard per rank.

    `get_shard()` takes rank and world size from the RANK and WORLD_SIZE environment
    variables (set by torchrun) unless they are given. `equal` ("off", "drop", "pad")
    is passed to the core as `equal_shards`; see docs/options.md.
    """

    def __init__(
        self,
        _handle: int,
        _sources: Sequence[str] = (),
        _source_options: Optional[Mapping[str, Any]] = None,
        _equal: Equal = "off",
    ) -> None:
        super().__init__(_handle, _sources, _source_options)
        self._equal = _equal_shards(_equal)

    @classmethod
    def from_sources(  # adds equal=
        cls,
        paths_or_uris: Sources,
        format: Optional[str] = None,
        *,
        equal: Equal = "off",
        **source_options: Unpack[SourceOptions],
    ) -> "ShardedDataConnector":
        """`DataConnector.from_sources`, with the default `equal` of every shard: "off", "drop",
        "pad", or Snowflake's True ("drop") / False ("off"), checked here."""
        equal = _equal_shards(equal)  # checked before the source is opened
        return _with_equal(super().from_sources(paths_or_uris, format=format, **source_options), equal)

    @classmethod
    def from_sql(  # adds equal=
        cls,
        query: str,
        uri: str = "",
        driver: Optional[str] = None,
        partition_on: Optional[str] = None,
        partitions: int = 1,
        params: Optional[Sequence[Any]] = None,
        *,
        equal: Equal = "off",
        db_kwargs: Optional[Mapping[str, Any]] = None,
        **source_options: Unpack[SourceOptions],
    ) -> "ShardedDataConnector":
        """`DataConnector.from_sql`, with the default `equal` of every shard (as `from_sources`)."""
        equal = _equal_shards(equal)  # checked before the source is opened
        return _with_equal(
            super().from_sql(
                query,
                uri,
                driver,
                partition_on,
                partitions,
                params,
                db_kwargs=db_kwargs,
                **source_options,
            ),
            equal,
        )

    @classmethod
    def from_dataframe(  # adds equal=
        cls, df: object, *, equal: Equal = "off", **source_options: Unpack[SourceOptions]
    ) -> "ShardedDataConnector":
        """`DataConnector.from_dataframe`, with the default `equal` of every shard (as `from_sources`)."""
        equal = _equal_shards(equal)  # checked before the source is opened
        return _with_equal(super().from_dataframe(df, **source_options), equal)

    @classmethod
    def from_dataset(  # adds equal=
        cls, dataset: Any, *, verify: bool = False, equal: Equal = "off", **source_options: Any
    ) -> "ShardedDataConnector":
        """`DataConnector.from_dataset`, with the default `equal` of every shard (as `from_sources`)."""
        equal = _equal_shards(equal)  # checked before the source is opened
        return _with_equal(super().from_dataset(dataset, verify=verify, **source_options), equal)

    @classmethod
    def from_ray_dataset(  # adds equal=
        cls, ds: Any, *, equal: Equal = "off", **source_options: Unpack[SourceOptions]
    ) -> "ShardedDataConnector":
        """`DataConnector.from_ray_dataset`, with the default `equal` of every shard (as `from_sources`)."""
        equal = _equal_shards(equal)  # checked before the source is opened
        return _with_equal(super().from_ray_dataset(ds, **source_options), equal)

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_reopen_sharded, (type(self), *self._reopen_sources(), self._equal))

    def get_shard(
        self, rank: Optional[int] = None, world_size: Optional[int] = None, *, equal: Optional[Equal] = None
    ) -> "DataShard":
        """The `DataShard` of `rank` out of `world_size` (defaults: $RANK, $WORLD_SIZE, else 0 and 1).

        `equal` ("off", "drop", "pad", or Snowflake's True / False) overrides the connector's.
        """
        rank = _env_int("RANK", 0) if rank is None else rank
        world_size = _env_int("WORLD_SIZE", 1) if world_size is None else world_size
        return DataShard(self, int(rank), int(world_size), self._equal if equal is None else equal)

    def get_shards(self, world_size: Optional[int] = None, *, equal: Optional[Equal] = None) -> Dict[int, "DataShard"]:
        """Every shard, {rank: DataShard}, for `world_size` ranks (default $WORLD_SIZE, else 1)."""
        world_size = _env_int("WORLD_SIZE", 1) if world_size is None else int(world_size)
        return {rank: self.get_shard(rank, world_size, equal=equal) for rank in range(world_size)}


def _with_equal(connector: "ShardedDataConnector", equal: str) -> "ShardedDataConnector":
    """`connector`, whose shards default to `equal` (already checked)."""
    connector._equal = equal
    return connector


def _reopen_sharded(
    cls: "type[ShardedDataConnector]", sources: List[str], options: Mapping[str, Any], equal: str
) -> "ShardedDataConnector":
    return _with_equal(cls._open(sources, options), equal)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"sluice: environment variable {name}={value!r} is not an integer") from None


class _ReadsOf(_Reads):
    """Reads of a parent (a connector, or a shard) with options of their own layered on top: the
    parent's connector, stream and label are theirs."""

    _parent: _Reads

    def _use_connector(self) -> ContextManager[int]:
        return self._parent._use_connector()

    def _streams(self) -> bool:
        return self._parent._streams()

    def _prepare_for_workers(self) -> None:
        self._parent._prepare_for_workers()

    def _label_cols(self) -> List[str]:
        return self._parent._label_cols()


class DataShard(_ReadsOf):
    """The rows of one rank: every read carries shard_index, num_shards and equal_shards."""

    def __init__(self, connector: DataConnector, rank: int, world_size: int, equal: Equal = "off") -> None:
        # rank and world_size are checked by the core, at the first read (one message for every binding)
        self._parent = self._connector = connector
        self.rank = rank
        self.world_size = world_size
        self.equal = _equal_shards(equal)

    def _option_layers(self, read_options: Mapping[str, Any]) -> List[Dict[str, Any]]:
        shard = {"num_shards": self.world_size, "shard_index": self.rank, "equal_shards": self.equal}
        return [shard, dict(read_options)]

    @property
    def schema(self) -> pa.Schema:
        """The `pyarrow.Schema` of every read."""
        return self._connector.schema

    def __repr__(self) -> str:
        return f"<sluice.DataShard rank={self.rank} world_size={self.world_size} equal={self.equal!r}>"


class BoundRead(_ReadsOf):
    """Read options bound to a connector or shard (what `.stream(**read_options)` returns): not a
    stream itself, `__arrow_c_stream__` and `to_arrow()` open a new one each call."""

    def __init__(self, parent: _Reads, read_options: Mapping[str, Any]) -> None:
        self._parent = parent
        self._read_options = dict(read_options)

    def _option_layers(self, read_options: Mapping[str, Any]) -> List[Dict[str, Any]]:
        return self._parent._option_layers(self._read_options) + [dict(read_options)]

    @property
    def schema(self) -> pa.Schema:
        """The `pyarrow.Schema` of a read with the bound options."""
        with self.to_arrow() as reader:
            return reader.schema

    def __repr__(self) -> str:
        return f"<sluice.BoundRead {self._read_options!r}>"


#: The former name of `BoundRead`, kept because it was public.
Stream = BoundRead
