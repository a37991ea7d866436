//! Re-cuts a sequence of batches into batches of exactly `size` rows, across
//! fragment boundaries. Slicing is zero-copy; rows are copied only where one
//! output batch spans two inputs.

use crate::error::{Error, Result};
use arrow::datatypes::SchemaRef;
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
        if self.pending_rows < self.size {
            return Ok(None);
        }
        self.take(self.size).map(Some)
    }

    /// Whatever is left (the last, short batch).
    pub fn finish(&mut self) -> Result<Option<RecordBatch>> {
        match self.pending_rows {
            0 => Ok(None),
            n => self.take(n).map(Some),
        }
    }

    fn take(&mut self, rows: usize) -> Result<RecordBatch> {
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
        if parts.len() == 1 {
            return Ok(parts.pop().unwrap());
        }
        arrow::compute::concat_batches(&self.schema, &parts).map_err(|e| Error::internal(format!("cannot join batches: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int32Array;
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
}
