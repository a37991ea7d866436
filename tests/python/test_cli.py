"""The `sluice` command line (docs/cli.md) as a user runs it: a subprocess, its exit status,
its stdout (values compared with pyarrow's, `--json` parsed) and stderr; the progress bar
through a pseudo-terminal.

The program is $SLUICE_CLI, or target/release/sluice of $CARGO_TARGET_DIR (tools/setup and
tools/test-all build it: cargo build --release --features cli).
"""

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import sluice

REPO = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
CLI = Path(os.environ.get("SLUICE_CLI") or TARGET / "release" / "sluice")
ROWS = 2000


def run(*args, check_status=0):
    if not CLI.is_file():
        pytest.fail(f"{CLI} is missing: build it with `cargo build --release --features cli` (or set SLUICE_CLI)")
    result = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=60)
    assert result.returncode == check_status, (result.returncode, result.stdout, result.stderr)
    return result


def run_json(*args):
    result = run(*args, "--json")
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def table():
    ids = pa.array(range(ROWS), pa.int64())
    return pa.table(
        {
            "id": ids,
            "x": pa.array([None if i % 7 == 0 else i * 0.25 - 100 for i in range(ROWS)], pa.float64()),
            "name": pa.array([f"name {i:05d}" for i in range(ROWS)]),
            "ts": pc.multiply(ids, 1000).cast(pa.timestamp("ms")),
            "point": pa.array([{"a": i} for i in range(ROWS)], pa.struct([("a", pa.int64())])),
        }
    )


@pytest.fixture(scope="module")
def parquet_file(tmp_path_factory, table):
    path = tmp_path_factory.mktemp("cli") / "table.parquet"
    pq.write_table(table, path, row_group_size=700)
    return path


def test_version_is_the_package_version():
    assert run("--version").stdout.strip() == f"sluice {sluice.__version__}"


def test_schema_names_every_column_with_its_type(parquet_file, table):
    document = run_json("schema", parquet_file)
    assert [c["name"] for c in document["columns"]] == table.column_names
    types = {c["name"]: c["type"] for c in document["columns"]}
    assert (types["id"], types["x"], types["name"], types["ts"]) == ("Int64", "Float64", "Utf8", "Timestamp(ms)")
    assert run("schema", parquet_file).stdout.splitlines()[0] == "id: Int64"
    # read options apply: the schema after the column policy
    tensor = run_json("schema", parquet_file, "-r", "columns=ts,id", "-r", "tensors=true")
    assert [(c["name"], c["type"]) for c in tensor["columns"]] == [("ts", "Int64"), ("id", "Int64")]


def test_count_follows_the_read_options(parquet_file):
    assert run("count", parquet_file).stdout.strip() == str(ROWS)
    assert run_json("count", parquet_file) == {"rows": ROWS, "fragments": 3}
    shard = sluice.DataConnector.from_sources(str(parquet_file)).count_rows(num_shards=3, shard_index=1)
    assert run_json("count", parquet_file, "-r", "num_shards=3", "-r", "shard_index=1")["rows"] == shard
    assert run_json("count", parquet_file, "-r", "limit=15")["rows"] == 15


def test_head_rows_equal_pyarrow(parquet_file, table):
    rows = run_json("head", parquet_file, "-n", 5, "-r", "columns=id,x,name")
    assert rows == table.select(["id", "x", "name"]).slice(0, 5).to_pylist()
    assert list(rows[0]) == ["id", "x", "name"]  # keys in column order
    text = run("head", parquet_file, "-n", 3).stdout
    assert "name 00002" in text and "name 00003" not in text


def test_stats_match_pyarrow_and_the_column_policy(parquet_file, table):
    document = run_json("stats", parquet_file)
    assert document["rows"] == ROWS
    columns = {c["name"]: c for c in document["columns"]}
    for name in ["id", "x", "name"]:
        expected = pc.min_max(table[name])
        assert columns[name]["nulls"] == table[name].null_count, name
        assert (columns[name]["min"], columns[name]["max"]) == (expected["min"].as_py(), expected["max"].as_py()), name
    assert columns["ts"]["min"] == "1970-01-01T00:00:00" and columns["ts"]["max"] == "1970-01-01T00:33:19"
    assert (columns["id"]["tensor"], columns["name"]["tensor"], columns["ts"]["tensor"]) == ("Int64", "Utf8", "Int64")
    assert columns["x"]["tensor"].startswith("Float64") and "null_fill" in columns["x"]["tensor"]
    assert columns["point"]["tensor"] is None and "'point'" in columns["point"]["tensor_error"]
    # tensor options given with -r change the verdict
    filled = run_json("stats", parquet_file, "-r", "columns=x", "-r", "null_fill=0")
    assert filled["columns"][0]["tensor"] == "Float64"


def test_convert_writes_parquet_that_pyarrow_reads(parquet_file, table, tmp_path):
    out = tmp_path / "out.parquet"
    document = run_json("convert", parquet_file, out, "-r", "columns=id,name", "--row-group-size", 500)
    assert document["rows"] == ROWS and document["bytes"] == out.stat().st_size
    assert pq.read_table(out).equals(table.select(["id", "name"]))
    assert pq.ParquetFile(out).metadata.num_row_groups == 4
    # DST exists: refused and kept, unless --overwrite
    before = out.read_bytes()
    failed = run("convert", parquet_file, out, check_status=1)
    assert "--overwrite" in failed.stderr and out.read_bytes() == before
    run("convert", parquet_file, out, "-r", "limit=10", "--overwrite")
    assert pq.read_table(out).num_rows == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]


def test_convert_csv_files_with_source_options(tmp_path):
    first, second = tmp_path / "rows-1.txt", tmp_path / "rows-2.txt"
    first.write_text("a;b\n1;x\n2;y\n")
    second.write_text("a;b\n3;z\n")
    out = tmp_path / "rows.parquet"
    run("convert", "--format", "csv", "-o", "csv_delimiter=;", first, second, out)
    assert pq.read_table(out).to_pylist() == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, {"a": 3, "b": "z"}]


def test_bench_reports_rows_and_rates(parquet_file):
    document = run_json("bench", parquet_file, "--columns", "id,x", "--batch-size", 300)
    assert document["rows"] == ROWS and document["batches"] == -(-ROWS // 300)
    assert document["bytes"] >= ROWS * 16 and document["rows_per_second"] > 0 and document["megabytes_per_second"] > 0
    assert "rows/s" in run("bench", parquet_file).stdout


@pytest.mark.parametrize(
    "args, status, names",
    [
        (["count", "{missing}"], 2, "{missing}"),
        (["count", "{file}", "-o", "bogus=1"], 1, "unknown source option 'bogus'"),
        (["head", "{file}", "-r", "batch_size=0"], 1, "'batch_size'"),
        (["count", "{file}", "-r", "nonsense"], 1, "-r 'nonsense': expected KEY=VALUE"),
        (["frobnicate"], 1, "frobnicate"),
        (["count", "{corrupt}"], 4, "corrupt.parquet"),
        (["count", "{file}", "{other}"], 5, "other.parquet"),
        (["convert", "{file}", "s3://bucket/out.parquet"], 7, "s3://bucket/out.parquet"),
    ],
)
def test_errors_go_to_stderr_with_the_status_of_their_kind(parquet_file, tmp_path, args, status, names):
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 this is not parquet PAR1")
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"something": ["else"]}), other)
    paths = {"file": parquet_file, "missing": tmp_path / "missing.parquet", "corrupt": corrupt, "other": other}
    result = run(*[a.format(**paths) for a in args], check_status=status)
    assert result.stdout == ""
    assert names.format(**paths) in result.stderr, result.stderr


def test_no_progress_bar_when_stderr_is_not_a_terminal(parquet_file):
    assert run("bench", parquet_file).stderr == ""


def run_on_a_terminal(*args):
    """Runs the program with stderr on a pseudo-terminal (120 columns); returns (status, stdout, terminal text)."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    process = subprocess.Popen(
        [str(CLI), *map(str, args)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal
    )
    os.close(terminal)
    screen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the program closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    os.close(controller)
    stdout = process.stdout.read()
    process.stdout.close()
    return process.wait(timeout=60), stdout.decode(), screen.decode(errors="replace")


def test_progress_bar_on_a_terminal(parquet_file):
    status, stdout, screen = run_on_a_terminal("bench", parquet_file)
    assert status == 0 and "rows/s" in stdout
    # rows done of the total (counted before reading), bytes, rate and time left
    assert f"{ROWS:,}/{ROWS:,} rows" in screen, screen
    assert "KiB" in screen and "ETA" in screen and "bench" in screen, screen
    status, _, screen = run_on_a_terminal("bench", parquet_file, "--quiet")
    assert status == 0 and screen == ""


def test_console_script_runs_the_command_line_in_the_library(parquet_file):
    """`sluice` of the Python package: sluice._cli hands the arguments to the library's sluice_cli_main."""
    result = subprocess.run(
        [sys.executable, "-m", "sluice._cli", "count", "--json", str(parquet_file)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    if os.environ.get("SLUICE_LIBRARY"):
        # a library built by cargo without the python-cli feature (the C library) says so
        assert result.returncode == 7 and "python-cli" in result.stderr, result
    else:
        # the installed package: its library carries the command line
        assert result.returncode == 0, result
        assert json.loads(result.stdout) == {"rows": ROWS, "fragments": 3}
