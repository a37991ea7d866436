"""Object-store faults, injected by a proxy (fault_proxy.py) in front of moto's S3 server and the HTTP server.

FAULT_TABLE is the table of docs/faults.md: each fault, once (the retry succeeds) or for good, against its
outcome: the read retried and identical to pyarrow's values, or an error that names the URI and says why.
Every row runs against each store: S3 (moto), HTTP, and HTTP without ETags (where sluice retries cut bodies
itself, object_store resuming them only when the object has an ETag).
"""

import itertools
import time

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import sluice
from _util import assert_batches_match, ids_table, typed_table
from conftest import MOTO_KEY, MOTO_REGION, MOTO_SECRET, REPO, boto_client
from fault_proxy import FaultProxy

BUCKET = "sluice-faults"
IDENTICAL = "retried and identical"

# (fault, how often, format, expected outcome: IDENTICAL, or text the error contains besides the URI)
FAULT_TABLE = [
    ("500", "once", "parquet", IDENTICAL),
    ("503", "once", "parquet", IDENTICAL),
    ("slowdown", "once", "parquet", IDENTICAL),
    ("reset", "once", "parquet", IDENTICAL),
    ("short", "once", "parquet", IDENTICAL),
    ("short_range", "once", "parquet", IDENTICAL),
    ("stall", "once", "parquet", IDENTICAL),
    ("reset", "once", "csv", IDENTICAL),
    ("short", "once", "csv", IDENTICAL),
    ("500", "always", "parquet", "500 Internal Server Error"),
    ("503", "always", "parquet", "503 Service Unavailable"),
    ("slowdown", "always", "parquet", "SlowDown"),
    ("reset", "always", "parquet", "retry budget"),
    ("short", "always", "parquet", "retry budget"),
    ("short_range", "always", "parquet", "bytes where"),
    ("stall", "always", "parquet", "request timeout of 300ms"),
    ("short", "always", "csv", "retry budget"),
    ("change", "between two range requests", "parquet", "changed after the connector was opened"),
    ("change", "between two range requests", "csv", "changed after the connector was opened"),
]
STORES = ["s3", "http", "http_no_etag"]

# Short budgets keep each test within a second or two.
RECOVER = dict(request_timeout=0.6, connect_timeout=0.5, max_retries=4, retry_timeout=5)
GIVE_UP = dict(request_timeout=0.3, connect_timeout=0.5, max_retries=2, retry_timeout=3)


class Store:
    """One store behind its own proxy: put objects upstream, read them through the proxy."""

    def __init__(self, kind, proxy, put, url, options):
        self.kind, self.proxy, self.put, self.url, self.options = kind, proxy, put, url, options


@pytest.fixture(scope="module")
def stores(moto_server, http_server):
    client = boto_client("s3", moto_server.endpoint)
    client.create_bucket(Bucket=BUCKET)
    made = {}
    s3_proxy = FaultProxy("127.0.0.1", moto_server.port)
    made["s3"] = Store(
        "s3",
        s3_proxy,
        lambda name, data: client.put_object(Bucket=BUCKET, Key=name, Body=data),
        lambda name: f"s3://{BUCKET}/{name}",
        dict(
            endpoint=s3_proxy.url,
            allow_http=True,
            access_key_id=MOTO_KEY,
            secret_access_key=MOTO_SECRET,
            region=MOTO_REGION,
        ),
    )
    http_port = int(http_server.url.rsplit(":", 1)[1])
    for kind in ("http", "http_no_etag"):
        proxy = FaultProxy("127.0.0.1", http_port)
        proxy.strip_etag = kind == "http_no_etag"

        def put(name, data):
            path = http_server.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

        made[kind] = Store(kind, proxy, put, lambda name, p=proxy: f"{p.url}/{name}", {})
    yield made
    for store in made.values():
        store.proxy.close()


_names = itertools.count()


def parquet_bytes(table):
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=500)
    return sink.getvalue().to_pybytes()


def csv_bytes(table):
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    return sink.getvalue().to_pybytes()


def fresh_object(store, fmt):
    """A new object (a name of its own, so no test sees another's) and the table pyarrow reads from it."""
    name = f"faults/{next(_names)}-{store.kind}.{fmt}"
    if fmt == "parquet":
        data = parquet_bytes(typed_table(0, 2000))
        expected = pq.read_table(pa.BufferReader(data))
    else:
        data = csv_bytes(ids_table(0, 3000))
        expected = pacsv.read_csv(pa.BufferReader(data))
    store.put(name, data)
    return store.url(name), expected


def read_all(url, store, budget):
    connector = sluice.DataConnector.from_sources([url], **store.options, **budget)
    return connector.to_arrow(batch_size=700, fragments_in_flight=1).read_all()


@pytest.mark.parametrize("store_kind", STORES)
@pytest.mark.parametrize("fault,often,fmt,outcome", FAULT_TABLE)
def test_fault_table(stores, store_kind, fault, often, fmt, outcome):
    store = stores[store_kind]
    proxy = store.proxy
    url, expected = fresh_object(store, fmt)
    select = "range" if fmt == "parquet" else "get"
    started = time.monotonic()
    try:
        if fault == "change":
            # A budget whose timeout leaves the proxy time to replace the object.
            connector = sluice.DataConnector.from_sources([url], **store.options, **dict(RECOVER, request_timeout=10))
            changed = csv_bytes(ids_table(0, 10)) if fmt == "csv" else parquet_bytes(typed_table(5, 1000))
            # Parquet: the read's first range request gets the object pinned at open, the next one finds it
            # replaced. CSV: the read's request finds replaced the object that open read.
            skip = 1 if fmt == "parquet" else 0
            replace = lambda: store.put(url_key(url), changed)  # noqa: E731
            proxy.inject("change", skip=skip, times=1, select=select, on_change=replace)
            with pytest.raises(sluice.SluiceError) as caught:
                connector.to_arrow(batch_size=100, fragments_in_flight=1).read_all()
            assert proxy.faults_served == 1
        elif often == "once":
            # Once at open and once during the read: both are retried.
            proxy.inject(fault, times=1, select=select)
            connector = sluice.DataConnector.from_sources([url], **store.options, **RECOVER)
            opened_with_fault = proxy.faults_served
            proxy.inject(fault, times=1, select=select)
            with connector.to_arrow(batch_size=700, fragments_in_flight=1) as reader:
                batches = list(reader)
            assert (opened_with_fault, proxy.faults_served) == (1, 1), "a fault at open and one during the read"
            assert outcome == IDENTICAL
            assert_batches_match(batches, expected, 700)
            return
        else:
            proxy.inject(fault, select=select)
            with pytest.raises(sluice.SluiceError) as caught:
                read_all(url, store, GIVE_UP)
            assert proxy.faults_served >= 3, "the first attempt and max_retries=2 retries"
    finally:
        proxy.clear()
    message = str(caught.value)
    assert url in message or url_key(url) in message, message
    assert outcome in message, message
    assert time.monotonic() - started < 10


def url_key(url):
    """The object's name in its bucket or under the HTTP root."""
    return url.split("/", 3)[3]


@pytest.mark.parametrize("fault", ["500", "reset", "short_range"])
def test_the_error_after_the_budget_names_the_url_without_its_password(stores, fault):
    store = stores["http"]
    url, _ = fresh_object(store, "parquet")
    with_password = url.replace("http://", "http://reader:s3cr3t-pw@")
    store.proxy.inject(fault)
    try:
        with pytest.raises(sluice.SluiceError) as caught:
            read_all(with_password, store, GIVE_UP)
    finally:
        store.proxy.clear()
    message = str(caught.value)
    assert "s3cr3t-pw" not in message
    assert url.replace("http://", "http://reader:***@") in message
    assert "retry budget ran out" in message


def test_the_docs_table_is_this_table():
    text = (REPO / "docs" / "faults.md").read_text()
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            outcome = IDENTICAL if cells[3] == IDENTICAL else cells[3].removeprefix("error containing ").strip("`")
            rows.append((cells[0].strip("`"), cells[1], cells[2], outcome))
    assert rows == FAULT_TABLE
