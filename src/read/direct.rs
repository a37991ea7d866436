//! A single ordered pass over a stream source, straight from its producer:
//! the partitions' batches in partition order, projected, re-cut to exactly
//! `batch_size` rows (or, with `exact_batches=false`, as the source gave them:
//! no copy of the rows where a batch would span two of the source's), packed
//! and passed through the column policy like any read. What it holds at once:
//! a few batches per partition (see `source::stream`) and the chunk being cut,
//! never the whole result.

use super::{BatchStream, Shape};
use crate::batch::Rebatcher;
use crate::error::{Error, Result};
use crate::options::ReadOptions;
use crate::pack::Packing;
use crate::runtime;
use crate::source::stream::PumpedPartition;
use crate::source::Projection;
use crate::tensors::Policy;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use std::sync::Arc;
use tokio::sync::mpsc;

struct Pass {
    projection: Projection,
    packing: Option<Packing>,
    policy: Option<Policy>,
    description: String,
    batch_size: u64,
    chunk_rows: usize,
    exact_batches: bool,
    limit: Option<u64>,
    drop_last_batch: bool,
}

impl Pass {
    fn output(&self, batch: RecordBatch) -> Result<RecordBatch> {
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

/// Starts the pass over `partitions` (a stream source's pumped partitions, in order), whose
/// batches have `stream_schema`. `token` lives as long as the returned stream. `start` is the
/// position at its start (the stream's snapshot stands in for its source: see `Connector::read`).
pub(crate) fn start(
    stream_schema: &SchemaRef,
    description: &str,
    partitions: Vec<PumpedPartition>,
    token: Arc<()>,
    options: &ReadOptions,
    start: crate::resume::Position,
) -> Result<BatchStream> {
    let Shape { projection, packing, policy, schema } = Shape::of(stream_schema, options)?;
    let pass = Pass {
        projection,
        packing,
        policy,
        description: description.to_string(),
        batch_size: options.batch_size,
        chunk_rows: options.chunk_rows(),
        exact_batches: options.exact_batches,
        limit: options.limit,
        drop_last_batch: options.drop_last_batch,
    };
    let (sender, receiver) = mpsc::channel(1);
    let producer = runtime::runtime()?.spawn(run(pass, partitions, sender));
    Ok(BatchStream {
        schema,
        receiver,
        producer,
        pid: std::process::id(),
        finished: false,
        failed: None,
        targets: None,
        start,
        rows_emitted: 0,
        _pass: Some(token),
    })
}

/// Sends `batch` out through packing and the column policy; false when the pass must stop
/// (the reader is gone, or the batch failed and its error was sent).
async fn emit(pass: &Pass, sender: &mpsc::Sender<Result<RecordBatch>>, batch: RecordBatch) -> bool {
    let output = pass.output(batch);
    let failed = output.is_err();
    sender.send(output).await.is_ok() && !failed
}

async fn run(pass: Pass, partitions: Vec<PumpedPartition>, sender: mpsc::Sender<Result<RecordBatch>>) {
    let mut rebatcher = Rebatcher::new(pass.projection.schema.clone(), pass.chunk_rows);
    let mut left = pass.limit.unwrap_or(u64::MAX);
    for mut partition in partitions {
        while left > 0 {
            let batch = match partition.batches.recv().await {
                None if partition.cut.load(std::sync::atomic::Ordering::Acquire) => {
                    let why = format!(
                        "stream source {}: this pass was cut off before its end, because another read needed the \
                         stream's snapshot while this one was not being read; read again (from the snapshot)",
                        pass.description
                    );
                    let _ = sender.send(Err(Error::invalid_argument(why))).await;
                    return;
                }
                None => break,
                Some(Ok(batch)) => batch,
                Some(Err(err)) => {
                    let _ = sender.send(Err(err)).await;
                    return;
                }
            };
            let rows = (batch.num_rows() as u64).min(left);
            left -= rows;
            let projected = batch
                .slice(0, rows as usize)
                .project(&pass.projection.indices)
                .map_err(|e| Error::internal(e.to_string()))
                .and_then(|batch| pass.projection.rebuild(batch, &pass.description));
            match projected {
                Ok(batch) if !pass.exact_batches => {
                    if batch.num_rows() > 0 && !emit(&pass, &sender, batch).await {
                        return;
                    }
                    continue;
                }
                Ok(batch) => rebatcher.push(batch),
                Err(err) => {
                    let _ = sender.send(Err(err)).await;
                    return;
                }
            }
            loop {
                match rebatcher.pop() {
                    Ok(Some(chunk)) => {
                        if !emit(&pass, &sender, chunk).await {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(err) => {
                        let _ = sender.send(Err(err)).await;
                        return;
                    }
                }
            }
        }
        // Dropping a partition's receiver (limit reached) stops it, or lets it finish its snapshot file.
    }
    let last = match rebatcher.finish() {
        Ok(Some(last)) => last,
        Ok(None) => return,
        Err(err) => {
            let _ = sender.send(Err(err)).await;
            return;
        }
    };
    // The last chunk's short batch is dropped with drop_last_batch (as the plan does for files).
    let kept = match pass.drop_last_batch {
        true => last.num_rows() as u64 / pass.batch_size * pass.batch_size,
        false => last.num_rows() as u64,
    };
    if kept > 0 {
        let _ = sender.send(pass.output(last.slice(0, kept as usize))).await;
    }
}
