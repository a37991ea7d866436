//! Which tasks run when: in plan order, as many at once as the concurrency
//! setting and the memory budget allow, their batches handed on in plan order
//! and re-cut to whole batches of `batch_size` rows.

use super::budget::{max_task_rows, Footprint};
use super::job::{run_task, Job};
use crate::batch::Rebatcher;
use crate::error::{Error, ErrorKind, Result};
use crate::plan::Plan;
use arrow::record_batch::RecordBatch;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How the scheduler runs: tasks in flight at most, and rows per output batch.
pub(super) struct Settings {
    pub(super) concurrency: usize,
    /// Rows per emitted batch: whole batches of `batch_size` (see `ReadOptions::chunk_rows`).
    pub(super) chunk_rows: usize,
}

/// A spawned task that is aborted when dropped (the consumer went away).
struct Spawned(JoinHandle<Result<Vec<RecordBatch>>>);

impl Drop for Spawned {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(super) async fn produce(job: Arc<Job>, plan: Plan, settings: Settings, sender: mpsc::Sender<Result<RecordBatch>>) {
    let mut rebatcher = Rebatcher::new(job.task_schema(), settings.chunk_rows);
    let max_task_bytes = (job.budget / 4).max(1);
    let mut tasks = plan
        .tasks()
        .flat_map(|task| {
            let max_rows = task.pieces.first().map_or(u64::MAX, |piece| max_task_rows(&job.sizes, piece.fragment, max_task_bytes));
            task.split(max_rows)
        })
        .peekable();
    let mut in_flight: VecDeque<(Spawned, Footprint)> = VecDeque::new();
    // Where the next task's rows start in the read's output.
    let mut next_offset = 0u64;
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
            let offset = next_offset;
            next_offset += task.rows();
            in_flight.push_back((Spawned(tokio::spawn(run_task(job.clone(), task, offset))), footprint));
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
    if let Some(last) = rebatcher.finish_parts() {
        let _ = sender.send(job.output(last)).await;
    }
}

/// Sends every full batch; false when the consumer is gone or an error was sent.
async fn send_full(job: &Job, rebatcher: &mut Rebatcher, sender: &mpsc::Sender<Result<RecordBatch>>) -> bool {
    while let Some(parts) = rebatcher.pop_parts() {
        let output = job.output(parts);
        let failed = output.is_err();
        if sender.send(output).await.is_err() || failed {
            return false;
        }
    }
    true
}
