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

/// Bytes a decoder may reserve for one batch's per-value bookkeeping (offsets, tapes).
const DECODE_BUFFER_BYTES: usize = 8 << 20;

/// Rows per decode batch for a text format whose decoder reserves `bytes_per_value`
/// for each value of a batch: `wanted` rows, fewer for wide files, so that the
/// reservation stays near `DECODE_BUFFER_BYTES` whatever the number of columns.
pub fn decode_batch_rows(values_per_row: usize, bytes_per_value: usize, wanted: usize) -> usize {
    let per_row = values_per_row.max(1).saturating_mul(bytes_per_value.max(1));
    (DECODE_BUFFER_BYTES / per_row).clamp(1, wanted.max(1))
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
        assert!(kept.iter().all(|b| !b.column(0).is_empty()));
    }

    #[test]
    fn decode_batches_shrink_with_the_number_of_columns() {
        assert_eq!(decode_batch_rows(4, 16, 1024), 1024);
        assert_eq!(decode_batch_rows(10_000, 16, 65_536), (8 << 20) / 160_000);
        assert_eq!(decode_batch_rows(usize::MAX, 24, 65_536), 1);
        assert_eq!(decode_batch_rows(0, 0, 0), 1);
    }
}
