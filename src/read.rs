//! The reader: runs the plan's tasks concurrently on the runtime under one
//! memory budget, and hands batches out in plan order (never in the order in
//! which tasks finish), re-cut to exactly `batch_size` rows.

use crate::batch::Rebatcher;
use crate::error::{Error, ErrorKind, Result};
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
    decode_rows: usize,
    /// Estimated decoded bytes per row of each fragment, for the projected columns.
    row_bytes: Vec<f64>,
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
        let share = projection.indices.len() as f64 / source.schema.fields().len().max(1) as f64;
        let row_bytes: Vec<f64> = source.fragments.iter().map(|f| f.bytes as f64 / f.rows.max(1) as f64 * share).collect();
        if options.shuffle {
            check_window_fits(&source, &row_bytes, options)?;
        }
        let rows: Vec<u64> = source.fragments.iter().map(|f| f.rows).collect();
        let plan = Plan::new(&rows, options);
        // Decoding in large batches costs less per row; re-cutting them is zero-copy.
        let decode_rows = options.batch_size.clamp(131_072, 1 << 20) as usize;
        let schema = policy.as_ref().map_or(unpolicied, Policy::schema);
        let job = Arc::new(Job { source, projection, decode_rows, row_bytes, packing, policy });
        let (sender, receiver) = mpsc::channel(1);
        let settings = Settings { budget: options.memory_budget, concurrency: options.concurrency(), chunk_rows: options.chunk_rows() };
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
    budget: u64,
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
    let max_task_bytes = (settings.budget / 4).max(1);
    let mut tasks = plan.tasks().flat_map(|t| split_large(t, &job, max_task_bytes)).peekable();
    let mut in_flight: VecDeque<(Spawned, u64)> = VecDeque::new();
    let mut held = 0u64;
    loop {
        // Start tasks while the budget allows; one is always allowed, so reading progresses.
        while in_flight.len() < settings.concurrency {
            let Some(task) = tasks.peek() else { break };
            let cost = estimate(task, &job);
            if !in_flight.is_empty() && held + cost > settings.budget {
                break;
            }
            let task = tasks.next().expect("peeked");
            held += cost;
            in_flight.push_back((Spawned(tokio::spawn(run_task(job.clone(), task))), cost));
        }
        let Some((mut next, cost)) = in_flight.pop_front() else {
            break;
        };
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
        held -= cost;
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
            let batches = job.source.read(fragment, &piece.ranges, &job.projection, job.decode_rows).await?;
            let expected: u64 = piece.ranges.iter().map(|r| r.end - r.start).sum();
            let got: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
            if got != expected {
                let name = &job.source.files[fragment.file].file.name;
                return Err(Error::invalid_data(format!(
                    "'{name}' gave {got} rows where {expected} were expected: did it change after the connector was opened?"
                )));
            }
            Ok(batches)
        }
    });
    let batches: Vec<RecordBatch> = futures::future::try_join_all(reads).await?.into_iter().flatten().collect();
    let Some(order) = task.order else {
        return Ok(batches);
    };
    let joined = crate::batch::concat(&job.projection.schema, &batches)?;
    let shuffled = arrow::compute::take_record_batch(&joined, &UInt32Array::from(order)).map_err(|e| Error::internal(e.to_string()))?;
    Ok(vec![shuffled])
}

fn estimate(task: &Task, job: &Job) -> u64 {
    task.pieces.iter().map(|p| p.ranges.iter().map(|r| r.end - r.start).sum::<u64>() as f64 * job.row_bytes[p.fragment]).sum::<f64>() as u64
}

/// Splits an unshuffled task bigger than `max_bytes` (a huge row group) into
/// several, so that one fragment alone cannot exceed the budget.
fn split_large(task: Task, job: &Job, max_bytes: u64) -> Vec<Task> {
    let bytes = estimate(&task, job);
    if task.order.is_some() || bytes <= max_bytes || task.pieces.len() != 1 {
        return vec![task];
    }
    let piece = &task.pieces[0];
    let rows = task.rows();
    let max_rows = ((rows as f64 * max_bytes as f64 / bytes as f64) as u64).max(8192);
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

/// A shuffle window is held whole; it must fit the budget.
fn check_window_fits(source: &Source, row_bytes: &[f64], options: &ReadOptions) -> Result<()> {
    let rows: u64 = source.fragments.iter().map(|f| f.rows).sum();
    if rows == 0 {
        return Ok(());
    }
    let mean: f64 = row_bytes.iter().zip(&source.fragments).map(|(b, f)| b * f.rows as f64).sum::<f64>() / rows as f64;
    let window = (options.shuffle_window.min(rows) as f64 * mean) as u64;
    if window > options.memory_budget {
        return Err(Error::invalid_argument(format!(
            "option 'shuffle_window' of {} rows needs about {}, more than option 'memory_budget' ({}): lower 'shuffle_window' or raise 'memory_budget'",
            options.shuffle_window,
            human_bytes(window),
            human_bytes(options.memory_budget)
        )));
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
