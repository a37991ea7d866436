"""`to_pandas`: the core writes the DataFrame's numeric columns, pandas adopts them.

pandas keeps the columns of one dtype together in a 2-D block of shape (columns, rows).
`frame_from_read` allocates one block per numpy dtype at its final size (the core reports
the row count up front) and hands the core each column's row of its block as a target
(`sluice_connector_read_into`, `_lib.ColumnTarget`): the core's decoding threads write every
batch's values there right after decoding it, in parallel with the next batches, and the
Python thread never touches them. The DataFrame is then made from those blocks as they are
(`pandas.api.internals.create_dataframe_from_blocks`, pandas >= 3; older pandas get one block
per column, views of the same memory): no copy, and the Arrow table never exists.

Targets take integers, floats, bools, and timestamps without a time zone and durations
(their unit kept, as pyarrow does). The stream brings the other columns (strings,
dictionaries, decimals, dates, nested types), which pyarrow converts, so their dtypes are
pyarrow's. Nulls end as pyarrow's `to_pandas` leaves them: the core writes NaN into floats and
NaT into timestamps; an integer column with a null becomes float64 with NaN, a bool one object
with None, from the null mask the core fills (numpy's vectorised conversion, only for such columns).

`reader_to_pandas` is the path for reads whose columns are packed or pass the column policy
(`features`, `tensors`), and for a stream's single pass (a query or a DataFrame), whose row count
is not known before its end: it copies each numeric column out of the batches as they arrive,
while the core reads the next ones, into columns that grow for a stream.
"""

import numpy as np
import pyarrow as pa

from ._options import encode


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


def needs_pyarrow_conversion(schema):
    """Repeated column names, or a file written from pandas with an index or special dtypes:
    only pyarrow's conversion of the whole table rebuilds those."""
    return len(set(schema.names)) != len(schema.names) or _needs_pandas_metadata(schema)


def reader_to_pandas(reader, num_rows=None):
    """All batches of `reader` as a DataFrame; the reader emits exactly `num_rows` rows, or
    None when that is not known before the end (a stream: its columns then grow by doubling,
    in virtual memory that holds pages only where rows are written)."""
    pd = _import_pandas()
    schema = reader.schema
    names = schema.names
    if needs_pyarrow_conversion(schema):
        return reader.read_all().to_pandas(self_destruct=True, split_blocks=True)
    capacity = _STREAM_START_ROWS if num_rows is None else num_rows
    filled = {
        i: np.empty(capacity, dtype=field.type.to_pandas_dtype())
        for i, field in enumerate(schema)
        if _fillable(field.type)
    }
    chunks: dict = {i: [] for i in range(len(names)) if i not in filled}
    offset = 0
    for batch in reader:
        rows = batch.num_rows
        if offset + rows > capacity:
            if num_rows is not None:
                raise RuntimeError(f"sluice: the stream gave more rows than the {num_rows} it announced")
            capacity = max(2 * capacity, offset + rows)
            filled = {i: _grown(values, offset, capacity) for i, values in filled.items()}
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
    if num_rows is not None and offset != num_rows:
        raise RuntimeError(f"sluice: the stream gave {offset} rows where it announced {num_rows}")
    columns = {}
    for i, name in enumerate(names):
        if i in filled:
            columns[name] = filled[i][:offset]
        else:
            columns[name] = pa.chunked_array(chunks.pop(i), type=schema.field(i).type).to_pandas()
    return pd.DataFrame(columns, copy=False)


#: rows a stream's columns start with before they grow (virtual memory: untouched pages cost nothing)
_STREAM_START_ROWS = 1 << 20


def _grown(values, rows, capacity):
    """`values`' first `rows` in a new array of `capacity`."""
    grown = np.empty(capacity, dtype=values.dtype)
    grown[:rows] = values[:rows]
    return grown


def _target_dtype(data_type):
    """The numpy dtype of a column the core writes (pyarrow's own choice), or None."""
    t = pa.types
    if t.is_integer(data_type) or t.is_floating(data_type) or t.is_boolean(data_type) or t.is_duration(data_type):
        return np.dtype(data_type.to_pandas_dtype())
    if t.is_timestamp(data_type) and data_type.tz is None:
        return np.dtype(data_type.to_pandas_dtype())
    return None


def _has_nulls_of_their_own(data_type):
    """Types whose nulls numpy cannot hold in place: integers and bools (pyarrow changes their dtype)."""
    return pa.types.is_integer(data_type) or pa.types.is_boolean(data_type)


class _Block:
    """One 2-D block of pandas: the columns of one dtype (at `positions` of the frame), one row each."""

    def __init__(self, dtype, positions, rows):
        self.positions = positions
        self.values = np.empty((len(positions), rows), dtype=dtype)


def _with_nulls(values, null_mask):
    """The column pyarrow's to_pandas makes of `values` with nulls where `null_mask` is 1:
    float64 with NaN for integers, object with None for bools."""
    nulls = null_mask.view(np.bool_)
    if values.dtype == np.bool_:
        out = values.astype(object)
        out[nulls] = None
    else:
        out = values.astype(np.float64)
        out[nulls] = np.nan
    return out


def _pandas_values(chunked):
    """A column pyarrow converts, as block values: a 1-D extension array, or a 2-D numpy array."""
    array = chunked.to_pandas().array
    if type(array).__name__ == "NumpyExtensionArray":
        return np.asarray(array).reshape(1, -1)  # writable, unlike Series.to_numpy() under copy-on-write
    return array


def _make_frame(pd, names, rows, blocks):
    """A DataFrame of `names` from (values, positions) blocks that together hold every column once."""
    index = pd.RangeIndex(rows)
    make = getattr(getattr(pd.api, "internals", None), "create_dataframe_from_blocks", None)
    if make is not None:
        return make(
            [(values, np.asarray(positions, dtype=np.intp)) for values, positions in blocks], index, pd.Index(names)
        )
    # pandas < 3: one view per column; `copy=False` keeps them unconsolidated (no copy)
    columns = [None] * len(names)
    for values, positions in blocks:
        for k, position in enumerate(positions):
            columns[position] = values[k] if isinstance(values, np.ndarray) else values
    return pd.DataFrame(dict(zip(names, columns)), index=index, copy=False)


def frame_from_read(schema, rows, open_into, report=None):
    """All rows of a read of `schema` (which emits exactly `rows` rows) as a DataFrame.

    `open_into(targets)` starts the read with `targets` (a ctypes array of `_lib.ColumnTarget`)
    and returns its `_stream.OwnedStream`, which carries the columns without a target."""
    from . import _lib

    pd = _import_pandas()
    names = schema.names
    by_dtype: dict = {}
    for position, field in enumerate(schema):
        dtype = _target_dtype(field.type)
        if dtype is not None:
            by_dtype.setdefault(dtype, []).append(position)
    blocks = [_Block(dtype, positions, rows) for dtype, positions in by_dtype.items()]
    rows_of = {position: block.values[k] for block in blocks for k, position in enumerate(block.positions)}
    masked = [p for p in rows_of if _has_nulls_of_their_own(schema.field(p).type)]
    # zero-filled lazily by the kernel: a mask takes memory only where the core marks a null
    null_masks = np.zeros((len(masked), rows), dtype=np.uint8)
    mask_of = dict(zip(masked, null_masks))
    null_counts = np.zeros(len(rows_of), dtype=np.uint64)
    count_of = {}
    targets = (_lib.ColumnTarget * len(rows_of))()
    for slot, (position, values) in enumerate(rows_of.items()):
        target = targets[slot]
        target.column = encode(names[position], "a column name")
        target.values = values.ctypes.data
        target.rows = rows
        target.null_mask = mask_of[position].ctypes.data if position in mask_of else None
        target.null_count = null_counts[slot:].ctypes.data
        count_of[position] = slot
    stream = open_into(targets)
    # The core writes into these arrays until the stream is released: they live as long as it does.
    stream.keep_alive = (blocks, null_masks, null_counts)
    try:
        rest_schema = stream.schema()
        rest = [schema.get_field_index(name) for name in rest_schema.names]
        parts: list = [[] for _ in rest]
        emitted = 0
        while True:
            batch = stream.next_batch(rest_schema)
            if batch is None:
                break
            emitted += batch.num_rows
            for k, column in enumerate(batch.columns):
                parts[k].append(column)
            if report is not None:
                report.add(batch.num_rows)
            del batch
    finally:
        stream.release()  # waits for the core's writes in progress; none start after
    if emitted != rows:
        raise RuntimeError(f"sluice: the stream gave {emitted} rows where it announced {rows}")
    changed = {p: _with_nulls(rows_of[p], mask) for p, mask in mask_of.items() if null_counts[count_of[p]]}
    frame_blocks = []
    for block in blocks:
        if not any(p in changed for p in block.positions):
            frame_blocks.append((block.values, block.positions))
            continue
        for k, position in enumerate(block.positions):  # the others stay views of the block
            values = changed[position].reshape(1, -1) if position in changed else block.values[k : k + 1]
            frame_blocks.append((values, [position]))
    for position, chunks in zip(rest, parts):
        frame_blocks.append((_pandas_values(pa.chunked_array(chunks, type=schema.field(position).type)), [position]))
    return _make_frame(pd, names, rows, frame_blocks)
