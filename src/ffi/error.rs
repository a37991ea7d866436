//! Owned errors handed to C: a status and a message naming what was wrong.

use super::boundary::ffi_boundary;
use super::status::sluice_status;
use crate::error::Error;
use std::ffi::{c_char, CString};

/// An error returned through a `sluice_error **` out-param; free with `sluice_error_free`.
#[derive(Clone)]
pub struct sluice_error {
    status: sluice_status,
    message: CString,
}

impl sluice_error {
    pub(crate) fn from_error(err: &Error) -> Self {
        sluice_error { status: err.kind.into(), message: c_string(&err.message) }
    }

    pub(crate) fn status(&self) -> sluice_status {
        self.status
    }

    /// The message, borrowed from `self`.
    pub(crate) fn message_ptr(&self) -> *const c_char {
        self.message.as_ptr()
    }
}

/// A C string of `text`; an interior NUL becomes '?' rather than a panic.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "?")).unwrap_or_default()
}

/// The error's status; `SLUICE_INVALID_ARGUMENT` for NULL.
#[no_mangle]
pub unsafe extern "C" fn sluice_error_status(error: *const sluice_error) -> sluice_status {
    ffi_boundary(|| match unsafe { error.as_ref() } {
        Some(e) => e.status,
        None => sluice_status::SLUICE_INVALID_ARGUMENT,
    })
}

/// The error's message, borrowed from `error`: valid until `sluice_error_free(error)`.
/// Never NULL (an empty string for a NULL error).
#[no_mangle]
pub unsafe extern "C" fn sluice_error_message(error: *const sluice_error) -> *const c_char {
    ffi_boundary(|| match unsafe { error.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    })
}

/// Frees an error. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn sluice_error_free(error: *mut sluice_error) {
    ffi_boundary(|| {
        if !error.is_null() {
            drop(unsafe { Box::from_raw(error) });
        }
    })
}
