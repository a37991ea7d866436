"""Arrow columns to numpy arrays by the typed column policy of DESIGN.md.

| Arrow type                                  | numpy                                           |
|---------------------------------------------|-------------------------------------------------|
| int8…int64, uint8…uint64, float16/32/64     | same dtype, zero-copy (no nulls allowed)        |
| bool                                        | bool (a copy: Arrow packs bits)                 |
| decimal128/256                              | float64                                         |
| date32/64, timestamp, duration, time32/64   | int64 (the unit is in the Arrow schema)         |
| utf8, large_utf8, string_view, binary       | object array of str / bytes (None for nulls)    |
| dictionary                                  | the integer codes                               |
| fixed_size_list<numeric or bool>            | 2-D (batch, k)                                  |
| list<…> (ragged), struct, map, null …       | ValueError naming the column                    |

Nulls in a column bound for a numeric array are a ValueError naming the column;
dtypes never depend on the data of one batch.
"""

import numpy as np
import pyarrow as pa

_types = pa.types


def _reject_nulls(name, array, what="column"):
    if array.null_count:
        raise ValueError(
            f"sluice: {what} {name!r} ({array.type}) has {array.null_count} null value(s) in a batch; "
            "a numeric array cannot hold nulls (fill or drop them, or read it with to_arrow())"
        )


def _is_plain_numeric(t):
    return _types.is_integer(t) or _types.is_floating(t)


def _numeric(name, array, what="column"):
    _reject_nulls(name, array, what)
    t = array.type
    if _types.is_boolean(t):
        return array.to_numpy(zero_copy_only=False)
    return array.to_numpy(zero_copy_only=True)


def column_to_numpy(name, array):
    """One Arrow array (a column of a record batch) as a numpy array, or ValueError."""
    t = array.type
    if _is_plain_numeric(t) or _types.is_boolean(t):
        return _numeric(name, array)
    if _types.is_decimal(t):
        _reject_nulls(name, array)
        return array.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=True)
    if _types.is_date32(t) or _types.is_time32(t):
        _reject_nulls(name, array)
        return array.view(pa.int32()).to_numpy(zero_copy_only=True).astype(np.int64)
    if _types.is_date64(t) or _types.is_timestamp(t) or _types.is_duration(t) or _types.is_time64(t):
        _reject_nulls(name, array)
        return array.view(pa.int64()).to_numpy(zero_copy_only=True)
    if (
        _types.is_string(t)
        or _types.is_large_string(t)
        or _types.is_binary(t)
        or _types.is_large_binary(t)
        or getattr(_types, "is_string_view", lambda _: False)(t)
        or getattr(_types, "is_binary_view", lambda _: False)(t)
    ):
        return array.to_numpy(zero_copy_only=False)
    if _types.is_dictionary(t):
        _reject_nulls(name, array)
        return array.indices.to_numpy(zero_copy_only=True)
    if _types.is_fixed_size_list(t):
        value_type = t.value_type
        if not (_is_plain_numeric(value_type) or _types.is_boolean(value_type)):
            raise ValueError(
                f"sluice: column {name!r} is {t}; only fixed_size_list of numbers or bools "
                "becomes a 2-D array"
            )
        _reject_nulls(name, array)
        values = _numeric(name, array.flatten(), what="values of column")
        return values.reshape(len(array), t.list_size)
    if _types.is_list(t) or _types.is_large_list(t) or getattr(_types, "is_list_view", lambda _: False)(t) \
            or getattr(_types, "is_large_list_view", lambda _: False)(t):
        raise ValueError(
            f"sluice: column {name!r} is a ragged list ({t}); a numpy array needs a fixed length "
            "(use fixed_size_list, or read it with to_arrow())"
        )
    raise ValueError(f"sluice: column {name!r} has type {t}, which has no numpy form in sluice's column policy")


def batch_to_numpy(batch):
    """A record batch as {column name: numpy array}, in schema order."""
    return {name: column_to_numpy(name, column) for name, column in zip(batch.schema.names, batch.columns)}
