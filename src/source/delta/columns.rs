//! Where each table column of one data file comes from: a column stored in the
//! file, a partition value from the log, or nothing (a column that a later
//! schema change added reads as nulls in the files written before it).

use crate::error::{Error, ErrorKind, Result};
use crate::source::Projection;
use arrow::array::{new_null_array, Array, ArrayRef, StringArray, UInt32Array};
use arrow::compute::{can_cast_types, cast, take};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug)]
enum Origin {
    /// The file's column at this index, cast where the file stores another Arrow type
    /// (Utf8 for LargeUtf8, a narrower integer before type widening …).
    Stored {
        index: usize,
        cast_to: Option<DataType>,
    },
    /// One value for all rows (a one-element array of the column's type).
    Partition(ArrayRef),
    Absent,
}

/// A data file of a Delta table: its Parquet metadata and its columns' origins.
/// Columns are found by their stored names (physical names under column mapping).
pub struct DeltaFile {
    parquet: ArrowReaderMetadata,
    /// One per table column, in the table's order.
    origins: Vec<Origin>,
}

impl DeltaFile {
    pub fn new(
        table: &str,
        file: &str,
        schema: &SchemaRef,
        stored_names: &[String],
        partition_columns: &[String],
        partition_values: &HashMap<String, String>,
        parquet: ArrowReaderMetadata,
    ) -> Result<Self> {
        let stored = parquet.schema().clone();
        let mut origins = Vec::with_capacity(schema.fields().len());
        for (field, stored_name) in schema.fields().iter().zip(stored_names) {
            let name = field.name();
            let origin = if partition_columns.contains(name) {
                let value: StringArray = std::iter::once(partition_values.get(stored_name).map(String::as_str)).collect();
                let typed = cast(&value, field.data_type()).ok().filter(|a| a.null_count() == value.null_count()).ok_or_else(|| {
                    Error::invalid_data(format!(
                        "Delta table '{table}': the log gives data file '{file}' the value '{}' in partition column '{name}', \
                         which is not a {}",
                        value.value(0),
                        field.data_type()
                    ))
                })?;
                Origin::Partition(typed)
            } else if let Ok(index) = stored.index_of(stored_name) {
                let found = stored.field(index).data_type();
                let cast_to = (found != field.data_type()).then(|| field.data_type().clone());
                if cast_to.is_some() && !can_cast_types(found, field.data_type()) {
                    return Err(Error::new(
                        ErrorKind::SchemaMismatch,
                        format!(
                            "Delta table '{table}': column '{name}' is {found} in data file '{file}' but {} in the table",
                            field.data_type()
                        ),
                    ));
                }
                Origin::Stored { index, cast_to }
            } else if field.is_nullable() {
                Origin::Absent
            } else {
                return Err(Error::new(
                    ErrorKind::SchemaMismatch,
                    format!("Delta table '{table}': data file '{file}' lacks column '{name}', which the table declares non-nullable"),
                ));
            };
            origins.push(origin);
        }
        Ok(DeltaFile { parquet, origins })
    }

    pub fn parquet(&self) -> &ArrowReaderMetadata {
        &self.parquet
    }

    /// The file's columns that the table projection needs, in the file's schema.
    pub fn stored_projection(&self, projection: &Projection) -> Projection {
        let indices: Vec<usize> = self.stored_indices(projection);
        let schema = self.parquet.schema().project(&indices).expect("indices come from the file's own schema");
        Projection { indices, schema: Arc::new(schema) }
    }

    pub fn stored_indices(&self, projection: &Projection) -> Vec<usize> {
        projection
            .indices
            .iter()
            .filter_map(|&i| match self.origins[i] {
                Origin::Stored { index, .. } => Some(index),
                _ => None,
            })
            .collect()
    }

    /// A batch of the stored projection, as the table projection's columns.
    pub fn to_table_columns(&self, batch: RecordBatch, projection: &Projection, file: &str) -> Result<RecordBatch> {
        let rows = batch.num_rows();
        let mut stored = batch.columns().iter();
        let mut columns = Vec::with_capacity(projection.indices.len());
        for (&i, field) in projection.indices.iter().zip(projection.schema.fields()) {
            let column = match &self.origins[i] {
                Origin::Stored { cast_to, .. } => {
                    let column = stored.next().ok_or_else(|| Error::internal("a Delta file's batch lacks a projected column"))?;
                    match cast_to {
                        Some(to) => cast(column, to).map_err(|e| Error::from_arrow(e, file, "Parquet"))?,
                        None => column.clone(),
                    }
                }
                Origin::Partition(value) => {
                    let zeros = UInt32Array::from(vec![0u32; rows]);
                    take(value.as_ref(), &zeros, None).map_err(|e| Error::internal(e.to_string()))?
                }
                Origin::Absent => new_null_array(field.data_type(), rows),
            };
            columns.push(column);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(projection.schema.clone(), columns, &options)
            .map_err(|e| Error::invalid_data(format!("'{file}' does not fit the Delta table's schema: {e}")))
    }
}
