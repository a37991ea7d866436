//! Keeps only the wanted rows of a sequence of batches (for formats without an
//! index, where a fragment is decoded from its start).

use crate::error::Result;
use arrow::record_batch::RecordBatch;
use std::ops::Range;

/// `ranges` are ascending, disjoint row ranges counted from the first batch's first row.
/// Stops pulling batches once the last range is complete.
pub fn keep_ranges(batches: impl Iterator<Item = Result<RecordBatch>>, ranges: &[Range<u64>]) -> Result<Vec<RecordBatch>> {
    let mut kept = Vec::new();
    let mut offset = 0u64;
    let mut next = 0usize;
    let end = ranges.last().map_or(0, |r| r.end);
    for batch in batches {
        if next >= ranges.len() || offset >= end {
            break;
        }
        let batch = batch?;
        let batch_end = offset + batch.num_rows() as u64;
        while next < ranges.len() && ranges[next].start < batch_end {
            let r = &ranges[next];
            let start = r.start.max(offset);
            let stop = r.end.min(batch_end);
            if stop > start {
                kept.push(batch.slice((start - offset) as usize, (stop - start) as usize));
            }
            if r.end <= batch_end {
                next += 1;
            } else {
                break;
            }
        }
        offset = batch_end;
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Int64Array};
    use std::sync::Arc;

    fn batch(values: Range<i64>) -> RecordBatch {
        RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from_iter_values(values)) as _)]).unwrap()
    }

    #[test]
    fn keeps_ranges_across_batches() {
        let batches = vec![Ok(batch(0..5)), Ok(batch(5..10)), Ok(batch(10..15))];
        let kept = keep_ranges(batches.into_iter(), &[1..3, 4..7, 12..13]).unwrap();
        let values: Vec<i64> =
            kept.iter().flat_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec()).collect();
        assert_eq!(values, vec![1, 2, 4, 5, 6, 12]);
        assert!(kept.iter().all(|b| b.column(0).len() > 0));
    }
}
