//! The memory budget: what a task will hold while it runs, how many rows one
//! task may read, and the errors that say which option to change when a
//! shuffle window cannot fit.

use super::job::Job;
use super::memory::SizeModel;
use crate::error::{Error, Result};
use crate::options::ReadOptions;
use crate::plan::Task;
use crate::source::Source;

/// What a task holds while it runs: per piece, the fragment and its rows.
pub(super) struct Footprint {
    pieces: Vec<(usize, u64)>,
    shuffled: bool,
}

impl Footprint {
    pub(super) fn of(task: &Task) -> Footprint {
        let pieces = task.pieces.iter().map(|p| (p.fragment, p.ranges.iter().map(|r| r.end - r.start).sum())).collect();
        Footprint { pieces, shuffled: task.order.is_some() }
    }

    fn decoded(&self, sizes: &SizeModel) -> u64 {
        self.pieces.iter().map(|&(f, rows)| rows as f64 * sizes.row_bytes(f)).sum::<f64>() as u64
    }

    /// Peak bytes: the decoded rows (twice for a shuffled window, which is
    /// joined, then permuted) plus the encoded bytes every piece fetches.
    pub(super) fn cost(&self, sizes: &SizeModel) -> u64 {
        let copies = if self.shuffled { 2 } else { 1 };
        copies * self.decoded(sizes) + self.pieces.iter().map(|&(f, _)| sizes.fetched(f)).sum::<u64>()
    }

    /// A shuffled task is held whole: once batches have been measured, one
    /// that cannot fit the budget is an error rather than a silent overshoot.
    pub(super) fn check_fits(&self, job: &Job) -> Result<()> {
        if !self.shuffled || !job.sizes.measured() {
            return Ok(());
        }
        let rows: u64 = self.pieces.iter().map(|&(_, rows)| rows).sum();
        let window = self.decoded(&job.sizes);
        if window <= job.budget {
            return Ok(());
        }
        Err(window_too_large(job.shuffle_window, window, rows, job.budget, "measured"))
    }
}

pub(super) fn window_too_large(shuffle_window: u64, window: u64, rows: u64, budget: u64, how: &str) -> Error {
    let fitting_rows = (budget as f64 / (window as f64 / rows.max(1) as f64)) as u64;
    Error::invalid_argument(format!(
        "option 'shuffle_window' of {shuffle_window} rows needs about {} decoded ({how}), more than option 'memory_budget' ({}): \
         the smallest memory_budget that works is {}, or lower 'shuffle_window' to {fitting_rows} rows",
        human_bytes(window),
        human_bytes(budget),
        human_bytes(window.div_ceil(1 << 20) << 20)
    ))
}

/// The most rows one unshuffled task of fragment `f` may read, so that one
/// huge fragment alone cannot exceed the budget: about `max_bytes` decoded.
/// Each part of a split fragment fetches its encoded bytes again, so parts are
/// never made smaller than those: below that, splitting costs time and saves little.
pub(super) fn max_task_rows(sizes: &SizeModel, f: usize, max_bytes: u64) -> u64 {
    let row_bytes = sizes.row_bytes(f).max(1e-9);
    let part_bytes = max_bytes.max(sizes.fetched(f));
    ((part_bytes as f64 / row_bytes) as u64).max(1)
}

/// A shuffle window is held whole; by the open-time estimates it must fit the budget.
pub(super) fn check_window_fits(source: &Source, sizes: &SizeModel, options: &ReadOptions) -> Result<()> {
    let rows: u64 = source.fragments.iter().map(|f| f.rows).sum();
    if rows == 0 {
        return Ok(());
    }
    let total: f64 = source.fragments.iter().enumerate().map(|(i, f)| sizes.row_bytes(i) * f.rows as f64).sum();
    let window_rows = options.shuffle_window.min(rows);
    let window = (window_rows as f64 * total / rows as f64) as u64;
    if window > options.memory_budget {
        return Err(window_too_large(options.shuffle_window, window, window_rows, options.memory_budget, "estimated"));
    }
    Ok(())
}

fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}
