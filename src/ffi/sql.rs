//! Queries as sources: `sluice_connector_from_sql`.

use super::boundary::{fallible, non_null_mut, text};
use super::connector::sluice_connector;
use super::error::sluice_error;
use super::options::sluice_source_options;
use super::status::sluice_status;
use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::options::SourceOptions;
use crate::source::sql::SqlSource;
use arrow::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use std::ffi::c_char;

/// Runs `query` on a database through an ADBC driver and writes a connector over
/// its result to `*out`.
///
/// `driver`: a short name (`postgresql`, `sqlite`, `snowflake`, `flightsql`,
/// `duckdb`), a driver library's path, or an ADBC driver manifest (docs/sql.md
/// says where short names are looked for). `uri`: the database (a URI, or a file
/// for SQLite and DuckDB). `n_sql_options` key/value pairs: `partition_on`,
/// `partitions`, `connect_timeout`, `driver_search_path`, `entrypoint`; every
/// other key is passed to the driver (`username`, `password`, `adbc.*`).
/// `params` (NULL for none): the query's parameter values, one row with one
/// column per parameter; the function takes ownership of the stream and
/// releases it, even when it fails. `options` (NULL for defaults): the source
/// options, including the snapshot's.
///
/// Errors name the driver, the URI without its password, and the query.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sluice_connector_from_sql(
    driver: *const c_char,
    uri: *const c_char,
    query: *const c_char,
    sql_option_keys: *const *const c_char,
    sql_option_values: *const *const c_char,
    n_sql_options: usize,
    params: *mut FFI_ArrowArrayStream,
    options: *const sluice_source_options,
    out: *mut *mut sluice_connector,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        // Taken first, so that it is released whatever fails below.
        let params = unsafe { take_params(params) };
        let out = non_null_mut(out, "out")?;
        let (driver, uri, query) = (text(driver, "driver")?, text(uri, "uri")?, text(query, "query")?);
        if n_sql_options > 0 && (sql_option_keys.is_null() || sql_option_values.is_null()) {
            return Err(Error::invalid_argument("argument 'sql_option_keys' or 'sql_option_values' is NULL"));
        }
        let sql_options = (0..n_sql_options)
            .map(|i| {
                let key = text(unsafe { *sql_option_keys.add(i) }, &format!("sql_option_keys[{i}]"))?;
                let value = text(unsafe { *sql_option_values.add(i) }, &format!("sql_option_values[{i}]"))?;
                Ok((key.to_string(), value.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut source = SqlSource::from_options(driver, uri, query, &sql_options)?;
        source.params = params?;
        let defaults = SourceOptions::default();
        let options = unsafe { options.as_ref() }.map_or(&defaults, |o| &o.0);
        let connector = Connector::from_sql(&source, options)?;
        *out = Box::into_raw(Box::new(sluice_connector(connector)));
        Ok(())
    })
}

/// The parameter row from the caller's stream (NULL: none), which is released here.
unsafe fn take_params(params: *mut FFI_ArrowArrayStream) -> Result<Option<RecordBatch>> {
    if params.is_null() {
        return Ok(None);
    }
    let reader =
        unsafe { ArrowArrayStreamReader::from_raw(params) }.map_err(|e| Error::invalid_argument(format!("argument 'params': {e}")))?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|e| Error::invalid_argument(format!("argument 'params': {e}")))?;
    let row = arrow::compute::concat_batches(&schema, &batches).map_err(|e| Error::invalid_argument(format!("argument 'params': {e}")))?;
    if row.num_rows() != 1 {
        return Err(Error::invalid_argument(format!("argument 'params' has {} rows: the query's parameters are one row", row.num_rows())));
    }
    Ok(Some(row))
}
