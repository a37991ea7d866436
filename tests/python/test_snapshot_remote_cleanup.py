"""Removing old snapshots from an object store (docs/sources-from-streams.md, "In an object
store"), against moto's S3 server: by hand and after a publish, by age (from the marker, or
from `_USED`, rewritten when a snapshot is opened) and by size. moto's modification times
cannot be set (and are whole seconds, as S3's), so ages here are seconds, measured against sleeps."""

import io
import time

import pyarrow.parquet as pq
import pytest
from test_snapshot_remote import store_options

import sluice
from _util import ids_table, read_ids
from conftest import boto_client

ROWS = 2000


def bucket_of(moto_server, name):
    client = boto_client("s3", moto_server.endpoint)
    client.create_bucket(Bucket=name)
    return client


def ids_in(client, bucket):
    """{id: [its object keys, relative]} under snaps/."""
    listed = client.list_objects_v2(Bucket=bucket, Prefix="snaps/").get("Contents", [])
    found = {}
    for item in listed:
        _, snapshot, rest = item["Key"].split("/", 2)
        found.setdefault(snapshot, []).append(rest)
    return found


def publish(moto_server, bucket, snapshot_id, **options):
    """A connector whose snapshot `snapshot_id` is published in s3://bucket/snaps."""
    connector = sluice.DataConnector.from_dataframe(
        ids_table(0, ROWS),
        snapshot_dir=f"s3://{bucket}/snaps",
        snapshot_id=snapshot_id,
        **store_options(moto_server.endpoint),
        **options,
    )
    assert f"/snaps/{snapshot_id}/" in connector.snapshot()
    return connector


def reopen(moto_server, bucket, snapshot_id):
    """Another process's connector given the same id: it reads the published snapshot (and marks it used)."""
    again = publish(moto_server, bucket, snapshot_id)
    assert sorted(read_ids(again, shuffle=True, seed=1)) == list(range(ROWS))


def test_removing_by_hand_by_age_keeps_a_fresh_unpublished_upload(moto_server):
    bucket = "sluice-remove-by-hand"
    client = bucket_of(moto_server, bucket)
    for snapshot_id in ("unused", "reopened"):
        publish(moto_server, bucket, snapshot_id)
    # an upload that no marker publishes yet: its writer may still be at it
    buffer = io.BytesIO()
    pq.write_table(ids_table(0, 10), buffer)
    client.put_object(Bucket=bucket, Key="snaps/writing/a-busy/part-000000.parquet", Body=buffer.getvalue())
    time.sleep(3)
    reopen(moto_server, bucket, "reopened")  # used now: it ages from its _USED, not its marker
    assert "_USED" in ids_in(client, bucket)["reopened"]

    uri = f"s3://{bucket}/snaps"
    assert sluice.remove_snapshots(uri, older_than=2, **store_options(moto_server.endpoint)) == 1
    assert set(ids_in(client, bucket)) == {"reopened", "writing"}
    assert sluice.remove_snapshots(uri, older_than=3600, **store_options(moto_server.endpoint)) == 0
    # age 0: every published snapshot, never an upload younger than an hour
    assert sluice.remove_snapshots(uri + "/", **store_options(moto_server.endpoint)) == 1
    assert ids_in(client, bucket) == {"writing": ["a-busy/part-000000.parquet"]}

    with pytest.raises(sluice.SluiceError) as raised:
        sluice.remove_snapshots("s3://no-such-bucket/snaps", **store_options(moto_server.endpoint))
    assert "s3://no-such-bucket/snaps" in str(raised.value) and "testing" not in str(raised.value)


def test_publishing_removes_what_was_unused_for_longer_than_snapshot_max_age(moto_server):
    bucket = "sluice-remove-by-age"
    client = bucket_of(moto_server, bucket)
    publish(moto_server, bucket, "older")
    time.sleep(2)
    connector = publish(moto_server, bucket, "newest", snapshot_max_age=1)
    assert set(ids_in(client, bucket)) == {"newest"}
    assert sorted(read_ids(connector, shuffle=True, seed=2)) == list(range(ROWS))


def test_publishing_over_snapshot_max_bytes_removes_the_least_recently_used(moto_server):
    bucket = "sluice-remove-by-size"
    client = bucket_of(moto_server, bucket)
    # S3 (and moto) give modification times in whole seconds: uses a second apart
    publish(moto_server, bucket, "a")
    publish(moto_server, bucket, "b")
    time.sleep(1.1)
    publish(moto_server, bucket, "c")
    time.sleep(1.1)
    reopen(moto_server, bucket, "a")  # now the most recently used of the three
    listed = client.list_objects_v2(Bucket=bucket, Prefix="snaps/c/")["Contents"]
    size = sum(item["Size"] for item in listed)

    # four snapshots of about `size` bytes, a limit of 2.5: b (the least recently used) and c go
    connector = publish(moto_server, bucket, "d", snapshot_max_bytes=int(size * 2.5))
    assert set(ids_in(client, bucket)) == {"a", "d"}
    # a limit below one snapshot removes every other one, never the one just published
    connector = publish(moto_server, bucket, "e", snapshot_max_bytes=1)
    assert set(ids_in(client, bucket)) == {"e"}
    assert sorted(read_ids(connector, shuffle=True, seed=3)) == list(range(ROWS))


def test_a_used_mark_without_a_marker_leaves_a_fresh_upload_alone(moto_server):
    bucket = "sluice-used-without-marker"
    client = bucket_of(moto_server, bucket)
    # a reader marked the snapshot used just as it was removed; a new writer of the id uploads now
    client.put_object(Bucket=bucket, Key="snaps/train/_USED", Body=b"")
    time.sleep(3)
    client.put_object(Bucket=bucket, Key="snaps/train/a-new/part-000000.parquet", Body=b"x" * 100)
    uri = f"s3://{bucket}/snaps"
    assert sluice.remove_snapshots(uri, older_than=2, **store_options(moto_server.endpoint)) == 0
    assert sorted(ids_in(client, bucket)["train"]) == ["_USED", "a-new/part-000000.parquet"]


def test_a_snapshot_missing_files_its_marker_counts_is_an_error_never_a_short_read(moto_server):
    bucket = "sluice-removed-while-opened"
    client = bucket_of(moto_server, bucket)
    publish(moto_server, bucket, "halved")
    marker = client.get_object(Bucket=bucket, Key="snaps/halved/_PUBLISHED")["Body"].read().decode()
    attempt, files = marker.split()
    assert files == "1" and attempt.startswith("a-")
    # as if a removal were midway: the marker counts two files, one is left
    client.put_object(Bucket=bucket, Key="snaps/halved/_PUBLISHED", Body=f"{attempt}\n2\n".encode())
    with pytest.raises(sluice.SluiceNotFoundError, match="holds 1 of the 2 files it was published with"):
        publish(moto_server, bucket, "halved")
