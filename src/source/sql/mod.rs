//! Queries as sources: a SQL query run through an ADBC driver, its result
//! delivered as one Arrow stream per partition.
//!
//! - `driver.rs` finds and loads the driver library;
//! - `session.rs` opens the database and its connections (PostgreSQL's
//!   shared snapshot included);
//! - `partition.rs` splits a query into range queries on a numeric column;
//! - `stream.rs` keeps each result's connection alive while it streams and
//!   names the source in its errors;
//! - `redact.rs` names the database in messages without its secrets.

mod driver;
mod partition;
mod redact;
mod session;
mod stream;

pub use redact::uri_for_messages;

use crate::error::{Error, ErrorKind, Result};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatchReader;
use std::path::PathBuf;
use std::time::Duration;

/// A query and where to run it.
#[derive(Clone)]
pub struct SqlSource {
    /// Short name (`postgresql`, `sqlite`, `snowflake`, `flightsql`, `duckdb`), library path or manifest.
    pub driver: String,
    /// The database: a URI, a file name (SQLite, DuckDB) or a libpq `key=value` string.
    pub uri: String,
    pub query: String,
    /// Split the result into `partitions` range queries on this numeric column.
    pub partition_on: Option<String>,
    pub partitions: usize,
    /// Directories searched for a driver named by its short name, after `SLUICE_ADBC_DRIVER_PATH`.
    pub driver_search_path: Vec<PathBuf>,
    /// The driver library's entry point, where it is not the one ADBC derives from the file name.
    pub entrypoint: Option<String>,
    /// How long connecting may take (PostgreSQL: libpq's `connect_timeout`).
    pub connect_timeout: Duration,
    /// Options for the driver's database (`username`, `password`, `adbc.*` ...).
    pub driver_options: Vec<(String, String)>,
    /// Values for the query's parameters (`$1`, `?`): one row, one column per parameter,
    /// bound to every statement the query becomes (partitions, bounds).
    pub params: Option<arrow::record_batch::RecordBatch>,
}

pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl SqlSource {
    /// A source from the C ABI's strings: `partition_on`, `partitions`, `driver_search_path`,
    /// `entrypoint` and `connect_timeout` are sluice's; every other key goes to the driver.
    pub fn from_options(driver: &str, uri: &str, query: &str, options: &[(String, String)]) -> Result<SqlSource> {
        let mut source = SqlSource {
            driver: driver.to_string(),
            uri: uri.to_string(),
            query: query.to_string(),
            partition_on: None,
            partitions: 1,
            driver_search_path: Vec::new(),
            entrypoint: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            driver_options: Vec::new(),
            params: None,
        };
        for (key, value) in options {
            let bad = |what: &str| {
                let shown = if redact::is_secret_key(key) { "***" } else { value.as_str() };
                Error::invalid_argument(format!("SQL option '{key}' = '{shown}': {what}"))
            };
            match key.as_str() {
                "partition_on" => source.partition_on = Some(value.clone()).filter(|v| !v.is_empty()),
                "partitions" => {
                    source.partitions =
                        value.parse().ok().filter(|&n| n >= 1).ok_or_else(|| bad("expected a whole number of at least 1"))?
                }
                "driver_search_path" => source.driver_search_path = std::env::split_paths(value).collect(),
                "entrypoint" => source.entrypoint = Some(value.clone()).filter(|v| !v.is_empty()),
                "connect_timeout" => {
                    let seconds: f64 = value
                        .parse()
                        .ok()
                        .filter(|s: &f64| *s > 0.0 && s.is_finite())
                        .ok_or_else(|| bad("expected seconds, more than 0"))?;
                    source.connect_timeout = Duration::from_secs_f64(seconds);
                }
                _ => source.driver_options.push((key.clone(), value.clone())),
            }
        }
        Ok(source)
    }

    /// The source in messages: driver, database without secrets, and the query.
    pub fn describe(&self) -> String {
        format!("{} database '{}', query '{}'", self.driver, uri_for_messages(&self.uri), shortened(&self.query))
    }
}

/// A query's result: its schema and one stream per partition, in partition order.
pub struct SqlPartitions {
    pub schema: SchemaRef,
    pub streams: Vec<Box<dyn RecordBatchReader + Send>>,
}

/// Runs the query (split into partitions if asked) and returns its streams.
/// Each partition has its own connection; the queries run on the server
/// while their streams are read.
pub fn open(source: &SqlSource) -> Result<SqlPartitions> {
    if source.query.trim().is_empty() {
        return Err(Error::invalid_argument(format!("{}: the query is empty", source.describe())));
    }
    let driver = driver::load(&source.driver, &source.driver_search_path, source.entrypoint.as_deref())?;
    let session = session::Session::open(source, driver).map_err(|e| e.context(source.describe()))?;
    partition::run(&session, source).map_err(|e| e.context(source.describe()))
}

/// Long queries are cut in messages.
fn shortened(query: &str) -> String {
    let query = query.trim();
    const LIMIT: usize = 300;
    match query.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &query[..cut]),
        None => query.to_string(),
    }
}

/// An ADBC error as ours: the driver's message, with its SQLSTATE where it has one.
fn adbc_error(err: adbc_core::error::Error, fallback: ErrorKind) -> Error {
    use adbc_core::error::Status;
    let kind = match err.status {
        Status::InvalidArguments | Status::InvalidState => ErrorKind::InvalidArgument,
        Status::NotFound => ErrorKind::NotFound,
        Status::Unauthenticated | Status::Unauthorized => ErrorKind::PermissionDenied,
        Status::NotImplemented => ErrorKind::Unsupported,
        Status::InvalidData => ErrorKind::InvalidData,
        Status::IO | Status::Timeout | Status::Cancelled => ErrorKind::Io,
        _ => fallback,
    };
    let sqlstate = err.sqlstate.iter().take_while(|&&c| c != 0).map(|&c| c as u8 as char).collect::<String>();
    let message = err.message.trim().to_string();
    if sqlstate.is_empty() || sqlstate == "00000" {
        Error::new(kind, message)
    } else {
        Error::new(kind, format!("{message} (SQLSTATE {sqlstate})"))
    }
}
