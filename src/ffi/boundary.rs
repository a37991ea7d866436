//! The panic firewall: every exported function and every stream callback runs
//! inside `guard`, so no panic unwinds into C. A panic becomes `SLUICE_PANIC`
//! with the panic's message.

use super::error::sluice_error;
use super::status::sluice_status;
use crate::error::{panic_message, Error, ErrorKind, Result};
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body`; on failure stores an owned error in `*error_out` (when not NULL).
pub(crate) fn guard(error_out: *mut *mut sluice_error, body: impl FnOnce() -> Result<()>) -> sluice_status {
    let outcome = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|panic| Err(Error::new(ErrorKind::Panic, format!("internal panic: {}", panic_message(&panic)))));
    match outcome {
        Ok(()) => sluice_status::SLUICE_OK,
        Err(err) => {
            if !error_out.is_null() {
                // A failure here (out of memory) must not unwind either.
                if let Ok(boxed) = catch_unwind(|| Box::into_raw(Box::new(sluice_error::from_error(&err)))) {
                    unsafe { *error_out = boxed };
                }
            }
            err.kind.into()
        }
    }
}

/// For functions that cannot fail: a panic yields `fallback`.
pub(crate) fn guard_infallible<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A required pointer argument, or an error naming it.
pub(crate) fn non_null<'a, T>(pointer: *const T, name: &str) -> Result<&'a T> {
    unsafe { pointer.as_ref() }.ok_or_else(|| Error::invalid_argument(format!("argument '{name}' is NULL")))
}

pub(crate) fn non_null_mut<'a, T>(pointer: *mut T, name: &str) -> Result<&'a mut T> {
    unsafe { pointer.as_mut() }.ok_or_else(|| Error::invalid_argument(format!("argument '{name}' is NULL")))
}

/// A UTF-8 C string argument.
pub(crate) fn text<'a>(pointer: *const c_char, name: &str) -> Result<&'a str> {
    if pointer.is_null() {
        return Err(Error::invalid_argument(format!("argument '{name}' is NULL")));
    }
    unsafe { CStr::from_ptr(pointer) }.to_str().map_err(|_| Error::invalid_argument(format!("argument '{name}' is not valid UTF-8")))
}
