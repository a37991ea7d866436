"""`to_pandas`: fill the DataFrame's columns while the core decodes.

The core says up front how many rows a read emits, so each plain numeric column
(integers, floats, bools) is allocated once at its final size and filled batch by
batch; each batch is freed as soon as it is copied, while the core decodes the
next ones. Peak memory is the DataFrame plus the reader's budget, not the whole
Arrow table plus the DataFrame. Every other column (strings, dates, decimals,
dictionaries, nested types, and any column in which a null appears) is
converted by pyarrow itself, so its pandas dtype is exactly pyarrow's.
"""

import numpy as np
import pyarrow as pa


def _fillable(data_type):
    return (
        pa.types.is_integer(data_type)
        or pa.types.is_boolean(data_type)
        or pa.types.is_float32(data_type)
        or pa.types.is_float64(data_type)
    )


def _needs_pandas_metadata(schema):
    """Files written from pandas with a stored index or special dtypes: let pyarrow rebuild them."""
    meta = schema.pandas_metadata
    if not meta:
        return False
    stored_index = any(isinstance(entry, str) for entry in meta.get("index_columns", []))
    special = any(
        c.get("pandas_type")
        not in (
            None,
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "float32",
            "float64",
            "bool",
            "unicode",
            "bytes",
            "object",
        )
        for c in meta.get("columns", [])
    )
    return stored_index or special


def _detached(column):
    """A copy of `column` that owns its buffers. An imported column shares its
    batch's lifetime: keeping it would keep every column of the batch alive."""
    return pa.concat_arrays([column, column.slice(0, 0)])


def _import_pandas():
    """pandas is an optional extra: imported by `to_pandas` only, so `import sluice` works without it."""
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            f"sluice: to_pandas needs pandas, which is not installed ({exc}); "
            "install it with `pip install 'sluice-data[pandas]'` or `pip install pandas`"
        ) from exc
    return pandas


def reader_to_pandas(reader, num_rows):
    """All batches of `reader` (which emits exactly `num_rows` rows) as a DataFrame."""
    pd = _import_pandas()
    schema = reader.schema
    names = schema.names
    if len(set(names)) != len(names) or _needs_pandas_metadata(schema):
        return reader.read_all().to_pandas(self_destruct=True, split_blocks=True)
    filled = {
        i: np.empty(num_rows, dtype=field.type.to_pandas_dtype())
        for i, field in enumerate(schema)
        if _fillable(field.type)
    }
    chunks: dict = {i: [] for i in range(len(names)) if i not in filled}
    offset = 0
    for batch in reader:
        rows = batch.num_rows
        if offset + rows > num_rows:
            raise RuntimeError(f"sluice: the stream gave more rows than the {num_rows} it announced")
        for i in list(filled):
            column = batch.column(i)
            if column.null_count:
                # pyarrow turns an integer column with nulls into float64, a bool one into
                # object: hand the column over to pyarrow's conversion from here on.
                chunks[i] = [pa.array(filled.pop(i)[:offset], type=schema.field(i).type)]
                del column
            else:
                filled[i][offset : offset + rows] = column.to_numpy(zero_copy_only=False)
        for i, parts in chunks.items():
            parts.append(_detached(batch.column(i)))
        offset += rows
        del batch
    if offset != num_rows:
        raise RuntimeError(f"sluice: the stream gave {offset} rows where it announced {num_rows}")
    columns = {}
    for i, name in enumerate(names):
        if i in filled:
            columns[name] = filled[i]
        else:
            columns[name] = pa.chunked_array(chunks.pop(i), type=schema.field(i).type).to_pandas()
    return pd.DataFrame(columns, copy=False)
