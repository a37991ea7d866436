//! The panic firewall: every exported function and every stream callback runs
//! its body inside `ffi_boundary`, so no panic unwinds into C. What a panic
//! turns into depends only on the return type (`OnPanic`), as with rustls-ffi's
//! `ffi_panic_boundary!`: a status becomes `SLUICE_PANIC`, a pointer NULL, a
//! stream callback's errno `ENOTRECOVERABLE`, a `Result` an error of kind Panic
//! that carries the panic's message to wherever errors are reported.

use super::error::sluice_error;
use super::status::sluice_status;
use crate::error::{panic_message, Error, ErrorKind, Result};
use std::ffi::{c_char, c_int, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What a function returns to C when its body panicked.
pub(crate) trait OnPanic {
    fn on_panic(message: &str) -> Self;
}

impl OnPanic for sluice_status {
    fn on_panic(_: &str) -> Self {
        sluice_status::SLUICE_PANIC
    }
}

impl OnPanic for () {
    fn on_panic(_: &str) -> Self {}
}

impl<T> OnPanic for *mut T {
    fn on_panic(_: &str) -> Self {
        std::ptr::null_mut()
    }
}

impl<T> OnPanic for *const T {
    fn on_panic(_: &str) -> Self {
        std::ptr::null()
    }
}

/// The ABI version: 0 is no version, which every binding refuses.
impl OnPanic for u32 {
    fn on_panic(_: &str) -> Self {
        0
    }
}

/// Stream callbacks return an errno (see `sluice_stream_errno`).
impl OnPanic for c_int {
    fn on_panic(_: &str) -> Self {
        super::stream::errno_for(sluice_status::SLUICE_PANIC)
    }
}

impl<T> OnPanic for Result<T> {
    fn on_panic(message: &str) -> Self {
        Err(Error::new(ErrorKind::Panic, format!("internal panic: {message}")))
    }
}

/// The one firewall: runs `body`, and turns a panic into `T::on_panic`.
pub(crate) fn ffi_boundary<T: OnPanic>(body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| T::on_panic(&panic_message(&panic)))
}

/// A fallible exported function: runs `body` inside the firewall (a panic is an
/// error of kind Panic) and reports its outcome as a status, storing an owned
/// error in `*error_out` (when not NULL) on failure.
pub(crate) fn fallible(error_out: *mut *mut sluice_error, body: impl FnOnce() -> Result<()>) -> sluice_status {
    ffi_boundary(|| match ffi_boundary(body) {
        Ok(()) => sluice_status::SLUICE_OK,
        Err(err) => {
            if !error_out.is_null() {
                unsafe { *error_out = Box::into_raw(Box::new(sluice_error::from_error(&err))) };
            }
            err.kind.into()
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_the_value_of_each_return_type() {
        assert_eq!(ffi_boundary(|| -> sluice_status { panic!("boom") }), sluice_status::SLUICE_PANIC);
        assert!(ffi_boundary(|| -> *mut u8 { panic!("boom") }).is_null());
        assert!(ffi_boundary(|| -> *const u8 { panic!("boom") }).is_null());
        let err = ffi_boundary(|| -> Result<()> { panic!("boom {}", 7) }).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Panic);
        assert!(err.message.contains("boom 7"), "{}", err.message);
    }

    #[test]
    fn a_panic_in_a_fallible_function_is_reported_with_its_message() {
        let mut error: *mut sluice_error = std::ptr::null_mut();
        let status = fallible(&mut error, || panic!("out of cheese"));
        assert_eq!(status, sluice_status::SLUICE_PANIC);
        assert!(!error.is_null());
        let message = unsafe { CStr::from_ptr(super::super::error::sluice_error_message(error)) };
        assert!(message.to_str().unwrap().contains("out of cheese"));
        unsafe { super::super::error::sluice_error_free(error) };
    }
}
