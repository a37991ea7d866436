"""A fault-injecting HTTP proxy on loopback, put in front of moto's S3 server or the local HTTP server.

Each request is forwarded to the upstream server and its answer read whole (test objects are small); the
answer the client gets is then spoiled as the current fault says, for the requests the fault selects:

    proxy.inject("reset", times=1)          # the next data read is reset mid-body, its retry succeeds
    proxy.inject("503")                     # every data read answers 503, for good
    proxy.inject("change", skip=1, times=1, on_change=replace_object)   # changes the object after one read

Faults (FAULTS): 500 and 503 answers; `slowdown` (503 with S3's SlowDown XML body); `reset` (half the body,
then a TCP reset); `short` (half the body, then the connection closes: a body shorter than its Content-Length);
`short_range` (a consistent answer, Content-Length included, that holds only half the range it claims: nothing
in HTTP itself tells it is short); `stall` (half the body, then no byte for `stall_seconds`); `change`
(`on_change()` runs before the request is forwarded: the test replaces the object there).

By default a fault selects data reads: GET requests with a Range header. `select="get"` selects every GET of an
object (whole-file reads too, not listings).
"""

import http.client
import socket
import struct
import threading
import time
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("500", "503", "slowdown", "reset", "short", "short_range", "stall", "change")

SLOWDOWN_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
    b"<RequestId>FAULTPROXY</RequestId></Error>"
)

# hop-by-hop headers, and the length that the proxy sets itself
_NOT_FORWARDED = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "proxy-connection",
    "te",
    "upgrade",
}


class FaultProxy:
    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.lock = threading.Lock()
        self.fault = None
        self.faults_served = 0
        self.requests = []  # (method, path, Range header)
        self.strip_etag = False
        self.stall_seconds = 3.0
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda *args: None  # a reset connection is the point, not an error
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def inject(self, kind, times=None, skip=0, select="range", on_change=None):
        """Spoil the selected requests after the first `skip`: `times` of them, or all (None: a permanent fault)."""
        assert kind in FAULTS, kind
        assert kind != "change" or on_change is not None
        with self.lock:
            self.fault = types.SimpleNamespace(
                kind=kind, times=times, skip=skip, select=select, on_change=on_change, seen=0, served=0
            )
            self.faults_served = 0

    def clear(self):
        with self.lock:
            self.fault = None

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def _fault_for(self, method, path, range_header):
        """The fault to apply to this request, if any (counted as served)."""
        with self.lock:
            self.requests.append((method, path, range_header))
            fault = self.fault
            if fault is None or method != "GET":
                return None
            if fault.select == "range" and not range_header:
                return None
            if fault.select == "get" and ("list-type=" in path or path.rstrip("/").count("/") < 1):
                return None
            if fault.kind == "short_range" and not range_header:
                return None  # only a range answer can be short of what it claims
            fault.seen += 1
            if fault.seen <= fault.skip or (fault.times is not None and fault.served >= fault.times):
                return None
            fault.served += 1
            self.faults_served += 1
            return fault


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._proxy()

    def do_HEAD(self):
        self._proxy()

    def do_PUT(self):
        self._proxy()

    def do_POST(self):
        self._proxy()

    def do_DELETE(self):
        self._proxy()

    def _proxy(self):
        owner = self.owner
        fault = owner._fault_for(self.command, self.path, self.headers.get("Range"))
        kind = fault.kind if fault else None
        if kind == "change":
            fault.on_change()
        if kind in ("500", "503", "slowdown"):
            body = SLOWDOWN_BODY if kind == "slowdown" else f"injected {kind}".encode()
            status = 500 if kind == "500" else 503
            self._answer(status, [("Content-Type", "application/xml")], body, len(body))
            return
        status, headers, body = self._forward()
        if owner.strip_etag:
            headers = [(k, v) for k, v in headers if k.lower() != "etag"]
        head = self.command == "HEAD"
        if kind == "short_range" and status == 206 and len(body) > 1:
            body = body[: len(body) // 2]
        if kind in ("reset", "short", "stall") and len(body) > 1 and not head:
            half = body[: len(body) // 2]
            self._answer(status, headers, half, len(body))
            if kind == "stall":
                time.sleep(owner.stall_seconds)
            elif kind == "reset":  # SO_LINGER 0: close() sends RST instead of FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self._answer(status, headers, b"" if head else body, len(body))

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(*self.owner.upstream, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}
            upstream.request(self.command, self.path, body=payload, headers=headers)
            response = upstream.getresponse()
            body = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _NOT_FORWARDED]
            if self.command == "HEAD":
                length = response.getheader("Content-Length")
                body = b"\0" * int(length) if length else b""
            return response.status, kept, body
        finally:
            upstream.close()

    def _answer(self, status, headers, body, content_length):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(content_length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
            self.wfile.flush()
