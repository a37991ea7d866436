//! SRC as a query: `--sql QUERY --uri URI [--driver NAME] [--sql-option KEY=VALUE]`,
//! run through an ADBC driver (docs/sql.md) by the same `Connector::from_sql` that the
//! bindings call. Errors name the database without its password (the library's).

use super::source::key_value;
use crate::error::{Error, Result};
use crate::source::sql::{uri_for_messages, SqlSource};
use crate::{Connector, SourceOptions};
use std::path::PathBuf;
use std::sync::Mutex;

/// The snapshot directory of this command's query: a snapshot outlives no `sluice` command
/// (the next one runs the query again), so it goes to a scratch directory that
/// [`remove_scratch`] removes when the command ends, unless `-o snapshot_dir=` or
/// `-o snapshot_id=` asks for one that lasts.
static SCRATCH: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Removes the scratch snapshot directory, if the command made one (the connector is gone).
pub fn remove_scratch() {
    if let Some(dir) = SCRATCH.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[derive(clap::Args)]
pub struct SqlArgs {
    /// Read the result of this query instead of files (with --uri; no SRC then)
    #[arg(long, value_name = "QUERY", requires = "uri")]
    pub sql: Option<String>,
    /// The database --sql runs on: postgresql://user@host:port/db, a SQLite file ... (prefer
    /// PGPASSWORD or --sql-option password=... to a password in the URI, which others may see in the process list)
    #[arg(long, value_name = "URI", requires = "sql")]
    pub uri: Option<String>,
    /// The ADBC driver: postgresql, sqlite, snowflake, flightsql, duckdb or a driver library's path
    /// (default: the one the URI's scheme names)
    #[arg(long, value_name = "NAME", requires = "sql")]
    pub driver: Option<String>,
    /// A SQL option, KEY=VALUE: partition_on, partitions, connect_timeout, driver_search_path, or the
    /// driver's own (username, password, adbc.*); repeatable
    #[arg(long = "sql-option", value_name = "KEY=VALUE", requires = "sql")]
    pub sql_options: Vec<String>,
}

impl SqlArgs {
    /// Runs the query, if one was given, into a connector with the source options.
    pub fn open(&self, options: &SourceOptions) -> Result<Option<Connector>> {
        let (Some(query), Some(uri)) = (&self.sql, &self.uri) else { return Ok(None) };
        let driver = match &self.driver {
            Some(driver) => driver.clone(),
            None => driver_of_uri(uri)?.to_string(),
        };
        let sql_options = self
            .sql_options
            .iter()
            .map(|pair| key_value(pair, "--sql-option").map(|(k, v)| (k.to_string(), v.to_string())))
            .collect::<Result<Vec<_>>>()?;
        let source = SqlSource::from_options(&driver, uri, query, &sql_options)?;
        let mut options = options.clone();
        if options.snapshot.dir.is_none() && options.snapshot.uri.is_none() && options.snapshot.id.is_none() {
            let scratch = std::env::temp_dir().join(format!("sluice-cli-snapshots-{}", std::process::id()));
            options.set("snapshot_dir", &scratch.to_string_lossy())?;
            *SCRATCH.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(scratch);
        }
        Connector::from_sql(&source, &options).map(Some)
    }
}

/// The driver a URI's scheme names (as the Python binding's `from_sql` picks it).
fn driver_of_uri(uri: &str) -> Result<&'static str> {
    let scheme = uri.split_once(':').map_or("", |(scheme, _)| scheme).to_ascii_lowercase();
    match scheme.as_str() {
        "postgresql" | "postgres" => Ok("postgresql"),
        "sqlite" | "file" => Ok("sqlite"),
        _ => Err(Error::invalid_argument(format!(
            "--uri '{}' does not name a driver: give --driver (postgresql, sqlite, snowflake, flightsql, duckdb, or a driver library's path)",
            uri_for_messages(uri)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_names_the_driver_and_an_unknown_one_is_refused_without_the_password() {
        assert_eq!(driver_of_uri("postgresql://a:b@h/db").unwrap(), "postgresql");
        assert_eq!(driver_of_uri("POSTGRES://h/db").unwrap(), "postgresql");
        assert_eq!(driver_of_uri("file:/tmp/x.db").unwrap(), "sqlite");
        let error = driver_of_uri("mysql://ann:hunter2@db/x").unwrap_err();
        assert!(error.message.contains("--driver"), "{}", error.message);
        assert!(!error.message.contains("hunter2"), "{}", error.message);
    }
}
