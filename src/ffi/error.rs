//! Owned errors handed to C: a status and a message naming what was wrong.

use super::boundary::guard_infallible;
use super::status::sluice_status;
use crate::error::Error;
use std::ffi::{c_char, CString};

/// An error returned through a `sluice_error **` out-param; free with `sluice_error_free`.
pub struct sluice_error {
    status: sluice_status,
    message: CString,
}

impl sluice_error {
    pub(crate) fn from_error(err: &Error) -> Self {
        sluice_error { status: err.kind.into(), message: c_string(&err.message) }
    }
}

/// A C string of `text`; an interior NUL becomes '?' rather than a panic.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "?")).unwrap_or_default()
}

/// The error's status; `SLUICE_INVALID_ARGUMENT` for NULL.
#[no_mangle]
pub extern "C" fn sluice_error_status(error: *const sluice_error) -> sluice_status {
    guard_infallible(sluice_status::SLUICE_INTERNAL, || match unsafe { error.as_ref() } {
        Some(e) => e.status,
        None => sluice_status::SLUICE_INVALID_ARGUMENT,
    })
}

/// The error's message, borrowed from `error`: valid until `sluice_error_free(error)`.
/// Never NULL (an empty string for a NULL error).
#[no_mangle]
pub extern "C" fn sluice_error_message(error: *const sluice_error) -> *const c_char {
    guard_infallible(c"".as_ptr(), || match unsafe { error.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    })
}

/// Frees an error. Accepts NULL.
#[no_mangle]
pub extern "C" fn sluice_error_free(error: *mut sluice_error) {
    guard_infallible((), || {
        if !error.is_null() {
            drop(unsafe { Box::from_raw(error) });
        }
    })
}
