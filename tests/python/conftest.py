"""Fixtures of the sluice Python suite: generated data sets and loopback servers.

Which `sluice` is tested: with SLUICE_LIBRARY set, the package in the source tree
(bindings/python) over that library; without it, the installed package (with its
bundled library). The header of the pytest run names both.
"""

import email.utils
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
if os.environ.get("SLUICE_LIBRARY"):
    sys.path.insert(0, str(REPO / "bindings" / "python"))

try:
    import sluice  # noqa: E402
except ModuleNotFoundError as exc:  # pragma: no cover - set-up problem
    raise ImportError(
        "the sluice package is not installed: `pip install ./bindings/python`, "
        "or set SLUICE_LIBRARY=target/release/libsluice.so to test the source tree"
    ) from exc

pytest.register_assert_rewrite("_util")
from _util import ids_table, typed_table, write_parquet  # noqa: E402


def pytest_report_header(config):
    return [f"sluice {sluice.__version__}: package {Path(sluice.__file__).parent}, library {sluice.LIBRARY_PATH}"]


# --- data sets -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def parquet_dataset(tmp_path_factory):
    """Three Parquet files of odd sizes and several row groups each, in nested directories.

    expected: what pyarrow reads from the files in path order (the core's source order).
    """
    root = tmp_path_factory.mktemp("parquet_dataset")
    layout = [  # (relative path, first id, rows, row group size)
        ("part-0.parquet", 0, 1000, 300),
        ("sub/part-1.parquet", 1000, 777, 250),
        ("sub/deeper/part-2.parquet", 1777, 2345, 1000),
    ]
    for rel, start, n, rg in layout:
        write_parquet(root / rel, typed_table(start, n), rg)
    files = sorted(root.rglob("*.parquet"), key=str)
    expected = pa.concat_tables([pq.read_table(f) for f in files])
    return types.SimpleNamespace(root=root, files=files, expected=expected)


TEXT_ROWS = 5000


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    """Text columns, repeating and distinct (test_text_numpy.py, test_tensorflow.py): (connector, table)."""
    names = ["ünïcode", "", "a", "long name " * 20]
    rows = TEXT_ROWS
    table = pa.table(
        {
            "repeating": pa.array([names[i % len(names)] for i in range(rows)]),
            "distinct": pa.array([f"row {i}" for i in range(rows)]),
            "repeating_bytes": pa.array([b"\x00\xff" * (i % 3) for i in range(rows)], pa.binary()),
            "mostly_repeating": pa.array(["x"] * 1000 + [f"y{i}" for i in range(rows - 1000)]),
        }
    )
    path = write_parquet(tmp_path_factory.mktemp("text") / "text.parquet", table, 1500)
    return sluice.DataConnector.from_sources(str(path)), table


@pytest.fixture(scope="session")
def ids_dataset(tmp_path_factory):
    """Four flat Parquet files whose `id` column is the row's position in source order (0..T-1)."""
    root = tmp_path_factory.mktemp("ids_dataset")
    layout = [(0, 1201, 400), (1201, 999, 100), (2200, 1, 1), (2201, 2802, 700)]
    files = []
    for index, (start, n, rg) in enumerate(layout):
        files.append(write_parquet(root / f"ids-{index:02d}.parquet", ids_table(start, n), rg))
    total = sum(n for _, n, _ in layout)
    row_groups = [min(rg, n - o) for _, n, rg in layout for o in range(0, n, rg)]
    return types.SimpleNamespace(root=root, files=files, total=total, row_groups=row_groups)


@pytest.fixture(scope="session")
def ids_connector(ids_dataset):
    return sluice.DataConnector.from_sources(str(ids_dataset.root))


@pytest.fixture(scope="session")
def big_parquet(tmp_path_factory):
    """About 40 MB of decoded int64/float64 data in one Parquet file with 6 MB row groups."""
    root = tmp_path_factory.mktemp("big")
    n = 1_250_000
    rng = np.random.default_rng(7)
    table = pa.table(
        {
            "id": np.arange(n, dtype=np.int64),
            "a": rng.integers(0, 2**62, n),
            "b": rng.normal(size=n),
            "c": rng.integers(0, 2**62, n),
        }
    )
    path = write_parquet(root / "big.parquet", table, 200_000)
    return types.SimpleNamespace(path=path, table=table)


# --- loopback servers ----------------------------------------------------------------------


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeHandler(BaseHTTPRequestHandler):
    """Static files with HEAD and single Range requests, as object_store's HTTP client needs.

    /forbidden/... answers 403; /failing/... answers 500.
    """

    protocol_version = "HTTP/1.1"
    root = None
    log = None

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def _serve(self, head):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        range_header = self.headers.get("Range")
        self.log.append((self.command, path, range_header))
        if path.startswith("/forbidden/"):
            self.send_error(403, "Forbidden")
            return
        if path.startswith("/failing/"):
            self.send_error(500, "Internal Server Error")
            return
        file = (self.root / path.lstrip("/")).resolve()
        if self.root not in file.parents or not file.is_file():
            self.send_error(404, "Not Found")
            return
        data = file.read_bytes()
        size = len(data)
        stat = file.stat()
        start, end, status = 0, size - 1, 200
        if range_header:
            match = _RANGE.match(range_header.strip())
            if not match or match.groups() == ("", ""):
                self.send_error(400, "Bad Range")
                return
            first, last = match.groups()
            if first == "":  # suffix: the last N bytes
                start, end = max(0, size - int(last)), size - 1
            else:
                start = int(first)
                end = min(int(last), size - 1) if last else size - 1
            if start >= size or start > end:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start : end + 1]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
        self.send_header("ETag", f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"')
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if not head:
            self.wfile.write(body)


@pytest.fixture(scope="session")
def http_server(tmp_path_factory):
    """A loopback HTTP server over a directory: .root (write files there), .url, .log of requests."""
    root = tmp_path_factory.mktemp("http_root").resolve()
    handler = type("Handler", (RangeHandler,), {"root": root, "log": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield types.SimpleNamespace(root=root, url=f"http://127.0.0.1:{server.server_address[1]}", log=handler.log)
    finally:
        server.shutdown()
        server.server_close()


MOTO_KEY = "testing"
MOTO_SECRET = "testing"
MOTO_REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_server():
    """moto's S3 server (server mode, a separate process) on a free loopback port."""
    port = free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID=MOTO_KEY, AWS_SECRET_ACCESS_KEY=MOTO_SECRET)
    # Its log (a line per request, on stderr) goes to a file: a pipe nobody reads fills up
    # after some hundred requests, and the server then blocks on writing, hanging every request.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=env,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                log.seek(0)
                raise RuntimeError(f"moto server did not start: {log.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.1)
    try:
        yield types.SimpleNamespace(endpoint=endpoint, port=port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def boto_client(service, endpoint, key=MOTO_KEY, secret=MOTO_SECRET):
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name=MOTO_REGION,
    )
