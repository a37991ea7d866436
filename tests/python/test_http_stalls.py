"""A stalled HTTP request times out after `request_timeout` and is retried."""

import threading
import time
import types
from http.server import ThreadingHTTPServer

import pyarrow.parquet as pq
import pytest

import sluice
from _util import ids_table
from conftest import RangeHandler


class StallingHandler(RangeHandler):
    """Answers after `stall` seconds for the first `stalls` requests, at once after that."""

    stall = 3.0
    stalls = 0
    seen = 0

    def _serve(self, head):
        type(self).seen += 1
        if type(self).seen <= self.stalls:
            time.sleep(self.stall)
        try:
            super()._serve(head)
        except OSError:  # the client gave up on this request
            pass


@pytest.fixture()
def stalling(tmp_path):
    root = tmp_path.resolve()
    pq.write_table(ids_table(0, 1000), root / "d.parquet", row_group_size=250)
    handler = type("Handler", (StallingHandler,), {"root": root, "log": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.handle_error = lambda *args: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield types.SimpleNamespace(url=f"http://127.0.0.1:{server.server_address[1]}/d.parquet", handler=handler)
    server.shutdown()
    server.server_close()


def test_a_request_that_stalls_once_is_retried(stalling):
    connector = sluice.DataConnector.from_sources([stalling.url], request_timeout=0.5)
    stalling.handler.seen, stalling.handler.stalls = 0, 1  # the next request (a data read) stalls
    started = time.monotonic()
    table = connector.to_arrow(threads=1).read_all()
    assert table.column("id").to_pylist() == list(range(1000))
    assert time.monotonic() - started < 2.5
    assert stalling.handler.seen > 1


def test_a_stall_at_open_is_retried(stalling):
    stalling.handler.stalls = 1  # the HEAD at open
    connector = sluice.DataConnector.from_sources([stalling.url], request_timeout=0.5)
    assert connector.num_rows == 1000


def test_a_request_that_always_stalls_fails_naming_the_url_and_the_timeout(stalling):
    stalling.handler.stalls = 10**6
    started = time.monotonic()
    with pytest.raises(sluice.SluiceError) as caught:
        sluice.DataConnector.from_sources([stalling.url], request_timeout=0.4, connect_timeout=0.4, max_retries=2)
    message = str(caught.value)
    assert stalling.url in message
    assert "request timeout of 400ms" in message and "request_timeout" in message
    assert "retry budget ran out (2 retries" in message and "max_retries" in message
    assert stalling.handler.seen == 3, "the first attempt and two retries"
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan"])
def test_timeouts_must_be_positive_seconds(value):
    with pytest.raises(sluice.SluiceInvalidArgument, match="request_timeout"):
        sluice.DataConnector.from_sources(["x.parquet"], request_timeout=value)
