//! The reader's memory model: what a task will hold, from the estimates made
//! at open, corrected by measuring the batches that tasks actually decode.
//!
//! Estimates can be far off (a format without sizes, strings whose lengths
//! statistics do not tell), so every decoded piece is measured: a fragment
//! read before is expected to cost what it measured, and a fragment not read
//! yet what its estimate costs scaled by how far off the estimates of the
//! measured ones were.

use crate::source::FragmentSize;
use arrow::array::{Array, ArrayData};
use arrow::record_batch::RecordBatch;
use std::collections::HashMap;
use std::sync::Mutex;

pub struct SizeModel {
    estimates: Vec<FragmentSize>,
    measured: Mutex<Measured>,
}

#[derive(Default)]
struct Measured {
    /// Per fragment: (decoded bytes, rows) measured so far.
    fragments: Vec<(f64, u64)>,
    /// Over all measured pieces: decoded bytes measured, and what the estimates said.
    bytes: f64,
    estimated: f64,
}

impl SizeModel {
    pub fn new(estimates: Vec<FragmentSize>) -> Self {
        let fragments = vec![(0.0, 0); estimates.len()];
        SizeModel { estimates, measured: Mutex::new(Measured { fragments, ..Measured::default() }) }
    }

    /// Expected decoded bytes per row of fragment `f`.
    pub fn row_bytes(&self, f: usize) -> f64 {
        let measured = self.lock();
        match measured.fragments[f] {
            (bytes, rows) if rows > 0 => bytes / rows as f64,
            _ if measured.estimated > 0.0 => self.estimates[f].row_bytes * (measured.bytes / measured.estimated),
            _ => self.estimates[f].row_bytes,
        }
    }

    /// Encoded bytes fetched and held while any part of fragment `f` decodes.
    pub fn fetched(&self, f: usize) -> u64 {
        self.estimates[f].fetched
    }

    /// Whether any batch has been measured yet.
    pub fn measured(&self) -> bool {
        self.lock().estimated > 0.0
    }

    /// Records `rows` rows of fragment `f` that decoded to `bytes`.
    pub fn record(&self, f: usize, rows: u64, bytes: u64) {
        if rows == 0 {
            return;
        }
        let mut measured = self.lock();
        let (total, counted) = &mut measured.fragments[f];
        *total += bytes as f64;
        *counted += rows;
        measured.bytes += bytes as f64;
        // A zero estimate would never register as measured: count it as one byte a row.
        measured.estimated += self.estimates[f].row_bytes.max(1.0) * rows as f64;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Measured> {
        self.measured.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Memory the batches' buffers occupy: per allocation, the bytes up to the
/// end of the last part in use, each allocation counted once (slices of one
/// decoded batch share it). Capacity reserved past that (a decoder sizes its
/// buffers for a whole batch) is never written, so it takes no memory.
pub fn held_bytes(batches: &[RecordBatch]) -> u64 {
    let mut extents = HashMap::new();
    for batch in batches {
        for column in batch.columns() {
            add_buffers(&column.to_data(), &mut extents);
        }
    }
    extents.values().sum()
}

fn add_buffers(data: &ArrayData, extents: &mut HashMap<usize, u64>) {
    let nulls = data.nulls().map(|n| n.buffer());
    for buffer in data.buffers().iter().chain(nulls) {
        let end = (buffer.ptr_offset() + buffer.len()) as u64;
        let extent = extents.entry(buffer.data_ptr().as_ptr() as usize).or_default();
        *extent = (*extent).max(end);
    }
    for child in data.child_data() {
        add_buffers(child, extents);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn slices_share_their_buffers() {
        let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from_iter_values(0..1000)) as _)]).unwrap();
        let whole = held_bytes(std::slice::from_ref(&batch));
        assert!(whole >= 8000);
        assert_eq!(held_bytes(&[batch.slice(0, 500), batch.slice(500, 500)]), whole);
    }

    #[test]
    fn measurements_correct_the_estimates() {
        let size = |row_bytes| FragmentSize { row_bytes, fetched: 0 };
        let model = SizeModel::new(vec![size(10.0), size(20.0), size(5.0)]);
        assert!(!model.measured());
        assert_eq!(model.row_bytes(1), 20.0);
        // Fragment 0 turns out 50 times larger than estimated...
        let strings = StringArray::from_iter_values((0..100).map(|_| "x".repeat(500)));
        let batch = RecordBatch::try_from_iter([("s", Arc::new(strings) as _)]).unwrap();
        model.record(0, 100, held_bytes(&[batch]));
        assert!(model.measured());
        assert!(model.row_bytes(0) >= 500.0);
        // ... so the fragments not read yet are expected to be larger too.
        let ratio = model.row_bytes(0) / 10.0;
        assert!((model.row_bytes(1) - 20.0 * ratio).abs() < 1e-6);
    }
}
