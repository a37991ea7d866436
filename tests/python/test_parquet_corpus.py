"""A corpus of unusual but valid Parquet files, written at test time by pyarrow,
fastparquet, duckdb and polars (some with their footers rewritten into shapes
that older writers produce), each read by sluice and compared with
pyarrow.parquet.read_table: the same schema and values, read whole and in
shards of small batches, or a clear error naming the file and what is
unsupported. docs/design.md ("Parquet files: what is read") lists the results."""

import decimal
import uuid

import _thrift_compact as tc
import duckdb
import fastparquet
import numpy as np
import pandas as pd
import polars
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sluice
from _util import decode_dictionaries

ROWS = 6
LISTS = [[1, 2], [], [3], [4, 5, 6], [], [7]]


def required(name, data_type):
    return pa.field(name, data_type, nullable=False)


def element(data_type):
    return required("element", data_type)


# --- the corpus: each entry writes one file ------------------------------------------------


def legacy_repeated_primitive(path):
    """`repeated int32 a;` at the top level: a list without a LIST annotation."""
    schema = pa.schema([required("a", pa.list_(element(pa.int32())))])
    pq.write_table(pa.table({"a": LISTS}, schema=schema), path, store_schema=False)

    def edit(footer):
        root, _list, _repeated, leaf = tc.schema_elements(footer)
        tc.set_schema(footer, [root, tc.rename(leaf, b"a", tc.REPEATED)])

    tc.rewrite_footer(path, edit)


def legacy_repeated_group(path):
    """`repeated group a { required int32 x; optional binary y (UTF8); }`: a list of structs."""
    item = pa.struct([required("x", pa.int32()), pa.field("y", pa.string())])
    rows = [[{"x": i, "y": None if i % 2 else str(i)} for i in range(n)] for n in (2, 0, 1, 3, 0, 1)]
    schema = pa.schema([required("a", pa.list_(element(item)))])
    pq.write_table(pa.table({"a": rows}, schema=schema), path, store_schema=False)

    def edit(footer):
        root, _list, _repeated, group, x, y = tc.schema_elements(footer)
        tc.set_schema(footer, [root, tc.rename(group, b"a", tc.REPEATED), x, y])

    tc.rewrite_footer(path, edit)


def legacy_two_level_list(path):
    """`optional group a (LIST) { repeated int32 array; }`: the two-level list of old writers."""
    pq.write_table(pa.table({"a": pa.array(LISTS, pa.list_(element(pa.int32())))}), path, store_schema=False)

    def edit(footer):
        root, outer, _repeated, leaf = tc.schema_elements(footer)
        tc.set_schema(footer, [root, outer, tc.rename(leaf, b"array", tc.REPEATED)])

    tc.rewrite_footer(path, edit)


def legacy_array_group(path):
    """`optional group a (LIST) { repeated group array { required int32 x; } }`: the element is the struct."""
    item = pa.struct([required("x", pa.int32())])
    rows = [[{"x": i} for i in range(n)] for n in (2, 0, 1, 3, 0, 1)]
    pq.write_table(pa.table({"a": pa.array(rows, pa.list_(element(item)))}), path, store_schema=False)

    def edit(footer):
        root, outer, _repeated, group, x = tc.schema_elements(footer)
        tc.set_schema(footer, [root, outer, tc.rename(group, b"array", tc.REPEATED), x])

    tc.rewrite_footer(path, edit)


def legacy_nested_repeated(path):
    """`repeated group a { repeated int32 b; }` next to a plain column: lists of lists, unannotated."""
    item = pa.struct([required("b", pa.list_(element(pa.int32())))])
    rows = [[{"b": list(range(j))} for j in range(n)] for n in (2, 0, 1, 3, 0, 1)]
    schema = pa.schema([pa.field("id", pa.int64()), required("a", pa.list_(element(item)))])
    pq.write_table(pa.table({"id": range(ROWS), "a": rows}, schema=schema), path, store_schema=False)

    def edit(footer):
        root, id_, _list, _repeated, group, _b, _b_repeated, leaf = tc.schema_elements(footer)
        group.set(tc.ELEMENT_CHILDREN, tc.I32, 1)
        new = [root, id_, tc.rename(group, b"a", tc.REPEATED), tc.rename(leaf, b"b", tc.REPEATED)]
        tc.set_schema(footer, new)

    tc.rewrite_footer(path, edit)


def legacy_map_key_value(path):
    """A map annotated MAP_KEY_VALUE (the converted type of old writers), without a logical type."""
    maps = [[("a", 1)], [], [("b", None), ("c", 3)]] * 2
    pq.write_table(pa.table({"m": pa.array(maps, pa.map_(pa.string(), pa.int32()))}), path, store_schema=False)

    def edit(footer):
        outer = tc.schema_elements(footer)[1]
        outer.set(tc.ELEMENT_CONVERTED, tc.I32, 2)
        outer.remove(tc.ELEMENT_LOGICAL)

    tc.rewrite_footer(path, edit)


def dictionary_offset_unset(path):
    """A dictionary page that the footer does not point at: no dictionary_page_offset, and the
    data page offset at the dictionary page (as parquet-mr 1.x wrote)."""
    table = pa.table({"s": [f"v{i % 3}" for i in range(ROWS)], "i": range(ROWS)})
    pq.write_table(table, path, use_dictionary=True, store_schema=False)

    def edit(footer):
        for meta in tc.column_metas(footer):
            meta.set(tc.META_DATA_PAGE_OFFSET, tc.I64, meta.get(tc.META_DICTIONARY_PAGE_OFFSET))
            meta.remove(tc.META_DICTIONARY_PAGE_OFFSET)

    tc.rewrite_footer(path, edit)


def dictionary_offset_zero(path):
    """dictionary_page_offset = 0 on columns without a dictionary (as some writers set it)."""
    pq.write_table(pa.table({"s": [f"v{i}" for i in range(ROWS)], "i": range(ROWS)}), path, use_dictionary=False)

    def edit(footer):
        for meta in tc.column_metas(footer):
            meta.set(tc.META_DICTIONARY_PAGE_OFFSET, tc.I64, 0)

    tc.rewrite_footer(path, edit)


def dictionary_pages_many_row_groups(path):
    """Dictionary pages in every row group of a file with small row groups and pages."""
    table = pa.table(
        {"s": [f"v{i % 4}" for i in range(40)], "d": pa.array([f"c{i % 2}" for i in range(40)]).dictionary_encode()}
    )
    pq.write_table(table, path, row_group_size=7, data_page_size=16, write_batch_size=3)


def int96_timestamps(path):
    times = pa.array([0, 1_600_000_000_123_456_789, None, -1_000_000_000, 5, 6], pa.timestamp("ns"))
    pq.write_table(pa.table({"t": times}), path, use_deprecated_int96_timestamps=True)


def int96_far_timestamps(path):
    """INT96 timestamps outside the nanosecond range (years 1 and 9999), stored from microseconds."""
    times = pa.array([-62_135_596_800_000_000, 253_402_300_799_000_000, 0, None, 1, 2], pa.timestamp("us"))
    pq.write_table(
        pa.table({"t": times, "s": pa.array([{"u": t} for t in times.to_pylist()])}),
        path,
        use_deprecated_int96_timestamps=True,
    )


def extension_types(path):
    ids = [uuid.UUID(int=i * 7919).bytes for i in range(ROWS)]
    tensor_type = pa.fixed_shape_tensor(pa.int32(), [2, 2])
    tensors = pa.ExtensionArray.from_storage(
        tensor_type, pa.array([[i] * 4 for i in range(ROWS)], pa.list_(pa.int32(), 4))
    )
    table = pa.table(
        {
            "u": pa.array(ids, pa.uuid()),
            "j": pa.array(['{"a": 1}', None, "[]", "2", '"x"', "{}"], pa.json_()),
            "b": pa.ExtensionArray.from_storage(pa.bool8(), pa.array([1, 0, None, 1, 0, 1], pa.int8())),
            "t": tensors,
            "o": pa.ExtensionArray.from_storage(pa.opaque(pa.binary(), "geometry", "vendor"), pa.array([b"x"] * ROWS)),
        }
    )
    pq.write_table(table, path)


def field_metadata(path):
    schema = pa.schema(
        [
            pa.field("a", pa.int64(), metadata={"unit": "kg", "note": "ünïcødé"}),
            pa.field("s", pa.struct([pa.field("x", pa.float32(), metadata={"inner": "1"})]), metadata={"outer": "2"}),
        ],
        metadata={"dataset": "corpus", "version": "3"},
    )
    table = pa.table({"a": range(ROWS), "s": [{"x": float(i)} for i in range(ROWS)]}, schema=schema)
    pq.write_table(table, path)


def wide_schema(path):
    columns = {f"c{i}": pa.array(np.arange(ROWS, dtype=np.int32) + i) for i in range(3000)}
    pq.write_table(pa.table(columns), path, row_group_size=4)


def deep_nesting(path):
    """Sixteen levels of lists and structs over a map, with nulls and empty lists on the way."""
    array = pa.array([[("k", i)] if i % 3 else None for i in range(ROWS)], pa.map_(pa.string(), pa.int64()))
    for depth in range(16):
        if depth % 2:
            mask = pa.array([i == depth % ROWS for i in range(ROWS)])
            array = pa.StructArray.from_arrays([array, pa.array(range(ROWS))], names=[f"s{depth}", "n"], mask=mask)
        else:
            # row i holds [item i] except one empty list, which drops its item
            empty = depth % ROWS
            offsets = [0] + [i + 1 if i < empty else i for i in range(ROWS)]
            values = array.take([i for i in range(ROWS) if i != empty])
            array = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)
    pq.write_table(pa.table({"d": array}), path)


def empty_row_groups(path):
    table = pa.table({"x": range(ROWS), "l": pa.array(LISTS)})
    with pq.ParquetWriter(path, table.schema) as writer:
        writer.write_table(table.slice(0, 0))
        writer.write_table(table.slice(0, 4))
        writer.write_table(table.slice(0, 0))
        writer.write_table(table.slice(4))
        writer.write_table(table.slice(0, 0))


def zero_rows(path):
    pq.write_table(pa.table({"x": pa.array([], pa.int64()), "l": pa.array([], pa.list_(pa.string()))}), path)


def data_page_v2(path):
    table = pa.table({"x": range(ROWS), "s": [None, "a", "b", None, "c", "d"], "l": LISTS})
    pq.write_table(table, path, data_page_version="2.0", data_page_size=8, write_batch_size=2)


def null_type_column(path):
    pq.write_table(pa.table({"n": pa.nulls(ROWS), "x": range(ROWS)}), path)


def many_types(path):
    table = pa.table(
        {
            "f16": pa.array(np.arange(ROWS, dtype=np.float16)),
            "d256": pa.array([decimal.Decimal(i).scaleb(-1) for i in range(ROWS)], pa.decimal256(50, 1)),
            "d32": pa.array([decimal.Decimal(i) for i in range(ROWS)], pa.decimal128(5, 0)),
            "dur": pa.array(range(ROWS), pa.duration("ms")),
            "t32": pa.array(range(ROWS), pa.time32("ms")),
            "t64": pa.array(range(ROWS), pa.time64("ns")),
            "tz": pa.array(range(ROWS), pa.timestamp("ns", tz="Europe/Paris")),
            "ls": pa.array(["x"] * ROWS, pa.large_string()),
            "sv": pa.array(["y"] * ROWS, pa.string_view()),
            "fsb": pa.array([b"ab"] * ROWS, pa.binary(2)),
            "ll": pa.array(LISTS, pa.large_list(pa.int16())),
            "m": pa.array([[("k", i)] for i in range(ROWS)], pa.map_(pa.string(), pa.int64())),
        }
    )
    pq.write_table(table, path)


def fastparquet_file(path):
    frame = pd.DataFrame(
        {
            "a": np.arange(ROWS, dtype=np.int64),
            "f": [0.5, None, 1.5, 2.5, None, 3.5],
            "s": ["a", None, "c", "d", "e", "f"],
            "c": pd.Categorical(list("xxyyzx")),
            "t": pd.date_range("2020-01-01", periods=ROWS, freq="h"),
        }
    )
    fastparquet.write(str(path), frame, row_group_offsets=[0, 2, 5], times="int96", write_index=False)


def duckdb_file(path):
    query = (
        "select range::bigint a, [range, range + 1] l, {'x': range, 'y': range::varchar} s, map {'k': range} m, "
        "('00000000-0000-0000-0000-00000000000' || range)::uuid u, range::decimal(18, 3) d from range(6)"
    )
    duckdb.sql(f"copy ({query}) to '{path}' (format parquet, row_group_size 4)")


def polars_file(path):
    frame = polars.DataFrame({"a": range(ROWS), "l": [[1, 2]] * ROWS, "s": ["x", None] * 3})
    frame.write_parquet(path, row_group_size=4)


def polars_no_columns(path):
    """A file with rows but no columns (polars writes the row count into its footer)."""
    polars.DataFrame({"a": range(ROWS)}).drop("a").write_parquet(path)


def compression(codec, version):
    def write(path):
        table = pa.table({"x": range(ROWS), "s": [f"s{i}" for i in range(ROWS)], "l": LISTS})
        pq.write_table(table, path, compression=codec, data_page_version=version)

    write.__name__ = f"compression_{codec}_v{version}"
    return write


CORPUS = [
    legacy_repeated_primitive,
    legacy_repeated_group,
    legacy_two_level_list,
    legacy_array_group,
    legacy_nested_repeated,
    legacy_map_key_value,
    dictionary_offset_unset,
    dictionary_offset_zero,
    dictionary_pages_many_row_groups,
    int96_timestamps,
    int96_far_timestamps,
    extension_types,
    field_metadata,
    wide_schema,
    deep_nesting,
    empty_row_groups,
    zero_rows,
    data_page_v2,
    null_type_column,
    many_types,
    fastparquet_file,
    duckdb_file,
    polars_file,
    polars_no_columns,
] + [compression(c, v) for c in ("none", "snappy", "gzip", "brotli", "lz4", "zstd") for v in ("1.0", "2.0")]


def read_all(connector, **options):
    with connector.to_arrow(**options) as reader:
        schema = reader.schema
        batches = list(reader)
    return schema, pa.Table.from_batches(batches, schema=schema)


def assert_same(actual, expected, what):
    assert actual.schema == expected.schema, f"{what}: schema\n{actual.schema}\n!=\n{expected.schema}"
    assert actual.num_rows == expected.num_rows, f"{what}: {actual.num_rows} rows, pyarrow {expected.num_rows}"
    # dictionaries are compared by value: a shard's batches hold their own dictionaries
    actual, expected = decode_dictionaries(actual), decode_dictionaries(expected)
    assert actual.equals(expected), f"{what}: values differ\n{actual.to_pylist()}\n!=\n{expected.to_pylist()}"


@pytest.mark.parametrize("write", CORPUS, ids=lambda f: f.__name__)
def test_corpus_file_reads_as_pyarrow_reads_it(tmp_path, write):
    path = tmp_path / f"{write.__name__}.parquet"
    write(path)
    expected = pq.read_table(path)
    connector = sluice.DataConnector.from_sources(str(path))
    assert connector.num_rows == expected.num_rows
    schema, whole = read_all(connector)
    assert_same(whole, expected, "whole read")
    # Metadata (extension types, field and schema metadata) comes through the C stream's ArrowSchema.
    assert schema.metadata == expected.schema.metadata
    assert [f.metadata or None for f in schema] == [f.metadata or None for f in expected.schema]
    # Small batches, in three shards: row selections inside row groups and pages.
    parts = [read_all(connector, batch_size=2, num_shards=3, shard_index=i)[1] for i in range(3)]
    assert sum(part.num_rows for part in parts) == expected.num_rows
    if expected.num_columns:  # (pyarrow's concat_tables counts no rows in tables without columns)
        assert_same(pa.concat_tables(parts), expected, "shards of 2-row batches")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_int96_unit_is_an_option_as_in_pyarrow(tmp_path, unit):
    path = tmp_path / "int96.parquet"
    int96_far_timestamps(path)
    expected = pq.read_table(path, coerce_int96_timestamp_unit=unit)
    connector = sluice.DataConnector.from_sources(str(path), coerce_int96_timestamp_unit=unit)
    assert_same(read_all(connector)[1], expected, f"coerce_int96_timestamp_unit={unit}")
    if unit != "ns":
        assert read_all(connector)[1].column("t")[0].as_py().year == 1


def test_int96_unit_refuses_other_values(tmp_path):
    path = tmp_path / "int96.parquet"
    int96_timestamps(path)
    with pytest.raises(sluice.SluiceInvalidArgument, match="coerce_int96_timestamp_unit.*ns, us, ms or s"):
        sluice.DataConnector.from_sources(str(path), coerce_int96_timestamp_unit="days")


def test_uuid_written_without_an_arrow_schema_is_an_arrow_uuid(tmp_path):
    """duckdb writes UUID as a logical type only: both readers give arrow.uuid."""
    path = tmp_path / "u.parquet"
    duckdb_file(path)
    schema, table = read_all(sluice.DataConnector.from_sources(str(path)))
    assert schema.field("u").type == pa.uuid()
    assert table.column("u")[1].as_py() == uuid.UUID("00000000-0000-0000-0000-000000000001")


def test_fastparquet_file_without_columns_is_refused_naming_it(tmp_path):
    """fastparquet writes a column-less file's empty column list with an element type that the
    Rust Parquet reader refuses (pyarrow reads 6 rows of no columns): a clear error, never a crash."""
    path = tmp_path / "nocols.parquet"
    fastparquet.write(str(path), pd.DataFrame(index=range(ROWS)), write_index=False)
    assert pq.read_table(path).num_rows == ROWS
    with pytest.raises(sluice.SluiceInvalidData, match="nocols.parquet.*not a readable Parquet file"):
        sluice.DataConnector.from_sources(str(path))
