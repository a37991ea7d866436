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
use arrow::record_batch::RecordBatchReader;

pub struct Session {
    pub driver: LoadedDriver,
    database: ManagedDatabase,
}

/// A statement's result, with the statement and connection it needs alive.
pub struct Executed {
    pub reader: Box<dyn RecordBatchReader + Send>,
    pub statement: ManagedStatement,
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
        let database =
            driver.driver.new_database_with_opts(options).map_err(|e| adbc_error(e, ErrorKind::Io).context("cannot open the database"))?;
        Ok(Session { driver, database })
    }

    /// A new connection, in autocommit mode.
    pub fn connect(&self) -> Result<ManagedConnection> {
        self.database.new_connection().map_err(|e| adbc_error(e, ErrorKind::Io).context("cannot connect"))
    }

    /// PostgreSQL: a connection in a `REPEATABLE READ` transaction, and the id of its exported snapshot.
    pub fn export_snapshot(&self) -> Result<(ManagedConnection, String)> {
        let connection = self.repeatable_read_connection()?;
        let executed = execute_on(connection.clone(), "SELECT pg_export_snapshot()")?;
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
            .map_err(|e| adbc_error(e, ErrorKind::Io).context("cannot connect"))?;
        execute_update(&connection, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")?;
        Ok(connection)
    }
}

/// Runs `sql` on `connection` and returns its result stream.
pub fn execute_on(connection: ManagedConnection, sql: &str) -> Result<Executed> {
    let mut statement = new_statement(&connection, sql)?;
    let reader = statement.execute().map_err(|e| adbc_error(e, ErrorKind::InvalidArgument).context(format!("query '{sql}' failed")))?;
    Ok(Executed { reader, statement, connection })
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
