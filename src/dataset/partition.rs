//! `partition_by`: each file holds the rows of one value of the partition
//! column (in the order they are read), at most a file's worth of rows each;
//! the manifest lists the files by value, ascending (nulls first), and gives
//! each its value. One pass over the rows, with one open file per value seen.

use super::manifest::FileEntry;
use super::root::Root;
use super::write::{file_name, Layout, ParquetObject};
use crate::error::{Error, Result};
use crate::Connector;
use arrow::array::{Array, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::row::{OwnedRow, RowConverter, SortField};
use arrow::util::display::array_value_to_string;
use std::collections::BTreeMap;

/// More values than this is not a partitioning but a key column.
pub const MAX_PARTITIONS: usize = 1024;

struct Partition {
    value: serde_json::Value,
    open: Option<ParquetObject>,
    closed: Vec<FileEntry>,
}

pub fn write_partitioned(
    input: &Connector,
    root: &Root,
    dir: &str,
    layout: &Layout,
    column: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<FileEntry>> {
    let schema = input.schema();
    let index = schema.index_of(column).map_err(|_| unknown_column(column, &schema))?;
    let converter = RowConverter::new(vec![SortField::new(schema.field(index).data_type().clone())])
        .map_err(|e| Error::invalid_argument(format!("partition_by '{column}': cannot partition by a column of this type: {e}")))?;
    let rows_per_file = layout.total_rows.div_ceil(layout.files as u64).max(1);
    let mut stream = input.read(&layout.read_options(None, 512 << 20))?;
    let stream_schema = stream.schema();
    let mut partitions: BTreeMap<OwnedRow, Partition> = BTreeMap::new();
    let mut next_file = 0usize;
    let (mut done, total) = (0u64, layout.total_rows);
    progress(0, total);
    while let Some(batch) = stream.next_batch()? {
        let keys = converter.convert_columns(&[batch.column(index).clone()]).map_err(|e| Error::internal(e.to_string()))?;
        let mut groups: BTreeMap<OwnedRow, Vec<u32>> = BTreeMap::new();
        for (row, key) in keys.iter().enumerate() {
            groups.entry(key.owned()).or_default().push(row as u32);
        }
        for (key, rows) in groups {
            if !partitions.contains_key(&key) {
                if partitions.len() == MAX_PARTITIONS {
                    return Err(Error::invalid_argument(format!(
                        "partition_by '{column}': the column has more than {MAX_PARTITIONS} distinct values; \
                         partition by a column with fewer values"
                    )));
                }
                let column = batch.column(index);
                let first = rows[0] as usize;
                let value = if column.is_null(first) {
                    serde_json::Value::Null
                } else {
                    serde_json::Value::String(array_value_to_string(column, first).map_err(|e| Error::internal(e.to_string()))?)
                };
                partitions.insert(key.clone(), Partition { value, open: None, closed: Vec::new() });
            }
            let partition = partitions.get_mut(&key).expect("inserted above");
            let part = take_record_batch(&batch, &UInt32Array::from(rows)).map_err(|e| Error::internal(e.to_string()))?;
            let mut offset = 0;
            while offset < part.num_rows() {
                let object = partition.open.get_or_insert_with(|| {
                    next_file += 1;
                    ParquetObject::new(root, file_name(dir, next_file - 1), stream_schema.clone())
                });
                let room = (rows_per_file - object.rows).min((part.num_rows() - offset) as u64) as usize;
                object.write(&part.slice(offset, room))?;
                offset += room;
                if object.rows >= rows_per_file {
                    let full = partition.open.take().expect("open above");
                    partition.closed.push(full.close(Some(partition.value.clone()))?);
                }
            }
        }
        done += batch.num_rows() as u64;
        progress(done, total);
    }
    let mut entries = Vec::new();
    for (_, mut partition) in partitions {
        if let Some(open) = partition.open.take() {
            partition.closed.push(open.close(Some(partition.value.clone()))?);
        }
        entries.extend(partition.closed);
    }
    if entries.is_empty() {
        // No rows: one file without rows keeps the schema.
        entries.push(ParquetObject::new(root, file_name(dir, 0), stream_schema).close(None)?);
    }
    Ok(entries)
}

pub fn unknown_column(column: &str, schema: &arrow::datatypes::Schema) -> Error {
    let known: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    Error::invalid_argument(format!(
        "partition_by: no column named '{}' (columns: {})",
        crate::options::echo(column),
        crate::options::echo(&known.join(", "))
    ))
}
