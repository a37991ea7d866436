"""DataFrames and Arrow streams as sources: any object exporting `__arrow_c_stream__` (a pyarrow
Table or RecordBatchReader, a polars DataFrame, a duckdb relation) or a pandas DataFrame, handed
to the core as one Arrow C stream (`sluice_connector_from_arrow_stream`). Which reads stream
straight from it and which read its snapshot is decided by the core (docs/sources-from-streams.md)."""

import ctypes
import os
from typing import Any, Optional, Tuple, Union

import pyarrow as pa

from . import _lib
from ._dataset import _SourceOptions
from ._options import encode

_lib_handle = _lib.lib


def _check(status: int, error: ctypes.c_void_p) -> None:
    from ._connector import _check as check  # _connector imports this module

    check(status, error)


def arrow_stream_of(obj: object) -> Tuple[pa.RecordBatchReader, str]:
    """A RecordBatchReader over `obj`'s rows, and what messages call it (its type, never its data)."""
    kind = type(obj)
    description = f"{kind.__module__.split('.')[0]}.{kind.__name__}"
    if isinstance(obj, pa.RecordBatchReader):
        return obj, description
    if isinstance(obj, pa.Table):
        return obj.to_reader(), description
    if kind.__module__.split(".")[0] == "pandas" and kind.__name__ == "DataFrame":
        # the index is not a column: positions are the rows (as with files)
        return pa.Table.from_pandas(obj, preserve_index=False).to_reader(), description
    if hasattr(obj, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(obj), description
    raise TypeError(
        f"sluice: from_dataframe takes a pandas DataFrame or an object with __arrow_c_stream__ (a pyarrow "
        f"Table or RecordBatchReader, a polars DataFrame, a duckdb relation), not a {description}"
    )


def open_stream_connector(obj: object, options_handle: int) -> int:
    """A new native connector over `obj`'s rows; the core owns the exported stream from here on."""
    reader, description = arrow_stream_of(obj)
    stream = _lib.ArrowArrayStream()
    reader._export_to_c(ctypes.addressof(stream))
    out = ctypes.c_void_p()
    error = ctypes.c_void_p()
    status = _lib_handle.sluice_connector_from_arrow_stream(
        ctypes.byref(stream), encode(description), options_handle, ctypes.byref(out), ctypes.byref(error)
    )
    _check(status, error)
    assert out.value, "sluice_connector_from_arrow_stream returned SLUICE_OK without a connector"
    return out.value


def snapshot_path(connector_handle: int) -> Optional[str]:
    """The connector's snapshot directory, made now if needed (None for a connector over files)."""
    out = ctypes.c_void_p()
    error = ctypes.c_void_p()
    status = _lib_handle.sluice_connector_snapshot(connector_handle, ctypes.byref(out), ctypes.byref(error))
    _check(status, error)
    if not out.value:
        return None
    try:
        return ctypes.string_at(out.value).decode("utf-8")
    finally:
        _lib_handle.sluice_string_free(out)


def remove_snapshots(
    snapshot_dir: Union[str, "os.PathLike[str]", None] = None, older_than: float = 0, **store_options: Any
) -> int:
    """Remove the snapshots in `snapshot_dir` (default: the default snapshot directory) not used for
    `older_than` seconds or longer (0: all that are not being written). Returns how many were removed.

    `snapshot_dir` may be an object-store URI (`s3://bucket/snaps`), reached with `store_options`
    (`endpoint`, `region`, credentials, `allow_http`: the store options `from_sources` takes). There,
    an upload that no marker publishes is kept for at least an hour, as its writer may still be at it."""
    if older_than < 0:
        raise ValueError(f"sluice: older_than={older_than!r} must be zero or more seconds")
    directory = None if snapshot_dir is None else encode(os.fspath(snapshot_dir))
    removed = ctypes.c_uint64()
    error = ctypes.c_void_p()
    with _SourceOptions(store_options) as options:
        status = _lib_handle.sluice_snapshots_remove(
            directory, int(older_than), options, ctypes.byref(removed), ctypes.byref(error)
        )
    _check(status, error)
    return int(removed.value)
