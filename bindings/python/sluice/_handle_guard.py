"""A native handle that close() cannot free while a call is using it.

ctypes releases the GIL during a native call, so without this a thread could
free the connector (close(), or the finalizer) while another thread's call is
still inside the core with the same pointer: a use-after-free. Every call that
passes the raw handle runs inside `use()`; `close()` refuses new users at once
and frees the handle when the last user leaves, so it never blocks.
"""

import contextlib
import os
import threading
import weakref

#: guards alive in this process, reset in a forked child (see _reset_after_fork)
_guards: "weakref.WeakSet[HandleGuard]" = weakref.WeakSet()


class HandleGuard:
    """Owns `handle`; `free(handle)` runs once, when closed and no call uses it."""

    def __init__(self, handle, free, closed_message):
        self._handle = handle
        self._free = free
        self._closed_message = closed_message
        self._lock = threading.Lock()
        self._users = 0
        self._closing = False
        _guards.add(self)

    @contextlib.contextmanager
    def use(self):
        """The open handle, kept alive until the block ends; ValueError once closed."""
        with self._lock:
            if self._closing:
                raise ValueError(self._closed_message)
            self._users += 1
        try:
            yield self._handle
        finally:
            handle = None
            with self._lock:
                self._users -= 1
                if self._closing and self._users == 0:
                    handle, self._handle = self._handle, None
            if handle is not None:
                self._free(handle)

    def close(self):
        """Refuse new users; free the handle now, or when the last user leaves. Idempotent."""
        handle = None
        with self._lock:
            self._closing = True
            if self._users == 0:
                handle, self._handle = self._handle, None
        if handle is not None:
            self._free(handle)

    @property
    def closed(self):
        return self._closing

    def _reset_after_fork(self):
        # The threads that were using the handle do not exist in the child. A handle that was
        # closing is left to the parent's copy of the memory: freeing it here could run into
        # locks that those threads held at the fork.
        self._lock = threading.Lock()
        self._users = 0
        if self._closing:
            self._handle = None


def _reset_after_fork():
    for guard in list(_guards):
        guard._reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
