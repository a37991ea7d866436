"""Queries as sources (docs/sql.md): a real PostgreSQL 15 (tests/python/_postgres.py) and real
SQLite files, read through the ADBC drivers of the adbc-driver-* wheels."""

import logging
import socket
import sqlite3
import threading
import time

import _postgres
import adbc_driver_postgresql.dbapi
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import sluice
from sluice import _logging

TYPES_SQL = """
CREATE TABLE types (
  id int4 PRIMARY KEY, i2 int2, i4 int4, i8 int8, num numeric(12,3), f4 float4, f8 float8,
  t text, vc varchar(20), ch char(3), b bytea, flag bool, d date, tm time, ts timestamp, tstz timestamptz,
  iv interval, u uuid, j json, jb jsonb, ai int4[], at text[], af float8[]
);
INSERT INTO types VALUES
 (1, -32768, -2147483648, -9223372036854775808, -123456789.125, 1.5, -2.25, 'héllo', 'varchar', 'abc',
  '\\xdeadbeef', true, '2024-02-29', '13:45:30.123456', '2024-02-29 13:45:30.123456',
  '2024-02-29 13:45:30.123456+02', '1 year 2 mons 3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"a": [1, 2]}', '{"b": {"c": null}}', '{1,2,3}', '{"x","y"}', '{0.5,NULL}'),
 (2, 32767, 2147483647, 9223372036854775807, 0.001, 'NaN', 'Infinity', '', '', ' ', '\\x', false,
  '1970-01-01', '00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '-1 days',
  '00000000-0000-0000-0000-000000000000', '[]', '[]', '{}', '{}', '{}'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL);
CREATE TABLE train AS
  SELECT g AS id, (g % 7)::int2 AS label, g * 0.25::float8 AS x, 'row ' || g AS name
  FROM generate_series(1, 20000) g;
INSERT INTO train VALUES (NULL, 1, -1.0, 'no id'), (NULL, 2, -2.0, 'no id either');
"""


@pytest.fixture(scope="module")
def postgres():
    server = _postgres.start()
    try:
        server.execute(TYPES_SQL)
        yield server
    finally:
        server.stop()


def reference(uri, query):
    """What ADBC's own Python path returns for `query`."""
    with adbc_driver_postgresql.dbapi.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(query)
        return cur.fetch_arrow_table()


def test_a_query_streams_the_rows_adbc_python_returns(postgres):
    query = "SELECT id, label, x, name FROM train ORDER BY id NULLS FIRST"
    connector = sluice.DataConnector.from_sql(query, uri=postgres.uri())
    got = connector.to_arrow().read_all()
    expected = reference(postgres.uri(), query)
    assert got.num_rows == 20002
    assert got.equals(expected.cast(got.schema))
    assert got.column_names == ["id", "label", "x", "name"]


@pytest.mark.parametrize("partitions", [2, 4, 7])
def test_partitions_read_every_row_once(postgres, partitions):
    connector = sluice.DataConnector.from_sql(
        "SELECT id, x FROM train", uri=postgres.uri(), partition_on="id", partitions=partitions
    )
    got = connector.to_arrow().read_all()
    assert got.num_rows == 20002
    ids = got.column("id")
    assert ids.null_count == 2
    assert sorted(pc.drop_null(ids).to_pylist()) == list(range(1, 20001))
    # partitions follow each other in order: their ranges ascend
    first_ids = pc.drop_null(ids).to_pylist()
    assert first_ids[0] < first_ids[-1]


def test_partitions_on_a_float_column(postgres):
    connector = sluice.DataConnector.from_sql(
        "SELECT id, x FROM train WHERE id IS NOT NULL", uri=postgres.uri(), partition_on="x", partitions=3
    )
    assert sorted(connector.to_arrow().read_all().column("id").to_pylist()) == list(range(1, 20001))


def test_postgres_partitions_share_one_snapshot(postgres):
    query = (
        "SELECT id, pg_current_snapshot()::text AS snap, current_setting('transaction_isolation') AS iso "
        "FROM train WHERE id IS NOT NULL"
    )
    # a transaction that commits while the partitions connect would show in their snapshots if each took its own
    stop = threading.Event()

    def writer():
        while not stop.is_set():
            postgres.execute("CREATE TEMP TABLE w AS SELECT 1; DROP TABLE w")

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        got = (
            sluice.DataConnector.from_sql(query, uri=postgres.uri(), partition_on="id", partitions=4)
            .to_arrow()
            .read_all()
        )
    finally:
        stop.set()
        thread.join()
    assert got.num_rows == 20000
    assert set(got.column("iso").to_pylist()) == {"repeatable read"}
    assert len(set(got.column("snap").to_pylist())) == 1


def test_params_are_bound_to_every_partition(postgres):
    connector = sluice.DataConnector.from_sql(
        "SELECT id FROM train WHERE id <= $1 AND name <> $2",
        uri=postgres.uri(),
        params=[100, "row 5"],
        partition_on="id",
        partitions=3,
    )
    ids = sorted(connector.to_arrow().read_all().column("id").to_pylist())
    assert ids == [i for i in range(1, 101) if i != 5]


def _comparable(values):
    return ["NaN" if isinstance(v, float) and v != v else v for v in values]


def test_postgres_types_arrive_as_the_driver_gives_them(postgres):
    query = "SELECT * FROM types ORDER BY id"
    # snapshot="never": the Parquet snapshot cannot hold `interval` (docs/sql.md)
    got = sluice.DataConnector.from_sql(query, uri=postgres.uri(), snapshot="never").to_arrow().read_all()
    expected = reference(postgres.uri(), query)
    assert got.column_names == expected.column_names
    for name in expected.column_names:
        want = expected.column(name)
        have = got.column(name)
        if isinstance(want.type, pa.ExtensionType):
            want = want.cast(want.type.storage_type) if hasattr(want.type, "storage_type") else want
        if isinstance(have.type, pa.ExtensionType):
            have = have.cast(have.type.storage_type)
        assert _comparable(have.to_pylist()) == _comparable(want.to_pylist()), name
    types = {f.name: f.type for f in got.schema}
    assert types["i2"] == pa.int16() and types["i4"] == pa.int32() and types["i8"] == pa.int64()
    assert types["f4"] == pa.float32() and types["f8"] == pa.float64()
    assert types["b"] == pa.binary() and types["flag"] == pa.bool_() and types["d"] == pa.date32()
    assert types["tm"] == pa.time64("us") and types["ts"] == pa.timestamp("us")
    assert types["tstz"] == pa.timestamp("us", tz="UTC") and types["iv"] == pa.month_day_nano_interval()
    assert types["ai"] == pa.list_(pa.int32())


def test_partition_on_must_be_a_numeric_column_of_the_result(postgres):
    with pytest.raises(sluice.SluiceInvalidArgument, match=r"partition_on column 'name' is Utf8, not a number"):
        sluice.DataConnector.from_sql(
            "SELECT id, name FROM train", uri=postgres.uri(), partition_on="name", partitions=2
        )
    with pytest.raises(
        sluice.SluiceInvalidArgument,
        match=r"partition_on column 'nope' is not in the query's result \(columns: id, name\)",
    ):
        sluice.DataConnector.from_sql(
            "SELECT id, name FROM train", uri=postgres.uri(), partition_on="nope", partitions=2
        )
    with pytest.raises(sluice.SluiceInvalidArgument, match="needs a driver that splits results itself"):
        sluice.DataConnector.from_sql("SELECT id FROM train", uri=postgres.uri(), partitions=2)


def test_a_syntax_error_gives_the_database_message_and_the_query(postgres):
    with pytest.raises(sluice.SluiceError) as raised:
        sluice.DataConnector.from_sql("SELEC id FROM train", uri=postgres.uri())
    message = str(raised.value)
    assert 'syntax error at or near "SELEC"' in message
    assert "query 'SELEC id FROM train'" in message and "SQLSTATE 42601" in message
    assert _postgres.PASSWORD not in message


def _assert_no_secret(secret, error, caplog, *texts):
    _logging.flush()
    for text in (str(error), repr(error), *texts, *(r.getMessage() for r in caplog.records)):
        assert secret not in text, text


def test_a_wrong_password_is_a_permission_error_without_the_password(postgres, caplog):
    caplog.set_level(logging.DEBUG, logger="sluice")
    uri = postgres.uri(password="wr0ng-pw")
    with pytest.raises(sluice.SluicePermissionError) as raised:
        sluice.DataConnector.from_sql("SELECT 1", uri=uri)
    assert "password authentication failed" in str(raised.value)
    assert f"postgresql://{_postgres.USER}:***@127.0.0.1:{postgres.port}/" in str(raised.value)
    _assert_no_secret("wr0ng-pw", raised.value, caplog)


def test_secrets_stay_out_of_repr_and_logs(postgres, caplog):
    caplog.set_level(logging.DEBUG, logger="sluice")
    connector = sluice.DataConnector.from_sql("SELECT id FROM train LIMIT 5", uri=postgres.uri())
    assert connector.to_arrow().read_all().num_rows == 5
    assert f"postgresql://{_postgres.USER}:***@" in repr(connector)
    _assert_no_secret(_postgres.PASSWORD, "", caplog, repr(connector))


def test_a_bad_uri(postgres):
    with pytest.raises(
        sluice.SluiceError,
        match=r"postgresql database 'postgresql://\[nope', query 'SELECT 1': cannot open the database",
    ):
        sluice.DataConnector.from_sql("SELECT 1", uri="postgresql://[nope")


def test_an_unreachable_host_fails_within_the_connect_timeout():
    # a listening socket that never answers: the TCP handshake completes, the server never speaks
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(sluice.SluiceError, match="timeout|timed out"):
            sluice.DataConnector.from_sql("SELECT 1", uri=f"postgresql://u:pw@127.0.0.1:{port}/db", connect_timeout=2)
        assert time.monotonic() - started < 8


def test_a_missing_driver_names_its_package(tmp_path):
    with pytest.raises(
        sluice.SluiceNotFoundError, match=r"ADBC driver 'flightsql' not found: .*pip install adbc-driver-flightsql"
    ):
        sluice.DataConnector.from_sql("SELECT 1", uri="grpc://127.0.0.1:1", driver="flightsql")
    with pytest.raises(sluice.SluiceNotFoundError, match="could not be loaded"):
        sluice.DataConnector.from_sql("SELECT 1", uri="x", driver=str(tmp_path / "libnothing.so"))


def test_a_connection_dropped_mid_stream_is_an_error(postgres):
    query = "SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 3000000) g /* dropped-mid-stream */"
    reader = sluice.DataConnector.from_sql(query, uri=postgres.uri(), snapshot="never").to_arrow()
    rows = reader.read_next_batch().num_rows
    postgres.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE query LIKE '%dropped-mid-stream%' AND pid <> pg_backend_pid()"
    )
    with pytest.raises(Exception, match="reading the result failed|terminat|connection"):
        while True:
            rows += reader.read_next_batch().num_rows
    assert rows < 3000000


def test_sqlite_files_in_partitions(tmp_path):
    path = tmp_path / "train.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (id INTEGER, x REAL, name TEXT, raw BLOB)")
        db.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?)", [(i, i / 4, f"r{i}", bytes([i % 256])) for i in range(1, 5001)]
        )
    for partitions in (1, 3):
        connector = sluice.DataConnector.from_sql(
            "SELECT * FROM t", uri=str(path), driver="sqlite", partition_on="id", partitions=partitions
        )
        got = connector.to_arrow().read_all().sort_by("id")
        assert got.schema.types == [pa.int64(), pa.float64(), pa.string(), pa.binary()]
        assert got.column("id").to_pylist() == list(range(1, 5001))
        assert got.column("x").to_pylist() == [i / 4 for i in range(1, 5001)]
        assert got.column("raw").to_pylist()[:3] == [b"\x01", b"\x02", b"\x03"]


def test_shuffle_shards_and_a_second_epoch_read_the_snapshot(postgres, tmp_path):
    connector = sluice.ShardedDataConnector.from_sql(
        "SELECT id, x FROM train WHERE id IS NOT NULL",
        uri=postgres.uri(),
        partition_on="id",
        partitions=3,
        snapshot_dir=str(tmp_path),
    )
    first = connector.to_arrow(shuffle=True, seed=7).read_all().column("id").to_pylist()
    again = connector.to_arrow(shuffle=True, seed=7).read_all().column("id").to_pylist()
    assert first == again and sorted(first) == list(range(1, 20001)) and first != sorted(first)
    shards = [connector.get_shard(rank, 2).to_arrow().read_all().column("id").to_pylist() for rank in range(2)]
    assert sorted(shards[0] + shards[1]) == list(range(1, 20001))
    assert _postgres.PASSWORD not in str(connector.snapshot())


def test_duckdb_through_its_own_adbc_entry_point():
    # the duckdb wheel's extension module exports duckdb_adbc_init; found on sys.path
    connector = sluice.DataConnector.from_sql(
        "SELECT range AS id, range * 2 AS twice FROM range(1000)",
        uri=":memory:",
        driver="duckdb",
        partition_on="id",
        partitions=3,
        snapshot="never",
    )
    got = connector.to_arrow().read_all().sort_by("id")
    assert got.column("id").to_pylist() == list(range(1000))
    assert got.column("twice").to_pylist() == [2 * i for i in range(1000)]
