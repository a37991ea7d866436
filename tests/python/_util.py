"""Helpers shared by the sluice Python tests: data generation and comparisons."""

import datetime as dt
import decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CATEGORIES = ["red", "green", "blue", "ünïcødé", ""]


def typed_table(start, n):
    """n rows with ids start..start+n-1 and one column of each type the policy knows."""
    ids = np.arange(start, start + n, dtype=np.int64)
    rng = np.random.default_rng(start + 1)
    f64 = rng.normal(size=n)
    maybe = pa.array(np.where(ids % 7 == 0, np.nan, f64), mask=(ids % 7 == 0))
    note = pa.array([None if i % 5 == 0 else f'note {i}, "quoted"' for i in ids], pa.string())
    return pa.table(
        {
            "id": ids,
            "i8": pa.array((ids % 256 - 128).astype(np.int8)),
            "i16": pa.array((ids * 7 % 65536 - 32768).astype(np.int16)),
            "i32": pa.array((ids * 131).astype(np.int32)),
            "u8": pa.array((ids % 256).astype(np.uint8)),
            "u16": pa.array((ids % 65536).astype(np.uint16)),
            "u32": pa.array((ids * 4099 % 2**32).astype(np.uint32)),
            "u64": pa.array((ids.astype(np.uint64) * np.uint64(2**40 + 3))),
            "f32": pa.array(rng.normal(size=n).astype(np.float32)),
            "f64": pa.array(f64),
            "flag": pa.array(ids % 3 == 0),
            "name": pa.array([f"name-{i}-{'é' * (i % 3)}" for i in ids], pa.string()),
            "day": pa.array((ids % 20000).astype(np.int32), pa.int32()).cast(pa.date32()),
            "ts": pa.array(1_700_000_000_000_000 + ids * 1_000_003, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "price": pa.array([decimal.Decimal(int(i) * 37 % 100000).scaleb(-2) for i in ids], pa.decimal128(12, 2)),
            "cat": pa.array([CATEGORIES[i % len(CATEGORIES)] for i in ids]).dictionary_encode(),
            "vec": pa.FixedSizeListArray.from_arrays(
                pa.array(np.stack([ids, ids * 2, ids * 3], axis=1).reshape(-1).astype(np.float32)), 3
            ),
            "tags": pa.array([list(range(i % 4)) for i in ids], pa.list_(pa.int64())),
            "maybe": maybe,
            "note": note,
        }
    )


def ids_table(start, n):
    """A small table whose `id` column is the row's position in the epoch sequence."""
    ids = np.arange(start, start + n, dtype=np.int64)
    return pa.table({"id": ids, "x": (ids * 3 + 1).astype(np.float64), "s": pa.array([f"s{i}" for i in ids])})


def write_parquet(path, table, row_group_size):
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def decode_dictionaries(table):
    """The table with every dictionary column cast to its value type (compare values, not encodings)."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = pc.cast(column, column.type.value_type)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def as_table(batches_or_table, schema=None):
    if isinstance(batches_or_table, pa.Table):
        return batches_or_table
    batches = list(batches_or_table)
    if not batches:
        return pa.Table.from_batches([], schema=schema)
    return pa.Table.from_batches(batches)


def assert_same_schema(actual, expected):
    """Same column names and types, in order (metadata is not compared)."""
    actual_fields = [(f.name, str(f.type)) for f in actual]
    expected_fields = [(f.name, str(f.type)) for f in expected]
    assert actual_fields == expected_fields


def assert_table_equal(actual, expected, what="table"):
    """Same schema (names, types) and the same values row by row; says where they differ."""
    actual = as_table(actual, expected.schema)
    assert_same_schema(actual.schema, expected.schema)
    assert actual.num_rows == expected.num_rows, f"{what}: {actual.num_rows} rows, expected {expected.num_rows}"
    a = decode_dictionaries(actual)
    e = decode_dictionaries(expected)
    if a.equals(e):
        return
    for name in e.column_names:
        ac, ec = a.column(name), e.column(name)
        if not ac.equals(ec):
            for row in range(e.num_rows):
                if ac[row] != ec[row] and not (ac[row].as_py() is None and ec[row].as_py() is None):
                    raise AssertionError(
                        f"{what}: column {name!r} differs first at row {row}: {ac[row]!r} != {ec[row]!r}"
                    )
            raise AssertionError(f"{what}: column {name!r} differs (null bitmaps or chunking)")
    raise AssertionError(f"{what}: tables differ")


def assert_batches_match(batches, expected, batch_size, drop_last=False):
    """Every batch has exactly batch_size rows (but a short last one) and equals its slice of expected."""
    total = expected.num_rows
    full, rest = divmod(total, batch_size)
    sizes = [batch_size] * full + ([] if drop_last or rest == 0 else [rest])
    assert [b.num_rows for b in batches] == sizes
    offset = 0
    for index, batch in enumerate(batches):
        assert_table_equal(pa.Table.from_batches([batch]), expected.slice(offset, batch.num_rows), f"batch {index}")
        offset += batch.num_rows


def column_values(batches, name="id"):
    """All values of one column over a list of batches, as a Python list."""
    out = []
    for batch in batches:
        out.extend(batch.column(batch.schema.get_field_index(name)).to_pylist())
    return out


def read_ids(reads, name="id", **read_options):
    """ids in stream order from anything with to_arrow(**read_options)."""
    with reads.to_arrow(columns=[name], **read_options) as reader:
        return column_values(list(reader), name)


def round_robin(per_worker):
    """Interleave lists: w0[0], w1[0], …, w0[1], w1[1], … (what a DataLoader does)."""
    out = []
    for i in range(max((len(x) for x in per_worker), default=0)):
        for worker in per_worker:
            if i < len(worker):
                out.append(worker[i])
    return out


def epoch_day(days):
    return dt.date(1970, 1, 1) + dt.timedelta(days=days)
