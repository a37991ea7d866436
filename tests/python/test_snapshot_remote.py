"""Snapshots in an object store (`snapshot_dir="s3://..."`, docs/sources-from-streams.md),
against moto's S3 server: uploaded under a directory per attempt, published by a
create-if-absent marker; the first marker wins and a half-written attempt is never read."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

import sluice
from _util import ids_table, read_ids
from conftest import MOTO_KEY, MOTO_REGION, MOTO_SECRET, boto_client

BUCKET = "sluice-snapshots"
ROWS = 3000


def store_options(endpoint):
    return dict(
        endpoint=endpoint, allow_http=True, access_key_id=MOTO_KEY, secret_access_key=MOTO_SECRET, region=MOTO_REGION
    )


def keys(client, prefix):
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_a_snapshot_in_s3_is_published_by_its_marker_and_read_back(moto_server):
    client = boto_client("s3", moto_server.endpoint)
    client.create_bucket(Bucket=BUCKET)
    options = dict(snapshot_dir=f"s3://{BUCKET}/snaps", snapshot_id="job-1", **store_options(moto_server.endpoint))

    # a half-written attempt of the same id (files, no marker) is never read
    buffer = io.BytesIO()
    pq.write_table(ids_table(10_000, 50), buffer)
    client.put_object(Bucket=BUCKET, Key="snaps/job-1/a-dead/part-000000.parquet", Body=buffer.getvalue())

    first = sluice.DataConnector.from_dataframe(ids_table(0, ROWS), **options)
    shuffled = read_ids(first, shuffle=True, seed=4)
    assert sorted(shuffled) == list(range(ROWS)) and shuffled != list(range(ROWS))
    marker = client.get_object(Bucket=BUCKET, Key="snaps/job-1/_PUBLISHED")["Body"].read().decode()
    marker, files = marker.split()  # the attempt it names, the files it counts
    assert marker.startswith("a-") and marker != "a-dead" and files == "1"
    assert f"snaps/job-1/{marker}/part-000000.parquet" in keys(client, "snaps/job-1/")

    # another rank given the same id reads the published snapshot, not its own stream
    other = sluice.DataConnector.from_dataframe(ids_table(500_000, 10), **options)
    assert read_ids(other, shuffle=True, seed=4) == shuffled
    assert client.get_object(Bucket=BUCKET, Key="snaps/job-1/_PUBLISHED")["Body"].read().decode().split()[0] == marker


def test_a_bad_snapshot_uri_is_an_error_naming_the_option():
    try:
        sluice.DataConnector.from_dataframe(ids_table(0, 10), snapshot_dir="ftp://host/snaps")
    except sluice.SluiceError as e:
        assert "snapshot_dir" in str(e) and "ftp" in str(e)
    else:
        raise AssertionError("ftp:// was accepted as a snapshot directory")


RANK = """
import json, sys
sys.path[:0] = sys.argv[3:]
import sluice
from _util import ids_table, read_ids
from test_snapshot_remote import store_options
options = dict(snapshot_dir="s3://sluice-snapshots/race", snapshot_id="job-2", **store_options(sys.argv[1]))
connector = sluice.DataConnector.from_dataframe(ids_table(int(sys.argv[2]), 2000), **options)
print(json.dumps(read_ids(connector, shuffle=True, seed=1)))
"""


def test_ranks_on_separate_hosts_race_and_the_first_marker_wins(moto_server, tmp_path):
    """Two processes with their own staging directories (as on two hosts) both write the
    snapshot of one id: each uploads its own attempt, one marker wins, both read its rows,
    and the loser's upload is deleted."""
    client = boto_client("s3", moto_server.endpoint)
    if BUCKET not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket=BUCKET)
    here = str(Path(__file__).parent)
    ranks = []
    for rank in range(2):
        staging = tmp_path / f"host-{rank}"
        staging.mkdir()
        env = dict(os.environ, TMPDIR=str(staging))
        args = [sys.executable, "-c", RANK, moto_server.endpoint, str(rank * 100_000), here, *sys.path]
        ranks.append(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    outputs = [rank.communicate(timeout=120) for rank in ranks]
    assert all(rank.returncode == 0 for rank in ranks), outputs
    first, second = (json.loads(out) for out, _ in outputs)
    assert first == second
    start = min(first)
    assert start in (0, 100_000) and sorted(first) == list(range(start, start + 2000))
    marker = client.get_object(Bucket=BUCKET, Key="race/job-2/_PUBLISHED")["Body"].read().decode().split()[0]
    attempts = {key.split("/")[2] for key in keys(client, "race/job-2/")} - {"_PUBLISHED", "_USED"}
    assert attempts == {marker}


def test_a_pickled_connector_reads_its_s3_snapshot_with_the_store_options(moto_server):
    """A copy in another process (pickle: a spawned DataLoader worker, a Ray rank) opens the
    snapshot in S3 with the store's endpoint and credentials, not with the machine's defaults."""
    import pickle

    bucket = "sluice-pickled-snapshots"
    boto_client("s3", moto_server.endpoint).create_bucket(Bucket=bucket)
    options = dict(snapshot_dir=f"s3://{bucket}/snaps", **store_options(moto_server.endpoint))
    connector = sluice.DataConnector.from_dataframe(ids_table(0, 500), **options)
    code = (
        "import pickle, sys\n"
        "connector = pickle.loads(sys.stdin.buffer.read())\n"
        "print(sum(connector.to_pandas()['id']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], input=pickle.dumps(connector), capture_output=True, env=os.environ.copy()
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert int(result.stdout) == sum(range(500))
