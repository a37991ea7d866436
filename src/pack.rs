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

/// Rows packed at a time: the block (rows × features float32, 20 KiB for 20 features) stays in
/// the L1 cache while each feature's values are scattered into it, then goes to the matrix in
/// one sequential copy. Scattering each column into the whole matrix instead wrote every cache
/// line of a 64 Ki-row chunk once per feature.
const BLOCK_ROWS: usize = 256;

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
        self.pack_parts(std::slice::from_ref(batch))
    }

    /// Packs the rows of `parts`, in order, into one batch: the rows a re-cut batch takes from
    /// several decoded batches are packed straight from them, without joining their columns first.
    pub fn pack_parts(&self, parts: &[RecordBatch]) -> Result<RecordBatch> {
        self.check_nulls(parts)?;
        let rows: usize = parts.iter().map(RecordBatch::num_rows).sum();
        let width = self.features.len();
        let mut matrix = Vec::with_capacity(rows * width);
        let mut block = vec![0f32; BLOCK_ROWS * width];
        for part in parts {
            let columns = self.float_columns(part)?;
            for start in (0..part.num_rows()).step_by(BLOCK_ROWS) {
                let block = &mut block[..BLOCK_ROWS.min(part.num_rows() - start) * width];
                for (j, values) in columns.iter().enumerate() {
                    for (row, value) in block.chunks_exact_mut(width).zip(&values[start..]) {
                        row[j] = *value;
                    }
                }
                matrix.extend_from_slice(block);
            }
        }
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        let values = Arc::new(Float32Array::new(ScalarBuffer::from(matrix), None));
        let list = FixedSizeListArray::try_new(item, width as i32, values, None).map_err(|e| Error::internal(e.to_string()))?;
        let mut columns: Vec<ArrayRef> = vec![Arc::new(list)];
        if let Some(l) = self.label {
            columns.push(self.label_of(parts, l)?);
        }
        RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| Error::internal(e.to_string()))
    }

    /// Without null_fill, a null in a feature is an error, counting the nulls of the whole batch
    /// (all its parts).
    fn check_nulls(&self, parts: &[RecordBatch]) -> Result<()> {
        if self.null_fill.is_some() {
            return Ok(());
        }
        for (&column, name) in self.features.iter().zip(&self.names) {
            let nulls: usize = parts.iter().map(|part| part.column(column).null_count()).sum();
            if nulls > 0 {
                return Err(Error::invalid_data(format!(
                    "feature column '{name}' has {nulls} null values in a batch; packed features cannot hold nulls: set null_fill=<value>"
                )));
            }
        }
        Ok(())
    }

    /// Each feature of `batch` as float32 values, nulls filled (`check_nulls` has refused them
    /// without null_fill).
    fn float_columns(&self, batch: &RecordBatch) -> Result<Vec<ScalarBuffer<f32>>> {
        let float = |(&column, name): (&usize, &String)| {
            let values = batch.column(column);
            let floats = arrow::compute::cast(values, &DataType::Float32)
                .map_err(|e| Error::invalid_data(format!("feature column '{name}': {e}")))?;
            let floats = floats.as_any().downcast_ref::<Float32Array>().expect("cast to float32");
            Ok(match (floats.nulls(), self.null_fill) {
                (Some(nulls), Some(fill)) if nulls.null_count() > 0 => {
                    floats.values().iter().enumerate().map(|(i, v)| if nulls.is_valid(i) { *v } else { fill }).collect()
                }
                _ => floats.values().clone(),
            })
        };
        self.features.iter().zip(&self.names).map(float).collect()
    }

    /// The label column of `parts`, joined as the rest of a re-cut batch would be.
    fn label_of(&self, parts: &[RecordBatch], label: usize) -> Result<ArrayRef> {
        if let [part] = parts {
            return Ok(part.column(label).clone());
        }
        let schema = Arc::new(Schema::new(vec![self.schema.field(1).clone()]));
        let labels = parts
            .iter()
            .map(|part| RecordBatch::try_new(schema.clone(), vec![part.column(label).clone()]))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::internal(e.to_string()))?;
        Ok(crate::batch::concat(&schema, &labels)?.column(0).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, Int64Array};

    fn batch(start: i64, rows: i64, null_at: Option<i64>) -> RecordBatch {
        let ints = Int64Array::from_iter((start..start + rows).map(|v| (Some(v) != null_at).then_some(v)));
        let floats = Float32Array::from_iter_values((start..start + rows).map(|v| v as f32 / 2.0));
        let label = Int32Array::from_iter_values((start..start + rows).map(|v| -(v as i32)));
        RecordBatch::try_from_iter([("i", Arc::new(ints) as ArrayRef), ("f", Arc::new(floats) as _), ("y", Arc::new(label) as _)]).unwrap()
    }

    /// Row-major packing in blocks, straight from several parts (one not a whole block, one
    /// sliced), gives every row's features and label in order; a null takes null_fill.
    #[test]
    fn parts_pack_row_major_in_order() {
        let whole = batch(0, 1000, Some(700));
        let parts = [whole.slice(0, 300), whole.slice(300, 700), batch(1000, 5, None)];
        let fill = crate::options::Number { float: -1.0, integer: Some(-1) };
        let packing = Packing::new(&whole.schema(), &["f".into(), "i".into()], Some("y"), Some(fill)).unwrap();
        let packed = packing.pack_parts(&parts).unwrap();
        assert_eq!(packed.num_rows(), 1005);
        let list = packed.column(0).as_any().downcast_ref::<FixedSizeListArray>().unwrap();
        let matrix = list.values().as_any().downcast_ref::<Float32Array>().unwrap().values();
        for row in 0..1005usize {
            let want_i = if row == 700 { -1.0 } else { row as f32 };
            assert_eq!(&matrix[2 * row..2 * row + 2], &[row as f32 / 2.0, want_i], "row {row}");
        }
        let label = packed.column(1).as_any().downcast_ref::<Int32Array>().unwrap();
        assert_eq!(label.values().to_vec(), (0..1005).map(|v| -v).collect::<Vec<i32>>());
        let nulls = Packing::new(&whole.schema(), &["i".into()], None, None).unwrap().pack_parts(&parts).unwrap_err();
        assert!(nulls.message.contains("feature column 'i' has 1 null"), "{}", nulls.message);
        // the count is the batch's, over all its parts
        let two = [batch(0, 10, Some(3)), batch(10, 10, Some(15))];
        let nulls = Packing::new(&whole.schema(), &["i".into()], None, None).unwrap().pack_parts(&two).unwrap_err();
        assert!(nulls.message.contains("feature column 'i' has 2 null values in a batch"), "{}", nulls.message);
    }
}
