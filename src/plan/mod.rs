//! The plan: from (fragments, seed, epoch, shard, worker, options) it computes
//! exactly which rows of which fragments this reader emits, in which order.
//! Pure and deterministic: no I/O, no clocks, no thread timing.
//!
//! 1. Fragment order: as listed, or permuted by a generator seeded from (seed, epoch).
//! 2. The epoch sequence: the fragments' rows concatenated in that order; with
//!    shuffle, cut into windows of `shuffle_window` rows, each permuted.
//! 3. The shard: a contiguous range of the sequence (see `shard`), then `limit`.
//! 4. Batches of `batch_size` rows (the last short one kept or dropped). Workers
//!    take the emitted rows in turns of `worker_interleave` rows (by default one
//!    batch): worker `w` of `k` takes turns `w, w+k, …`, so round-robin over
//!    workers reproduces the single reader. Turns are produced lazily, so even
//!    one-row turns over a huge table cost no memory up front.

mod rng;
mod shard;
mod split;

use crate::options::ReadOptions;
use rng::{permutation, Rng};
use std::ops::Range;

const FRAGMENT_ORDER: u64 = 0x4652_4147; // "FRAG": a purpose word, so streams never overlap
const WINDOW_ORDER: u64 = 0x5749_4E44; // "WIND"
/// Ranges in one task: bounds a task's size when workers take one-row turns.
const MAX_RANGES_PER_TASK: usize = 1 << 16;

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
    positions: Turns,
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
        let positions = Turns {
            start,
            emitted,
            turn: options.worker_interleave.unwrap_or(batch),
            first: options.worker_index,
            step: options.num_workers,
            total,
            skip: 0,
        };
        let full = positions.rows();
        // Resuming: skip the rows already emitted, by count (no row is decoded for them).
        let positions = Turns { skip: options.resume_from.as_ref().map_or(0, |p| p.rows).min(full), ..positions };
        let shuffle = options.shuffle.then_some((options.seed, options.epoch, options.shuffle_window));
        Plan { order, starts, rows_of: fragment_rows.to_vec(), total, positions, shuffle }
    }

    /// Rows this reader emits (after a resume: the rows left).
    pub fn rows(&self) -> u64 {
        self.positions.rows()
    }

    /// Rows this reader emits from its start, rows already emitted before a resume included.
    pub fn rows_from_start(&self) -> u64 {
        Turns { skip: 0, ..self.positions }.rows()
    }

    /// The reading tasks in emission order, computed lazily (a shuffled epoch
    /// holds one window's permutation at a time).
    pub fn tasks(self) -> impl Iterator<Item = Task> + Send {
        let plan = std::sync::Arc::new(self);
        let mut ranges = plan.positions.ranges();
        let mut pending: Option<Range<u64>> = None;
        // A window split over several tasks permutes once, not once per task.
        let mut window_cache: Option<(u64, Vec<u32>)> = None;
        // One task per fragment visit (unshuffled) or window visit (shuffled):
        // consecutive ranges join the current task while they stay in its unit
        // and move forward in it, up to a bound that keeps one-row turns small.
        std::iter::from_fn(move || {
            let mut chunk: Vec<Range<u64>> = Vec::new();
            let mut current: Option<(u64, u64)> = None; // (unit, last end)
            while let Some(range) = pending.take().or_else(|| ranges.next()) {
                let unit = plan.unit_of(range.start);
                let full = chunk.len() >= MAX_RANGES_PER_TASK;
                if full || current.is_some_and(|(u, last_end)| u != unit || last_end > range.start) {
                    pending = Some(range);
                    break;
                }
                let end = range.end.min(plan.unit_end(range.start));
                chunk.push(range.start..end);
                current = Some((unit, end));
                if end < range.end {
                    pending = Some(end..range.end);
                }
            }
            (!chunk.is_empty()).then(|| plan.task(chunk, &mut window_cache))
        })
    }

    /// The unit a sequence position belongs to: its shuffle window, or its fragment visit.
    fn unit_of(&self, pos: u64) -> u64 {
        match self.shuffle {
            Some((_, _, window)) => pos / window,
            None => self.starts.partition_point(|&s| s <= pos) as u64 - 1,
        }
    }

    /// The first position after the unit that holds `pos`.
    fn unit_end(&self, pos: u64) -> u64 {
        match self.shuffle {
            Some((_, _, window)) => ((pos / window + 1) * window).min(self.total),
            None => {
                let slot = self.starts.partition_point(|&s| s <= pos) - 1;
                self.starts[slot] + self.rows_of[self.order[slot]]
            }
        }
    }

    fn task(&self, chunk: Vec<Range<u64>>, window_cache: &mut Option<(u64, Vec<u32>)>) -> Task {
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
                if window_cache.as_ref().is_none_or(|(cached, _)| *cached != w) {
                    *window_cache = Some((w, permutation(size, &mut Rng::new(&[seed, epoch, WINDOW_ORDER, w]))));
                }
                let perm = &window_cache.as_ref().expect("just filled").1;
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
                _ => {
                    let rows = local..end;
                    pieces.push(Piece { fragment, ranges: vec![rows] })
                }
            }
            pos = self.starts[slot] + end;
        }
    }
}

/// A reader's share of the shard: rows `start .. start + emitted` of the
/// sequence (past `total` when padding, wrapping to its start), taken in turns
/// of `turn` rows, of which this reader has turns `first, first + step, …`.
#[derive(Debug, Clone, Copy)]
struct Turns {
    start: u64,
    emitted: u64,
    turn: u64,
    first: u64,
    step: u64,
    total: u64,
    /// Rows of this reader's share already emitted (a resume): they are skipped.
    skip: u64,
}

impl Turns {
    fn count(&self) -> u64 {
        self.emitted.div_ceil(self.turn)
    }

    fn rows(&self) -> u64 {
        let turns = self.count();
        if self.first >= turns {
            return 0;
        }
        let mine = (turns - 1 - self.first) / self.step + 1;
        let last = turns - 1;
        let short = if last % self.step == self.first { self.turn - (self.emitted - last * self.turn) } else { 0 };
        (mine * self.turn - short).saturating_sub(self.skip)
    }

    /// The positions in `0..total`, in emission order, lazily, after the first `skip` rows.
    /// Skipping is arithmetic: O(1) in the rows skipped.
    fn ranges(self) -> impl Iterator<Item = Range<u64>> + Send {
        let Turns { start, emitted, turn, first, step, total, skip } = self;
        // A single reader's turns are contiguous: one range, not one per turn.
        let (turn, turns) = if step == 1 { (emitted.max(1), emitted.min(1)) } else { (turn, self.count()) };
        // Whole turns of this reader's skipped, then `offset` rows into the next one.
        let (skipped_turns, offset) = (skip / turn, skip % turn);
        let first_turn = first.saturating_add(skipped_turns.saturating_mul(step));
        (first_turn..turns.max(first_turn)).step_by(step as usize).flat_map(move |t| {
            // t < turns, so t * turn < emitted: no overflow whatever the turn size.
            let begin = t * turn + if t == first_turn { offset } else { 0 };
            let end = t * turn + turn.min(emitted - t * turn);
            wrapped(start + begin.min(end)..start + end, total)
        })
    }
}

/// `range` (which may run past `total` when padding) as ranges of positions in `0..total`.
fn wrapped(range: Range<u64>, total: u64) -> impl Iterator<Item = Range<u64>> {
    let mut start = range.start;
    std::iter::from_fn(move || {
        if start >= range.end || total == 0 {
            return None;
        }
        let lap = start / total;
        let end = range.end.min((lap + 1) * total);
        let piece = start - lap * total..end - lap * total;
        start = end;
        Some(piece)
    })
}

#[cfg(test)]
mod tests;
