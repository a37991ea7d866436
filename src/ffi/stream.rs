//! The Arrow C stream handed to consumers, with callbacks of our own: each runs
//! inside the panic firewall, errors keep the core's status and message (read
//! back with `sluice_stream_last_error`), `release` marks the struct released,
//! and `get_next` after the end keeps returning the end.

use super::boundary::{fallible, ffi_boundary, non_null, non_null_mut};
use super::error::sluice_error;
use super::status::sluice_status;
use crate::error::{Error, Result};
use crate::read::BatchStream;
use arrow::array::{make_array, Array, ArrayData, ArrayRef, MutableArrayData, StructArray};
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow::ffi_stream::FFI_ArrowArrayStream;
use arrow::record_batch::RecordBatch;
use std::ffi::{c_char, c_int};

/// The errno value a stream callback returns for an error of this status (the
/// table in `sluice_stream_last_error`'s documentation). Values come from the
/// platform's <errno.h>, through `libc`.
pub(crate) fn errno_for(status: sluice_status) -> c_int {
    use sluice_status::*;
    match status {
        SLUICE_OK => 0,
        SLUICE_INVALID_ARGUMENT => libc::EINVAL,
        SLUICE_NOT_FOUND => libc::ENOENT,
        SLUICE_IO => libc::EIO,
        SLUICE_INVALID_DATA | SLUICE_SCHEMA_MISMATCH => libc::EBADMSG,
        SLUICE_PERMISSION_DENIED => libc::EACCES,
        SLUICE_UNSUPPORTED => libc::ENOSYS,
        SLUICE_PANIC | SLUICE_INTERNAL => libc::ENOTRECOVERABLE,
    }
}

pub(super) struct StreamState {
    pub(super) stream: BatchStream,
    last_error: Option<sluice_error>,
}

pub(crate) fn export_stream(stream: BatchStream) -> FFI_ArrowArrayStream {
    let state = Box::new(StreamState { stream, last_error: None });
    FFI_ArrowArrayStream {
        get_schema: Some(get_schema),
        get_next: Some(get_next),
        get_last_error: Some(get_last_error),
        release: Some(release),
        private_data: Box::into_raw(state).cast(),
    }
}

/// The state of a stream this library produced and has not released, or an
/// error saying what `stream` is instead (NULL, released, another library's).
///
/// Safety: `stream` is NULL or points to an `ArrowArrayStream`, used by one
/// thread at a time (the header's rule for streams), so the state is not aliased.
pub(super) unsafe fn own_state<'a>(stream: *const FFI_ArrowArrayStream) -> Result<&'a mut StreamState> {
    let stream = non_null(stream, "stream")?;
    let ours: unsafe extern "C" fn(*mut FFI_ArrowArrayStream) = release;
    match stream.release {
        None => Err(Error::invalid_argument("the stream is released")),
        Some(callback) if !std::ptr::fn_addr_eq(callback, ours) => Err(Error::invalid_argument(
            "the stream was not produced by sluice (its release callback belongs to another library): \
             ask its producer, e.g. through its get_last_error",
        )),
        Some(_) => unsafe { stream.private_data.cast::<StreamState>().as_mut() }
            .ok_or_else(|| Error::internal("a sluice stream without its state")),
    }
}

/// Runs a callback's body on the stream's state; an error (a panic included)
/// is kept as the stream's last error and returned as its errno.
fn callback(stream: *mut FFI_ArrowArrayStream, body: impl FnOnce(&mut StreamState) -> Result<()>) -> c_int {
    ffi_boundary(|| {
        let Ok(state) = (unsafe { own_state(stream) }) else {
            return libc::EINVAL; // NULL or released: there is nowhere to keep a message
        };
        match ffi_boundary(|| body(&mut *state)) {
            Ok(()) => 0,
            Err(err) => {
                let error = sluice_error::from_error(&err);
                let code = errno_for(error.status());
                state.last_error = Some(error);
                code
            }
        }
    })
}

unsafe extern "C" fn get_schema(stream: *mut FFI_ArrowArrayStream, out: *mut FFI_ArrowSchema) -> c_int {
    callback(stream, |state| {
        non_null(out, "get_schema: out")?;
        unsafe { write_schema(out, &state.stream.schema()) }
    })
}

/// Exports `schema` into `*out` (the caller releases it).
///
/// # Safety
/// `out` is not NULL and points to writable memory for one `FFI_ArrowSchema`.
pub(super) unsafe fn write_schema(out: *mut FFI_ArrowSchema, schema: &arrow::datatypes::Schema) -> Result<()> {
    let exported = FFI_ArrowSchema::try_from(schema).map_err(|e| Error::internal(format!("cannot export the schema: {e}")))?;
    unsafe { std::ptr::write(out, exported) };
    Ok(())
}

/// The batch with every array at offset 0, at every level. A batch re-cut from
/// a larger one can hold a bit offset (sliced bools and validity bitmaps);
/// some importers (Arrow Java) ignore `ArrowArray.offset` and would read the
/// wrong values, so those few columns are copied. Others pass untouched.
fn without_offsets(batch: RecordBatch) -> Result<RecordBatch, String> {
    fn has_offset(data: &ArrayData) -> bool {
        data.offset() != 0 || data.child_data().iter().any(has_offset)
    }
    if !batch.columns().iter().any(|c| has_offset(&c.to_data())) {
        return Ok(batch);
    }
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|column| {
            let data = column.to_data();
            if !has_offset(&data) {
                return Ok(column.clone());
            }
            let mut copy = MutableArrayData::new(vec![&data], false, data.len());
            copy.try_extend(0, 0, data.len()).map_err(|e| e.to_string())?;
            Ok(make_array(copy.freeze()))
        })
        .collect::<Result<_, String>>()?;
    RecordBatch::try_new(batch.schema(), columns).map_err(|e| e.to_string())
}

unsafe extern "C" fn get_next(stream: *mut FFI_ArrowArrayStream, out: *mut FFI_ArrowArray) -> c_int {
    callback(stream, |state| {
        non_null(out, "get_next: out")?;
        let array = match state.stream.next_batch()? {
            Some(batch) => {
                let batch =
                    without_offsets(batch).map_err(|why| Error::internal(format!("internal error while exporting a batch: {why}")))?;
                FFI_ArrowArray::new(&StructArray::from(batch).to_data())
            }
            None => FFI_ArrowArray::empty(), // the end of the stream: a released array
        };
        unsafe { std::ptr::write(out, array) };
        Ok(())
    })
}

/// Borrowed: valid until the next call on this stream or its release.
unsafe extern "C" fn get_last_error(stream: *mut FFI_ArrowArrayStream) -> *const c_char {
    ffi_boundary(|| match unsafe { own_state(stream) } {
        Ok(state) => state.last_error.as_ref().map_or(std::ptr::null(), sluice_error::message_ptr),
        Err(_) => std::ptr::null(),
    })
}

unsafe extern "C" fn release(stream: *mut FFI_ArrowArrayStream) {
    ffi_boundary(|| {
        let Some(stream) = (unsafe { stream.as_mut() }) else {
            return;
        };
        if stream.release.is_none() {
            return;
        }
        let private = stream.private_data.cast::<StreamState>();
        if !private.is_null() {
            drop(unsafe { Box::from_raw(private) });
        }
        stream.private_data = std::ptr::null_mut();
        stream.get_schema = None;
        stream.get_next = None;
        stream.get_last_error = None;
        stream.release = None;
    })
}

/// Writes to `*out` the last error of `stream`, a stream that
/// `sluice_connector_read` produced: an owned copy of it (free it with
/// `sluice_error_free`), with the core's status and message, or NULL when no
/// call on the stream has failed. It is how a consumer gets the exact status
/// of an error found in the middle of a stream (as ADBC's
/// `AdbcErrorFromArrayStream` does), since the callbacks can only return an
/// errno. Call it on the struct sluice filled, or on the struct it was moved
/// to, before `release`. The stream is only read; it must not be in use by
/// another thread.
///
/// A callback that fails returns one of these errno values (<errno.h>); the
/// status says more, as several share one:
///
/// | status                     | errno           |
/// |----------------------------|-----------------|
/// | `SLUICE_INVALID_ARGUMENT`  | EINVAL          |
/// | `SLUICE_NOT_FOUND`         | ENOENT          |
/// | `SLUICE_IO`                | EIO             |
/// | `SLUICE_INVALID_DATA`      | EBADMSG         |
/// | `SLUICE_SCHEMA_MISMATCH`   | EBADMSG         |
/// | `SLUICE_PERMISSION_DENIED` | EACCES          |
/// | `SLUICE_UNSUPPORTED`       | ENOSYS          |
/// | `SLUICE_PANIC`             | ENOTRECOVERABLE |
/// | `SLUICE_INTERNAL`          | ENOTRECOVERABLE |
///
/// A callback called with a NULL or released stream returns EINVAL and keeps
/// no message.
///
/// Fails with `SLUICE_INVALID_ARGUMENT` when `stream` or `out` is NULL, when
/// the stream is released, or when it was not produced by this library (its
/// `release` callback is another library's): the message says which.
#[no_mangle]
pub unsafe extern "C" fn sluice_stream_last_error(
    stream: *const FFI_ArrowArrayStream,
    out: *mut *mut sluice_error,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let state = unsafe { own_state(stream) }?;
        let out = non_null_mut(out, "out")?;
        *out = state.last_error.clone().map_or(std::ptr::null_mut(), |e| Box::into_raw(Box::new(e)));
        Ok(())
    })
}
