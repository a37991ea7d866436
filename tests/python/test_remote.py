"""Object stores on loopback: S3 (moto's server) and HTTP (a Range-capable http.server)."""

import contextlib
import json
import urllib.request

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sluice
from _util import assert_batches_match, ids_table, typed_table, write_parquet
from conftest import MOTO_KEY, MOTO_REGION, MOTO_SECRET, boto_client

BUCKET = "sluice-test"


@pytest.fixture(scope="module")
def s3(moto_server, tmp_path_factory):
    """A bucket with train/ (three Parquet files), csv/one.csv and single/one.parquet."""
    root = tmp_path_factory.mktemp("s3_upload")
    client = boto_client("s3", moto_server.endpoint)
    client.create_bucket(Bucket=BUCKET)
    tables = [typed_table(0, 700), typed_table(700, 333), typed_table(1033, 1500)]
    for index, table in enumerate(tables):
        path = write_parquet(root / f"part-{index}.parquet", table, 250)
        client.upload_file(str(path), BUCKET, f"train/part-{index}.parquet")
    expected = pa.concat_tables([pq.read_table(root / f"part-{i}.parquet") for i in range(3)])
    (root / "one.csv").write_text("id,v\n" + "\n".join(f"{i},{i * 0.5}" for i in range(100)) + "\n")
    client.upload_file(str(root / "one.csv"), BUCKET, "csv/one.csv")
    client.upload_file(str(root / "part-1.parquet"), BUCKET, "single/one.parquet")
    return dict(client=client, expected=expected, endpoint=moto_server.endpoint, tables=tables)


def s3_options(s3):
    return dict(
        endpoint=s3["endpoint"],
        allow_http=True,
        access_key_id=MOTO_KEY,
        secret_access_key=MOTO_SECRET,
        region=MOTO_REGION,
    )


def batches(connector, **options):
    with connector.to_arrow(**options) as reader:
        return list(reader)


def test_s3_prefix_with_explicit_options(s3):
    connector = sluice.DataConnector.from_sources(f"s3://{BUCKET}/train/", **s3_options(s3))
    assert connector.num_rows == s3["expected"].num_rows
    assert_batches_match(batches(connector, batch_size=400), s3["expected"], 400)


def test_s3_single_object_and_csv(s3):
    options = s3_options(s3)
    one = sluice.DataConnector.from_sources(f"s3://{BUCKET}/single/one.parquet", **options)
    assert_batches_match(
        batches(one, batch_size=100),
        pq.read_table(pa.BufferReader(s3["client"].get_object(Bucket=BUCKET, Key="single/one.parquet")["Body"].read())),
        100,
    )
    csv = sluice.DataConnector.from_sources(f"s3://{BUCKET}/csv/one.csv", **options)
    table = csv.to_arrow().read_all()
    assert table.column("id").to_pylist() == list(range(100))
    assert table.column("v").to_pylist() == [i * 0.5 for i in range(100)]


def test_s3_list_of_objects_shuffled_shards(s3):
    sources = [f"s3://{BUCKET}/train/part-{i}.parquet" for i in (2, 0)]
    connector = sluice.DataConnector.from_sources(sources, **s3_options(s3))
    total = 1500 + 700
    seen = []
    for shard in range(2):
        ids = [
            x
            for b in batches(
                connector, columns=["id"], shuffle=True, seed=1, num_shards=2, shard_index=shard, batch_size=128
            )
            for x in b.column(0).to_pylist()
        ]
        seen += ids
    assert sorted(seen) == sorted(list(range(1033, 2533)) + list(range(700)))
    assert len(seen) == total


def test_s3_from_aws_environment_variables(s3, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", MOTO_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", MOTO_SECRET)
    monkeypatch.setenv("AWS_REGION", MOTO_REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3["endpoint"])
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    connector = sluice.DataConnector.from_sources(f"s3://{BUCKET}/train/")
    assert_batches_match(batches(connector, batch_size=1000), s3["expected"], 1000)


def test_s3_credentials_region_endpoint_from_environment(s3, monkeypatch):
    # everything but allow_http from the AWS_* variables (see the test above for allow_http)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", MOTO_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", MOTO_SECRET)
    monkeypatch.setenv("AWS_REGION", MOTO_REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3["endpoint"])
    connector = sluice.DataConnector.from_sources(f"s3://{BUCKET}/train/", allow_http=True)
    assert_batches_match(batches(connector, batch_size=1000), s3["expected"], 1000)
    # wrong credentials from the environment are really used (moto checks them with IAM on)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOTAREALKEY00000")
    with iam_enforced(s3["endpoint"]):
        with pytest.raises(sluice.SluicePermissionError):
            sluice.DataConnector.from_sources(f"s3://{BUCKET}/single/one.parquet", allow_http=True)


def test_s3_missing_object(s3):
    url = f"s3://{BUCKET}/train/nope.parquet"
    with pytest.raises(sluice.SluiceNotFoundError) as info:
        sluice.DataConnector.from_sources(url, **s3_options(s3))
    assert "nope.parquet" in str(info.value)


def test_s3_empty_prefix(s3):
    with pytest.raises(sluice.SluiceNotFoundError, match="nothing-here"):
        sluice.DataConnector.from_sources(f"s3://{BUCKET}/nothing-here/", **s3_options(s3))


@contextlib.contextmanager
def iam_enforced(endpoint):
    """Turn on moto's IAM authentication and authorization (server mode), then off again."""

    def post(count):
        request = urllib.request.Request(
            f"{endpoint}/moto-api/reset-auth",
            data=str(count).encode(),
            method="POST",
            headers={"Content-Type": "text/plain"},
        )  # not a form: moto reads the body
        return json.loads(urllib.request.urlopen(request, timeout=10).read())

    post(0)
    try:
        yield
    finally:
        post("inf")


def test_s3_access_denied(s3):
    """moto really denies: with IAM enforced, a user whose policy allows one object but not the
    others reads the allowed one (so signatures are valid) and is refused the others."""
    iam = boto_client("iam", s3["endpoint"])
    iam.create_user(UserName="reader")
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{BUCKET}/single/*"]}],
    }
    iam.put_user_policy(UserName="reader", PolicyName="single-only", PolicyDocument=json.dumps(policy))
    options = dict(
        endpoint=s3["endpoint"],
        allow_http=True,
        access_key_id=key["AccessKeyId"],
        secret_access_key=key["SecretAccessKey"],
        region=MOTO_REGION,
    )
    with iam_enforced(s3["endpoint"]):
        allowed = sluice.DataConnector.from_sources(f"s3://{BUCKET}/single/one.parquet", **options)
        assert allowed.to_arrow().read_all().num_rows == 333
        url = f"s3://{BUCKET}/train/part-0.parquet"
        with pytest.raises(sluice.SluicePermissionError) as info:
            sluice.DataConnector.from_sources(url, **options)
        assert info.value.status == sluice.Status.PERMISSION_DENIED
        assert "part-0.parquet" in str(info.value)
        # listing is not allowed either
        with pytest.raises(sluice.SluicePermissionError):
            sluice.DataConnector.from_sources(f"s3://{BUCKET}/train/", **options)


def test_s3_unknown_access_key_is_denied(s3):
    options = dict(s3_options(s3), access_key_id="AKIANOTAREALKEY00000", secret_access_key="nope")
    with iam_enforced(s3["endpoint"]):
        with pytest.raises(sluice.SluicePermissionError) as info:
            sluice.DataConnector.from_sources(f"s3://{BUCKET}/single/one.parquet", **options)
    assert "one.parquet" in str(info.value)


# --- HTTP ------------------------------------------------------------------------------------


def test_http_parquet_files(http_server):
    tables = [typed_table(0, 600), typed_table(600, 401)]
    for index, table in enumerate(tables):
        write_parquet(http_server.root / "data" / f"h{index}.parquet", table, 200)
    expected = pa.concat_tables([pq.read_table(http_server.root / "data" / f"h{i}.parquet") for i in range(2)])
    urls = [f"{http_server.url}/data/h{i}.parquet" for i in range(2)]
    del http_server.log[:]
    connector = sluice.DataConnector.from_sources(urls, allow_http=True)
    assert connector.num_rows == 1001
    assert_batches_match(batches(connector, batch_size=300), expected, 300)
    ranged = [entry for entry in http_server.log if entry[2]]
    assert ranged, "object_store reads Parquet with Range requests"


def test_http_csv_and_ipc(http_server):
    (http_server.root / "t.csv").write_text("a,b\n" + "\n".join(f"{i},x{i}" for i in range(250)) + "\n")
    table = ids_table(0, 321)
    import pyarrow.ipc as ipc

    with ipc.new_file(http_server.root / "t.arrow", table.schema) as writer:
        for batch in table.to_batches(max_chunksize=50):
            writer.write_batch(batch)
    csv = sluice.DataConnector.from_sources(f"{http_server.url}/t.csv", allow_http=True).to_arrow().read_all()
    assert csv.column("a").to_pylist() == list(range(250))
    assert csv.column("b").to_pylist() == [f"x{i}" for i in range(250)]
    arrow = sluice.DataConnector.from_sources(f"{http_server.url}/t.arrow", allow_http=True)
    assert_batches_match(batches(arrow, batch_size=100), table, 100)


def test_http_url_needs_no_allow_http(http_server):
    # the user wrote http:// in the URL: plain HTTP is what was asked for
    write_parquet(http_server.root / "plain.parquet", ids_table(0, 50), 20)
    connector = sluice.DataConnector.from_sources(f"{http_server.url}/plain.parquet")
    assert connector.to_arrow().read_all().column("id").to_pylist() == list(range(50))
