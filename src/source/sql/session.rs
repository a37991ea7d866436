//! A database opened through its driver, and connections to it.
//!
//! PostgreSQL partitions share one snapshot: a first connection starts a
//! `REPEATABLE READ` transaction and exports its snapshot
//! (`pg_export_snapshot()`); every partition's connection starts its own
//! `REPEATABLE READ` transaction on it (`SET TRANSACTION SNAPSHOT`) before its
//! query, so all of them see the database as the first one did. The first
//! connection stays open until every partition has imported the snapshot.

use super::driver::LoadedDriver;
use super::{adbc_error, SqlSource};
use crate::error::{Error, ErrorKind, Result};
use adbc_core::options::{OptionConnection, OptionDatabase, OptionValue};
use adbc_core::{Connection, Database, Driver, Statement};
use adbc_driver_manager::{ManagedConnection, ManagedDatabase, ManagedStatement};
use arrow::array::{Array, StringArray};
use arrow::record_batch::{RecordBatch, RecordBatchReader};

pub struct Session {
    pub driver: LoadedDriver,
    database: ManagedDatabase,
    /// The query's parameter values, bound to each statement that runs it.
    params: Option<RecordBatch>,
}

/// A statement's result, with the statement and connection it needs alive
/// (held, never read: the driver's stream uses them until it is released).
pub struct Executed {
    // First, so dropped first.
    pub reader: Box<dyn RecordBatchReader + Send>,
    #[allow(dead_code)]
    pub statement: ManagedStatement,
    #[allow(dead_code)]
    pub connection: ManagedConnection,
}

impl Session {
    pub fn open(source: &SqlSource, mut driver: LoadedDriver) -> Result<Session> {
        let uri_key = if driver.is_duckdb() { OptionDatabase::Other("path".into()) } else { OptionDatabase::Uri };
        let uri = if driver.is_postgresql() { with_connect_timeout(&source.uri, source.connect_timeout) } else { source.uri.clone() };
        let mut options: Vec<(OptionDatabase, OptionValue)> = Vec::new();
        if !source.uri.is_empty() {
            options.push((uri_key, OptionValue::String(uri)));
        }
        for (key, value) in &source.driver_options {
            options.push((OptionDatabase::from(key.as_str()), OptionValue::String(value.clone())));
        }
        let database = driver.driver.new_database_with_opts(options).map_err(|e| connect_error(e).context("cannot open the database"))?;
        Ok(Session { driver, database, params: source.params.clone() })
    }

    /// A new connection, in autocommit mode.
    pub fn connect(&self) -> Result<ManagedConnection> {
        self.database.new_connection().map_err(|e| connect_error(e).context("cannot connect"))
    }

    /// PostgreSQL: a connection in a `REPEATABLE READ` transaction, and the id of its exported snapshot.
    pub fn export_snapshot(&self) -> Result<(ManagedConnection, String)> {
        let connection = self.repeatable_read_connection()?;
        let executed = execute_on(connection.clone(), "SELECT pg_export_snapshot()", None)?;
        let mut id = None;
        for batch in executed.reader {
            let batch = batch.map_err(|e| Error::new(ErrorKind::Io, format!("cannot export a snapshot: {e}")))?;
            if let Some(ids) = batch.column(0).as_any().downcast_ref::<StringArray>().filter(|a| !a.is_empty() && a.is_valid(0)) {
                id = Some(ids.value(0).to_string());
            }
        }
        let id = id.ok_or_else(|| Error::internal("pg_export_snapshot() returned no snapshot id"))?;
        // The exported snapshot lives as long as this connection's transaction.
        Ok((connection, id))
    }

    /// PostgreSQL: a connection whose transaction reads the snapshot `id` (see `export_snapshot`).
    pub fn connect_in_snapshot(&self, id: &str) -> Result<ManagedConnection> {
        let connection = self.repeatable_read_connection()?;
        // The id comes from pg_export_snapshot (hex digits and dashes); quoted all the same.
        execute_update(&connection, &format!("SET TRANSACTION SNAPSHOT '{}'", id.replace('\'', "''")))?;
        Ok(connection)
    }

    fn repeatable_read_connection(&self) -> Result<ManagedConnection> {
        let connection = self
            .database
            .new_connection_with_opts([(OptionConnection::AutoCommit, OptionValue::String("false".into()))])
            .map_err(|e| connect_error(e).context("cannot connect"))?;
        execute_update(&connection, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")?;
        Ok(connection)
    }
}

impl Session {
    /// Runs the query text `sql` (the user's query, or one built around it) with the
    /// query's parameters on `connection`, and returns its result stream.
    pub fn run_query(&self, connection: ManagedConnection, sql: &str) -> Result<Executed> {
        execute_on(connection, sql, self.params.as_ref())
    }

    /// A statement of `sql` with the query's parameters bound, not run yet.
    pub fn query_statement(&self, connection: &ManagedConnection, sql: &str) -> Result<ManagedStatement> {
        let mut statement = new_statement(connection, sql)?;
        bind(&mut statement, sql, self.params.as_ref())?;
        Ok(statement)
    }
}

/// A failed connection: refused credentials are a permission error (libpq reports
/// them with the status of any failed connection, and no SQLSTATE).
fn connect_error(err: adbc_core::error::Error) -> Error {
    let error = adbc_error(err, ErrorKind::Io);
    if error.message.contains("authentication failed") {
        return Error::new(ErrorKind::PermissionDenied, error.message);
    }
    error
}

/// Runs `sql` on `connection`, with `params` bound if given, and returns its result stream.
pub fn execute_on(connection: ManagedConnection, sql: &str, params: Option<&RecordBatch>) -> Result<Executed> {
    let mut statement = new_statement(&connection, sql)?;
    bind(&mut statement, sql, params)?;
    let reader = statement.execute().map_err(|e| adbc_error(e, ErrorKind::InvalidArgument).context(format!("query '{sql}' failed")))?;
    Ok(Executed { reader, statement, connection })
}

fn bind(statement: &mut ManagedStatement, sql: &str, params: Option<&RecordBatch>) -> Result<()> {
    if let Some(params) = params {
        statement
            .bind(params.clone())
            .map_err(|e| adbc_error(e, ErrorKind::InvalidArgument).context(format!("the parameters of query '{sql}' were refused")))?;
    }
    Ok(())
}

fn execute_update(connection: &ManagedConnection, sql: &str) -> Result<()> {
    let mut statement = new_statement(connection, sql)?;
    statement.execute_update().map_err(|e| adbc_error(e, ErrorKind::Io).context(format!("'{sql}' failed")))?;
    Ok(())
}

pub fn new_statement(connection: &ManagedConnection, sql: &str) -> Result<ManagedStatement> {
    let mut connection = connection.clone();
    let mut statement = connection.new_statement().map_err(|e| adbc_error(e, ErrorKind::Io).context("cannot create a statement"))?;
    statement.set_sql_query(sql).map_err(|e| adbc_error(e, ErrorKind::InvalidArgument).context(format!("query '{sql}' was refused")))?;
    Ok(statement)
}

/// A PostgreSQL URI with libpq's `connect_timeout` (whole seconds, at least 2 as libpq
/// asks), unless it sets one. Both URI and `key=value` forms.
fn with_connect_timeout(uri: &str, timeout: std::time::Duration) -> String {
    if uri.contains("connect_timeout") {
        return uri.to_string();
    }
    let seconds = timeout.as_secs_f64().ceil().max(2.0) as u64;
    if uri.starts_with("postgres://") || uri.starts_with("postgresql://") {
        let separator = if uri.contains('?') { '&' } else { '?' };
        format!("{uri}{separator}connect_timeout={seconds}")
    } else {
        format!("{uri} connect_timeout={seconds}")
    }
}

#[cfg(test)]
mod tests {
    use super::with_connect_timeout;
    use std::time::Duration;

    #[test]
    fn the_connect_timeout_is_added_unless_given() {
        let t = Duration::from_secs(3);
        assert_eq!(with_connect_timeout("postgresql://a@h/db", t), "postgresql://a@h/db?connect_timeout=3");
        assert_eq!(with_connect_timeout("postgresql://a@h/db?sslmode=disable", t), "postgresql://a@h/db?sslmode=disable&connect_timeout=3");
        assert_eq!(with_connect_timeout("host=h dbname=db", Duration::from_millis(500)), "host=h dbname=db connect_timeout=2");
        assert_eq!(with_connect_timeout("postgresql://h/db?connect_timeout=1", t), "postgresql://h/db?connect_timeout=1");
    }
}
