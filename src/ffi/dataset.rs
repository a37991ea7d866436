//! Versioned datasets (docs/datasets.md): creating a dataset and its versions,
//! listing and describing them, deleting one, cleaning up after crashed
//! creates, and `sluice_connector_open_dataset`, which reads a version.
//!
//! Every function takes the dataset's `root` (a local directory or an s3://,
//! gs://, az:// URI) and `name`; `options` (NULL for defaults) are source
//! options, of which the object store's (endpoint, region, credentials ...) apply.
//! Manifests and lists come back as JSON text the caller owns.

use super::boundary::{fallible, non_null, non_null_mut, text};
use super::connector::sluice_connector;
use super::error::sluice_error;
use super::options::sluice_source_options;
use super::status::sluice_status;
use crate::dataset::{Dataset, VersionSettings};
use crate::error::{Error, Result};
use crate::options::SourceOptions;
use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

/// Called as rows of a new version are written: rows written so far, rows in
/// all, and the `user_data` given with it. Called on the thread that called
/// `sluice_dataset_create_version`, first with 0 rows done; it must return
/// without unwinding.
pub type sluice_progress_callback = Option<unsafe extern "C" fn(rows_done: u64, rows_total: u64, user_data: *mut c_void)>;

fn options_of(options: *const sluice_source_options, defaults: &SourceOptions) -> &SourceOptions {
    unsafe { options.as_ref() }.map_or(defaults, |o| &o.0)
}

/// The dataset `name` under `root`, reached with the caller's store options (defaults when NULL).
unsafe fn open_dataset(root: *const c_char, name: *const c_char, options: *const sluice_source_options) -> Result<Dataset> {
    let defaults = SourceOptions::default();
    Dataset::open(text(root, "root")?, text(name, "name")?, options_of(options, &defaults))
}

fn owned_string(value: String) -> Result<*mut c_char> {
    Ok(CString::new(value).map_err(|_| Error::internal("a string with a NUL byte"))?.into_raw())
}

/// Creates the dataset `name` under `root` (a marker object, `<root>/<name>/dataset.json`).
/// One that exists already is an error (`SLUICE_INVALID_ARGUMENT`) unless `exist_ok` is nonzero.
/// A root that cannot be written is `SLUICE_PERMISSION_DENIED`, naming it.
#[no_mangle]
pub unsafe extern "C" fn sluice_dataset_create(
    root: *const c_char,
    name: *const c_char,
    exist_ok: i32,
    options: *const sluice_source_options,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let defaults = SourceOptions::default();
        Dataset::create(text(root, "root")?, text(name, "name")?, exist_ok != 0, options_of(options, &defaults))?;
        Ok(())
    })
}

/// Writes to `*out` the names of the dataset's published versions, sorted, as a JSON
/// array of strings (free it with `sluice_string_free`). A dataset that does not exist
/// is `SLUICE_NOT_FOUND`.
#[no_mangle]
pub unsafe extern "C" fn sluice_dataset_versions(
    root: *const c_char,
    name: *const c_char,
    options: *const sluice_source_options,
    out: *mut *mut c_char,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let out = non_null_mut(out, "out")?;
        let dataset = open_dataset(root, name, options)?;
        let versions = serde_json::to_string(&dataset.versions()?).map_err(|e| Error::internal(e.to_string()))?;
        *out = owned_string(versions)?;
        Ok(())
    })
}

/// Writes to `*out` the manifest of `version` (JSON, docs/datasets.md; free it with
/// `sluice_string_free`). A missing dataset or version is `SLUICE_NOT_FOUND`; a corrupt
/// manifest `SLUICE_INVALID_DATA`; one of a newer format `SLUICE_UNSUPPORTED`.
#[no_mangle]
pub unsafe extern "C" fn sluice_dataset_manifest(
    root: *const c_char,
    name: *const c_char,
    version: *const c_char,
    options: *const sluice_source_options,
    out: *mut *mut c_char,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let out = non_null_mut(out, "out")?;
        let dataset = open_dataset(root, name, options)?;
        let manifest = dataset.manifest(text(version, "version")?)?;
        *out = owned_string(String::from_utf8(manifest.to_json()).map_err(|e| Error::internal(e.to_string()))?)?;
        Ok(())
    })
}

/// Writes every row of `input` (as a read with default options emits them, without the
/// columns it excludes) as version `version` of the dataset, and publishes it: its
/// Parquet files first, its manifest last, created only if absent, so that the version
/// is visible whole or not at all, and of two writers of one version exactly one
/// succeeds (the other fails with `SLUICE_INVALID_ARGUMENT`, naming the version).
///
/// `n_settings` key/value pairs: `shuffle` (true/false), `seed`, `partition_by` (a
/// column), `label_cols` and `exclude_cols` (JSON arrays of column names), `comment`,
/// `properties` (a JSON object). `progress` (may be NULL) is called with `progress_data`
/// as rows are written. On success writes the manifest (JSON) to `*out`, which may be
/// NULL; free it with `sluice_string_free`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sluice_dataset_create_version(
    root: *const c_char,
    name: *const c_char,
    version: *const c_char,
    input: *const sluice_connector,
    setting_keys: *const *const c_char,
    setting_values: *const *const c_char,
    n_settings: usize,
    progress: sluice_progress_callback,
    progress_data: *mut c_void,
    options: *const sluice_source_options,
    out: *mut *mut c_char,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let input = non_null(input, "input")?;
        if n_settings > 0 && (setting_keys.is_null() || setting_values.is_null()) {
            return Err(Error::invalid_argument("argument 'setting_keys' or 'setting_values' is NULL"));
        }
        let mut settings = VersionSettings::default();
        for i in 0..n_settings {
            let key = text(unsafe { *setting_keys.add(i) }, &format!("setting_keys[{i}]"))?;
            let value = text(unsafe { *setting_values.add(i) }, &format!("setting_values[{i}]"))?;
            settings.set(key, value)?;
        }
        let dataset = open_dataset(root, name, options)?;
        let mut report = |done: u64, total: u64| {
            if let Some(callback) = progress {
                unsafe { callback(done, total, progress_data) }
            }
        };
        let manifest = dataset.create_version(text(version, "version")?, &input.0, &settings, &mut report)?;
        if let Some(out) = unsafe { out.as_mut() } {
            *out = owned_string(String::from_utf8(manifest.to_json()).map_err(|e| Error::internal(e.to_string()))?)?;
        }
        Ok(())
    })
}

/// Deletes `version`: its manifest first (from then on no reader finds it), then its files.
#[no_mangle]
pub unsafe extern "C" fn sluice_dataset_delete_version(
    root: *const c_char,
    name: *const c_char,
    version: *const c_char,
    options: *const sluice_source_options,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let dataset = open_dataset(root, name, options)?;
        dataset.delete_version(text(version, "version")?)
    })
}

/// Removes what creates that crashed left: files under attempt directories that no
/// manifest lists, started `older_than_seconds` or longer ago (0: all of them, safe only
/// while no create of this dataset runs). Writes to `*out` (may be NULL) a JSON object
/// `{"attempts": [...], "files": N}` of what was removed; free it with `sluice_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sluice_dataset_clean_up(
    root: *const c_char,
    name: *const c_char,
    older_than_seconds: u64,
    options: *const sluice_source_options,
    out: *mut *mut c_char,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let dataset = open_dataset(root, name, options)?;
        let removed = dataset.clean_up(Duration::from_secs(older_than_seconds))?;
        if let Some(out) = unsafe { out.as_mut() } {
            *out = owned_string(serde_json::json!({"attempts": removed.attempts, "files": removed.files}).to_string())?;
        }
        Ok(())
    })
}

/// Opens version `version` of the dataset as a connector over its files, in the
/// manifest's order, whose reads leave out the version's `exclude_cols` unless they name
/// them. Every file's size is checked against the manifest first; with `verify` nonzero
/// every file is also read whole and its SHA-256 checked. A missing file is
/// `SLUICE_NOT_FOUND` and an altered one `SLUICE_INVALID_DATA`, each naming the file.
#[no_mangle]
pub unsafe extern "C" fn sluice_connector_open_dataset(
    root: *const c_char,
    name: *const c_char,
    version: *const c_char,
    verify: i32,
    options: *const sluice_source_options,
    out: *mut *mut sluice_connector,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let out = non_null_mut(out, "out")?;
        let dataset = open_dataset(root, name, options)?;
        let connector = dataset.open_version(text(version, "version")?, verify != 0)?;
        *out = Box::into_raw(Box::new(sluice_connector(connector)));
        Ok(())
    })
}
