//! Splitting a query into partitions read in parallel, each on its own connection.
//!
//! - `partition_on` + `partitions = N`: the column's minimum and maximum, then N
//!   range queries `SELECT * FROM (query) WHERE lo <= col AND col < hi`; the
//!   first also takes the rows where the column is NULL, the last everything
//!   from its lower bound up, so no row is lost.
//! - `partitions = N` alone: the driver's own partitions (`ExecutePartitions`:
//!   Snowflake, Flight SQL), each read on its own connection.
//!
//! What the partitions see (see docs/sql.md): PostgreSQL, one snapshot shared
//! by all (see `session.rs`); the driver's own partitions, the one result the
//! server made; SQLite and DuckDB, each partition its own read transaction, so
//! a write between them can be seen by some partitions and not others.

use super::session::{new_statement, Executed, Session};
use super::stream::PartitionStream;
use super::{adbc_error, SqlPartitions, SqlSource};
use crate::error::{Error, ErrorKind, Result};
use adbc_core::error::Status;
use adbc_core::{Connection, Statement};
use adbc_driver_manager::ManagedConnection;
use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatchReader;
use std::sync::Arc;

pub fn run(session: &Session, source: &SqlSource) -> Result<SqlPartitions> {
    let query = strip_query(&source.query);
    let describe = source.describe();
    match (&source.partition_on, source.partitions) {
        (None, 1) => {
            let executed = session.run_query(session.connect()?, query)?;
            Ok(single(PartitionStream::new(executed, describe)))
        }
        (None, n) => driver_partitions(session, query, n, &describe),
        (Some(column), n) => range_partitions(session, query, column, n, &describe),
    }
}

fn single(stream: PartitionStream) -> SqlPartitions {
    SqlPartitions { schema: stream.schema(), streams: vec![Box::new(stream)] }
}

/// The query as a subquery: without the trailing `;` and whitespace.
fn strip_query(query: &str) -> &str {
    query.trim().trim_end_matches(|c: char| c == ';' || c.is_whitespace())
}

fn driver_partitions(session: &Session, query: &str, n: usize, describe: &str) -> Result<SqlPartitions> {
    if session.driver.has_no_partitions() {
        return Err(no_driver_partitions(session, n));
    }
    let connection = session.connect()?;
    let mut statement = session.query_statement(&connection, query)?;
    let result = match statement.execute_partitions() {
        Ok(result) => result,
        Err(e) if e.status == Status::NotImplemented => return Err(no_driver_partitions(session, n)),
        Err(e) => return Err(adbc_error(e, ErrorKind::InvalidArgument).context(format!("query '{query}' failed"))),
    };
    let count = result.partitions.len();
    let schema: SchemaRef = Arc::new(result.schema);
    let streams = parallel(result.partitions.len(), |i| {
        let connection = session.connect()?;
        let reader = connection
            .read_partition(&result.partitions[i])
            .map_err(|e| adbc_error(e, ErrorKind::Io).context(format!("cannot read partition {i}")))?;
        let statement = new_statement(&connection, query)?;
        Ok(PartitionStream::new(Executed { reader, statement, connection }, format!("{describe}, partition {} of {count}", i + 1)))
    })?;
    Ok(SqlPartitions { schema, streams: boxed(streams) })
}

fn boxed(streams: Vec<PartitionStream>) -> Vec<Box<dyn RecordBatchReader + Send>> {
    streams.into_iter().map(|s| Box::new(s) as Box<dyn RecordBatchReader + Send>).collect()
}

fn no_driver_partitions(session: &Session, n: usize) -> Error {
    Error::invalid_argument(format!(
        "partitions={n} without partition_on needs a driver that splits results itself, and '{}' does not: \
         name a numeric column with partition_on",
        session.driver.name
    ))
}

fn range_partitions(session: &Session, query: &str, column: &str, n: usize, describe: &str) -> Result<SqlPartitions> {
    // PostgreSQL: every query below reads the snapshot this connection exports.
    let (coordinator, snapshot) = if session.driver.is_postgresql() && n > 1 {
        let (connection, id) = session.export_snapshot()?;
        (connection, Some(id))
    } else {
        (session.connect()?, None)
    };
    let schema = result_schema(session, &coordinator, query)?;
    let field = schema.field_with_name(column).map_err(|_| {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        Error::invalid_argument(format!("partition_on column '{column}' is not in the query's result (columns: {})", names.join(", ")))
    })?;
    if !is_numeric(field.data_type()) {
        return Err(Error::invalid_argument(format!(
            "partition_on column '{column}' is {}, not a number: ranges need an integer or floating-point column",
            field.data_type()
        )));
    }
    let quoted = quote_identifier(column);
    let bounds = min_max(session, &coordinator, query, &quoted)?;
    let Some(ranges) = bounds.map(|(lo, hi)| split(lo, hi, n)) else {
        // No row has a value: one partition holds everything.
        let executed = session.run_query(session.connect()?, query)?;
        return Ok(single(PartitionStream::new(executed, describe.to_string())));
    };
    let count = ranges.len();
    let streams = parallel(count, |i| {
        let connection = match &snapshot {
            Some(id) => session.connect_in_snapshot(id)?,
            None => session.connect()?,
        };
        let condition = ranges[i].condition(&quoted, i == 0, i + 1 == count);
        let sql = format!("SELECT * FROM ({query}) AS sluice_query WHERE {condition}");
        let executed = session.run_query(connection, &sql)?;
        Ok(PartitionStream::new(executed, format!("{describe}, partition {} of {count} ({condition})", i + 1)))
    })?;
    drop(coordinator);
    let schema = streams[0].schema();
    for (i, stream) in streams.iter().enumerate().skip(1) {
        if stream.schema().fields() != schema.fields() {
            return Err(Error::new(
                ErrorKind::SchemaMismatch,
                format!(
                    "partition {} of {count} has the schema {:?}, partition 1 {:?}: the driver typed them differently",
                    i + 1,
                    stream.schema(),
                    schema
                ),
            ));
        }
    }
    Ok(SqlPartitions { schema, streams: boxed(streams) })
}

/// Runs `make(i)` for every partition at once (connecting and starting each query), in order.
fn parallel(n: usize, make: impl Fn(usize) -> Result<PartitionStream> + Sync) -> Result<Vec<PartitionStream>> {
    let results: Vec<Result<PartitionStream>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let make = &make;
                scope.spawn(move || make(i))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| Err(Error::new(ErrorKind::Panic, crate::error::panic_message(&p)))))
            .collect()
    });
    results.into_iter().collect()
}

/// The result's schema, from the query with no rows.
fn result_schema(session: &Session, connection: &ManagedConnection, query: &str) -> Result<SchemaRef> {
    let executed = session.run_query(connection.clone(), &format!("SELECT * FROM ({query}) AS sluice_query LIMIT 0"))?;
    let schema = executed.reader.schema();
    for batch in executed.reader {
        batch.map_err(|e| Error::new(ErrorKind::Io, format!("query '{query}' failed: {e}")))?;
    }
    Ok(schema)
}

fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_integer() || data_type.is_floating()
}

/// A SQL identifier in double quotes: the column's name exactly as the result gives it.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A bound of a range: integer columns split on integers, others on floats.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bound {
    Int(i128),
    Float(f64),
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Int(v) => write!(f, "{v}"),
            // Debug prints the shortest text that reads back as the same f64.
            Bound::Float(v) => write!(f, "{v:?}"),
        }
    }
}

/// The smallest and largest value of the column, or None when it has none.
fn min_max(session: &Session, connection: &ManagedConnection, query: &str, quoted: &str) -> Result<Option<(Bound, Bound)>> {
    let sql = format!("SELECT MIN({quoted}), MAX({quoted}) FROM ({query}) AS sluice_query");
    let executed = session.run_query(connection.clone(), &sql)?;
    let mut bounds = None;
    for batch in executed.reader {
        let batch = batch.map_err(|e| Error::new(ErrorKind::Io, format!("query '{sql}' failed: {e}")))?;
        if batch.num_rows() > 0 {
            bounds = match (bound(batch.column(0))?, bound(batch.column(1))?) {
                (Some(lo), Some(hi)) => Some((lo, hi)),
                _ => None,
            };
        }
    }
    Ok(bounds)
}

fn bound(array: &ArrayRef) -> Result<Option<Bound>> {
    if array.is_null(0) {
        return Ok(None);
    }
    let data_type = array.data_type();
    let value = if data_type.is_integer() {
        let wide =
            arrow::compute::cast(&array.slice(0, 1), &DataType::Int64).map_err(|e| Error::internal(format!("partition bound: {e}")))?;
        Bound::Int(wide.as_any().downcast_ref::<arrow::array::Int64Array>().map(|a| a.value(0) as i128).unwrap_or_default())
    } else if data_type.is_numeric() {
        let wide =
            arrow::compute::cast(&array.slice(0, 1), &DataType::Float64).map_err(|e| Error::internal(format!("partition bound: {e}")))?;
        Bound::Float(wide.as_any().downcast_ref::<arrow::array::Float64Array>().map(|a| a.value(0)).unwrap_or_default())
    } else {
        return Err(Error::invalid_argument(format!("the partition_on column's minimum is {data_type}, not a number")));
    };
    Ok(Some(value))
}

/// A range of the partition column: `lower <= col < upper`.
#[derive(Debug, PartialEq)]
struct Range {
    lower: Bound,
    upper: Bound,
}

impl Range {
    /// The WHERE condition; the first range also takes NULLs and everything
    /// below it, the last everything from its lower bound up.
    fn condition(&self, column: &str, first: bool, last: bool) -> String {
        match (first, last) {
            (true, true) => "TRUE".to_string(),
            (true, false) => format!("({column} < {} OR {column} IS NULL)", self.upper),
            (false, true) => format!("{column} >= {}", self.lower),
            (false, false) => format!("{column} >= {} AND {column} < {}", self.lower, self.upper),
        }
    }
}

/// `n` ranges of equal width over [lo, hi] (fewer for a narrow integer span).
fn split(lo: Bound, hi: Bound, n: usize) -> Vec<Range> {
    let n = n.max(1);
    match (lo, hi) {
        (Bound::Int(lo), Bound::Int(hi)) => {
            let span = (hi - lo + 1).max(1);
            let n = (n as i128).min(span);
            let at = |i: i128| Bound::Int(lo + span * i / n);
            (0..n).map(|i| Range { lower: at(i), upper: at(i + 1) }).collect()
        }
        (lo, hi) => {
            let (lo, hi) = (as_float(lo), as_float(hi));
            // Equal bounds, or a NaN among them: one range.
            if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
                return vec![Range { lower: Bound::Float(lo), upper: Bound::Float(hi) }];
            }
            let at = |i: usize| Bound::Float(if i == n { hi } else { lo + (hi - lo) * i as f64 / n as f64 });
            (0..n).map(|i| Range { lower: at(i), upper: at(i + 1) }).collect()
        }
    }
}

fn as_float(bound: Bound) -> f64 {
    match bound {
        Bound::Int(v) => v as f64,
        Bound::Float(v) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_ranges_cover_the_span_without_overlap() {
        let ranges = split(Bound::Int(1), Bound::Int(10), 4);
        let bounds: Vec<(String, String)> = ranges.iter().map(|r| (r.lower.to_string(), r.upper.to_string())).collect();
        assert_eq!(bounds, [("1", "3"), ("3", "6"), ("6", "8"), ("8", "11")].map(|(a, b)| (a.to_string(), b.to_string())));
        assert_eq!(split(Bound::Int(5), Bound::Int(6), 4).len(), 2);
        assert_eq!(split(Bound::Int(i64::MIN as i128), Bound::Int(i64::MAX as i128), 3).len(), 3);
    }

    #[test]
    fn conditions_keep_nulls_and_open_ends() {
        let ranges = split(Bound::Int(0), Bound::Int(99), 3);
        let c: Vec<String> = ranges.iter().enumerate().map(|(i, r)| r.condition("\"id\"", i == 0, i == 2)).collect();
        assert_eq!(c, ["(\"id\" < 33 OR \"id\" IS NULL)", "\"id\" >= 33 AND \"id\" < 66", "\"id\" >= 66"]);
        assert_eq!(split(Bound::Float(0.5), Bound::Float(0.5), 4)[0].condition("x", true, true), "TRUE");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
        assert_eq!(strip_query(" SELECT 1 ;\n"), "SELECT 1");
    }
}
