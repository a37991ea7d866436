//! The column policy (docs/design.md), applied once, here, so that every binding
//! only maps Arrow types to its tensors and never decides anything itself.
//!
//! After the policy a batch holds only: fixed-width numbers and bools,
//! fixed-size lists of them, utf8/binary strings, and, when asked for,
//! dictionary columns (bindings take the codes) and lists (bindings take values
//! and offsets). Dictionaries are decoded to their values by default, because
//! a code means something only within its batch. No column holds a null, so
//! zero-copy views are always safe, and the output types depend on the schema
//! alone: they never change from one batch to the next.
//!
//! - `types`: what each input type becomes, decided at open from the schema;
//! - `nulls`: which rows are null, filling them, the `<name>_is_null` masks.

mod nulls;
mod types;

use crate::error::{Error, Result};
use crate::options::TensorOptions;
use arrow::array::{ArrayRef, BooleanArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use std::sync::Arc;
use types::Conversion;

/// Suffix of the mask column that `null_mask` adds after a column.
pub const MASK_SUFFIX: &str = "_is_null";

#[derive(Debug, Clone)]
struct ColumnRule {
    name: String,
    conversion: Conversion,
    /// Nulls are filled with this (strings: ""); `None`: a null is an error.
    fill: Option<crate::options::Number>,
    mask: bool,
}

/// The policy for one read: one rule per input column, and the output schema.
#[derive(Debug, Clone)]
pub struct Policy {
    rules: Vec<ColumnRule>,
    schema: SchemaRef,
}

impl Policy {
    /// Decides every column's output from `input` (the schema the reader
    /// produces before the policy); unsupported types are errors naming the column.
    pub fn new(input: &Schema, options: &TensorOptions) -> Result<Policy> {
        for name in &options.null_mask {
            if input.index_of(name).is_err() {
                return Err(Error::invalid_argument(format!("option 'null_mask': the read has no column named '{name}'")));
            }
        }
        let mut rules = Vec::with_capacity(input.fields().len());
        let mut fields = Vec::with_capacity(input.fields().len());
        for field in input.fields() {
            let name = field.name().clone();
            let (conversion, output) = types::conversion_for(field, options)?;
            let mask = options.null_mask.contains(&name);
            let fill = if mask { Some(options.null_fill.unwrap_or(crate::options::Number::ZERO)) } else { options.null_fill };
            fields.push(output);
            if mask {
                let mask_name = format!("{name}{MASK_SUFFIX}");
                if input.index_of(&mask_name).is_ok() {
                    return Err(Error::invalid_argument(format!(
                        "option 'null_mask': column '{name}' would get a mask column '{mask_name}', but the read already has a column of that name"
                    )));
                }
                fields.push(Field::new(mask_name, DataType::Boolean, false));
            }
            rules.push(ColumnRule { name, conversion, fill, mask });
        }
        Ok(Policy { rules, schema: Arc::new(Schema::new_with_metadata(fields, input.metadata().clone())) })
    }

    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    pub fn apply(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for (rule, column) in self.rules.iter().zip(batch.columns()) {
            let converted = types::convert(column, &rule.conversion, &rule.name)?;
            // Padding turns a null list row into a row of padding: its nullness is the list's.
            let null_rows = match rule.conversion {
                Conversion::Pad { .. } => nulls::null_rows(column),
                _ => nulls::null_rows(&converted),
            };
            let count = null_rows.as_ref().map_or(0, |n| n.null_count());
            let filled = match (count, rule.fill) {
                (0, _) => nulls::without_hidden_nulls(converted, &rule.name)?,
                (_, Some(fill)) => nulls::fill(&converted, fill, &rule.name)?,
                (_, None) => {
                    return Err(Error::invalid_data(format!(
                        "column '{}' ({}) has {count} null value(s) in a batch; a tensor cannot hold nulls: \
                         set null_fill=<value>, or null_mask={} to fill them and get a '{}{MASK_SUFFIX}' column",
                        rule.name,
                        column.data_type(),
                        rule.name,
                        rule.name
                    )))
                }
            };
            columns.push(retyped(filled, self.schema.field(columns.len()).data_type(), &rule.name)?);
            if rule.mask {
                let mask = match null_rows {
                    Some(valid) => BooleanArray::new(!valid.inner(), None),
                    None => BooleanArray::new(arrow::buffer::BooleanBuffer::new_unset(batch.num_rows()), None),
                };
                columns.push(Arc::new(mask));
            }
        }
        let rows = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        RecordBatch::try_new_with_options(self.schema.clone(), columns, &rows)
            .map_err(|e| Error::internal(format!("the column policy built an inconsistent batch: {e}")))
    }
}

/// `array` under the output type, which differs at most in field names and
/// nullability inside lists (the values hold no nulls now).
fn retyped(array: ArrayRef, target: &DataType, name: &str) -> Result<ArrayRef> {
    if array.data_type() == target {
        return Ok(array);
    }
    let data = array.to_data().into_builder().data_type(target.clone()).build();
    data.map(arrow::array::make_array)
        .map_err(|e| Error::internal(format!("column '{name}': the column policy built {} for {target}: {e}", array.data_type())))
}

#[cfg(test)]
mod tests;
