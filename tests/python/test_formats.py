"""Every format and every way of naming sources, compared batch by batch with pyarrow."""

import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest

import sluice
from _util import assert_batches_match, assert_same_schema, assert_table_equal, ids_table, typed_table


def read_batches(connector, **read_options):
    with connector.to_arrow(**read_options) as reader:
        return list(reader)


# --- Parquet -------------------------------------------------------------------------------


def test_parquet_directory_is_recursive_and_in_path_order(parquet_dataset):
    connector = sluice.DataConnector.from_sources(str(parquet_dataset.root))
    expected = parquet_dataset.expected
    assert_same_schema(connector.schema, expected.schema)
    assert connector.num_rows == expected.num_rows == 4122
    batches = read_batches(connector, batch_size=500)
    assert_batches_match(batches, expected, 500)


def test_parquet_list_of_files_keeps_the_given_order(parquet_dataset):
    files = list(reversed(parquet_dataset.files))
    connector = sluice.DataConnector.from_sources([str(f) for f in files])
    expected = pa.concat_tables([pq.read_table(f) for f in files])
    assert_batches_match(read_batches(connector, batch_size=999), expected, 999)


def test_parquet_single_file_default_batch(parquet_dataset):
    path = parquet_dataset.files[0]
    connector = sluice.DataConnector.from_sources(str(path))
    batches = read_batches(connector)
    expected = pq.read_table(path)
    assert_batches_match(batches, expected, 65536)  # default batch_size: everything in one batch
    assert len(batches) == 1


def test_parquet_glob(ids_dataset):
    pattern = str(ids_dataset.root / "ids-0[13]*.parquet")
    connector = sluice.DataConnector.from_sources(pattern)
    files = [ids_dataset.files[1], ids_dataset.files[3]]
    expected = pa.concat_tables([pq.read_table(f) for f in files])
    assert_batches_match(read_batches(connector, batch_size=333), expected, 333)


def test_parquet_glob_star(ids_dataset):
    connector = sluice.DataConnector.from_sources(str(ids_dataset.root / "*.parquet"))
    expected = pa.concat_tables([pq.read_table(f) for f in ids_dataset.files])
    assert_batches_match(read_batches(connector, batch_size=1000), expected, 1000)


def test_parquet_recursive_glob(parquet_dataset):
    connector = sluice.DataConnector.from_sources(str(parquet_dataset.root / "**" / "*.parquet"))
    assert_batches_match(read_batches(connector, batch_size=700), parquet_dataset.expected, 700)


def test_parquet_mixed_sources_directory_and_file(parquet_dataset, ids_dataset):
    # a directory, then a single file: sources in the given order
    files = [str(parquet_dataset.root / "sub"), str(parquet_dataset.files[0])]
    connector = sluice.DataConnector.from_sources(files)
    expected = pa.concat_tables([pq.read_table(f) for f in parquet_dataset.files[1:] + parquet_dataset.files[:1]])
    assert_batches_match(read_batches(connector, batch_size=1024), expected, 1024)


def test_parquet_compressions(tmp_path):
    expected_parts = []
    for index, codec in enumerate(["none", "snappy", "zstd", "gzip", "lz4"]):
        table = ids_table(index * 100, 100)
        pq.write_table(table, tmp_path / f"c{index}-{codec}.parquet", compression=codec, row_group_size=30)
        expected_parts.append(table)
    connector = sluice.DataConnector.from_sources(str(tmp_path))
    assert_batches_match(read_batches(connector, batch_size=64), pa.concat_tables(expected_parts), 64)


# --- Arrow IPC -----------------------------------------------------------------------------


def ipc_table(start, n):
    table = typed_table(start, n)
    extra = pa.table(
        {
            "half": pa.array(np.arange(n, dtype=np.float16)),
            "dur": pa.array(np.arange(n, dtype=np.int64) * 1000, pa.duration("ms")),
        }
    )
    for name in extra.column_names:
        table = table.append_column(name, extra.column(name))
    return table


def write_ipc_file(path, table, batch_rows):
    with ipc.new_file(path, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=batch_rows):
            writer.write_batch(batch)


def write_ipc_stream(path, table, batch_rows):
    with ipc.new_stream(path, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=batch_rows):
            writer.write_batch(batch)


def test_ipc_file_and_stream_formats(tmp_path):
    t0, t1, t2 = ipc_table(0, 500), ipc_table(500, 321), ipc_table(821, 1003)
    write_ipc_file(tmp_path / "a.arrow", t0, 128)
    write_ipc_stream(tmp_path / "b.arrows", t1, 100)
    write_ipc_file(tmp_path / "c.ipc", t2, 1000)
    connector = sluice.DataConnector.from_sources(str(tmp_path))
    expected = pa.concat_tables([t0, t1, t2])
    assert connector.num_rows == expected.num_rows
    assert_batches_match(read_batches(connector, batch_size=256), expected, 256)


def test_ipc_stream_told_apart_by_magic_bytes(tmp_path):
    table = ipc_table(0, 250)
    write_ipc_stream(tmp_path / "s.arrow", table, 64)  # a stream behind a file extension
    write_ipc_file(tmp_path / "f.bin", table, 64)  # a file behind an unknown extension
    for name in ["s.arrow", "f.bin"]:
        connector = sluice.DataConnector.from_sources(str(tmp_path / name), format="ipc")
        assert_batches_match(read_batches(connector, batch_size=100), table, 100)


def test_feather_uncompressed(tmp_path):
    table = ipc_table(0, 300)
    feather.write_feather(table, tmp_path / "u.feather", compression="uncompressed", chunksize=77)
    connector = sluice.DataConnector.from_sources(str(tmp_path / "u.feather"))
    assert_batches_match(read_batches(connector, batch_size=100), table, 100)


@pytest.mark.parametrize("codec", ["lz4", "zstd"])
def test_feather_compressed_default(tmp_path, codec):
    # pyarrow's write_feather compresses with LZ4 by default: users' .feather files look like this
    table = ipc_table(0, 300)
    feather.write_feather(table, tmp_path / "c.feather", compression=codec, chunksize=77)
    connector = sluice.DataConnector.from_sources(str(tmp_path / "c.feather"))
    assert_batches_match(read_batches(connector, batch_size=100), table, 100)


# --- CSV -----------------------------------------------------------------------------------

CSV_NAMES = ["id", "name", "score", "flag"]


def csv_rows(start, n):
    rows = []
    for i in range(start, start + n):
        name = ["plain", "with, comma", 'say "hi"', "multi\nline", "ünï"][i % 5] + f" {i}"
        score = "" if i % 11 == 0 else f"{(i * 0.25 - 7):.2f}"
        rows.append([str(i), name, score, "true" if i % 2 else "false"])
    return rows


def write_csv(path, rows, header=CSV_NAMES, delimiter=",", quote='"'):
    def field(value):
        if any(c in value for c in (delimiter, quote, "\n")):
            return quote + value.replace(quote, quote * 2) + quote
        return value

    lines = []
    if header:
        lines.append(delimiter.join(field(h) for h in header))
    lines += [delimiter.join(field(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


CSV_TYPES = {"id": pa.int64(), "name": pa.string(), "score": pa.float64(), "flag": pa.bool_()}


def pyarrow_csv(path, header=True, delimiter=",", quote='"', names=CSV_NAMES, types=CSV_TYPES):
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=None if header else names),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=quote, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=types),
    )


def test_csv_inferred_schema_several_files(tmp_path):
    files = [
        write_csv(tmp_path / "a.csv", csv_rows(0, 250)),
        write_csv(tmp_path / "b.csv", csv_rows(250, 13)),
        write_csv(tmp_path / "c.csv", csv_rows(263, 400)),
    ]
    connector = sluice.DataConnector.from_sources(str(tmp_path))
    expected = pa.concat_tables([pyarrow_csv(f) for f in files])
    assert [str(t) for t in connector.schema.types] == ["int64", "string", "double", "bool"]
    assert connector.schema.names == CSV_NAMES
    assert_batches_match(read_batches(connector, batch_size=100), expected, 100)


def test_csv_explicit_schema_with_dates_and_timestamps(tmp_path):
    rows = [
        [str(i), f"2024-01-{1 + i % 28:02d}", f"2024-02-03T04:05:{i % 60:02d}.{i % 1000:03d}", str(i * 3)]
        for i in range(300)
    ]
    path = write_csv(tmp_path / "t.csv", rows, header=["id", "day", "ts", "small"])
    schema = "id:int64,day:date32,ts:timestamp[ms],small:int16"
    connector = sluice.DataConnector.from_sources(str(path), schema=schema)
    types = {"id": pa.int64(), "day": pa.date32(), "ts": pa.timestamp("ms"), "small": pa.int16()}
    expected = pyarrow_csv(path, names=list(types), types=types)
    assert [str(t) for t in connector.schema.types] == ["int64", "date32[day]", "timestamp[ms]", "int16"]
    assert_batches_match(read_batches(connector, batch_size=128), expected, 128)


def test_csv_delimiter_and_quote(tmp_path):
    path = write_csv(tmp_path / "semi.csv", csv_rows(0, 120), delimiter=";", quote="'")
    connector = sluice.DataConnector.from_sources(str(path), csv_delimiter=";", csv_quote="'")
    expected = pyarrow_csv(path, delimiter=";", quote="'")
    assert_batches_match(read_batches(connector, batch_size=50), expected, 50)


def test_tsv_extension_sets_tab_delimiter(tmp_path):
    path = write_csv(tmp_path / "t.tsv", csv_rows(0, 90), delimiter="\t")
    connector = sluice.DataConnector.from_sources(str(path))
    assert_batches_match(read_batches(connector, batch_size=40), pyarrow_csv(path, delimiter="\t"), 40)


def test_csv_tab_delimiter_escape(tmp_path):
    path = write_csv(tmp_path / "t.txt", csv_rows(0, 30), delimiter="\t")
    connector = sluice.DataConnector.from_sources(str(path), format="csv", csv_delimiter="\\t")
    assert_batches_match(read_batches(connector, batch_size=40), pyarrow_csv(path, delimiter="\t"), 40)


def test_csv_without_header_uses_schema_names(tmp_path):
    path = write_csv(tmp_path / "nohead.data", csv_rows(5, 77), header=None)
    connector = sluice.DataConnector.from_sources(
        str(path), format="csv", csv_header=False, schema="id:int64,name:utf8,score:float64,flag:bool"
    )
    expected = pyarrow_csv(path, header=False)
    assert connector.schema.names == CSV_NAMES
    assert_batches_match(read_batches(connector, batch_size=30), expected, 30)


def test_csv_infer_rows_option(tmp_path):
    # the first 20 rows look like integers, later ones are floats: with csv_infer_rows=20
    # the column is int64 and the later rows are an error; with the default it is float64
    rows = [[str(i), str(i) if i < 20 else f"{i}.5"] for i in range(60)]
    path = write_csv(tmp_path / "late.csv", rows, header=["id", "v"])
    default = sluice.DataConnector.from_sources(str(path))
    assert str(default.schema.field("v").type) == "double"
    narrow = sluice.DataConnector.from_sources(str(path), csv_infer_rows=20)
    assert str(narrow.schema.field("v").type) == "int64"
    with pytest.raises((sluice.SluiceError, pa.ArrowException, OSError), match=r"late\.csv"):
        narrow.to_arrow().read_all()


# --- NDJSON --------------------------------------------------------------------------------


def write_ndjson(path, start, n):
    with open(path, "w", encoding="utf-8") as f:
        for i in range(start, start + n):
            record = {"id": i, "name": f'n{i} "q" ü', "score": i * 0.5, "flag": bool(i % 3), "tags": list(range(i % 3))}
            if (i - start) % 9 == 4:
                del record["score"]  # a missing key is a null
            f.write(json.dumps(record) + "\n")
    return path


def test_ndjson_inferred_several_files(tmp_path):
    files = [
        write_ndjson(tmp_path / "a.jsonl", 0, 150),
        write_ndjson(tmp_path / "b.ndjson", 150, 61),
        write_ndjson(tmp_path / "c.json", 211, 333),
    ]
    connector = sluice.DataConnector.from_sources([str(f) for f in files])
    expected = pa.concat_tables([pajson.read_json(f) for f in files])
    assert_same_schema(connector.schema, expected.schema)
    assert_batches_match(read_batches(connector, batch_size=64), expected, 64)


def test_ndjson_explicit_schema_and_projection(tmp_path):
    path = write_ndjson(tmp_path / "a.data", 0, 100)
    connector = sluice.DataConnector.from_sources(
        str(path), format="ndjson", schema="id:int32,name:utf8,score:float32,flag:bool", ndjson_unknown_keys="ignore"
    )
    schema = pa.schema([("id", pa.int32()), ("name", pa.string()), ("score", pa.float32()), ("flag", pa.bool_())])
    expected = pajson.read_json(
        path, parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    )
    assert_batches_match(read_batches(connector, batch_size=33), expected, 33)
    projected = read_batches(connector, batch_size=40, columns=["score", "id"])
    assert_table_equal(pa.Table.from_batches(projected), expected.select(["score", "id"]))


def test_format_aliases(tmp_path):
    path = write_ndjson(tmp_path / "x.dat", 0, 10)
    for alias in ["ndjson", "json", "jsonl"]:
        assert sluice.DataConnector.from_sources(str(path), format=alias).num_rows == 10
    table = ids_table(0, 10)
    write_ipc_file(tmp_path / "y.dat", table, 4)
    for alias in ["ipc", "arrow", "feather"]:
        assert sluice.DataConnector.from_sources(str(tmp_path / "y.dat"), format=alias).num_rows == 10


# --- wide files and the schema option (issue 9) --------------------------------------------


def test_wide_csv_opens_and_reads_the_right_values(tmp_path):
    # 10,000 columns used to make the row counter reserve 65,536 rows of every column and abort
    n = 10_000
    path = tmp_path / "w.csv"
    path.write_text(",".join(f"c{i}" for i in range(n)) + "\n" + ",".join(str(i) for i in range(n)) + "\n")
    connector = sluice.DataConnector.from_sources(str(path))
    assert connector.num_rows == 1
    expected = pacsv.read_csv(path)
    assert_table_equal(pa.Table.from_batches(read_batches(connector)), expected)


def test_wide_ndjson_opens_and_reads_the_right_values(tmp_path):
    n = 2_000
    path = tmp_path / "w.jsonl"
    with open(path, "w") as f:
        for row in range(3):
            f.write(json.dumps({f"k{i}": i * 10 + row for i in range(n)}) + "\n")
    connector = sluice.DataConnector.from_sources(str(path))
    expected = pajson.read_json(path)
    assert_table_equal(pa.Table.from_batches(read_batches(connector, batch_size=2)), expected)


def test_csv_schema_option_matches_columns_by_name(tmp_path):
    path = write_csv(tmp_path / "t.csv", csv_rows(0, 60))
    connector = sluice.DataConnector.from_sources(str(path), schema="flag:bool,score:float64,id:int64,name:utf8")
    assert connector.schema.names == ["flag", "score", "id", "name"]
    expected = pyarrow_csv(path).select(["flag", "score", "id", "name"])
    assert_batches_match(read_batches(connector, batch_size=25), expected, 25)
    # a second file whose header lists the same columns in another order reads by name too
    other = write_csv(
        tmp_path / "u.csv", [[r[3], r[2], r[1], r[0]] for r in csv_rows(60, 30)], header=["flag", "score", "name", "id"]
    )
    both = sluice.DataConnector.from_sources([str(path), str(other)])
    expected = pa.concat_tables([pyarrow_csv(path), pyarrow_csv(other).select(CSV_NAMES)])
    assert_batches_match(read_batches(both, batch_size=40), expected, 40)


def test_ndjson_unknown_keys_ignored_on_request(tmp_path):
    path = tmp_path / "late.jsonl"
    path.write_text("".join(json.dumps({"a": i}) + "\n" for i in range(3000)) + json.dumps({"a": 1, "zz": 5}) + "\n")
    connector = sluice.DataConnector.from_sources(str(path), ndjson_unknown_keys="ignore")
    assert connector.schema.names == ["a"]
    assert_table_equal(pa.Table.from_batches(read_batches(connector)), pajson.read_json(path).select(["a"]))
    whole = sluice.DataConnector.from_sources(str(path), csv_infer_rows=5000)
    assert_table_equal(pa.Table.from_batches(read_batches(whole)), pajson.read_json(path))
