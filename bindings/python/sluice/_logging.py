"""The core's log events in the `sluice` logger.

The core logs what each connector opened and each read planned (files, fragments, rows,
shard, worker, shuffle, as `key=value` fields) and every retry of an object-store request
(the attempt, the error and the URI, without secrets). At import the package registers one
callback with the core (`sluice_log_set_callback`) that hands each event to
`logging.getLogger("sluice")`, the core's levels mapped to logging's (TRACE is level 5).

The core calls it on one thread of its own ("sluice-log"), never on the thread that logged:
its I/O threads only queue the records. So no thread of the core waits for the GIL, and a
caller that holds the GIL while it pulls a stream (an import into a library that does not
release it) cannot deadlock with a retry being logged. Records therefore arrive shortly
after the call that logged them; `flush()` waits for them. A child after fork() keeps the
registration and gets a delivery thread of its own; logging is thread-safe and re-creates
its locks in a child. So that a read costs nothing when the logger would drop the events, the core is told
the logger's level (`sync_level`, at each open and read), and filters by it before it formats
anything; the callback checks the level again, as the logger's may change in between.
"""

import atexit
import ctypes
import logging

from . import _lib
from ._progress import logger

_OFF, _ERROR, _WARN, _INFO, _DEBUG, _TRACE = range(6)  # SLUICE_LOG_* in sluice.h
_TRACE_LEVEL = 5  # logging has no TRACE: below DEBUG
#: the core's level of each Python level, most verbose first
_CORE_LEVELS = (
    (_TRACE_LEVEL, _TRACE),
    (logging.DEBUG, _DEBUG),
    (logging.INFO, _INFO),
    (logging.WARNING, _WARN),
    (logging.ERROR, _ERROR),
)
_PYTHON_LEVELS = {core: python for python, core in _CORE_LEVELS}

#: the level the core was last told (None: not yet)
_core_level = None


def _forward(level: int, target: bytes, message: bytes, _user_data: object) -> None:
    try:
        python_level = _PYTHON_LEVELS.get(level, logging.DEBUG)
        if not logger.isEnabledFor(python_level):
            return
        origin = target.decode("utf-8", "replace")
        text = message.decode("utf-8", "replace")
        # object_store's messages name their crate; sluice's own need no prefix
        source = "" if origin == "sluice" or origin.startswith("sluice::") else origin.split("::")[0] + ": "
        logger.log(python_level, "sluice: %s%s", source, text, extra={"sluice_target": origin})
    except BaseException:  # nothing may propagate into the library's threads
        pass


# Kept for the life of the process: the core may call it until the interpreter exits.
_CALLBACK = _lib.LOG_CALLBACK(_forward)


def core_level() -> int:
    """The core's level for what the `sluice` logger lets through now."""
    for python_level, core in _CORE_LEVELS:
        if logger.isEnabledFor(python_level):
            return core
    return _OFF


def sync_level() -> None:
    """Tells the core the logger's level, when it changed since it was last told."""
    global _core_level
    level = core_level()
    if level != _core_level:
        _core_level = level
        _lib.lib.sluice_log_set_level(level, None)


def flush() -> None:
    """Waits (at most 2 seconds) until the core's records logged so far are in the logger."""
    _lib.lib.sluice_log_flush()


def _register() -> None:
    global _core_level
    _core_level = core_level()
    error = ctypes.c_void_p()
    if _lib.lib.sluice_log_set_callback(_CALLBACK, _core_level, None, ctypes.byref(error)) != 0:
        message = _lib.lib.sluice_error_message(error).decode("utf-8", "replace")
        _lib.lib.sluice_error_free(error)
        logger.warning("sluice: the core's log events are not forwarded: %s", message)
        return
    # At exit the core's threads may outlive the interpreter: they must not call into it then.
    # Unregistering first delivers what is queued (the call releases the GIL meanwhile).
    atexit.register(_lib.lib.sluice_log_set_callback, _lib.LOG_CALLBACK(), _OFF, None, None)  # NULL


_register()
