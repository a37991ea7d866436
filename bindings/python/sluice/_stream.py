"""The core's Arrow C stream as a `pyarrow.RecordBatchReader` that raises `SluiceError`.

pyarrow's own import (`RecordBatchReader._import_from_c`) moves the C struct away and turns
an error in the middle of the stream into `ArrowInvalid` or `OSError` from the errno alone.
Here the binding keeps the struct and pulls the batches with the stream's own `get_next`, so
that a failure is read back with its status and message (`sluice_stream_last_error`) and
raised as the core's `SluiceError`. Each array is imported by pyarrow, without a copy; the
batches go out through `RecordBatchReader.from_batches`, so `read_all`, `with` and
`__arrow_c_stream__` work as on any reader.
"""

import ctypes

import pyarrow as pa

from . import _lib
from ._errors import Status, error_for

_GET_SCHEMA = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(_lib.ArrowArrayStream), ctypes.POINTER(_lib.ArrowSchema))
_GET_NEXT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(_lib.ArrowArrayStream), ctypes.POINTER(_lib.ArrowArray))
_RELEASE = ctypes.CFUNCTYPE(None, ctypes.POINTER(_lib.ArrowArrayStream))


class _OwnedStream:
    """One C stream that sluice filled, owned here until `release()` (or garbage collection)."""

    def __init__(self, stream):
        self._stream = stream
        self._get_schema = _GET_SCHEMA(stream.get_schema)
        self._get_next = _GET_NEXT(stream.get_next)
        #: what must outlive the stream: memory the core writes into (`sluice_connector_read_into`)
        self.keep_alive = None
        #: whether to keep the position at the end, where the stream is released (resume tokens)
        self.keep_position = False
        self._end_position = None

    def position(self, unconsumed_rows=0):
        """The stream's position as a resume token (read option `resume_from`): after the rows it
        emitted, less `unconsumed_rows` of them that the caller has not used."""
        if not self._stream.release and self._end_position is not None:
            if unconsumed_rows:
                raise error_for(Status.INVALID_ARGUMENT, "sluice: the stream has ended; its position is its end")
            return self._end_position
        token, failure = ctypes.c_void_p(), ctypes.c_void_p()
        status = _lib.lib.sluice_stream_position(
            ctypes.byref(self._stream), unconsumed_rows, ctypes.byref(token), ctypes.byref(failure)
        )
        if status != Status.OK:
            try:
                message = _lib.lib.sluice_error_message(failure).decode("utf-8", "replace")
                raise error_for(status, message)
            finally:
                _lib.lib.sluice_error_free(failure)
        try:
            return (ctypes.cast(token, ctypes.c_char_p).value or b"").decode("ascii")
        finally:
            _lib.lib.sluice_string_free(token)

    def schema(self):
        out = _lib.ArrowSchema()
        code = self._get_schema(ctypes.byref(self._stream), ctypes.byref(out))
        if code != 0:
            raise self._error(code)
        return pa.Schema._import_from_c(ctypes.addressof(out))

    def next_batch(self, schema):
        """The next batch, or None at the end."""
        if not self._stream.release:
            return None
        out = _lib.ArrowArray()
        code = self._get_next(ctypes.byref(self._stream), ctypes.byref(out))
        if code != 0:
            raise self._error(code)
        if not out.release:
            if self.keep_position:
                self._end_position = self.position()  # the stream is released now
            self.release()  # the end: let go of the reader's resources now
            return None
        return pa.RecordBatch._import_from_c(ctypes.addressof(out), schema)

    def _error(self, code):
        """The stream's last error, as the core's exception."""
        error_out, failure = ctypes.c_void_p(), ctypes.c_void_p()
        status = _lib.lib.sluice_stream_last_error(
            ctypes.byref(self._stream), ctypes.byref(error_out), ctypes.byref(failure)
        )
        if status == Status.OK and error_out.value:
            try:
                message = _lib.lib.sluice_error_message(error_out).decode("utf-8", "replace")
                return error_for(_lib.lib.sluice_error_status(error_out), message)
            finally:
                _lib.lib.sluice_error_free(error_out)
        _lib.lib.sluice_error_free(failure)
        return error_for(Status.INTERNAL, f"sluice: the stream failed with errno {code} and kept no error")

    def release(self):
        if self._stream.release:
            _RELEASE(self._stream.release)(ctypes.byref(self._stream))

    def __del__(self):
        try:
            self.release()
        except Exception:  # noqa: BLE001 - at interpreter exit the module's globals may be gone
            pass


class _Batches:
    """The iterator behind the reader. After an error every later call raises it again: a
    consumer that goes on never mistakes an error for the end of the rows."""

    def __init__(self, owned, schema):
        self._owned = owned
        self._schema = schema
        self._error = None

    def __iter__(self):
        return self

    def __next__(self):
        if self._error is not None:
            raise self._error.with_traceback(None)
        try:
            batch = self._owned.next_batch(self._schema)
        except Exception as exc:
            self._error = exc
            self._owned.release()
            raise
        if batch is None:
            raise StopIteration
        return batch


def import_stream(stream):
    """A `pyarrow.RecordBatchReader` over `stream` (an `_lib.ArrowArrayStream` that sluice just
    filled), which it owns from here on: the stream is released at its end, when the reader is
    closed, or when nothing refers to it any more."""
    return import_positioned_stream(stream, positioned=False)[0]


def import_positioned_stream(stream, positioned=True):
    """`import_stream`, and the owned stream, whose `position()` gives resume tokens."""
    owned = _OwnedStream(stream)
    owned.keep_position = positioned
    try:
        schema = owned.schema()
    except BaseException:
        owned.release()
        raise
    return pa.RecordBatchReader.from_batches(schema, _Batches(owned, schema)), owned
