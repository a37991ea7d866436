"""Versioned datasets (docs/datasets.md) through the Python API, on a local root and on moto's
S3 server: creating, listing, reading (values against pyarrow), deleting, the bad inputs named by
their errors, two processes racing for one version, a crash mid-create and its clean-up, and
pyarrow, DuckDB and polars reading a version's files from its manifest."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sluice
from _util import assert_table_equal, write_parquet
from conftest import MOTO_KEY, MOTO_REGION, MOTO_SECRET, boto_client

REPO = Path(__file__).resolve().parents[2]
ROWS = 5000


def sample_table(start=0, n=ROWS):
    ids = np.arange(start, start + n, dtype=np.int64)
    return pa.table(
        {
            "id": ids,
            "x": (ids * 0.5).astype(np.float64),
            "y": (ids % 2).astype(np.int32),
            "group": pa.array([["a", "b", "c"][i % 3] if i % 11 else None for i in ids]),
            "note": pa.array([f"row {i}" for i in ids]),
        }
    )


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """Two Parquet files of the sample rows, and the table they hold."""
    root = tmp_path_factory.mktemp("dataset_source")
    write_parquet(root / "a.parquet", sample_table(0, 3000), 700)
    write_parquet(root / "b.parquet", sample_table(3000, 2000), 900)
    return root, sample_table()


def read_all(connector, **options):
    with connector.to_arrow(**options) as reader:
        return reader.read_all()


def test_a_version_reads_back_the_rows_with_its_metadata(tmp_path, source):
    directory, expected = source
    ds = sluice.Dataset.create(tmp_path, "train")
    calls = []
    ds = ds.create_version(
        "v1",
        str(directory),
        label_cols=["y"],
        exclude_cols=["note"],
        comment="first",
        properties={"owner": "me", "n": 3},
        progress=lambda done, total: calls.append((done, total)),
    )
    version = ds.read
    assert (version.version, version.num_rows, version.comment) == ("v1", ROWS, "first")
    assert version.properties == {"owner": "me", "n": 3}
    assert (version.label_cols, version.exclude_cols) == (["y"], ["note"])
    assert version.num_bytes == sum(os.path.getsize(f) for f in version.files) > 0
    assert version.created_on.tzinfo is not None and "file(s)" in version.source
    assert version.schema.names == ["id", "x", "y", "group"]
    # progress: from 0 to every row, never backwards
    assert calls[0] == (0, ROWS) and calls[-1] == (ROWS, ROWS)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))

    connector = sluice.DataConnector.from_dataset(sluice.load_dataset(tmp_path, "train", "v1"))
    assert connector.schema.names == ["id", "x", "y", "group"]
    assert_table_equal(read_all(connector), expected.drop_columns(["note"]))
    # an excluded column is still there when named
    assert_table_equal(read_all(connector, columns=["note", "id"]), expected.select(["note", "id"]))
    # the files are Parquet that pyarrow reads as they are, all columns
    assert_table_equal(pq.ParquetDataset(version.files).read(), expected)


def test_label_cols_is_the_default_label_and_shards_and_pickles_keep_the_version(tmp_path, source):
    import pickle

    import torch
    import xgboost

    directory, expected = source
    ds = sluice.Dataset.create(tmp_path, "d").create_version(
        "v1", str(directory), label_cols="y", exclude_cols=["note"]
    )
    connector = sluice.DataConnector.from_dataset(ds)
    matrix = connector.to_xgboost(["id", "x"], kind="dmatrix")
    assert isinstance(matrix, xgboost.DMatrix)
    np.testing.assert_array_equal(matrix.get_label(), expected["y"].to_numpy().astype(np.float32))
    X, y = next(iter(connector.to_torch_dataset(batch_size=100, features=["id", "x"])))
    assert X.shape == (100, 2) and torch.equal(y, torch.tensor(expected["y"].to_numpy()[:100]))

    sharded = sluice.ShardedDataConnector.from_dataset(ds, equal=True)
    ids = [read_all(sharded.get_shard(rank, 2))["id"].to_pylist() for rank in range(2)]
    assert ids[0] + ids[1] == list(range(ROWS))

    again = pickle.loads(pickle.dumps(connector))
    assert again.schema.names == ["id", "x", "y", "group"]
    assert_table_equal(read_all(again), expected.drop_columns(["note"]))
    X, y = next(iter(again.to_torch_dataset(batch_size=10, features=["x"])))
    assert y.shape == (10,)


def test_versions_are_listed_selected_never_overwritten_and_deleted(tmp_path, source):
    directory, expected = source
    ds = sluice.Dataset.create(tmp_path, "d")
    assert ds.list_versions() == []
    ds.create_version("v2", str(directory))
    ds.create_version("v1", expected.slice(0, 10))  # an Arrow table
    assert ds.list_versions() == ["v1", "v2"]
    assert ds.select_version("v1").read.num_rows == 10
    with pytest.raises(sluice.SluiceInvalidArgument, match="version 'v1' already exists"):
        ds.create_version("v1", str(directory))
    assert ds.select_version("v1").read.num_rows == 10
    files = ds.select_version("v1").read.files
    ds.delete_version("v1")
    assert ds.list_versions() == ["v2"]
    assert not any(os.path.exists(f) for f in files)
    with pytest.raises(sluice.SluiceNotFoundError, match=r"no version 'v1' \(versions: v2\)"):
        sluice.load_dataset(tmp_path, "d", "v1")
    # a deleted name can be used again
    ds.create_version("v1", str(directory))
    assert_table_equal(read_all(sluice.DataConnector.from_dataset(ds.select_version("v1"))), expected)


def test_existing_dataset_needs_exist_ok(tmp_path):
    sluice.Dataset.create(tmp_path, "d")
    with pytest.raises(sluice.SluiceInvalidArgument, match="dataset 'd' already exists"):
        sluice.Dataset.create(tmp_path, "d")
    sluice.Dataset.create(tmp_path, "d", exist_ok=True)


def test_shuffle_writes_a_seeded_permutation(tmp_path, source):
    directory, expected = source
    ds = sluice.Dataset.create(tmp_path, "d")
    first = read_all(sluice.DataConnector.from_dataset(ds.create_version("s1", str(directory), shuffle=True)))
    second = read_all(sluice.DataConnector.from_dataset(ds.create_version("s2", str(directory), shuffle=True)))
    other = read_all(sluice.DataConnector.from_dataset(ds.create_version("s3", str(directory), shuffle=True, seed=5)))
    ids = first["id"].to_pylist()
    assert sorted(ids) == list(range(ROWS)) and ids != list(range(ROWS))
    assert second["id"].to_pylist() == ids and other["id"].to_pylist() != ids
    assert ds.select_version("s3").read.shuffle_seed == 5


def test_partition_by_groups_rows_by_value(tmp_path, source):
    directory, expected = source
    ds = sluice.Dataset.create(tmp_path, "d").create_version("p", str(directory), partition_by="group")
    manifest = ds.read.manifest
    values = [f["partition_value"] for f in manifest["files"]]
    assert values == [None, "a", "b", "c"]
    for entry, path in zip(manifest["files"], ds.read.files):
        table = pq.read_table(path)
        assert table.num_rows == entry["rows"]
        assert set(table["group"].to_pylist()) == {entry["partition_value"]}
    got = read_all(sluice.DataConnector.from_dataset(ds))
    assert sorted(got["id"].to_pylist()) == list(range(ROWS))
    # inside a partition the rows keep the source's order
    a_ids = [i for i, g in zip(got["id"].to_pylist(), got["group"].to_pylist()) if g == "a"]
    assert a_ids == sorted(a_ids)


def test_dataframe_and_connector_inputs(tmp_path, source):
    pandas = pytest.importorskip("pandas")
    directory, expected = source
    ds = sluice.Dataset.create(tmp_path, "d")
    ds.create_version("pandas", expected.to_pandas())
    ds.create_version("stream", sluice.DataConnector.from_dataframe(expected, snapshot_dir=str(tmp_path / "snap")))
    ds.create_version("version", sluice.DataConnector.from_dataset(ds.select_version("pandas")))
    for version in ("pandas", "stream", "version"):
        got = read_all(sluice.DataConnector.from_dataset(ds.select_version(version)))
        # pandas' strings come back as large_string (pyarrow's conversion of pandas 3 str columns)
        assert_table_equal(got.cast(expected.schema), expected, version)
    assert isinstance(ds.select_version("pandas").read.to_pandas(), pandas.DataFrame)


@pytest.mark.parametrize("name", ["a/b", "../x", "v 1", ".hidden", ""])
def test_unsafe_version_names_are_refused(tmp_path, source, name):
    ds = sluice.Dataset.create(tmp_path, "d")
    with pytest.raises(sluice.SluiceInvalidArgument, match="version name"):
        ds.create_version(name, str(source[0]))
    assert not (tmp_path / "d" / "data").exists()


def test_unsafe_dataset_name_and_missing_dataset(tmp_path):
    with pytest.raises(sluice.SluiceInvalidArgument, match="dataset name 'a/b' contains the path separator"):
        sluice.Dataset.create(tmp_path, "a/b")
    with pytest.raises(sluice.SluiceNotFoundError, match="dataset 'nope' not found"):
        sluice.load_dataset(tmp_path, "nope", "v1")


@pytest.mark.parametrize("argument", ["exclude_cols", "label_cols", "partition_by"])
def test_unknown_columns_are_named(tmp_path, source, argument):
    ds = sluice.Dataset.create(tmp_path, "d")
    value = "nope" if argument == "partition_by" else ["id", "nope"]
    with pytest.raises(sluice.SluiceInvalidArgument, match=rf"{argument}: no column named 'nope' \(columns: id, x"):
        ds.create_version("v1", str(source[0]), **{argument: value})
    assert ds.list_versions() == []


def manifest_path(root, dataset="d", version="v1"):
    return Path(root) / dataset / "versions" / f"{version}.json"


def test_corrupt_and_newer_manifests_are_named(tmp_path, source):
    ds = sluice.Dataset.create(tmp_path, "d").create_version("v1", str(source[0]))
    path = manifest_path(tmp_path)
    good = path.read_text()
    path.write_text(good[: len(good) // 2])
    with pytest.raises(sluice.SluiceInvalidData, match=r"manifest '.*v1\.json' of version 'v1' is corrupt"):
        ds.select_version("v1")
    newer = json.loads(good)
    newer["format_version"] = 99
    path.write_text(json.dumps(newer))
    with pytest.raises(sluice.SluiceUnsupported, match="format_version 99, which is newer"):
        sluice.DataConnector.from_dataset(ds)


def test_missing_and_altered_files_are_named(tmp_path, source):
    ds = sluice.Dataset.create(tmp_path, "d").create_version("v1", str(source[0]))
    files = ds.read.files
    assert len(files) >= 1
    target = Path(files[0])
    data = bytearray(target.read_bytes())
    # same size, one byte changed: only the checksum sees it
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    sluice.DataConnector.from_dataset(ds)
    with pytest.raises(sluice.SluiceInvalidData, match=rf"file '{target}' does not match its checksum"):
        sluice.DataConnector.from_dataset(ds, verify=True)
    target.write_bytes(bytes(data) + b"x")
    with pytest.raises(
        sluice.SluiceInvalidData, match=rf"file '{target}' has {len(data) + 1} bytes, but the manifest says"
    ):
        sluice.DataConnector.from_dataset(ds)
    target.unlink()
    with pytest.raises(sluice.SluiceNotFoundError, match=rf"file '{target}' is missing"):
        sluice.DataConnector.from_dataset(ds)


def test_a_root_without_write_access_is_named(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    script = textwrap.dedent(
        f"""
        import sluice
        try:
            sluice.Dataset.create({str(locked)!r}, "d")
        except sluice.SluiceError as e:
            print(type(e).__name__, e)
        """
    )
    # root may write anywhere: the attempt then runs without the capability that lets it
    command = [sys.executable, "-c", script]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert "SluicePermissionError" in result.stdout, (result.stdout, result.stderr)
    assert f"the dataset root '{locked}' cannot be written (no write access)" in result.stdout


RACER = textwrap.dedent(
    """
    import json, sys, time
    import sluice
    root, source, options, start = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4])
    time.sleep(max(0.0, start - time.time()))
    try:
        sluice.Dataset.load(root, "race", **options).create_version("v1", source)
        print("won")
    except sluice.SluiceError as e:
        print("lost", type(e).__name__, e)
    """
)


def race(root, source, options, racers=2):
    """`racers` processes create version v1 of dataset "race" at once; their outputs."""
    import time

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    start = time.time() + 2.0
    args = [sys.executable, "-c", RACER, str(root), str(source), json.dumps(options), str(start)]
    processes = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(racers)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    return [out.strip() for out, _ in outputs], [err for _, err in outputs]


def check_race(ds, outputs, errors):
    winners = [o for o in outputs if o == "won"]
    losers = [o for o in outputs if o.startswith("lost")]
    assert len(winners) == 1 and len(losers) == len(outputs) - 1, (outputs, errors)
    for loser in losers:
        assert "SluiceInvalidArgument" in loser and "version 'v1' already exists" in loser, loser
    manifest = ds.manifest("v1")
    attempts = {f["path"].rsplit("/", 1)[0] for f in manifest["files"]}
    assert len(attempts) == 1


def test_two_processes_racing_for_one_version_local(tmp_path, source):
    ds = sluice.Dataset.create(tmp_path, "race")
    outputs, errors = race(tmp_path, source[0], {}, racers=3)
    check_race(ds, outputs, errors)
    # the losers removed their files: only the winner's attempt is left
    attempts = list((tmp_path / "race" / "data" / "v1").iterdir())
    assert len(attempts) == 1
    assert_table_equal(read_all(sluice.DataConnector.from_dataset(ds.select_version("v1"))), source[1])


CRASHER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    import sluice
    def crash(done, total):
        # the version's files are written (the manifest waits for this call to return): die now,
        # as a killed process would
        if done > 0:
            deadline = time.time() + 30
            while not any(Path(sys.argv[1], "d", "data", "v1").rglob("*.parquet")) and time.time() < deadline:
                time.sleep(0.01)
            os._exit(3)
    sluice.Dataset.load(sys.argv[1], "d").create_version("v1", sys.argv[2], progress=crash)
    """
)


def test_a_crash_mid_create_leaves_no_version_and_is_cleaned_up(tmp_path, source):
    ds = sluice.Dataset.create(tmp_path, "d")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-c", CRASHER, str(tmp_path), str(source[0])], env=env, timeout=60)
    assert result.returncode == 3
    assert ds.list_versions() == []
    assert any((tmp_path / "d" / "data" / "v1").iterdir())
    assert ds.clean_up(older_than=3600) == {"attempts": [], "files": 0}  # too young: it may still be running
    removed = ds.clean_up(older_than=0)
    assert len(removed["attempts"]) == 1
    assert not any((tmp_path / "d" / "data" / "v1").iterdir())
    ds.create_version("v1", str(source[0]))
    assert ds.clean_up(older_than=0) == {"attempts": [], "files": 0}
    assert ds.list_versions() == ["v1"]


def test_pyarrow_duckdb_and_polars_read_the_files_the_manifest_lists(tmp_path, source):
    import duckdb
    import polars

    directory, expected = source
    ds = sluice.Dataset.create(tmp_path, "d").create_version("v1", str(directory))
    manifest = json.loads(manifest_path(tmp_path).read_text())
    files = [str(tmp_path / "d" / entry["path"]) for entry in manifest["files"]]
    assert files == ds.read.files
    assert_table_equal(pa.concat_tables([pq.read_table(f) for f in files]), expected)
    via_duckdb = duckdb.sql(f"SELECT * FROM read_parquet({files!r})").arrow()
    if isinstance(via_duckdb, pa.RecordBatchReader):
        via_duckdb = via_duckdb.read_all()
    assert via_duckdb.num_rows == ROWS
    assert via_duckdb["id"].to_pylist() == expected["id"].to_pylist()
    assert via_duckdb["note"].to_pylist() == expected["note"].to_pylist()
    via_polars = polars.read_parquet(files)
    assert via_polars["id"].to_list() == expected["id"].to_pylist()
    assert via_polars["group"].to_list() == expected["group"].to_pylist()


# --- S3 (moto's server on loopback) ------------------------------------------------------------

BUCKET = "sluice-datasets"


@pytest.fixture(scope="module")
def s3(moto_server):
    client = boto_client("s3", moto_server.endpoint)
    client.create_bucket(Bucket=BUCKET)
    options = dict(
        endpoint=moto_server.endpoint,
        allow_http=True,
        access_key_id=MOTO_KEY,
        secret_access_key=MOTO_SECRET,
        region=MOTO_REGION,
    )
    return client, options


def test_moto_honours_create_if_absent(s3):
    client, _ = s3
    client.put_object(Bucket=BUCKET, Key="probe/once", Body=b"1", IfNoneMatch="*")
    with pytest.raises(Exception, match="PreconditionFailed"):
        client.put_object(Bucket=BUCKET, Key="probe/once", Body=b"2", IfNoneMatch="*")
    assert client.get_object(Bucket=BUCKET, Key="probe/once")["Body"].read() == b"1"


def test_a_version_on_s3(s3, source):
    client, options = s3
    directory, expected = source
    root = f"s3://{BUCKET}/team"
    ds = sluice.Dataset.create(root, "train", **options)
    ds = ds.create_version("v1", str(directory), exclude_cols=["note"])
    assert ds.list_versions() == ["v1"]
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="team/train/")["Contents"]}
    assert "team/train/versions/v1.json" in keys and "team/train/dataset.json" in keys
    assert all(f.startswith(f"{root}/train/data/v1/") for f in ds.read.files)
    connector = sluice.DataConnector.from_dataset(sluice.load_dataset(root, "train", "v1", **options), verify=True)
    assert_table_equal(read_all(connector), expected.drop_columns(["note"]))
    with pytest.raises(sluice.SluiceInvalidArgument, match="version 'v1' already exists"):
        ds.create_version("v1", str(directory))
    ds.delete_version("v1")
    assert ds.list_versions() == []
    left = client.list_objects_v2(Bucket=BUCKET, Prefix="team/train/data/").get("Contents", [])
    assert left == []


def test_two_processes_racing_for_one_version_on_s3(s3, source):
    client, options = s3
    root = f"s3://{BUCKET}/racing"
    ds = sluice.Dataset.create(root, "race", **options)
    outputs, errors = race(root, source[0], options, racers=3)
    check_race(ds, outputs, errors)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="racing/race/data/")["Contents"]]
    assert len({key.rsplit("/", 1)[0] for key in keys}) == 1, keys
    assert_table_equal(read_all(sluice.DataConnector.from_dataset(ds.select_version("v1"))), source[1])
