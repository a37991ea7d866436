//! A stream's position as a resume token (a string the caller owns), and
//! freeing such strings.

use super::boundary::{fallible, ffi_boundary, non_null_mut};
use super::error::sluice_error;
use super::status::sluice_status;
use super::stream::own_state;
use crate::error::Error;
use arrow::ffi_stream::FFI_ArrowArrayStream;
use std::ffi::{c_char, CString};

/// Writes to `*out` the position of `stream` (a stream that
/// `sluice_connector_read` produced) as a resume token: a NUL-terminated,
/// printable ASCII string of a few hundred bytes at most, owned by the caller
/// (free it with `sluice_string_free`). Treat it as opaque. Passed as the read
/// option `resume_from` to a read of the same connector's sources with the
/// same options, it gives a stream that emits exactly the rows, and the batch
/// boundaries, that this one would emit next.
///
/// The position is after every batch `get_next` returned so far, less
/// `unconsumed_rows` of them that the caller received but did not use (for
/// example the rest of a chunk it cuts into smaller batches; 0 otherwise).
/// It can be taken at any time before `release`, after the end too (a token
/// at the end resumes to an empty stream). The stream is only read; it must
/// not be in use by another thread.
///
/// Fails with `SLUICE_INVALID_ARGUMENT` when `stream` or `out` is NULL, when
/// the stream is released or was not produced by this library, or when
/// `unconsumed_rows` is more than the rows the stream emitted.
#[no_mangle]
pub unsafe extern "C" fn sluice_stream_position(
    stream: *const FFI_ArrowArrayStream,
    unconsumed_rows: u64,
    out: *mut *mut c_char,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let state = unsafe { own_state(stream) }?;
        let out = non_null_mut(out, "out")?;
        let token = state.stream.position(unconsumed_rows)?;
        let token = CString::new(token).map_err(|_| Error::internal("a resume token with a NUL byte"))?;
        *out = token.into_raw();
        Ok(())
    })
}

/// Frees a string this library returned as an owned `char *` (such as
/// `sluice_stream_position`'s token). NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn sluice_string_free(string: *mut c_char) {
    ffi_boundary(|| {
        if !string.is_null() {
            drop(unsafe { CString::from_raw(string) });
        }
    })
}
