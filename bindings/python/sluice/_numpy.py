"""Tensor-mode record batches to numpy arrays: a type mapping, nothing more.

The core applies the column policy (docs/design.md) when a read has `tensors=true` (decimals,
dates, timestamps, ragged lists, nulls … are decided there, once, for every binding).
What comes out has only the Arrow types below, and no nulls; this module maps them:

| tensor-mode Arrow type                         | numpy                                               |
|------------------------------------------------|-----------------------------------------------------|
| int8…int64, uint8…uint64, float16/32/64         | same dtype, zero-copy, shape (batch, 1)             |
| bool                                           | bool, shape (batch, 1) (a copy: Arrow packs bits)   |
| utf8, large_utf8 / binary, large_binary        | object array of str / bytes, shape (batch, 1)       |
| dictionary<K, V>                               | the codes, dtype K, zero-copy, shape (batch, 1)     |
| fixed_size_list<T>[k]                          | dtype T, shape (batch, k), zero-copy (bool: a copy) |
| list / large_list<T> (ragged=values_offsets)    | a tuple (values, offsets): values 1-D dtype T,      |
|                                                | offsets int32 / int64 of length batch + 1, from 0   |

`squeeze=True` gives scalar columns the shape (batch,) instead of (batch, 1).
Any other type, or a null, means the batch did not come from a tensor-mode read:
a ValueError naming the column.

A read's types never change from batch to batch, so the mapping is chosen once per
column type (`converter`) and then applied to every batch.
"""

from typing import Any, Callable

import numpy as np
import pyarrow as pa

from ._text import text_to_numpy
from ._types import NumpyBatch

_types = pa.types


def _not_tensor_mode(name, what):
    return ValueError(
        f"sluice: column {name!r} {what}; numpy arrays are made from tensor-mode batches only "
        "(iter_batches(), or to_arrow(tensors=True), which apply the column policy in the core)"
    )


def _no_nulls(name, array):
    if array.null_count:
        raise _not_tensor_mode(name, f"has {array.null_count} null value(s)")


def is_number(data_type):
    return _types.is_integer(data_type) or _types.is_floating(data_type)


def is_text(data_type):
    return (
        _types.is_string(data_type)
        or _types.is_large_string(data_type)
        or _types.is_binary(data_type)
        or _types.is_large_binary(data_type)
    )


def _numpy_dtype(data_type):
    """The numpy dtype of an Arrow integer or floating type (native byte order, as Arrow's)."""
    kind = "f" if _types.is_floating(data_type) else ("i" if _types.is_signed_integer(data_type) else "u")
    return np.dtype(f"{kind}{data_type.bit_width // 8}")


def _flat(name, data_type):
    """array -> 1-D numpy array, for a null-free numeric or bool type."""
    if _types.is_boolean(data_type):

        def bools(array):
            _no_nulls(name, array)
            return array.to_numpy(zero_copy_only=False)

        return bools
    if is_number(data_type):
        dtype = _numpy_dtype(data_type)

        def numbers(array):
            _no_nulls(name, array)
            # a view of the values buffer: Array.to_numpy costs more per call and imports
            # pandas on its first call (about 0.4 s inside the first batch of a read)
            if len(array) == 0:  # an empty array may have no values buffer
                return np.empty(0, dtype=dtype)
            view = np.frombuffer(
                array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize
            )
            view.flags.writeable = False  # Arrow's memory, shared: read-only as to_numpy gives it
            return view

        return numbers
    raise _not_tensor_mode(name, f"has values of type {data_type}")


def converter(name: str, data_type: pa.DataType, squeeze: bool = False) -> Callable[[pa.Array], Any]:
    """The function that maps a column of `data_type` (of a tensor-mode batch) to numpy.

    `name` is only used in error messages.
    """
    t = data_type
    if is_number(t) or _types.is_boolean(t) or _types.is_dictionary(t) or is_text(t):
        if _types.is_dictionary(t):
            codes = _flat(name, t.index_type)

            def flat(array):
                _no_nulls(name, array)
                return codes(array.indices)
        elif is_text(t):

            def flat(array):
                _no_nulls(name, array)
                return text_to_numpy(array)
        else:
            flat = _flat(name, t)
        if squeeze:
            return flat
        return lambda array: flat(array).reshape(-1, 1)
    if _types.is_fixed_size_list(t):
        values = _flat(name, t.value_type)
        k = t.list_size

        def rows(array):
            _no_nulls(name, array)
            # the child values of this (possibly sliced) array's rows, without copying
            return values(array.values.slice(array.offset * k, len(array) * k)).reshape(len(array), k)

        return rows
    if _types.is_list(t) or _types.is_large_list(t):
        values = _flat(name, t.value_type)

        def values_offsets(array):
            _no_nulls(name, array)
            offsets = array.offsets.to_numpy(zero_copy_only=True)
            flat = values(array.flatten())
            if len(offsets) and offsets[0] != 0:  # a sliced array: offsets into the whole child array
                offsets = offsets - offsets[0]
            return flat, offsets

        return values_offsets
    raise _not_tensor_mode(name, f"has type {t}")


def column_to_numpy(name: str, array: pa.Array, squeeze: bool = False) -> Any:
    """One column of a tensor-mode record batch as numpy (see the module's table)."""
    return converter(name, array.type, squeeze)(array)


def batch_converter(schema: pa.Schema, squeeze: bool = False) -> Callable[[pa.RecordBatch], NumpyBatch]:
    """A function mapping each record batch of `schema` to {name: numpy array}, in schema order."""
    names = schema.names
    converters = [converter(name, field.type, squeeze) for name, field in zip(names, schema)]

    def convert(batch):
        return {name: convert_column(array) for name, convert_column, array in zip(names, converters, batch.columns)}

    return convert


def batch_to_numpy(batch: pa.RecordBatch, squeeze: bool = False) -> NumpyBatch:
    """A tensor-mode record batch as {column name: numpy array (or (values, offsets))}, in schema order."""
    return batch_converter(batch.schema, squeeze)(batch)
