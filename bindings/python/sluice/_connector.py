"""DataConnector, ShardedDataConnector and the objects they hand out.

Everything here is a thin layer over the C API: options become key/value
strings, reads become Arrow C streams pulled by `_stream.py`. The core decides
which rows come out, in which order; nothing here looks at the data except the
numpy type mapping of `iter_batches` and the pandas conversion of `to_pandas`.
"""

import ctypes
import os
import weakref

import pyarrow as pa

from . import _lib
from ._errors import Status, error_for
from ._handle_guard import HandleGuard
from ._numpy import batch_converter
from ._options import encode, option_items
from ._pandas import reader_to_pandas
from ._stream import import_stream

_lib_handle = _lib.lib

_RELEASE_SCHEMA = ctypes.CFUNCTYPE(None, ctypes.POINTER(_lib.ArrowSchema))


def _check(status, error):
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


def _new_error():
    return ctypes.c_void_p()


def _set_options(new, free, setter, options):
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


def _sources_list(paths_or_uris):
    if isinstance(paths_or_uris, (str, bytes, os.PathLike)):
        paths_or_uris = [paths_or_uris]
    sources = []
    for item in paths_or_uris:
        if isinstance(item, bytes):
            item = item.decode("utf-8")
        elif isinstance(item, os.PathLike):
            item = os.fspath(item)
        if not isinstance(item, str):
            raise TypeError(f"sluice: a source must be a str or path, not {type(item).__name__}")
        sources.append(item)
    return sources


class _Reads:
    """The read API shared by connectors, shards and streams.

    `_fixed_read_options()` are options that every read of this object carries.
    """

    def _use_connector(self):
        """A context manager giving the open connector's handle, kept alive until it exits."""
        raise NotImplementedError

    def _fixed_read_options(self):
        return {}

    def _merged(self, read_options):
        fixed = self._fixed_read_options()
        clash = sorted(key for key in read_options if key in fixed)
        if clash:
            raise TypeError(
                f"sluice: {', '.join(clash)} is fixed by this {type(self).__name__} "
                f"({', '.join(f'{k}={fixed[k]!r}' for k in clash)}); it cannot be passed again"
            )
        merged = dict(fixed)
        merged.update(read_options)
        return merged

    def to_arrow(self, **read_options):
        """A new `pyarrow.RecordBatchReader` over the rows (read options: docs/options.md)."""
        with self._use_connector() as connector:
            return _open_stream(connector, self._merged(read_options))

    def stream(self, **read_options):
        """An object with `__arrow_c_stream__` (and the same reads) that remembers `read_options`."""
        return BoundRead(self, read_options)

    def __arrow_c_stream__(self, requested_schema=None):
        """Arrow PyCapsule stream protocol: a new stream over all rows with default read options."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    def iter_batches(self, *, squeeze=False, **read_options):
        """An iterator of batches as {column: numpy.ndarray}, by DESIGN.md's column policy.

        The read runs in tensor mode (`tensors=true`): the core applies the policy (decimals,
        dates, nulls, ragged lists: see the read options null_fill, null_mask, decimal, ragged)
        and this only maps types (see `_numpy.py`). Scalar columns have the shape (batch, 1),
        or (batch,) with `squeeze=True`; fixed_size_list columns (batch, k); a ragged list
        read with ragged="values_offsets" is a tuple (values, offsets). Numbers are read-only
        views of the Arrow buffers (zero-copy). The stream is opened now, so bad options
        raise here rather than at the first batch.
        """
        return _numpy_batches(self._tensor_arrow(read_options), squeeze)

    def to_pandas(self, limit=None, **read_options):
        """All rows (at most `limit`) as a pandas DataFrame.

        Numeric columns are filled in place while the core decodes the next batches, so
        the whole Arrow table never exists next to the DataFrame (see `_pandas.py`);
        other columns are converted by pyarrow, with pyarrow's dtypes.
        """
        if limit is not None:
            read_options["limit"] = limit
        rows = self.count_rows(**read_options)
        with self.to_arrow(**read_options) as reader:
            return reader_to_pandas(reader, rows)

    def count_rows(self, **read_options):
        """The number of rows a read with these options emits (after shards, workers, limit
        and drop_last_batch), computed from metadata without reading any data."""
        options = _set_options(
            _lib_handle.sluice_read_options_new,
            _lib_handle.sluice_read_options_free,
            _lib_handle.sluice_read_options_set,
            self._merged(read_options),
        )
        try:
            out = ctypes.c_uint64()
            error = _new_error()
            with self._use_connector() as connector:
                status = _lib_handle.sluice_connector_count_rows(
                    connector, options, ctypes.byref(out), ctypes.byref(error)
                )
            _check(status, error)
        finally:
            _lib_handle.sluice_read_options_free(options)
        return int(out.value)

    def _tensor_arrow(self, read_options):
        """A reader in tensor mode (tensors=true: the core applies the column policy), which
        the numpy and framework outputs need; they only map the resulting types."""
        tensors = self._merged(read_options).get("tensors", True)
        if tensors not in (True, "true", "1"):
            raise ValueError(f"sluice: numpy and tensor outputs read with tensors=True, not {tensors!r}")
        if "tensors" not in self._fixed_read_options():
            read_options = {**read_options, "tensors": True}
        return self.to_arrow(**read_options)

    # Snowflake ML DataConnector spelling
    def to_pyarrow(self, **read_options):
        return self.to_arrow(**read_options)

    def to_torch_dataset(self, *, batch_size=None, shuffle=False, drop_last_batch=True, seed=None, epoch=0,
                         squeeze=False, columns=None, features=None, label=None, **read_options):
        """A `torch.utils.data.IterableDataset` over the rows, for a DataLoader (see `_torch.py`).

        Items are {column: tensor} (text columns: list of str or bytes). Scalar columns have the
        shape (batch_size, 1), or (batch_size,) with `squeeze=True`, so that
        `torch.concat(list(item.values()), dim=-1)` is a feature matrix; use
        `DataLoader(ds, batch_size=None)`. With `batch_size=None` each item is one row, shaped
        (1,) (squeeze: a scalar), and `DataLoader(ds, batch_size=L)` stacks rows into (L, 1).
        `drop_last_batch` drops a short last batch (it has no effect on single rows).

        Packed mode: `features=[...]` (and `label="..."`) yields (X, y): X one
        (batch_size, n_features) float32 tensor assembled by the core, y the label as a
        (batch_size,) tensor of its own dtype, what `nn` losses take (without `label`: X alone).

        DataLoader workers (fork or spawn) each decode only their own rows, and any number of
        workers gives the same batches in the same order. `shuffle` without `seed` uses the
        fixed seed 0, so ranks and workers always agree; `set_epoch(e)` (or `epoch=`) picks the
        epoch's order. Tensors share memory with the decoded batch: do not write into them.
        Other read options (null_fill, null_mask, decimal, ragged, memory_budget ...) go to
        the core: docs/options.md.
        """
        from ._torch import SluiceTorchDataset

        return SluiceTorchDataset(self, batch_size=batch_size, shuffle=shuffle, drop_last_batch=drop_last_batch,
                                  seed=seed, epoch=epoch, squeeze=squeeze, columns=columns, features=features,
                                  label=label, read_options=read_options)

    def to_tf_dataset(self, *, batch_size, shuffle=False, drop_last_batch=True, seed=None, epoch=0, squeeze=False,
                      columns=None, features=None, label=None, **read_options):
        """A streaming tf.data.Dataset whose element_spec comes from the schema, no data read
        ({name: tensor}, or (X, y) with features=/label=); see `_tensorflow.py`."""
        from ._tensorflow import to_tf_dataset

        return to_tf_dataset(self, batch_size=batch_size, shuffle=shuffle, drop_last_batch=drop_last_batch,
                             seed=seed, epoch=epoch, squeeze=squeeze, columns=columns, features=features,
                             label=label, **read_options)

    def to_xgboost(self, features, label=None, *, kind="quantile", **options):
        """An xgboost QuantileDMatrix ("quantile"), ExtMemQuantileDMatrix ("extmem") or DMatrix
        ("dmatrix") streamed from the core's packed mode; see `_xgboost.py`."""
        from ._xgboost import to_xgboost

        return to_xgboost(self, features, label, kind=kind, **options)


def _numpy_batches(reader, squeeze=False):
    try:
        convert = batch_converter(reader.schema, squeeze)  # a read's types never change
        for batch in reader:
            yield convert(batch)
    finally:
        reader.close()


def _open_stream(connector_handle, read_options):
    options = _set_options(
        _lib_handle.sluice_read_options_new,
        _lib_handle.sluice_read_options_free,
        _lib_handle.sluice_read_options_set,
        read_options,
    )
    stream = _lib.ArrowArrayStream()
    try:
        error = _new_error()
        _check(
            _lib_handle.sluice_connector_read(connector_handle, options, ctypes.byref(stream), ctypes.byref(error)),
            error,
        )
    finally:
        _lib_handle.sluice_read_options_free(options)
    # The binding keeps the C stream, so that errors mid-stream raise SluiceError (_stream.py).
    return import_stream(stream)


class DataConnector(_Reads):
    """Rows from files or object-store URIs (Parquet, Arrow IPC, CSV, NDJSON).

    Create one with `DataConnector.from_sources(...)`. The connector is immutable and
    may be shared between threads; every `to_arrow()` is a new, independent stream.
    It survives `fork()`: a child process may keep reading from it.
    """

    def __init__(self, _handle, _sources, _source_options):
        if not isinstance(_handle, int) or not _handle:
            raise TypeError("sluice: create a DataConnector with DataConnector.from_sources(...)")
        self._sources = list(_sources)
        self._source_options = dict(_source_options)
        self._schema = None
        self._num_rows = None
        self._guard = HandleGuard(_handle, _lib_handle.sluice_connector_free,
                                  f"sluice: this {type(self).__name__} is closed")
        self._finalizer = weakref.finalize(self, self._guard.close)

    @classmethod
    def from_sources(cls, paths_or_uris, format=None, **source_options):
        """Open files, directories (recursively), globs or URIs (s3://, gs://, az://, http(s)://).

        `format` and `source_options` are the source options of docs/options.md:
        bool values become "true"/"false", lists become JSON, other values str().
        Errors of the core (missing file, bad option …) raise `SluiceError` subclasses.
        """
        sources = _sources_list(paths_or_uris)
        options = dict(source_options)
        if format is not None:
            options = {"format": format, **options}
        return cls._open(sources, options)

    @classmethod
    def _open(cls, sources, options):
        handle = _open_connector(sources, options)
        return cls(handle, sources, options)

    # pickling: a connector is re-opened from its sources and options (e.g. in a spawned process)
    def __reduce__(self):
        return (_reopen, (type(self), self._sources, self._source_options))

    def _use_connector(self):
        return self._guard.use()

    @property
    def sources(self):
        return list(self._sources)

    @property
    def schema(self):
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
    def num_rows(self):
        """The number of rows of all sources (before sharding, limit …)."""
        if self._num_rows is None:
            out = ctypes.c_uint64()
            error = _new_error()
            with self._use_connector() as connector:
                status = _lib_handle.sluice_connector_num_rows(connector, ctypes.byref(out), ctypes.byref(error))
            _check(status, error)
            self._num_rows = int(out.value)
        return self._num_rows

    def close(self):
        """Free the native connector (streams already open keep working). Calls running in
        other threads finish first: the last of them frees it; new calls raise ValueError."""
        self._finalizer()

    @property
    def closed(self):
        return self._guard.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "closed" if self.closed else f"{len(self._sources)} source(s)"
        return f"<sluice.{type(self).__name__} {state}>"


def _open_connector(sources, options):
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
            _lib_handle.sluice_connector_open(array, len(sources), source_options, ctypes.byref(out), ctypes.byref(error)),
            error,
        )
    finally:
        _lib_handle.sluice_source_options_free(source_options)
    return out.value


def _reopen(cls, sources, options):
    return cls._open(sources, options)


class ShardedDataConnector(DataConnector):
    """A DataConnector for distributed training: one shard per rank.

    `get_shard()` takes rank and world size from the RANK and WORLD_SIZE environment
    variables (set by torchrun) unless they are given. `equal` ("off", "drop", "pad")
    is passed to the core as `equal_shards`; see docs/options.md.
    """

    def __init__(self, _handle, _sources, _source_options, _equal="off"):
        super().__init__(_handle, _sources, _source_options)
        self._equal = _equal

    @classmethod
    def from_sources(cls, paths_or_uris, format=None, *, equal="off", **source_options):
        connector = super().from_sources(paths_or_uris, format=format, **source_options)
        connector._equal = equal
        return connector

    def __reduce__(self):
        return (_reopen_sharded, (type(self), self._sources, self._source_options, self._equal))

    def get_shard(self, rank=None, world_size=None, *, equal=None):
        """The `DataShard` of `rank` out of `world_size` (defaults: $RANK, $WORLD_SIZE, else 0 and 1)."""
        rank = _env_int("RANK", 0) if rank is None else rank
        world_size = _env_int("WORLD_SIZE", 1) if world_size is None else world_size
        return DataShard(self, int(rank), int(world_size), self._equal if equal is None else equal)


def _reopen_sharded(cls, sources, options, equal):
    connector = cls._open(sources, options)
    connector._equal = equal
    return connector


def _env_int(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"sluice: environment variable {name}={value!r} is not an integer") from None


class DataShard(_Reads):
    """The rows of one rank: every read carries shard_index, num_shards and equal_shards."""

    def __init__(self, connector, rank, world_size, equal="off"):
        self._connector = connector
        self.rank = rank
        self.world_size = world_size
        self.equal = equal

    def _use_connector(self):
        return self._connector._use_connector()

    def _fixed_read_options(self):
        return {"num_shards": self.world_size, "shard_index": self.rank, "equal_shards": self.equal}

    @property
    def schema(self):
        return self._connector.schema

    def __repr__(self):
        return f"<sluice.DataShard rank={self.rank} world_size={self.world_size} equal={self.equal!r}>"


class BoundRead(_Reads):
    """Read options bound to a connector or shard (what `.stream(**read_options)` returns): not a
    stream itself, `__arrow_c_stream__` and `to_arrow()` open a new one each call."""

    def __init__(self, parent, read_options):
        self._parent = parent
        self._read_options = parent._merged(dict(read_options))

    def _use_connector(self):
        return self._parent._use_connector()

    def _fixed_read_options(self):
        return self._read_options

    @property
    def schema(self):
        with self.to_arrow() as reader:
            return reader.schema

    def __repr__(self):
        return f"<sluice.BoundRead {self._read_options!r}>"


#: The former name of `BoundRead`, kept because it was public.
Stream = BoundRead
