//! The reader: runs the plan's tasks concurrently on the runtime under one
//! memory budget, and hands batches out in plan order (never in the order in
//! which tasks finish), re-cut to exactly `batch_size` rows.

use crate::batch::Rebatcher;
use crate::error::{Error, ErrorKind, Result};
use crate::memory::{held_bytes, SizeModel};
use crate::options::ReadOptions;
use crate::pack::Packing;
use crate::plan::{Plan, Task};
use crate::runtime;
use crate::source::{Projection, Source};
use crate::tensors::Policy;
use arrow::array::UInt32Array;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::FutureExt;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A stream of batches for one reader. Dropping it stops all its work.
pub struct BatchStream {
    schema: SchemaRef,
    receiver: mpsc::Receiver<Result<RecordBatch>>,
    producer: JoinHandle<()>,
    pid: u32,
    finished: bool,
    failed: Option<Error>,
}

/// What every task of one reader shares.
struct Job {
    source: Arc<Source>,
    projection: Projection,
    /// Rows per decoded batch, before the budget lowers it for wide rows.
    max_decode_rows: usize,
    budget: u64,
    shuffle_window: u64,
    /// What reading each fragment's projected columns costs, corrected as batches are measured.
    sizes: SizeModel,
    /// Packed mode: how each output batch becomes (features, label).
    packing: Option<Packing>,
    /// Tensor or packed mode: the column policy each output batch goes through.
    policy: Option<Policy>,
}

impl Job {
    /// A batch as the consumer receives it.
    fn finish(&self, batch: RecordBatch) -> Result<RecordBatch> {
        let batch = match &self.packing {
            Some(packing) => packing.pack(&batch)?,
            None => batch,
        };
        match &self.policy {
            Some(policy) => policy.apply(&batch),
            None => Ok(batch),
        }
    }
}

impl BatchStream {
    pub fn start(source: Arc<Source>, options: &ReadOptions) -> Result<BatchStream> {
        options.validate()?;
        if let Some(label) = &options.label {
            if source.schema.index_of(label).is_err() {
                return Err(Error::invalid_argument(format!("option 'label': no column named '{label}'")));
            }
        }
        let option = if options.features.is_some() { "features" } else { "columns" };
        let projection = Projection::new(&source.schema, options.projected_columns().as_deref(), option)?;
        let packing = match &options.features {
            Some(features) => Some(Packing::new(&projection.schema, features, options.label.as_deref(), options.tensors.null_fill)?),
            None => None,
        };
        let unpolicied = packing.as_ref().map_or_else(|| projection.schema.clone(), Packing::schema);
        let policy = options.policy_applies().then(|| Policy::new(&unpolicied, &options.tensors)).transpose()?;
        let sizes = SizeModel::new(source.fragments.iter().map(|f| source.fragment_size(f, &projection)).collect());
        if options.shuffle {
            check_window_fits(&source, &sizes, options)?;
        }
        let rows: Vec<u64> = source.fragments.iter().map(|f| f.rows).collect();
        let plan = Plan::new(&rows, options);
        // Decoding in large batches costs less per row; re-cutting them is zero-copy.
        let decode_rows = options.batch_size.clamp(131_072, 1 << 20) as usize;
        let schema = policy.as_ref().map_or(unpolicied, Policy::schema);
        let job = Arc::new(Job {
            source,
            projection,
            max_decode_rows: decode_rows,
            budget: options.memory_budget,
            shuffle_window: options.shuffle_window,
            sizes,
            packing,
            policy,
        });
        let (sender, receiver) = mpsc::channel(1);
        let settings = Settings { concurrency: options.concurrency(), chunk_rows: options.chunk_rows() };
        let producer = runtime::runtime()?.spawn(async move {
            let failure = sender.clone();
            let run = AssertUnwindSafe(produce(job, plan, settings, sender)).catch_unwind().await;
            if let Err(panic) = run {
                let _ = failure
                    .send(Err(Error::new(
                        ErrorKind::Panic,
                        format!("internal panic while reading: {}", crate::error::panic_message(&panic)),
                    )))
                    .await;
            }
        });
        Ok(BatchStream { schema, receiver, producer, pid: std::process::id(), finished: false, failed: None })
    }

    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The next batch, `Ok(None)` at the end. Blocks; call it from outside the runtime.
    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.finished {
            return Ok(None);
        }
        if self.pid != std::process::id() {
            return Err(Error::invalid_argument(
                "this stream was opened before fork(): open a new stream in the child process (the connector can be reused)",
            ));
        }
        match self.receiver.blocking_recv() {
            Some(Ok(batch)) => Ok(Some(batch)),
            Some(Err(err)) => {
                self.failed = Some(err.clone());
                Err(err)
            }
            None => {
                self.finished = true;
                Ok(None)
            }
        }
    }
}

/// Yields an error once, then ends (the C stream instead repeats the error).
impl Iterator for BatchStream {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed.is_some() {
            return None;
        }
        self.next_batch().transpose()
    }
}

impl Drop for BatchStream {
    fn drop(&mut self) {
        if self.pid == std::process::id() {
            self.producer.abort();
        }
    }
}

struct Settings {
    concurrency: usize,
    /// Rows per emitted batch: whole batches of `batch_size` (see `ReadOptions::chunk_rows`).
    chunk_rows: usize,
}

/// A spawned task that is aborted when dropped (the consumer went away).
struct Spawned(JoinHandle<Result<Vec<RecordBatch>>>);

impl Drop for Spawned {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn produce(job: Arc<Job>, plan: Plan, settings: Settings, sender: mpsc::Sender<Result<RecordBatch>>) {
    let mut rebatcher = Rebatcher::new(job.projection.schema.clone(), settings.chunk_rows);
    let max_task_bytes = (job.budget / 4).max(1);
    let mut tasks = plan.tasks().flat_map(|t| split_large(t, &job, max_task_bytes)).peekable();
    let mut in_flight: VecDeque<(Spawned, Footprint)> = VecDeque::new();
    loop {
        // Until a batch has been measured the estimates are unchecked: one task at a time.
        let concurrency = if job.sizes.measured() { settings.concurrency } else { 1 };
        // What the tasks in flight hold, by the latest measurements.
        let mut held: u64 = in_flight.iter().map(|(_, footprint)| footprint.cost(&job.sizes)).sum();
        // Start tasks while the budget allows; one is always allowed, so reading progresses.
        while in_flight.len() < concurrency {
            let Some(task) = tasks.peek() else { break };
            let footprint = Footprint::of(task);
            if let Err(err) = footprint.check_fits(&job) {
                let _ = sender.send(Err(err)).await;
                return;
            }
            let cost = footprint.cost(&job.sizes);
            if !in_flight.is_empty() && held + cost > job.budget {
                break;
            }
            let task = tasks.next().expect("peeked");
            held += cost;
            in_flight.push_back((Spawned(tokio::spawn(run_task(job.clone(), task))), footprint));
        }
        let Some((mut next, _)) = in_flight.pop_front() else { break };
        let batches = match (&mut next.0).await {
            Ok(Ok(batches)) => batches,
            Ok(Err(err)) => {
                let _ = sender.send(Err(err)).await;
                return;
            }
            Err(join) => {
                let message = if join.is_panic() { crate::error::panic_message(&join.into_panic()) } else { join.to_string() };
                let _ = sender.send(Err(Error::new(ErrorKind::Panic, format!("internal panic while decoding: {message}")))).await;
                return;
            }
        };
        for batch in batches {
            rebatcher.push(batch);
            if !send_full(&job, &mut rebatcher, &sender).await {
                return;
            }
        }
    }
    match rebatcher.finish() {
        Ok(Some(last)) => {
            let _ = sender.send(job.finish(last)).await;
        }
        Ok(None) => {}
        Err(err) => {
            let _ = sender.send(Err(err)).await;
        }
    }
}

/// Sends every full batch; false when the consumer is gone or an error was sent.
async fn send_full(job: &Job, rebatcher: &mut Rebatcher, sender: &mpsc::Sender<Result<RecordBatch>>) -> bool {
    loop {
        match rebatcher.pop() {
            Ok(Some(batch)) => {
                let finished = job.finish(batch);
                let failed = finished.is_err();
                if sender.send(finished).await.is_err() || failed {
                    return false;
                }
            }
            Ok(None) => return true,
            Err(err) => {
                let _ = sender.send(Err(err)).await;
                return false;
            }
        }
    }
}

async fn run_task(job: Arc<Job>, task: Task) -> Result<Vec<RecordBatch>> {
    let reads = task.pieces.iter().map(|piece| {
        let job = job.clone();
        async move {
            let fragment = &job.source.fragments[piece.fragment];
            let decode_rows = job.decode_rows(piece.fragment);
            let batches = job.source.read(fragment, &piece.ranges, &job.projection, decode_rows).await?;
            let expected: u64 = piece.ranges.iter().map(|r| r.end - r.start).sum();
            let got: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
            if got != expected {
                let name = &job.source.files[fragment.file].file.name;
                return Err(Error::invalid_data(format!(
                    "'{name}' gave {got} rows where {expected} were expected: did it change after the connector was opened?"
                )));
            }
            job.sizes.record(piece.fragment, got, held_bytes(&batches));
            Ok(batches)
        }
    });
    let batches: Vec<RecordBatch> = futures::future::try_join_all(reads).await?.into_iter().flatten().collect();
    let Some(order) = task.order else { return Ok(batches) };
    // A window larger than the estimates said fails before it is joined (which would double it).
    let measured = held_bytes(&batches);
    if measured > job.budget {
        return Err(window_too_large(job.shuffle_window, measured, order.len() as u64, job.budget, "measured"));
    }
    let joined = crate::batch::concat(&job.projection.schema, &batches)?;
    drop(batches);
    let shuffled = arrow::compute::take_record_batch(&joined, &UInt32Array::from(order)).map_err(|e| Error::internal(e.to_string()))?;
    Ok(vec![shuffled])
}

impl Job {
    /// Rows per decoded batch for fragment `f`: fewer for wide rows, so that
    /// one batch stays a small part of the budget.
    fn decode_rows(&self, f: usize) -> usize {
        let fitting = self.budget as f64 / 8.0 / self.sizes.row_bytes(f).max(1.0);
        self.max_decode_rows.min(fitting as usize).max(1)
    }
}

/// What a task holds while it runs: per piece, the fragment and its rows.
struct Footprint {
    pieces: Vec<(usize, u64)>,
    shuffled: bool,
}

impl Footprint {
    fn of(task: &Task) -> Footprint {
        let pieces = task.pieces.iter().map(|p| (p.fragment, p.ranges.iter().map(|r| r.end - r.start).sum())).collect();
        Footprint { pieces, shuffled: task.order.is_some() }
    }

    fn decoded(&self, sizes: &SizeModel) -> u64 {
        self.pieces.iter().map(|&(f, rows)| rows as f64 * sizes.row_bytes(f)).sum::<f64>() as u64
    }

    /// Peak bytes: the decoded rows (twice for a shuffled window, which is
    /// joined, then permuted) plus the encoded bytes every piece fetches.
    fn cost(&self, sizes: &SizeModel) -> u64 {
        let copies = if self.shuffled { 2 } else { 1 };
        copies * self.decoded(sizes) + self.pieces.iter().map(|&(f, _)| sizes.fetched(f)).sum::<u64>()
    }

    /// A shuffled task is held whole: once batches have been measured, one
    /// that cannot fit the budget is an error rather than a silent overshoot.
    fn check_fits(&self, job: &Job) -> Result<()> {
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

fn window_too_large(shuffle_window: u64, window: u64, rows: u64, budget: u64, how: &str) -> Error {
    let fitting_rows = (budget as f64 / (window as f64 / rows.max(1) as f64)) as u64;
    Error::invalid_argument(format!(
        "option 'shuffle_window' of {shuffle_window} rows needs about {} decoded ({how}), more than option 'memory_budget' ({}): \
         the smallest memory_budget that works is {}, or lower 'shuffle_window' to {fitting_rows} rows",
        human_bytes(window),
        human_bytes(budget),
        human_bytes(window.div_ceil(1 << 20) << 20)
    ))
}

/// Splits an unshuffled task bigger than `max_bytes` decoded (a huge row
/// group) into several, so that one fragment alone cannot exceed the budget.
/// Each part fetches the fragment's encoded bytes again, so parts are never
/// made smaller than those: below that, splitting costs time and saves little.
fn split_large(task: Task, job: &Job, max_bytes: u64) -> Vec<Task> {
    if task.order.is_some() || task.pieces.len() != 1 {
        return vec![task];
    }
    let piece = &task.pieces[0];
    let row_bytes = job.sizes.row_bytes(piece.fragment).max(1e-9);
    let part_bytes = max_bytes.max(job.sizes.fetched(piece.fragment));
    let max_rows = ((part_bytes as f64 / row_bytes) as u64).max(1);
    if task.rows() <= max_rows {
        return vec![task];
    }
    let mut out = Vec::new();
    let mut current: Vec<std::ops::Range<u64>> = Vec::new();
    let mut current_rows = 0;
    for range in &piece.ranges {
        let mut start = range.start;
        while start < range.end {
            let end = range.end.min(start + (max_rows - current_rows));
            current.push(start..end);
            current_rows += end - start;
            start = end;
            if current_rows == max_rows {
                out.push(Task {
                    pieces: vec![crate::plan::Piece { fragment: piece.fragment, ranges: std::mem::take(&mut current) }],
                    order: None,
                });
                current_rows = 0;
            }
        }
    }
    if !current.is_empty() {
        out.push(Task { pieces: vec![crate::plan::Piece { fragment: piece.fragment, ranges: current }], order: None });
    }
    out
}

/// A shuffle window is held whole; by the open-time estimates it must fit the budget.
fn check_window_fits(source: &Source, sizes: &SizeModel, options: &ReadOptions) -> Result<()> {
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
