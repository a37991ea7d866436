//! Packed mode: the named feature columns assembled into one row-major
//! `(batch, n_features)` float32 matrix, exported as a `fixed_size_list<float32>`
//! column named `features`, next to the label column unchanged. Bindings hand
//! the list's values buffer to a framework as a 2-D tensor without copying.

use crate::error::{Error, Result};
use arrow::array::{Array, ArrayRef, FixedSizeListArray, Float32Array};
use arrow::buffer::ScalarBuffer;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use std::sync::Arc;

/// Where the features and the label sit in the projected batch.
#[derive(Debug, Clone)]
pub struct Packing {
    features: Vec<usize>,
    names: Vec<String>,
    label: Option<usize>,
    /// Nulls in a feature take this value; without it they are an error.
    null_fill: Option<f32>,
    schema: SchemaRef,
}

impl Packing {
    /// `input` is the projected schema, which holds the features (in order) and the label.
    pub fn new(input: &Schema, features: &[String], label: Option<&str>, null_fill: Option<crate::options::Number>) -> Result<Packing> {
        let index = |name: &str, option: &str| {
            input.index_of(name).map_err(|_| Error::invalid_argument(format!("option '{option}': no column named '{name}'")))
        };
        let mut indices = Vec::with_capacity(features.len());
        for name in features {
            let i = index(name, "features")?;
            let data_type = input.field(i).data_type();
            if !(data_type.is_numeric() || *data_type == DataType::Boolean)
                || matches!(data_type, DataType::Decimal128(..) | DataType::Decimal256(..))
            {
                return Err(Error::invalid_argument(format!(
                    "option 'features': column '{name}' is {data_type}, which cannot be packed into float32 features"
                )));
            }
            indices.push(i);
        }
        let label = label.map(|name| index(name, "label")).transpose()?;
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        let mut fields = vec![Field::new("features", DataType::FixedSizeList(item, features.len() as i32), false)];
        if let Some(l) = label {
            fields.push(input.field(l).clone());
        }
        Ok(Packing {
            features: indices,
            names: features.to_vec(),
            label,
            null_fill: null_fill.map(|v| v.float as f32),
            schema: Arc::new(Schema::new(fields)),
        })
    }

    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    pub fn pack(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let rows = batch.num_rows();
        let width = self.features.len();
        let mut matrix = vec![0f32; rows * width];
        for (j, (&column, name)) in self.features.iter().zip(&self.names).enumerate() {
            let values = batch.column(column);
            if values.null_count() > 0 && self.null_fill.is_none() {
                return Err(Error::invalid_data(format!(
                    "feature column '{name}' has {} null values in a batch; packed features cannot hold nulls: set null_fill=<value>",
                    values.null_count()
                )));
            }
            let floats = arrow::compute::cast(values, &DataType::Float32)
                .map_err(|e| Error::invalid_data(format!("feature column '{name}': {e}")))?;
            let floats = floats.as_any().downcast_ref::<Float32Array>().expect("cast to float32");
            match (floats.nulls(), self.null_fill) {
                (Some(nulls), Some(fill)) => {
                    for (i, v) in floats.values().iter().enumerate() {
                        matrix[i * width + j] = if nulls.is_valid(i) { *v } else { fill };
                    }
                }
                _ => {
                    for (i, v) in floats.values().iter().enumerate() {
                        matrix[i * width + j] = *v;
                    }
                }
            }
        }
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        let values = Arc::new(Float32Array::new(ScalarBuffer::from(matrix), None));
        let list = FixedSizeListArray::try_new(item, width as i32, values, None).map_err(|e| Error::internal(e.to_string()))?;
        let mut columns: Vec<ArrayRef> = vec![Arc::new(list)];
        if let Some(l) = self.label {
            columns.push(batch.column(l).clone());
        }
        RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| Error::internal(e.to_string()))
    }
}
