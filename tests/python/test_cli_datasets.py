"""`sluice dataset ...` and `sluice convert --to-dataset` as a user runs them (docs/datasets.md,
docs/cli.md): subprocesses, exit statuses, stdout (JSON parsed, values against pyarrow) and stderr."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
from test_cli import run, run_json, run_on_a_terminal

import sluice
from _util import assert_table_equal, ids_table, write_parquet


def source(tmp_path):
    table = pa.concat_tables([ids_table(0, 1500), ids_table(1500, 700)])
    write_parquet(tmp_path / "src" / "a.parquet", table.slice(0, 1500), 400)
    write_parquet(tmp_path / "src" / "b.parquet", table.slice(1500), 400)
    return tmp_path / "src", table


def test_convert_to_a_version_then_list_show_verify_read_and_delete(tmp_path):
    src, table = source(tmp_path)
    root = tmp_path / "root"
    made = run_json(
        "convert",
        src,
        root,
        "--to-dataset",
        "ids",
        "--to-version",
        "v1",
        "-s",
        "comment=from cli",
        "-s",
        "exclude_cols=s",
    )
    assert (made["rows"], made["dataset"], made["version"]) == (table.num_rows, "ids", "v1")
    listed = run_json("dataset", "list", root, "ids")
    assert [(v["version"], v["rows"], v["comment"]) for v in listed] == [("v1", table.num_rows, "from cli")]
    shown = run_json("dataset", "show", root, "ids", "v1")
    assert shown["format_version"] == 1 and shown["exclude_cols"] == ["s"]
    assert "comment: from cli" in run("dataset", "show", root, "ids", "v1").stdout
    assert "every checksum matches" in run("dataset", "verify", root, "ids", "v1").stdout
    # a dataset as SRC: the excluded column is left out
    assert run_json("count", root, "--dataset", "ids", "--version", "v1")["rows"] == table.num_rows
    out = tmp_path / "out.parquet"
    run("convert", root, out, "--dataset", "ids", "--version", "v1")
    assert_table_equal(pq.read_table(out), table.drop_columns(["s"]))
    # the Python API sees the same version
    assert sluice.load_dataset(root, "ids", "v1").read.comment == "from cli"

    again = run("convert", src, root, "--to-dataset", "ids", "--to-version", "v1", check_status=1)
    assert "version 'v1' already exists" in again.stderr
    run("dataset", "delete", root, "ids", "v1")
    assert run_json("dataset", "list", root, "ids") == []


def test_errors_have_their_exit_status_and_name_the_thing(tmp_path):
    src, _ = source(tmp_path)
    root = tmp_path / "root"
    missing = run("dataset", "list", root, "nope", check_status=2)
    assert "dataset 'nope' not found" in missing.stderr
    run("dataset", "create", root, "ids")
    assert "already exists" in run("dataset", "create", root, "ids", check_status=1).stderr
    run("dataset", "create", root, "ids", "--exist-ok")
    assert "no version 'v9'" in run("dataset", "show", root, "ids", "v9", check_status=2).stderr
    bad = run("convert", src, root, "--to-dataset", "ids", "--to-version", "a/b", check_status=1)
    assert "version name 'a/b' contains the path separator '/'" in bad.stderr
    run("convert", src, root, "--to-dataset", "ids", "--to-version", "v1")
    manifest = root / "ids" / "versions" / "v1.json"
    data = json.loads(manifest.read_text())
    victim = root / "ids" / data["files"][0]["path"]
    body = bytearray(victim.read_bytes())
    body[100] ^= 1
    victim.write_bytes(bytes(body))
    altered = run("dataset", "verify", root, "ids", "v1", check_status=4)
    assert str(victim) in altered.stderr and "does not match its checksum" in altered.stderr
    manifest.write_text("{")
    assert "is corrupt" in run("dataset", "show", root, "ids", "v1", check_status=4).stderr


def test_clean_removes_what_a_crash_left(tmp_path):
    src, _ = source(tmp_path)
    root = tmp_path / "root"
    run("convert", src, root, "--to-dataset", "ids", "--to-version", "v1")
    leftover = root / "ids" / "data" / "v2" / "a1000-1-0"
    write_parquet(leftover / "part-00000.parquet", ids_table(0, 10), 10)
    assert run_json("dataset", "list", root, "ids")[0]["version"] == "v1"
    removed = run_json("dataset", "clean", root, "ids")
    assert removed == {"attempts": ["data/v2/a1000-1-0"], "files": 1}
    assert not leftover.exists()
    assert run_json("dataset", "clean", root, "ids", "--older-than", "0") == {"attempts": [], "files": 0}


def test_writing_a_version_shows_its_progress_on_a_terminal(tmp_path):
    src, table = source(tmp_path)
    status, stdout, screen = run_on_a_terminal(
        "convert", src, tmp_path / "root", "--to-dataset", "ids", "--to-version", "v1"
    )
    assert status == 0 and "wrote version 'v1'" in stdout
    # the rows the core counted as written, of the total
    assert f"{table.num_rows:,}/{table.num_rows:,} rows" in screen and "convert" in screen, screen
