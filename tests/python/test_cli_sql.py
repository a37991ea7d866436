"""The `sluice` command line with a query as SRC (`--sql QUERY --uri URI [--driver NAME]`,
docs/cli.md), run as a user runs it against a real PostgreSQL (tests/python/_postgres.py);
values compared with what ADBC's own Python path returns."""

import json
import os
import subprocess
from pathlib import Path

import _postgres
import adbc_driver_postgresql
import adbc_driver_postgresql.dbapi
import pyarrow.parquet as pq
import pytest
from test_cli import CLI

ROWS = 3000
QUERY = "SELECT id, label, x, name FROM train ORDER BY id"
#: where the short name `postgresql` is found: the site-packages of this Python's driver wheel
DRIVER_PATH = str(Path(adbc_driver_postgresql.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def postgres():
    server = _postgres.start()
    try:
        server.execute(
            "CREATE TABLE train AS SELECT g::int8 AS id, (g % 5)::int4 AS label, g * 0.5::float8 AS x, "
            f"'row ' || g AS name FROM generate_series(1, {ROWS}) g"
        )
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def expected(postgres):
    with adbc_driver_postgresql.dbapi.connect(postgres.uri()) as conn, conn.cursor() as cur:
        cur.execute(QUERY)
        return cur.fetch_arrow_table()


def sluice_cli(*args, status=0, **env_vars):
    if not CLI.is_file():
        pytest.fail(f"{CLI} is missing: build it with `cargo build --release --features cli` (or set SLUICE_CLI)")
    env = dict(os.environ, SLUICE_ADBC_DRIVER_PATH=DRIVER_PATH, **env_vars)
    result = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    return result


def sql_json(postgres, command, *args, query=QUERY):
    return json.loads(sluice_cli(command, "--sql", query, "--uri", postgres.uri(), *args, "--json").stdout)


def test_head_count_schema_and_stats_of_a_query(postgres, expected):
    assert sql_json(postgres, "head", "-n", 4) == expected.slice(0, 4).to_pylist()
    assert sql_json(postgres, "count")["rows"] == ROWS
    schema = sql_json(postgres, "schema", "--driver", "postgresql")
    assert [(c["name"], c["type"]) for c in schema["columns"]] == [
        ("id", "Int64"),
        ("label", "Int32"),
        ("x", "Float64"),
        ("name", "Utf8"),
    ]
    stats = {c["name"]: c for c in sql_json(postgres, "stats")["columns"]}
    assert (stats["id"]["min"], stats["id"]["max"], stats["x"]["max"]) == (1, ROWS, ROWS * 0.5)


def test_convert_and_bench_a_partitioned_query(postgres, expected, tmp_path):
    out = tmp_path / "train.parquet"
    document = sql_json(postgres, "convert", out, "--sql-option", "partition_on=id", "--sql-option", "partitions=3")
    assert document["rows"] == ROWS
    got = pq.read_table(out)
    assert got.sort_by("id").equals(expected.cast(got.schema))
    bench = sql_json(postgres, "bench", "--batch-size", 1000)
    assert bench["rows"] == ROWS and bench["batches"] == 3


def test_errors_name_the_database_without_its_password(postgres):
    wrong = postgres.uri(password="Wr0ng-Pa55word")
    failed = sluice_cli("count", "--sql", "SELECT 1", "--uri", wrong, status=6)
    assert "127.0.0.1" in failed.stderr and "Wr0ng-Pa55word" not in failed.stderr, failed.stderr
    syntax = sluice_cli("count", "--sql", "SELEC 1 AS broken", "--uri", postgres.uri(), status=1)
    assert "SELEC 1 AS broken" in syntax.stderr and _postgres.PASSWORD not in syntax.stderr, syntax.stderr
    # a query and files at once, or a URI that names no driver, are usage errors
    both = sluice_cli("count", "file.parquet", "--sql", "SELECT 1", "--uri", postgres.uri(), status=1)
    assert "--sql" in both.stderr
    no_driver = sluice_cli("count", "--sql", "SELECT 1", "--uri", "mysql://ann:hunter2@db/x", status=1)
    assert "--driver" in no_driver.stderr and "hunter2" not in no_driver.stderr, no_driver.stderr
    assert "--uri" in sluice_cli("count", "--sql", "SELECT 1", status=1).stderr


def test_a_command_leaves_no_snapshot_behind_unless_asked(postgres, tmp_path):
    scratch, cache = tmp_path / "tmp", tmp_path / "cache"
    scratch.mkdir()
    env = dict(TMPDIR=str(scratch), SLUICE_SNAPSHOT_DIR=str(cache))
    for command in ("count", "head", "stats"):
        sluice_cli(command, "--sql", QUERY, "--uri", postgres.uri(), **env)
    assert list(scratch.iterdir()) == [] and not cache.exists()
    kept = tmp_path / "kept"
    sluice_cli("count", "--sql", QUERY, "--uri", postgres.uri(), "-o", f"snapshot_dir={kept}", **env)
    assert [p.suffix for p in kept.iterdir() if not p.name.startswith(".")].count("") == 1
