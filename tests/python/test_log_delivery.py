"""The core's log records reach Python on a thread of the core's own: no I/O thread waits for the GIL."""

import os
import subprocess
import sys
from pathlib import Path

import sluice

# Opens a connector on a closed port through a ctypes.PyDLL of the library, whose calls keep
# the GIL: the open waits for the I/O thread, which logs its retries meanwhile. Were the
# callback called on the I/O thread, it would wait for the GIL forever.
_HOLDING_THE_GIL = r"""
import ctypes, logging, socket, sys, threading, time
import sluice
from sluice import _lib, _logging

records = []
handler = logging.Handler()
handler.emit = records.append
logger = logging.getLogger("sluice")
logger.addHandler(handler)
logger.setLevel(logging.INFO)
_logging.sync_level()

with socket.socket() as s:  # a port nothing listens on
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]

held = ctypes.PyDLL(_lib.library_path)  # its calls hold the GIL
open_connector = held.sluice_connector_open
prototype = _lib.lib.sluice_connector_open
open_connector.restype, open_connector.argtypes = prototype.restype, prototype.argtypes
sources = (ctypes.c_char_p * 1)(f"http://127.0.0.1:{port}/x.parquet".encode())
connector, error = ctypes.c_void_p(), ctypes.c_void_p()
start = time.time()
status = open_connector(sources, 1, None, ctypes.byref(connector), ctypes.byref(error))
took = time.time() - start
assert status != 0 and error.value, status
_lib.lib.sluice_error_free(error)
_logging.flush()
retries = [r for r in records if "retry" in r.getMessage()]
assert len(retries) >= 2, [r.getMessage() for r in records]
# Logged during the open (the first within milliseconds), received once the GIL was free.
assert took > 0.19 and all(r.created >= start + 0.19 for r in retries), (took, [r.created - start for r in retries])
assert all(r.threadName != threading.main_thread().name for r in retries)
print("ok")
"""


def test_a_record_logged_while_the_main_thread_holds_the_gil_arrives_after():
    env = dict(os.environ, PYTHONPATH=str(Path(sluice.__file__).parent.parent))
    try:
        done = subprocess.run(
            [sys.executable, "-c", _HOLDING_THE_GIL], env=env, capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired as timeout:
        raise AssertionError("deadlock: the log callback waited for the GIL the reading thread holds") from timeout
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
