//! The progress bar of a long read (indicatif): rows against the total that
//! the core counts from metadata before reading, the Arrow bytes of the rows
//! emitted so far, the rate and the time left. Drawn on stderr only when it is
//! a terminal and `--quiet` is not given; otherwise nothing is drawn.

use super::Context;
use arrow::record_batch::RecordBatch;
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    bar: ProgressBar,
    bytes: u64,
}

impl Progress {
    pub fn new(context: &Context, total_rows: u64, what: &str) -> Progress {
        let bar = if context.progress && std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(Some(total_rows), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template("{prefix} {wide_bar} {human_pos}/{human_len} rows, {msg}, {per_sec}, ETA {eta}")
            .expect("the template is valid")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(what.to_string());
        bar.set_message(HumanBytes(0).to_string());
        Progress { bar, bytes: 0 }
    }

    pub fn add(&mut self, batch: &RecordBatch, bytes: u64) {
        self.bytes += bytes;
        self.bar.set_message(HumanBytes(self.bytes).to_string());
        self.bar.inc(batch.num_rows() as u64);
    }

    /// Rows done so far, when they are counted elsewhere (a dataset version being written).
    pub fn set_rows(&mut self, done: u64) {
        self.bar.set_position(done);
    }

    /// Leaves the bar at its final state (on a terminal).
    pub fn finish(&self) {
        self.bar.finish();
    }
}

/// The Arrow bytes of a batch's rows: their slice of the buffers, so that
/// batches sliced from one decoded buffer are not each counted whole.
pub fn batch_bytes(batch: &RecordBatch) -> u64 {
    batch.columns().iter().map(|column| column.to_data().get_slice_memory_size().unwrap_or(0) as u64).sum()
}
