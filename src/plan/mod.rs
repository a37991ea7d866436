//! The plan: from (fragments, seed, epoch, shard, worker, options) it computes
//! exactly which rows of which fragments this reader emits, in which order.
//! Pure and deterministic: no I/O, no clocks, no thread timing.
//!
//! 1. Fragment order: as listed, or permuted by a generator seeded from (seed, epoch).
//! 2. The epoch sequence: the fragments' rows concatenated in that order; with
//!    shuffle, cut into windows of `shuffle_window` rows, each permuted.
//! 3. The shard: a contiguous range of the sequence (see `shard`), then `limit`.
//! 4. Batches of `batch_size` rows (the last short one kept or dropped); worker
//!    `w` of `k` emits batches `w, w+k, …`, so round-robin over workers
//!    reproduces the single reader.

mod rng;
mod shard;

use crate::options::ReadOptions;
use rng::{permutation, Rng};
use std::ops::Range;

const FRAGMENT_ORDER: u64 = 0x4652_4147; // "FRAG": a purpose word, so streams never overlap
const WINDOW_ORDER: u64 = 0x5749_4E44; // "WIND"

/// Rows to read from one fragment: ascending, disjoint ranges of its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub fragment: usize,
    pub ranges: Vec<Range<u64>>,
}

/// One unit of reading work. Its output is the pieces' rows concatenated, then,
/// when `order` is set, reordered: output row `i` is concatenated row `order[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub pieces: Vec<Piece>,
    pub order: Option<Vec<u32>>,
}

impl Task {
    pub fn rows(&self) -> u64 {
        self.pieces.iter().flat_map(|p| &p.ranges).map(|r| r.end - r.start).sum()
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    /// Fragment numbers in sequence order, with the sequence position where each starts.
    order: Vec<usize>,
    starts: Vec<u64>,
    rows_of: Vec<u64>,
    total: u64,
    /// This reader's positions in the epoch sequence, in emission order.
    positions: Vec<Range<u64>>,
    /// (seed, epoch, window rows) when shuffling.
    shuffle: Option<(u64, u64, u64)>,
}

impl Plan {
    /// `fragment_rows[i]` is fragment i's row count. Options must be validated.
    pub fn new(fragment_rows: &[u64], options: &ReadOptions) -> Plan {
        let order: Vec<usize> = if options.shuffle {
            let mut rng = Rng::new(&[options.seed, options.epoch, FRAGMENT_ORDER]);
            permutation(fragment_rows.len(), &mut rng).into_iter().map(|i| i as usize).collect()
        } else {
            (0..fragment_rows.len()).collect()
        };
        let mut starts = Vec::with_capacity(order.len());
        let mut total = 0u64;
        for &f in &order {
            starts.push(total);
            total += fragment_rows[f];
        }
        let (start, length) = shard::shard_range(total, options.num_shards, options.shard_index, options.equal_shards);
        let length = options.limit.map_or(length, |limit| length.min(limit));
        let batch = options.batch_size;
        let emitted = if options.drop_last_batch { length / batch * batch } else { length };
        let mut positions = Vec::new();
        let batches = emitted.div_ceil(batch);
        for b in (options.worker_index..batches).step_by(options.num_workers as usize) {
            // b < batches, so b * batch < emitted: no overflow whatever the batch size.
            let first = b * batch;
            let range = start + first..start + first + batch.min(emitted - first);
            push_wrapped(&mut positions, range, total);
        }
        let shuffle = options.shuffle.then_some((options.seed, options.epoch, options.shuffle_window));
        Plan { order, starts, rows_of: fragment_rows.to_vec(), total, positions, shuffle }
    }

    /// Rows this reader emits.
    pub fn rows(&self) -> u64 {
        self.positions.iter().map(|r| r.end - r.start).sum()
    }

    /// The reading tasks in emission order, computed lazily (a shuffled epoch
    /// holds one window's permutation at a time).
    pub fn tasks(self) -> impl Iterator<Item = Task> + Send {
        let plan = std::sync::Arc::new(self);
        let chunks = chunk_positions(&plan);
        chunks.into_iter().map(move |chunk| plan.task(chunk))
    }

    fn task(&self, chunk: Vec<Range<u64>>) -> Task {
        match self.shuffle {
            None => {
                let mut pieces: Vec<Piece> = Vec::new();
                for range in chunk {
                    self.add_sequence_range(&mut pieces, range);
                }
                Task { pieces, order: None }
            }
            Some((seed, epoch, window)) => {
                let w = chunk[0].start / window;
                let window_start = w * window;
                let size = window.min(self.total - window_start) as usize;
                let perm = permutation(size, &mut Rng::new(&[seed, epoch, WINDOW_ORDER, w]));
                // (sequence index, output index), read in sequence order, emitted in output order.
                let mut wanted: Vec<(u64, u32)> = chunk
                    .iter()
                    .flat_map(|r| r.clone())
                    .enumerate()
                    .map(|(out, pos)| (window_start + perm[(pos - window_start) as usize] as u64, out as u32))
                    .collect();
                wanted.sort_unstable();
                let mut order = vec![0u32; wanted.len()];
                let mut pieces: Vec<Piece> = Vec::new();
                let mut run: Option<Range<u64>> = None;
                for (rank, &(seq, out)) in wanted.iter().enumerate() {
                    order[out as usize] = rank as u32;
                    run = match run {
                        Some(r) if r.end == seq => Some(r.start..seq + 1),
                        Some(r) => {
                            self.add_sequence_range(&mut pieces, r);
                            Some(seq..seq + 1)
                        }
                        None => Some(seq..seq + 1),
                    };
                }
                if let Some(r) = run {
                    self.add_sequence_range(&mut pieces, r);
                }
                Task { pieces, order: Some(order) }
            }
        }
    }

    /// Maps a range of sequence positions to fragment row ranges, appending to `pieces`.
    fn add_sequence_range(&self, pieces: &mut Vec<Piece>, range: Range<u64>) {
        let mut pos = range.start;
        while pos < range.end {
            let slot = self.starts.partition_point(|&s| s <= pos) - 1;
            let fragment = self.order[slot];
            let local = pos - self.starts[slot];
            let end = (range.end - self.starts[slot]).min(self.rows_of[fragment]);
            match pieces.last_mut() {
                Some(p) if p.fragment == fragment && p.ranges.last().is_some_and(|r| r.end <= local) => {
                    let last = p.ranges.last_mut().unwrap();
                    if last.end == local {
                        last.end = end;
                    } else {
                        p.ranges.push(local..end);
                    }
                }
                _ => pieces.push(Piece { fragment, ranges: vec![local..end] }),
            }
            pos = self.starts[slot] + end;
        }
    }
}

/// Appends `range` (which may run past `total` when padding) as positions in `0..total`,
/// merging with the previous range when contiguous.
fn push_wrapped(positions: &mut Vec<Range<u64>>, range: Range<u64>, total: u64) {
    let mut start = range.start;
    while start < range.end {
        let lap = start / total;
        let end = range.end.min((lap + 1) * total);
        let wrapped = start - lap * total..end - lap * total;
        match positions.last_mut() {
            Some(last) if last.end == wrapped.start => last.end = wrapped.end,
            _ => positions.push(wrapped),
        }
        start = end;
    }
}

/// Groups positions into tasks. Unshuffled: one task per fragment visit (split
/// when the order goes backwards). Shuffled: one task per window visit.
fn chunk_positions(plan: &Plan) -> Vec<Vec<Range<u64>>> {
    let boundary = |pos: u64| -> u64 {
        match plan.shuffle {
            Some((_, _, window)) => pos / window,
            None => plan.starts.partition_point(|&s| s <= pos) as u64 - 1,
        }
    };
    let unit_end = |pos: u64| -> u64 {
        match plan.shuffle {
            Some((_, _, window)) => ((pos / window + 1) * window).min(plan.total),
            None => {
                let slot = plan.starts.partition_point(|&s| s <= pos) - 1;
                plan.starts[slot] + plan.rows_of[plan.order[slot]]
            }
        }
    };
    let mut chunks: Vec<Vec<Range<u64>>> = Vec::new();
    let mut current: Option<(u64, u64)> = None; // (unit, last end)
    for range in &plan.positions {
        let mut start = range.start;
        while start < range.end {
            let end = range.end.min(unit_end(start));
            let unit = boundary(start);
            match current {
                Some((u, last_end)) if u == unit && last_end <= start => chunks.last_mut().unwrap().push(start..end),
                _ => chunks.push(vec![start..end]),
            }
            current = Some((unit, end));
            start = end;
        }
    }
    chunks
}

#[cfg(test)]
mod tests;
