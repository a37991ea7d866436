"""Queries as sources: the arguments of `DataConnector.from_sql` become the C call
`sluice_connector_from_sql`; the core runs the query through an ADBC driver.

The driver libraries come from the `adbc-driver-*` wheels: their short names
(`postgresql`, `sqlite` ...) are looked for in this interpreter's `sys.path`, which
is passed to the core (after `SLUICE_ADBC_DRIVER_PATH`; see docs/sql.md).
"""

import ctypes
import os
import re
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import pyarrow as pa

from . import _lib
from ._options import encode

#: driver options whose values are secrets: never logged nor shown (as the core's redaction)
_SECRET_PARTS = ("password", "secret", "token", "private_key", "passphrase", "credential", "pwd")

#: the driver a URI's scheme names, when `driver` is not given
_DRIVER_OF_SCHEME = {"postgresql": "postgresql", "postgres": "postgresql", "sqlite": "sqlite", "file": "sqlite"}


def driver_for(uri: str, driver: Optional[str]) -> str:
    """`driver`, or the one the URI's scheme names; a TypeError when neither says."""
    if driver is not None:
        if not isinstance(driver, (str, os.PathLike)):
            raise TypeError(f"sluice: driver must be a name or a path, not {type(driver).__name__}")
        return os.fspath(driver)
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else uri.split(":", 1)[0].lower() if ":" in uri else ""
    if scheme in _DRIVER_OF_SCHEME:
        return _DRIVER_OF_SCHEME[scheme]
    raise TypeError(
        "sluice: from_sql needs driver= (postgresql, sqlite, snowflake, flightsql, duckdb, or a driver library's "
        "path) when the URI does not name one"
    )


def is_secret(key: str) -> bool:
    key = key.lower()
    return any(part in key for part in _SECRET_PARTS)


def sql_options(
    partition_on: Optional[str],
    partitions: int,
    connect_timeout: Any,
    db_kwargs: Optional[Mapping[str, Any]],
) -> List[Tuple[str, str]]:
    """The key/value SQL options of the C call: sluice's, then the driver's."""
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        raise ValueError(f"sluice: partitions={partitions!r} must be a whole number of at least 1")
    items: List[Tuple[str, str]] = [("partitions", str(partitions))]
    if partition_on is not None:
        if not isinstance(partition_on, str) or not partition_on:
            raise TypeError(f"sluice: partition_on must be a column name, not {partition_on!r}")
        items.append(("partition_on", partition_on))
    if connect_timeout is not None:
        items.append(("connect_timeout", str(float(connect_timeout))))
    search_path = [p for p in sys.path if p and os.path.isdir(p)]
    items.append(("driver_search_path", os.pathsep.join(search_path)))
    for key, value in (db_kwargs or {}).items():
        items.append((str(key), value if isinstance(value, str) else str(value)))
    return items


def params_stream(params: Optional[Sequence[Any]]) -> Optional[pa.RecordBatchReader]:
    """The query's parameters as one Arrow row ($1, $2 ... or ?, in order)."""
    if params is None:
        return None
    if isinstance(params, (str, bytes, Mapping)) or not isinstance(params, Sequence):
        raise TypeError(
            f"sluice: params must be a sequence of values ($1, $2 ... in order), not {type(params).__name__}"
        )
    columns = [value if isinstance(value, pa.Array) else pa.array([value]) for value in params]
    batch = pa.record_batch(columns, names=[f"${i + 1}" for i in range(len(columns))])
    return pa.RecordBatchReader.from_batches(batch.schema, [batch])


def open_sql(
    query: str,
    uri: str,
    driver: str,
    items: Sequence[Tuple[str, str]],
    params: Optional[pa.RecordBatchReader],
    source_options: Any,
) -> int:
    """Calls sluice_connector_from_sql; returns the connector handle. `source_options` is a
    native source options handle (or None), which the caller frees."""
    from ._connector import _check, _new_error

    keys = (ctypes.c_char_p * max(len(items), 1))(*[encode(k) for k, _ in items])
    values = (ctypes.c_char_p * max(len(items), 1))(*[encode(v) for _, v in items])
    stream = None
    if params is not None:
        stream = _lib.ArrowArrayStream()
        params._export_to_c(ctypes.addressof(stream))
    out = ctypes.c_void_p()
    error = _new_error()
    status = _lib.lib.sluice_connector_from_sql(
        encode(driver),
        encode(uri),
        encode(query),
        keys,
        values,
        len(items),
        ctypes.byref(stream) if stream is not None else None,
        source_options,
        ctypes.byref(out),
        ctypes.byref(error),
    )
    _check(status, error)
    assert out.value, "sluice_connector_from_sql returned SLUICE_OK without a connector"
    return out.value


def description(driver: str, uri: str, query: str) -> Dict[str, str]:
    """What a SQL connector shows of its source (repr, logs): no secret."""
    from ._connector import _loggable_source

    uri = _loggable_source(uri)
    # libpq's key=value form: host=db password=... (quoted or not)
    uri = re.sub(
        r"(\w*(?:%s)\w*)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s;]+)" % "|".join(_SECRET_PARTS), r"\1=***", uri, flags=re.I
    )
    return {"driver": driver, "uri": uri, "query": query if len(query) <= 200 else query[:200] + "…"}
