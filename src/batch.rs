//! Re-cuts a sequence of batches into batches of exactly `size` rows, across
//! fragment boundaries. Slicing is zero-copy; rows are copied only where one
//! output batch spans two inputs.

use crate::error::{Error, Result};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use std::collections::VecDeque;

pub struct Rebatcher {
    schema: SchemaRef,
    size: usize,
    pending: VecDeque<RecordBatch>,
    pending_rows: usize,
}

impl Rebatcher {
    pub fn new(schema: SchemaRef, size: usize) -> Self {
        Rebatcher { schema, size, pending: VecDeque::new(), pending_rows: 0 }
    }

    pub fn push(&mut self, batch: RecordBatch) {
        if batch.num_rows() > 0 {
            self.pending_rows += batch.num_rows();
            self.pending.push_back(batch);
        }
    }

    /// The next full batch, if enough rows are pending.
    pub fn pop(&mut self) -> Result<Option<RecordBatch>> {
        self.pop_parts().map(|parts| join(&self.schema, parts)).transpose()
    }

    /// Whatever is left (the last, short batch).
    pub fn finish(&mut self) -> Result<Option<RecordBatch>> {
        self.finish_parts().map(|parts| join(&self.schema, parts)).transpose()
    }

    /// The next full batch as the slices of the pending batches that make it up, in order,
    /// not yet joined (packed mode packs them without joining), if enough rows are pending.
    pub fn pop_parts(&mut self) -> Option<Vec<RecordBatch>> {
        (self.pending_rows >= self.size).then(|| self.take(self.size))
    }

    /// Whatever is left (the last, short batch), as its parts.
    pub fn finish_parts(&mut self) -> Option<Vec<RecordBatch>> {
        (self.pending_rows > 0).then(|| self.take(self.pending_rows))
    }

    fn take(&mut self, rows: usize) -> Vec<RecordBatch> {
        let mut parts = Vec::new();
        let mut needed = rows;
        while needed > 0 {
            let front = self.pending.pop_front().expect("pending rows are counted");
            if front.num_rows() > needed {
                parts.push(front.slice(0, needed));
                self.pending.push_front(front.slice(needed, front.num_rows() - needed));
                needed = 0;
            } else {
                needed -= front.num_rows();
                parts.push(front);
            }
        }
        self.pending_rows -= rows;
        parts
    }
}

/// The parts of one batch (from `Rebatcher::pop_parts`), joined: a single part as it is.
pub fn join(schema: &SchemaRef, mut parts: Vec<RecordBatch>) -> Result<RecordBatch> {
    if parts.len() == 1 {
        return Ok(parts.pop().expect("one part"));
    }
    concat(schema, &parts)
}

/// Joins batches into one. Dictionary columns get one merged dictionary: a
/// plain concatenation would repeat values (one dictionary per row group),
/// which pandas rejects and which would give one value several codes.
pub fn concat(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let failed = |e: arrow::error::ArrowError| Error::internal(format!("cannot join batches: {e}"));
    let joined = arrow::compute::concat_batches(schema, batches).map_err(failed)?;
    if batches.len() < 2 || !schema.fields().iter().any(|f| matches!(f.data_type(), DataType::Dictionary(..))) {
        return Ok(joined);
    }
    let columns = joined
        .columns()
        .iter()
        .map(|column| match column.data_type() {
            dictionary @ DataType::Dictionary(_, values) => {
                let plain = arrow::compute::cast(column, values).map_err(failed)?;
                arrow::compute::cast(&plain, dictionary).map_err(failed)
            }
            _ => Ok(column.clone()),
        })
        .collect::<Result<Vec<_>>>()?;
    RecordBatch::try_new(schema.clone(), columns).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, DictionaryArray, Int32Array};
    use arrow::datatypes::Int32Type;
    use std::sync::Arc;

    #[test]
    fn exact_sizes_across_inputs() {
        let make = |n: i32| RecordBatch::try_from_iter([("x", Arc::new(Int32Array::from_iter_values(0..n)) as _)]).unwrap();
        let schema = make(1).schema();
        let mut r = Rebatcher::new(schema, 4);
        let mut sizes = Vec::new();
        for n in [3, 3, 9, 1] {
            r.push(make(n));
            while let Some(b) = r.pop().unwrap() {
                sizes.push(b.num_rows());
            }
        }
        if let Some(b) = r.finish().unwrap() {
            sizes.push(b.num_rows());
        }
        assert_eq!(sizes, vec![4, 4, 4, 4]);
    }

    #[test]
    fn joined_dictionaries_hold_each_value_once() {
        let make = |v: Vec<&str>| {
            let d: DictionaryArray<Int32Type> = v.into_iter().collect();
            RecordBatch::try_from_iter([("c", Arc::new(d) as _)]).unwrap()
        };
        let (a, b) = (make(vec!["red", "blue"]), make(vec!["blue", "red", "green"]));
        let joined = concat(&a.schema(), &[a, b]).unwrap();
        let column = joined.column(0).as_any().downcast_ref::<DictionaryArray<Int32Type>>().unwrap();
        assert_eq!(column.values().len(), 3);
        assert_eq!(column.len(), 5);
    }
}
