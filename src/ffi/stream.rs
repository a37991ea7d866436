//! The Arrow C stream handed to consumers, with callbacks of our own: each runs
//! inside the panic firewall, errors carry the core's message, `release` marks
//! the struct released, and `get_next` after the end keeps returning the end.

use super::error::c_string;
use crate::error::{panic_message, ErrorKind};
use crate::read::BatchStream;
use arrow::array::{make_array, Array, ArrayData, ArrayRef, MutableArrayData, StructArray};
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow::ffi_stream::FFI_ArrowArrayStream;
use arrow::record_batch::RecordBatch;
use std::ffi::{c_char, c_int, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

const ENOENT: c_int = 2;
const EIO: c_int = 5;
const EACCES: c_int = 13;
const EINVAL: c_int = 22;
const ENOSYS: c_int = 38;

/// The errno value `get_next` returns for an error of this kind.
fn errno_for(kind: ErrorKind) -> c_int {
    match kind {
        ErrorKind::NotFound => ENOENT,
        ErrorKind::PermissionDenied => EACCES,
        ErrorKind::InvalidArgument | ErrorKind::InvalidData | ErrorKind::SchemaMismatch => EINVAL,
        ErrorKind::Unsupported => ENOSYS,
        ErrorKind::Io | ErrorKind::Panic | ErrorKind::Internal => EIO,
    }
}

struct StreamState {
    stream: BatchStream,
    last_error: Option<CString>,
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

/// The stream's state, or None once released (or for a foreign struct).
unsafe fn state<'a>(stream: *mut FFI_ArrowArrayStream) -> Option<&'a mut StreamState> {
    let stream = unsafe { stream.as_mut() }?;
    stream.release?;
    unsafe { stream.private_data.cast::<StreamState>().as_mut() }
}

/// Runs a callback body; a panic becomes EIO with the panic's message.
fn firewall(stream: *mut FFI_ArrowArrayStream, body: impl FnOnce() -> c_int) -> c_int {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(code) => code,
        Err(panic) => {
            if let Some(state) = unsafe { state(stream) } {
                state.last_error = Some(c_string(&format!("internal panic: {}", panic_message(&panic))));
            }
            EIO
        }
    }
}

unsafe extern "C" fn get_schema(stream: *mut FFI_ArrowArrayStream, out: *mut FFI_ArrowSchema) -> c_int {
    firewall(stream, || {
        let Some(state) = (unsafe { state(stream) }) else {
            return EINVAL;
        };
        if out.is_null() {
            state.last_error = Some(c_string("get_schema: 'out' is NULL"));
            return EINVAL;
        }
        match FFI_ArrowSchema::try_from(state.stream.schema().as_ref()) {
            Ok(schema) => {
                unsafe { std::ptr::write(out, schema) };
                0
            }
            Err(e) => {
                state.last_error = Some(c_string(&format!("cannot export the schema: {e}")));
                EIO
            }
        }
    })
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
    firewall(stream, || {
        let Some(state) = (unsafe { state(stream) }) else {
            return EINVAL;
        };
        if out.is_null() {
            state.last_error = Some(c_string("get_next: 'out' is NULL"));
            return EINVAL;
        }
        match state.stream.next_batch() {
            Ok(Some(batch)) => match without_offsets(batch) {
                Ok(batch) => {
                    let array = StructArray::from(batch);
                    unsafe { std::ptr::write(out, FFI_ArrowArray::new(&array.to_data())) };
                    0
                }
                Err(why) => {
                    state.last_error = Some(c_string(&format!("internal error while exporting a batch: {why}")));
                    EIO
                }
            },
            Ok(None) => {
                // The end of the stream: a released array.
                unsafe { std::ptr::write(out, FFI_ArrowArray::empty()) };
                0
            }
            Err(err) => {
                state.last_error = Some(c_string(&err.message));
                errno_for(err.kind)
            }
        }
    })
}

/// Borrowed: valid until the next call on this stream or its release.
unsafe extern "C" fn get_last_error(stream: *mut FFI_ArrowArrayStream) -> *const c_char {
    catch_unwind(AssertUnwindSafe(|| match unsafe { state(stream) } {
        Some(state) => state.last_error.as_ref().map_or(std::ptr::null(), |e| e.as_ptr()),
        None => std::ptr::null(),
    }))
    .unwrap_or(std::ptr::null())
}

unsafe extern "C" fn release(stream: *mut FFI_ArrowArrayStream) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
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
    }));
}
