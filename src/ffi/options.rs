//! Option handles: created empty, filled by key/value, validated as they are set.

use super::boundary::{guard, guard_infallible, non_null_mut, text};
use super::error::sluice_error;
use super::status::sluice_status;
use crate::options::{ReadOptions, SourceOptions};
use std::ffi::c_char;

/// Options for `sluice_connector_open` (format, CSV settings, object store settings).
pub struct sluice_source_options(pub(crate) SourceOptions);

/// Options for `sluice_connector_read` (columns, batch size, shuffle, shards, workers, budget).
pub struct sluice_read_options(pub(crate) ReadOptions);

/// New source options with every default. Free with `sluice_source_options_free`.
/// Returns NULL only if memory is exhausted.
#[no_mangle]
pub extern "C" fn sluice_source_options_new() -> *mut sluice_source_options {
    guard_infallible(std::ptr::null_mut(), || Box::into_raw(Box::new(sluice_source_options(SourceOptions::default()))))
}

/// Frees source options. Accepts NULL.
#[no_mangle]
pub extern "C" fn sluice_source_options_free(options: *mut sluice_source_options) {
    guard_infallible((), || {
        if !options.is_null() {
            drop(unsafe { Box::from_raw(options) });
        }
    })
}

/// Sets one source option (see docs/options.md). An unknown key or a bad value
/// is `SLUICE_INVALID_ARGUMENT` naming the option; `options` is then unchanged.
#[no_mangle]
pub extern "C" fn sluice_source_options_set(
    options: *mut sluice_source_options,
    key: *const c_char,
    value: *const c_char,
    error: *mut *mut sluice_error,
) -> sluice_status {
    guard(error, || {
        let options = non_null_mut(options, "options")?;
        let (key, value) = (text(key, "key")?, text(value, "value")?);
        let mut updated = options.0.clone();
        updated.set(key, value)?;
        options.0 = updated;
        Ok(())
    })
}

/// New read options with every default. Free with `sluice_read_options_free`.
/// Returns NULL only if memory is exhausted.
#[no_mangle]
pub extern "C" fn sluice_read_options_new() -> *mut sluice_read_options {
    guard_infallible(std::ptr::null_mut(), || Box::into_raw(Box::new(sluice_read_options(ReadOptions::default()))))
}

/// Frees read options. Accepts NULL.
#[no_mangle]
pub extern "C" fn sluice_read_options_free(options: *mut sluice_read_options) {
    guard_infallible((), || {
        if !options.is_null() {
            drop(unsafe { Box::from_raw(options) });
        }
    })
}

/// Sets one read option (see docs/options.md). An unknown key or a bad value
/// is `SLUICE_INVALID_ARGUMENT` naming the option; `options` is then unchanged.
#[no_mangle]
pub extern "C" fn sluice_read_options_set(
    options: *mut sluice_read_options,
    key: *const c_char,
    value: *const c_char,
    error: *mut *mut sluice_error,
) -> sluice_status {
    guard(error, || {
        let options = non_null_mut(options, "options")?;
        let (key, value) = (text(key, "key")?, text(value, "value")?);
        options.0.set(key, value)
    })
}
