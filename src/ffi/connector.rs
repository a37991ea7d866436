//! The connector handle: opened sources, shared between threads, read many times.

use super::boundary::{fallible, ffi_boundary, non_null, non_null_mut, text};
use super::error::sluice_error;
use super::options::{sluice_read_options, sluice_source_options};
use super::status::sluice_status;
use super::stream::{export_stream, write_schema};
use crate::connector::Connector;
use crate::error::Error;
use crate::options::{ReadOptions, SourceOptions};
use arrow::ffi::FFI_ArrowSchema;
use arrow::ffi_stream::FFI_ArrowArrayStream;
use std::ffi::c_char;

/// Opened sources: their files, fragments and schema. A `const` connector may be
/// used from several threads at once. Free with `sluice_connector_free`.
pub struct sluice_connector(pub(super) Connector);

// The header's thread rule (a `const` connector may be shared between threads)
// as a compile-time fact: what the handle wraps is Send + Sync.
const _: () = {
    const fn shared_between_threads<T: Send + Sync>() {}
    shared_between_threads::<Connector>()
};

/// Opens `n_sources` sources (paths, directories, globs or URIs) with `options`
/// (NULL for defaults): lists the files, reads their metadata and checks that
/// they share one schema. On success writes a new connector to `*out`.
#[no_mangle]
pub unsafe extern "C" fn sluice_connector_open(
    sources: *const *const c_char,
    n_sources: usize,
    options: *const sluice_source_options,
    out: *mut *mut sluice_connector,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let out = non_null_mut(out, "out")?;
        if sources.is_null() && n_sources > 0 {
            return Err(Error::invalid_argument("argument 'sources' is NULL"));
        }
        let inputs = (0..n_sources)
            .map(|i| text(unsafe { *sources.add(i) }, &format!("sources[{i}]")).map(str::to_string))
            .collect::<Result<Vec<_>, _>>()?;
        let defaults = SourceOptions::default();
        let options = unsafe { options.as_ref() }.map_or(&defaults, |o| &o.0);
        let connector = Connector::open(&inputs, options)?;
        *out = Box::into_raw(Box::new(sluice_connector(connector)));
        Ok(())
    })
}

/// Frees a connector. Accepts NULL. Streams it opened stay valid.
#[no_mangle]
pub unsafe extern "C" fn sluice_connector_free(connector: *mut sluice_connector) {
    ffi_boundary(|| {
        if !connector.is_null() {
            drop(unsafe { Box::from_raw(connector) });
        }
    })
}

/// Writes the connector's schema to `*out` (the caller releases it).
#[no_mangle]
pub unsafe extern "C" fn sluice_connector_schema(
    connector: *const sluice_connector,
    out: *mut FFI_ArrowSchema,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let connector = non_null(connector, "connector")?;
        non_null(out, "out")?;
        unsafe { write_schema(out, &connector.0.schema()) }
    })
}

/// Writes to `*out` the number of rows in all sources, as their metadata gives
/// it when the connector was opened: every row, before any read option. Cheap
/// (no I/O). For the rows one read will emit, see `sluice_connector_count_rows`.
#[no_mangle]
pub unsafe extern "C" fn sluice_connector_num_rows(
    connector: *const sluice_connector,
    out: *mut u64,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let connector = non_null(connector, "connector")?;
        let out = non_null_mut(out, "out")?;
        *out = connector.0.num_rows()?;
        Ok(())
    })
}

/// Writes to `*out` the number of rows that `sluice_connector_read` with the
/// same `options` (NULL for defaults) emits: `sluice_connector_num_rows` after
/// shards, workers, `limit` and `drop_last_batch` are applied. Reads no data;
/// fails, as the read would, when the options do not go together.
#[no_mangle]
pub unsafe extern "C" fn sluice_connector_count_rows(
    connector: *const sluice_connector,
    options: *const sluice_read_options,
    out: *mut u64,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let connector = non_null(connector, "connector")?;
        let out = non_null_mut(out, "out")?;
        *out = connector.0.count_rows(&read_options(options))?;
        Ok(())
    })
}

/// Writes to `*out` the schema of the batches that `sluice_connector_read`
/// with the same `options` (NULL for defaults) emits: the columns it selects,
/// packed or passed through the column policy as the options say (the caller
/// releases it). Reads no data; fails, as the read would, when the options do
/// not go together.
#[no_mangle]
pub unsafe extern "C" fn sluice_connector_read_schema(
    connector: *const sluice_connector,
    options: *const sluice_read_options,
    out: *mut FFI_ArrowSchema,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let connector = non_null(connector, "connector")?;
        non_null(out, "out")?;
        let schema = connector.0.read_schema(&read_options(options))?;
        unsafe { write_schema(out, &schema) }
    })
}

/// Starts a reader with `options` (NULL for defaults) and writes it to `*out` as
/// an Arrow C stream, which the caller owns and releases. The stream holds what
/// it needs: the connector may be freed before it. Errors in the middle of the
/// stream are reported by `get_next` (non-zero) and `get_last_error`.
#[no_mangle]
pub unsafe extern "C" fn sluice_connector_read(
    connector: *const sluice_connector,
    options: *const sluice_read_options,
    out: *mut FFI_ArrowArrayStream,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let connector = non_null(connector, "connector")?;
        non_null(out, "out")?;
        let stream = connector.0.read(&read_options(options))?;
        unsafe { std::ptr::write(out, export_stream(stream)) };
        Ok(())
    })
}

/// The options behind a (possibly NULL) read options handle.
pub(super) fn read_options(options: *const sluice_read_options) -> ReadOptions {
    unsafe { options.as_ref() }.map_or_else(ReadOptions::default, |o| o.0.clone())
}
