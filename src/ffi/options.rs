//! Option handles: created empty, filled by key/value, validated as they are set.
//!
//! Both handles share one implementation (`OptionsHandle`): new, free and set
//! are written once, and `set` works on a copy that replaces the options only
//! when the whole key/value was accepted, so a failed set leaves the options
//! unchanged by construction.

use super::boundary::{fallible, ffi_boundary, non_null_mut, text};
use super::error::sluice_error;
use super::status::sluice_status;
use crate::error::Result;
use crate::options::{ReadOptions, SourceOptions};
use std::ffi::c_char;

/// Options for `sluice_connector_open` (format, CSV settings, object store settings).
pub struct sluice_source_options(pub(crate) SourceOptions);

/// Options for `sluice_connector_read` (columns, batch size, shuffle, shards, workers, budget).
pub struct sluice_read_options(pub(crate) ReadOptions);

/// A C handle around a set of options that are filled key by key.
trait OptionsHandle: Sized {
    type Options: Clone + Default;
    fn wrap(options: Self::Options) -> Self;
    fn options_mut(&mut self) -> &mut Self::Options;
    /// Sets one key; may leave `options` half-changed on error (callers use `set_option`).
    fn set(options: &mut Self::Options, key: &str, value: &str) -> Result<()>;
}

impl OptionsHandle for sluice_source_options {
    type Options = SourceOptions;
    fn wrap(options: SourceOptions) -> Self {
        sluice_source_options(options)
    }
    fn options_mut(&mut self) -> &mut SourceOptions {
        &mut self.0
    }
    fn set(options: &mut SourceOptions, key: &str, value: &str) -> Result<()> {
        options.set(key, value)
    }
}

impl OptionsHandle for sluice_read_options {
    type Options = ReadOptions;
    fn wrap(options: ReadOptions) -> Self {
        sluice_read_options(options)
    }
    fn options_mut(&mut self) -> &mut ReadOptions {
        &mut self.0
    }
    fn set(options: &mut ReadOptions, key: &str, value: &str) -> Result<()> {
        options.set(key, value)
    }
}

fn new_options<H: OptionsHandle>() -> *mut H {
    ffi_boundary(|| Box::into_raw(Box::new(H::wrap(H::Options::default()))))
}

fn free_options<H: OptionsHandle>(options: *mut H) {
    ffi_boundary(|| {
        if !options.is_null() {
            drop(unsafe { Box::from_raw(options) });
        }
    })
}

fn set_option<H: OptionsHandle>(options: *mut H, key: *const c_char, value: *const c_char, error: *mut *mut sluice_error) -> sluice_status {
    fallible(error, || {
        let handle = non_null_mut(options, "options")?;
        let key = text(key, "key")?;
        // A value that is not UTF-8 is refused naming its option, as any bad value is.
        let value = text(value, "value").map_err(|e| e.context(format_args!("option '{}'", crate::options::echo(key))))?;
        let mut updated = handle.options_mut().clone();
        H::set(&mut updated, key, value)?;
        *handle.options_mut() = updated;
        Ok(())
    })
}

/// New source options with every default. Free with `sluice_source_options_free`.
/// Returns NULL only if memory is exhausted.
#[no_mangle]
pub extern "C" fn sluice_source_options_new() -> *mut sluice_source_options {
    new_options()
}

/// Frees source options. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn sluice_source_options_free(options: *mut sluice_source_options) {
    free_options(options)
}

/// Sets one source option (see docs/options.md). An unknown key or a bad value
/// is `SLUICE_INVALID_ARGUMENT` naming the option; `options` is then unchanged.
#[no_mangle]
pub unsafe extern "C" fn sluice_source_options_set(
    options: *mut sluice_source_options,
    key: *const c_char,
    value: *const c_char,
    error: *mut *mut sluice_error,
) -> sluice_status {
    set_option(options, key, value, error)
}

/// New read options with every default. Free with `sluice_read_options_free`.
/// Returns NULL only if memory is exhausted.
#[no_mangle]
pub extern "C" fn sluice_read_options_new() -> *mut sluice_read_options {
    new_options()
}

/// Frees read options. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn sluice_read_options_free(options: *mut sluice_read_options) {
    free_options(options)
}

/// Sets one read option (see docs/options.md). An unknown key or a bad value
/// is `SLUICE_INVALID_ARGUMENT` naming the option; `options` is then unchanged.
#[no_mangle]
pub unsafe extern "C" fn sluice_read_options_set(
    options: *mut sluice_read_options,
    key: *const c_char,
    value: *const c_char,
    error: *mut *mut sluice_error,
) -> sluice_status {
    set_option(options, key, value, error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    /// A value each key refuses. Keys that take any text refuse bytes that are not UTF-8.
    const NOT_UTF8: &[u8] = b"\xff\xfe";
    const BAD_READ_VALUES: &[(&str, &[u8])] = &[
        ("columns", b"[\"a\""),
        ("features", b"[\"a\""),
        ("label", NOT_UTF8),
        ("batch_size", b"0"),
        ("batches_per_chunk", b"0"),
        ("fixed_options", b"[\"nope\"]"),
        ("drop_last_batch", b"maybe"),
        ("exact_batches", b"maybe"),
        ("limit", b"many"),
        ("shuffle", b"maybe"),
        ("seed", b"x"),
        ("epoch", b"x"),
        ("shuffle_window", b"5000000000"),
        ("num_shards", b"0"),
        ("shard_index", b"x"),
        ("equal_shards", b"sometimes"),
        ("num_workers", b"0"),
        ("worker_index", b"x"),
        ("worker_interleave", b"0"),
        ("resume_from", b"sluice-pos-1:garbage"),
        ("memory_budget", b"12XB"),
        ("fragments_in_flight", b"x"),
        ("tensors", b"maybe"),
        ("null_fill", b"x"),
        ("null_mask", b"[\"a\""),
        ("ragged", b"x"),
        ("pad_length", b"x"),
        ("pad_value", b"x"),
        ("decimal", b"x"),
        ("dictionary", b"x"),
    ];
    const BAD_SOURCE_VALUES: &[(&str, &[u8])] = &[
        ("format", b"excel"),
        ("csv_header", b"perhaps"),
        ("csv_delimiter", b"ab"),
        ("csv_quote", b"ab"),
        ("csv_infer_rows", b"x"),
        ("schema", b"a:notatype"),
        ("ndjson_unknown_keys", b"sometimes"),
        ("coerce_int96_timestamp_unit", b"days"),
        ("request_timeout", b"0"),
        ("connect_timeout", b"soon"),
        ("max_retries", b"-1"),
        ("retry_timeout", b"0"),
        ("endpoint", b"not a url"),
        ("region", NOT_UTF8),
        ("anonymous", b"sure"),
        ("allow_http", b"sure"),
        ("access_key_id", NOT_UTF8),
        ("secret_access_key", NOT_UTF8),
        ("session_token", NOT_UTF8),
        ("version", b"-1"),
        ("timestamp", b"yesterday"),
        ("snapshot", b"sometimes"),
        ("snapshot_dir", b"ftp://host/snapshots"),
        ("snapshot_id", b"../escape"),
        ("snapshot_max_age", b"0"),
        ("snapshot_max_bytes", b"lots"),
    ];

    /// Sets a bad value for every key and checks the error and that nothing changed.
    fn check_every_key<H: OptionsHandle>(
        handle: *mut H,
        set: unsafe extern "C" fn(*mut H, *const c_char, *const c_char, *mut *mut sluice_error) -> sluice_status,
        bad_values: &[(&str, &[u8])],
        known: &[&str],
        debug: impl Fn(*mut H) -> String,
    ) {
        let mut missing: Vec<&str> = known.iter().copied().filter(|k| !bad_values.iter().any(|(b, _)| b == k)).collect();
        missing.sort();
        assert!(missing.is_empty(), "no bad value in the test for {missing:?}");
        let before = debug(handle);
        for (key, value) in bad_values {
            let (c_key, c_value) = (CString::new(*key).unwrap(), CString::new(*value).unwrap());
            let mut error: *mut sluice_error = std::ptr::null_mut();
            let status = unsafe { set(handle, c_key.as_ptr(), c_value.as_ptr(), &mut error) };
            assert_eq!(status, sluice_status::SLUICE_INVALID_ARGUMENT, "{key}={value:?} was accepted");
            let message = unsafe { std::ffi::CStr::from_ptr(super::super::error::sluice_error_message(error)) };
            let message = message.to_string_lossy();
            assert!(message.contains(key) || message.contains("value"), "{key}: {message}");
            unsafe { super::super::error::sluice_error_free(error) };
            assert_eq!(debug(handle), before, "a failed set of {key} changed the options");
        }
    }

    #[test]
    fn a_failed_read_option_set_leaves_the_options_unchanged() {
        let handle = sluice_read_options_new();
        let known: Vec<&str> = crate::options::read_option_keys().collect();
        check_every_key(handle, sluice_read_options_set, BAD_READ_VALUES, &known, |h| format!("{:?}", unsafe { &(*h).0 }));
        unsafe { sluice_read_options_free(handle) };
    }

    #[test]
    fn a_failed_source_option_set_leaves_the_options_unchanged() {
        let handle = sluice_source_options_new();
        let known: Vec<&str> = crate::options::source_option_keys().collect();
        check_every_key(handle, sluice_source_options_set, BAD_SOURCE_VALUES, &known, |h| format!("{:?}", unsafe { &(*h).0 }));
        unsafe { sluice_source_options_free(handle) };
    }
}
