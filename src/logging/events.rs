//! The core's own events, at INFO, as fields (`key=value` in the C callback's
//! line), so that a program can read the counts back:
//!
//! - `sluice::open`: a connector opened its inputs: files, fragments, rows.
//! - `sluice::retry`: a read that object_store did not retry itself (a body
//!   cut short, or cut off without an ETag) is made again after `wait_ms`.
//! - `sluice::read`: a reader planned what it emits: the rows of this reader and
//!   of the sources, files and fragments, shard, worker, batches, shuffle.
//!
//! A fragment is a Parquet row group, an IPC file's record batch, or a whole CSV,
//! NDJSON or IPC stream file, without the empty ones. The fields are computed
//! only when the event is enabled; a field that does not apply
//! (`limit`, `seed` without shuffle) is left out.

use crate::options::{EqualShards, ReadOptions};
use crate::source::{FileFormat, Source};
use std::time::Duration;
use tracing::info;

pub(crate) fn opened(source: &Source, inputs: usize) {
    info!(
        target: "sluice::open",
        inputs,
        files = source.files.len(),
        formats = %formats(source),
        fragments = source.fragments.len(),
        rows = source.num_rows(),
        columns = source.schema.fields().len(),
        "connector opened"
    );
}

/// `rows`: what this reader emits (the plan's rows); `columns`: how many it decodes.
pub(crate) fn planned(source: &Source, options: &ReadOptions, rows: u64, columns: usize) {
    info!(
        target: "sluice::read",
        rows,
        rows_total = source.num_rows(),
        files = source.files.len(),
        fragments = source.fragments.len(),
        columns,
        shard = %format_args!("{}/{}", options.shard_index, options.num_shards),
        equal_shards = equal_shards(options.equal_shards),
        worker = %format_args!("{}/{}", options.worker_index, options.num_workers),
        batch_size = options.batch_size,
        drop_last_batch = options.drop_last_batch,
        limit = options.limit,
        shuffle = options.shuffle,
        seed = options.shuffle.then_some(options.seed),
        epoch = options.shuffle.then_some(options.epoch),
        shuffle_window = options.shuffle.then_some(options.shuffle_window),
        fragments_in_flight = options.concurrency(),
        memory_budget = options.memory_budget,
        "planned a read"
    );
}

/// As the option spells it.
fn equal_shards(equal: EqualShards) -> &'static str {
    match equal {
        EqualShards::Off => "off",
        EqualShards::Drop => "drop",
        EqualShards::Pad => "pad",
    }
}

/// The files' formats with their counts: `parquet:3,csv:1`.
fn formats(source: &Source) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for file in &source.files {
        let name = match file.format {
            FileFormat::Parquet(_) => "parquet",
            FileFormat::Ipc(_) => "ipc",
            FileFormat::Csv(_) => "csv",
            FileFormat::Ndjson => "ndjson",
            FileFormat::Delta(_) => "delta",
        };
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += 1,
            None => counts.push((name, 1)),
        }
    }
    counts.iter().map(|(name, count)| format!("{name}:{count}")).collect::<Vec<_>>().join(",")
}

/// sluice's own retry of a read (object_store logs its own retries itself).
pub(crate) fn retrying(uri: &str, retry: usize, wait: Duration, error: &str) {
    info!(target: "sluice::retry", uri, retry, wait_ms = wait.as_millis() as u64, "retrying a read: {error}");
}
