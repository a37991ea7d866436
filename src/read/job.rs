//! What every task of one reader shares, and running one task: fetch and
//! decode its pieces, check their row counts, and permute a shuffled window.

use super::budget::window_too_large;
use super::memory::{held_bytes, SizeModel};
use super::targets::Targets;
use crate::error::{Error, Result};
use crate::pack::Packing;
use crate::plan::Task;
use crate::source::{Projection, Source};
use crate::tensors::Policy;
use arrow::array::UInt32Array;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use std::sync::Arc;

/// What every task of one reader shares.
pub(super) struct Job {
    pub(super) source: Arc<Source>,
    pub(super) projection: Projection,
    /// Rows per decoded batch, before the budget lowers it for wide rows.
    pub(super) max_decode_rows: usize,
    pub(super) budget: u64,
    pub(super) shuffle_window: u64,
    /// What reading each fragment's projected columns costs, corrected as batches are measured.
    pub(super) sizes: SizeModel,
    /// Packed mode: how each output batch becomes (features, label).
    pub(super) packing: Option<Packing>,
    /// Tensor or packed mode: the column policy each output batch goes through.
    pub(super) policy: Option<Policy>,
    /// Columns each task writes into the caller's memory, and drops from its batches.
    pub(super) targets: Option<Arc<Targets>>,
}

impl Job {
    /// The schema of a task's batches: the decoded columns, less those written to targets.
    pub(super) fn task_schema(&self) -> SchemaRef {
        self.targets.as_ref().map_or_else(|| self.projection.schema.clone(), |t| t.rest_schema())
    }

    /// A full batch as the consumer receives it, from its parts (`Rebatcher::pop_parts`): packed
    /// (straight from the parts) or joined, then through the column policy.
    pub(super) fn output(&self, parts: Vec<RecordBatch>) -> Result<RecordBatch> {
        let batch = match &self.packing {
            Some(packing) => packing.pack_parts(&parts)?,
            None => crate::batch::join(&self.task_schema(), parts)?,
        };
        match &self.policy {
            Some(policy) => policy.apply(&batch),
            None => Ok(batch),
        }
    }

    /// Rows per decoded batch for fragment `f`: fewer for wide rows, so that
    /// one batch stays a small part of the budget.
    fn decode_rows(&self, f: usize) -> usize {
        let fitting = self.budget as f64 / 8.0 / self.sizes.row_bytes(f).max(1.0);
        self.max_decode_rows.min(fitting as usize).max(1)
    }
}

/// Reads one task, whose rows are the read's rows `offset ..`: its batches,
/// their target columns written to the targets.
pub(super) async fn run_task(job: Arc<Job>, task: Task, offset: u64) -> Result<Vec<RecordBatch>> {
    let batches = decode_task(&job, task).await?;
    let Some(targets) = &job.targets else { return Ok(batches) };
    let mut at = offset;
    batches
        .iter()
        .map(|batch| {
            let rest = targets.write(at, batch)?;
            at += batch.num_rows() as u64;
            Ok(rest)
        })
        .collect()
}

/// Decodes one task: each piece checked for its row count and measured, a
/// shuffled window joined and permuted.
async fn decode_task(job: &Arc<Job>, task: Task) -> Result<Vec<RecordBatch>> {
    let reads = task.pieces.iter().map(|piece| {
        let job = job.clone();
        async move {
            let fragment = &job.source.fragments[piece.fragment];
            let decode_rows = job.decode_rows(piece.fragment);
            let batches = job.source.read(fragment, &piece.ranges, &job.projection, decode_rows).await?;
            let expected: u64 = piece.ranges.iter().map(|r| r.end - r.start).sum();
            let got: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
            // A file replaced since the open fails in its pinned reads, before anything is
            // decoded; a count that still differs is the file disagreeing with its own metadata.
            if got != expected {
                let name = &job.source.files[fragment.file].file.name;
                return Err(Error::invalid_data(format!(
                    "'{name}' decoded {got} rows of part {} where its metadata counts {expected}: the file's data and its metadata disagree",
                    fragment.index
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
