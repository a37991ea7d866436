"""Bad input: each error names the file or option and says what is wrong; no hangs, no crashes."""

import gc
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sluice
from _util import ids_table, write_parquet


def read_everything(sources, read_options=None, **source_options):
    """Open and read all rows; return the exception (a SluiceError from the C calls, or the
    pyarrow exception carrying the core's message when it came in the middle of the stream)."""
    try:
        connector = sluice.DataConnector.from_sources(sources, **source_options)
        connector.to_arrow(**(read_options or {})).read_all()
    except (sluice.SluiceError, pa.ArrowException, OSError) as exc:
        return exc
    raise AssertionError("no error")


# --- missing things --------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.parquet"
    with pytest.raises(sluice.SluiceNotFoundError) as info:
        sluice.DataConnector.from_sources(str(path))
    assert str(path) in str(info.value)


def test_missing_file_among_good_ones(tmp_path):
    good = write_parquet(tmp_path / "good.parquet", ids_table(0, 10), 5)
    with pytest.raises(sluice.SluiceNotFoundError, match="missing-too.parquet"):
        sluice.DataConnector.from_sources([str(good), str(tmp_path / "missing-too.parquet")])


def test_empty_directory(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(sluice.SluiceNotFoundError) as info:
        sluice.DataConnector.from_sources(str(empty))
    assert str(empty) in str(info.value)


def test_glob_matching_nothing(tmp_path):
    pattern = str(tmp_path / "*.parquet")
    with pytest.raises(sluice.SluiceNotFoundError) as info:
        sluice.DataConnector.from_sources(pattern)
    assert str(tmp_path) in str(info.value)


def test_no_sources():
    with pytest.raises(sluice.SluiceInvalidArgument):
        sluice.DataConnector.from_sources([])


def test_unknown_extension_without_format(tmp_path):
    path = tmp_path / "data.xyz"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(sluice.SluiceError, match=r"data\.xyz") as info:
        sluice.DataConnector.from_sources(str(path))
    assert info.value.status in (sluice.Status.UNSUPPORTED, sluice.Status.INVALID_ARGUMENT)


# --- corrupt files ---------------------------------------------------------------------------


def test_truncated_parquet(tmp_path):
    good = write_parquet(tmp_path / "whole.parquet", ids_table(0, 1000), 100)
    data = good.read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: len(data) // 2])
    exc = read_everything(str(cut))
    assert "cut.parquet" in str(exc)
    if isinstance(exc, sluice.SluiceError):
        assert exc.status == sluice.Status.INVALID_DATA


def test_truncated_footer_only(tmp_path):
    good = write_parquet(tmp_path / "whole.parquet", ids_table(0, 1000), 100)
    data = good.read_bytes()
    cut = tmp_path / "footless.parquet"
    cut.write_bytes(data[:-3])  # the trailing magic is gone
    exc = read_everything(str(cut))
    assert "footless.parquet" in str(exc)
    assert isinstance(exc, sluice.SluiceInvalidData)


def test_not_a_parquet_file(tmp_path):
    fake = tmp_path / "fake.parquet"
    fake.write_text("id,name\n1,a\n" * 100)
    with pytest.raises(sluice.SluiceInvalidData) as info:
        sluice.DataConnector.from_sources(str(fake))
    message = str(info.value)
    assert "fake.parquet" in message
    assert "parquet" in message.lower()


def test_corrupt_column_chunk(tmp_path):
    # a valid footer but garbage where the pages are: the error comes while reading
    good = write_parquet(tmp_path / "g.parquet", ids_table(0, 5000), 1000)
    data = bytearray(good.read_bytes())
    for i in range(200, 3000):
        data[i] = (data[i] * 7 + 13) % 256
    bad = tmp_path / "garbled.parquet"
    bad.write_bytes(bytes(data))
    exc = read_everything(str(bad))
    assert "garbled.parquet" in str(exc)


def test_empty_file(tmp_path):
    empty = tmp_path / "zero.parquet"
    empty.write_bytes(b"")
    exc = read_everything(str(empty))
    assert "zero.parquet" in str(exc)
    assert isinstance(exc, sluice.SluiceInvalidData)


# --- schema mismatch -------------------------------------------------------------------------


def test_schema_mismatch_type(tmp_path):
    write_parquet(tmp_path / "a.parquet", pa.table({"id": [1, 2], "x": [1.0, 2.0]}), 10)
    write_parquet(tmp_path / "b.parquet", pa.table({"id": [3, 4], "x": ["three", "four"]}), 10)
    with pytest.raises(sluice.SluiceSchemaMismatch) as info:
        sluice.DataConnector.from_sources(str(tmp_path))
    message = str(info.value)
    assert "b.parquet" in message
    assert "'x'" in message or '"x"' in message or "x:" in message or "column x" in message


def test_schema_mismatch_missing_column(tmp_path):
    write_parquet(tmp_path / "a.parquet", pa.table({"id": [1, 2], "label": [0, 1]}), 10)
    write_parquet(tmp_path / "b.parquet", pa.table({"id": [3, 4], "target": [1, 0]}), 10)
    with pytest.raises(sluice.SluiceSchemaMismatch) as info:
        sluice.DataConnector.from_sources([str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")])
    message = str(info.value)
    assert "b.parquet" in message
    assert "label" in message or "target" in message


def test_schema_mismatch_between_csv_files(tmp_path):
    (tmp_path / "a.csv").write_text("id,v\n1,2\n3,4\n")
    (tmp_path / "b.csv").write_text("id,w,z\n1,x,3\n")
    exc = read_everything(str(tmp_path))
    assert "b.csv" in str(exc)
    if isinstance(exc, sluice.SluiceError):
        assert exc.status in (sluice.Status.SCHEMA_MISMATCH, sluice.Status.INVALID_DATA)


# --- CSV -------------------------------------------------------------------------------------


def test_csv_row_with_wrong_number_of_fields(tmp_path):
    lines = ["a,b,c"] + [f"{i},{i},{i}" for i in range(50)] + ["51,51,51,51"] + [f"{i},{i},{i}" for i in range(52, 60)]
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n")
    exc = read_everything(str(path), schema="a:int64,b:int64,c:int64")
    message = str(exc)
    assert "ragged.csv" in message
    assert any(word in message.lower() for word in ("field", "column")), message
    if isinstance(exc, sluice.SluiceError):
        assert exc.status == sluice.Status.INVALID_DATA


def test_csv_row_with_wrong_number_of_fields_beyond_inference(tmp_path):
    lines = ["a,b"] + [f"{i},{i}" for i in range(3000)] + ["x"]
    path = tmp_path / "late-ragged.csv"
    path.write_text("\n".join(lines) + "\n")
    exc = read_everything(str(path), read_options={"batch_size": 100})
    assert "late-ragged.csv" in str(exc)


def test_csv_unparsable_value_with_explicit_schema(tmp_path):
    path = tmp_path / "badvalue.csv"
    path.write_text("a,b\n1,2\n3,four\n")
    exc = read_everything(str(path), schema="a:int64,b:int64")
    message = str(exc)
    assert "badvalue.csv" in message
    assert "four" in message


def test_ndjson_broken_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": \n')
    exc = read_everything(str(path))
    assert "broken.jsonl" in str(exc)


# --- options ---------------------------------------------------------------------------------


def test_unknown_source_option(tmp_path):
    good = write_parquet(tmp_path / "g.parquet", ids_table(0, 10), 5)
    with pytest.raises(sluice.SluiceInvalidArgument, match="bogus_option") as info:
        sluice.DataConnector.from_sources(str(good), bogus_option=1)
    assert info.value.status == sluice.Status.INVALID_ARGUMENT


def test_unknown_read_option(tmp_path):
    good = write_parquet(tmp_path / "g.parquet", ids_table(0, 10), 5)
    connector = sluice.DataConnector.from_sources(str(good))
    with pytest.raises(sluice.SluiceInvalidArgument, match="batchsize"):
        connector.to_arrow(batchsize=10)


@pytest.mark.parametrize(
    "key, value",
    [
        ("batch_size", 0),
        ("batch_size", "ten"),
        ("batch_size", -5),
        ("shuffle", "maybe"),
        ("memory_budget", "12XB"),
        ("equal_shards", "sometimes"),
        ("num_shards", 0),
        ("limit", "many"),
        ("seed", "x"),
        ("columns", '["a"'),
    ],
)
def test_bad_read_option_value_names_the_option(ids_connector, key, value):
    with pytest.raises(sluice.SluiceInvalidArgument, match=key):
        ids_connector.to_arrow(**{key: value}).read_all()


@pytest.mark.parametrize(
    "key, value",
    [
        ("format", "excel"),
        ("csv_delimiter", "ab"),
        ("csv_header", "perhaps"),
        ("csv_infer_rows", "x"),
        ("schema", "a:notatype"),
        ("anonymous", "sure"),
    ],
)
def test_bad_source_option_value_names_the_option(tmp_path, key, value):
    good = write_parquet(tmp_path / "g.parquet", ids_table(0, 10), 5)
    with pytest.raises(sluice.SluiceInvalidArgument, match=key):
        sluice.DataConnector.from_sources(str(good), **{key: value})


def test_shard_index_not_below_num_shards(ids_connector):
    with pytest.raises(sluice.SluiceInvalidArgument, match="shard_index") as info:
        ids_connector.to_arrow(num_shards=3, shard_index=3).read_all()
    assert "3" in str(info.value)


# --- network failures --------------------------------------------------------------------------


def run_python(code, timeout):
    """Run code in a fresh interpreter that imports the same sluice; return (rc, stdout, stderr, seconds)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(sluice.__file__).parent.parent), env.get("PYTHONPATH", "")])
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=timeout
    )
    return result.returncode, result.stdout, result.stderr, time.monotonic() - started


def test_unreachable_host_fails_fast():
    code = """
        import sluice
        try:
            sluice.DataConnector.from_sources("http://127.0.0.1:1/x.parquet", allow_http=True).to_arrow().read_all()
        except sluice.SluiceError as e:
            print("STATUS", e.status.name)
            print("MESSAGE", e)
        else:
            print("NO ERROR")
    """
    rc, out, err, seconds = run_python(code, timeout=90)
    assert rc == 0, err
    assert "STATUS IO" in out, out + err
    assert "127.0.0.1:1" in out
    assert any(word in out.lower() for word in ("connect", "refused")), out
    assert seconds < 60, f"took {seconds:.0f}s to give up on a refused connection"


def test_http_404(http_server):
    url = f"{http_server.url}/does/not/exist.parquet"
    with pytest.raises(sluice.SluiceNotFoundError) as info:
        sluice.DataConnector.from_sources(url, allow_http=True)
    assert "exist.parquet" in str(info.value)


def test_http_403(http_server):
    url = f"{http_server.url}/forbidden/secret.parquet"
    with pytest.raises(sluice.SluicePermissionError) as info:
        sluice.DataConnector.from_sources(url, allow_http=True)
    assert "secret.parquet" in str(info.value)


def test_http_500_is_io_even_when_the_name_holds_404(http_server):
    """issue 10: the kind comes from the HTTP status, not from "404" anywhere in the message."""
    url = f"{http_server.url}/failing/part-404.parquet"
    with pytest.raises(sluice.SluiceError) as info:
        sluice.DataConnector.from_sources(url, allow_http=True)
    assert info.value.status == sluice.Status.IO, info.value
    assert "part-404.parquet" in str(info.value)
    assert "500" in str(info.value)


# --- consumers that stop early -----------------------------------------------------------------


def test_consumer_stops_early_and_drops_the_reader(big_parquet):
    connector = sluice.DataConnector.from_sources(str(big_parquet.path))
    started = time.monotonic()
    for _ in range(5):
        reader = connector.to_arrow(batch_size=1000, memory_budget="2MiB", shuffle=True, shuffle_window=5000)
        next(iter(reader))
        next(iter(reader))
        del reader
        gc.collect()
    reader = connector.to_arrow()  # nothing read at all
    del reader
    gc.collect()
    with connector.to_arrow(batch_size=5000, columns=["id"]) as reader:
        batch = reader.read_next_batch()
        assert batch.column(0).to_pylist() == list(range(5000))
    assert time.monotonic() - started < 30


def test_iter_batches_closed_early(big_parquet):
    connector = sluice.DataConnector.from_sources(str(big_parquet.path))
    for i, batch in enumerate(connector.iter_batches(batch_size=10_000)):
        if i == 2:
            break
    assert batch["id"][0] == 20_000
    gen = connector.iter_batches(batch_size=10)
    next(gen)
    gen.close()


def test_connector_freed_before_stream(ids_dataset):
    connector = sluice.DataConnector.from_sources(str(ids_dataset.root))
    reader = connector.to_arrow(batch_size=700, columns=["id"])
    connector.close()
    del connector
    gc.collect()
    ids = [x for b in reader for x in b.column(0).to_pylist()]
    assert ids == list(range(ids_dataset.total))


def test_many_concurrent_readers(ids_connector, ids_dataset):
    import threading

    results = {}

    def work(i):
        results[i] = [
            x for b in ids_connector.to_arrow(columns=["id"], batch_size=100 + i) for x in b.column(0).to_pylist()
        ]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(results[i] == list(range(ids_dataset.total)) for i in range(8))


def garble(path, out):
    """A copy of a Parquet file whose footer is intact but whose first pages are garbage."""
    data = bytearray(path.read_bytes())
    for i in range(200, 3000):
        data[i] = (data[i] * 7 + 13) % 256
    out.write_bytes(bytes(data))
    return out


def test_error_mid_stream_is_a_sluice_error(tmp_path):
    # a good file, then one whose pages do not decode: the error comes from get_next after
    # good batches, as the core's SluiceError (not pyarrow's ArrowInvalid) with its message
    write_parquet(tmp_path / "a.parquet", ids_table(0, 500), 100)
    garble(write_parquet(tmp_path / "src" / "g.parquet", ids_table(500, 5000), 1000), tmp_path / "b.parquet")
    connector = sluice.DataConnector.from_sources([str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")])
    reader = connector.to_arrow(batch_size=100, threads=1)
    first = reader.read_next_batch()
    assert first.column("id").to_pylist() == list(range(100))
    with pytest.raises(sluice.SluiceInvalidData) as info:
        for _ in reader:
            pass
    assert info.value.status == sluice.Status.INVALID_DATA
    message = str(info.value)
    assert "b.parquet" in message
    # the stream stays errored: a consumer that goes on never takes the error for the end
    with pytest.raises(sluice.SluiceInvalidData, match="b.parquet"):
        reader.read_next_batch()
    del reader
    gc.collect()


def corrupt_second_row_group(path, out):
    """A copy of a Parquet file with a valid footer whose second row group's column chunks
    (pages and their headers) are overwritten with garbage."""
    data = bytearray(path.read_bytes())
    group = pq.ParquetFile(path).metadata.row_group(1)
    for i in range(group.num_columns):
        chunk = group.column(i)
        start = chunk.dictionary_page_offset or chunk.data_page_offset
        data[start : start + chunk.total_compressed_size] = b"\xa5" * chunk.total_compressed_size
    out.write_bytes(bytes(data))
    return out


@pytest.fixture
def corrupt_pages(tmp_path):
    """(path, table): 3 row groups of 1000 rows, the second one garbage."""
    table = ids_table(0, 3000)
    good = write_parquet(tmp_path / "good.parquet", table, 1000)
    return corrupt_second_row_group(good, tmp_path / "corrupt-pages.parquet"), table


@pytest.mark.parametrize(
    "consume",
    [
        pytest.param(lambda reader: [b for b in reader], id="iterate"),
        pytest.param(lambda reader: reader.read_all(), id="read_all"),
        pytest.param(lambda reader: reader.read_pandas(), id="read_pandas"),
    ],
)
def test_corrupt_page_found_while_iterating_raises_sluice_error(corrupt_pages, consume):
    path, table = corrupt_pages
    connector = sluice.DataConnector.from_sources(str(path))  # the footer is fine: opens
    reader = connector.to_arrow(batch_size=1000, threads=1)
    first = reader.read_next_batch()
    assert first.equals(table.slice(0, 1000).to_batches()[0])
    with pytest.raises(sluice.SluiceError) as info:
        consume(reader)
    assert isinstance(info.value, sluice.SluiceInvalidData), repr(info.value)
    assert info.value.status == sluice.Status.INVALID_DATA
    assert "corrupt-pages.parquet" in str(info.value)


def test_corrupt_page_through_arrow_c_stream_keeps_the_message(corrupt_pages):
    # a consumer of __arrow_c_stream__ gets pyarrow's error with the core's message
    path, _ = corrupt_pages
    reader = sluice.DataConnector.from_sources(str(path)).to_arrow(batch_size=1000, threads=1)
    imported = pa.RecordBatchReader._import_from_c_capsule(reader.__arrow_c_stream__())
    with pytest.raises(Exception, match="corrupt-pages.parquet"):
        imported.read_all()


def test_corrupt_page_in_iter_batches_and_to_pandas(corrupt_pages):
    path, _ = corrupt_pages
    connector = sluice.DataConnector.from_sources(str(path))
    with pytest.raises(sluice.SluiceInvalidData, match="corrupt-pages.parquet"):
        list(connector.iter_batches(batch_size=1000, threads=1))
    with pytest.raises(sluice.SluiceInvalidData, match="corrupt-pages.parquet"):
        connector.to_pandas(batch_size=1000, threads=1)


def test_status_enum_matches_the_header():
    header = Path(__file__).resolve().parents[2] / "include" / "sluice.h"
    text = header.read_text()
    body = text[text.index("typedef enum sluice_status {") : text.index("} sluice_status;")]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    in_header = {name: int(value) for name, value in re.findall(r"SLUICE_(\w+)\s*=\s*(\d+)", body)}
    assert len(in_header) >= 10
    assert {status.name: status.value for status in sluice.Status} == in_header


@pytest.mark.parametrize(
    "options, name",
    [
        ({"batch_size": "5\x00junk"}, "batch_size"),
        ({"memory_budget": "1MiB\x00junk"}, "memory_budget"),
        ({"label\x00junk": "x"}, "label"),
    ],
)
def test_nul_in_a_read_option_is_refused(ids_connector, options, name):
    with pytest.raises(sluice.SluiceInvalidArgument, match=f"{name}.*NUL") as info:
        ids_connector.to_arrow(**options)
    assert "junk" not in str(info.value).split("NUL")[1]  # the value is not echoed
    with pytest.raises(sluice.SluiceInvalidArgument, match=name):
        ids_connector.count_rows(**options)


def test_nul_in_a_source_option_or_source_is_refused(tmp_path):
    good = write_parquet(tmp_path / "g.parquet", ids_table(0, 10), 5)
    with pytest.raises(sluice.SluiceInvalidArgument, match="csv_delimiter.*NUL"):
        sluice.DataConnector.from_sources(str(good), csv_delimiter=",\x00")
    with pytest.raises(sluice.SluiceInvalidArgument, match="secret_access_key.*NUL") as info:
        sluice.DataConnector.from_sources(str(good), secret_access_key="hunter2\x00")
    assert "hunter2" not in str(info.value)
    with pytest.raises(sluice.SluiceInvalidArgument, match="NUL"):
        sluice.DataConnector.from_sources(str(good) + "\x00.csv")


def test_file_removed_after_open(tmp_path):
    write_parquet(tmp_path / "a.parquet", ids_table(0, 300), 100)
    write_parquet(tmp_path / "b.parquet", ids_table(300, 300), 100)
    connector = sluice.DataConnector.from_sources(str(tmp_path))
    (tmp_path / "b.parquet").unlink()
    with pytest.raises(sluice.SluiceNotFoundError) as info:
        connector.to_arrow(batch_size=100).read_all()
    assert "b.parquet" in str(info.value)


# --- issue 9: schema names, unknown keys, a footer over cut data -------------------------------


def test_csv_schema_names_must_match_the_header(tmp_path):
    path = tmp_path / "ab.csv"
    path.write_text("a,b\n1,x\n")
    with pytest.raises(sluice.SluiceInvalidArgument, match=r"'a'.*twice"):
        sluice.DataConnector.from_sources(str(path), schema="a:int64,a:int64")
    with pytest.raises(sluice.SluiceSchemaMismatch, match=r"ab\.csv.*'c'.*'b'"):
        sluice.DataConnector.from_sources(str(path), schema="a:int64,c:utf8")
    with pytest.raises(sluice.SluiceSchemaMismatch, match=r"ab\.csv.*'b'"):
        sluice.DataConnector.from_sources(str(path), schema="a:int64")


def test_ndjson_key_after_inferred_rows_is_an_error(tmp_path):
    path = tmp_path / "late.jsonl"
    path.write_text("".join(f'{{"a": {i}}}\n' for i in range(3000)) + '{"a": 1, "zz": 5}\n')
    with pytest.raises(sluice.SluiceInvalidData) as info:
        sluice.DataConnector.from_sources(str(path))
    message = str(info.value)
    for part in ("late.jsonl", "'zz'", "line 3001", "ndjson_unknown_keys"):
        assert part in message, message
    with pytest.raises(sluice.SluiceInvalidArgument, match="ndjson_unknown_keys"):
        sluice.DataConnector.from_sources(str(path), ndjson_unknown_keys="skip")


def test_parquet_data_cut_under_its_footer(tmp_path):
    good = write_parquet(tmp_path / "whole.parquet", ids_table(0, 5000), 1000)
    data = good.read_bytes()
    middle = len(data) // 3
    cut = tmp_path / "cut-middle.parquet"
    cut.write_bytes(data[:middle] + data[middle + 500 :])  # the footer is whole
    assert pq.ParquetFile(cut).metadata.num_rows == 5000
    message = r"cut-middle\.parquet.*truncated or its data does not match its footer"
    with pytest.raises(sluice.SluiceInvalidData, match=message):
        sluice.DataConnector.from_sources(str(cut))
