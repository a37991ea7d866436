//! Sources fed by Arrow record batch readers: a DataFrame, a caller's Arrow C
//! stream, a query's partitions. A stream can be read once, in order; the
//! snapshot (`crate::snapshot`) gives it every other kind of read.
//!
//! Each partition is pumped on a thread of its own, so that partitions (a
//! query's connections) produce in parallel; a single ordered pass takes their
//! batches partition after partition, and a snapshot writes each partition into
//! a Parquet file of its own.

use crate::error::{Error, ErrorKind, Result};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// One partition of a stream source: batches in order, all with the reader's schema.
pub type PartitionReader = Box<dyn RecordBatchReader + Send>;

/// Batches a pumped partition hands on: a small bound, so a partition never runs far ahead.
const PUMPED_BATCHES: usize = 2;

/// A pump thread, which gives its partition's outcome (the snapshot file written, or the error).
pub(crate) type Pump = std::thread::JoinHandle<Result<()>>;

/// A pumped partition as its consumer sees it: its batches, and whether the pump stopped
/// handing them on before the end (`cut`: the consumer was cut off, see `StreamSource::pump`).
pub(crate) struct PumpedPartition {
    pub(crate) batches: mpsc::Receiver<Result<RecordBatch>>,
    pub(crate) cut: Arc<AtomicBool>,
}

/// A stream source before it is read: its partitions, their schema, and how
/// messages name it.
pub struct StreamSource {
    /// Names the source in messages: a DataFrame's type, a query. Never a secret.
    pub description: String,
    pub schema: SchemaRef,
    partitions: Vec<PartitionReader>,
}

impl StreamSource {
    /// The partitions, in order (their rows are concatenated in that order), must share
    /// one schema (nullability and metadata may differ; the first partition's is used).
    pub fn new(partitions: Vec<PartitionReader>, description: impl Into<String>) -> Result<StreamSource> {
        let description = description.into();
        let Some(first) = partitions.first() else {
            return Err(Error::invalid_argument(format!(
                "stream source {description}: no partitions given (at least one reader is needed)"
            )));
        };
        let schema = first.schema();
        for (i, partition) in partitions.iter().enumerate().skip(1) {
            let other = partition.schema();
            let same = other.fields().len() == schema.fields().len()
                && other
                    .fields()
                    .iter()
                    .zip(schema.fields())
                    .all(|(a, b)| a.name() == b.name() && a.data_type().equals_datatype(b.data_type()));
            if !same {
                return Err(Error::new(
                    ErrorKind::SchemaMismatch,
                    format!(
                        "stream source {description}: partition {i} has the schema {other:?}, which differs from partition 0's {schema:?}"
                    ),
                ));
            }
        }
        Ok(StreamSource { description, schema, partitions })
    }

    pub fn num_partitions(&self) -> usize {
        self.partitions.len()
    }

    /// Starts one thread per partition. Each reads its partition to the end, gives every
    /// batch to `sink(partition)` (a snapshot's file) if there is one, and hands it on to
    /// the consumer's channel while the consumer wants it. Without a sink, a partition
    /// stops as soon as its consumer is gone. Once `cut_off` turns true, the partitions stop
    /// handing batches on (and only write them), so a consumer that stopped reading never
    /// holds up the snapshot; the consumer then meets `cut`. The handles give each
    /// partition's outcome.
    pub(crate) fn pump(
        self,
        mut sinks: Option<Vec<Box<dyn PartitionSink>>>,
        consumed: bool,
        cut_off: Option<watch::Receiver<bool>>,
    ) -> Result<(Vec<Pump>, Vec<PumpedPartition>)> {
        let StreamSource { description, schema, partitions } = self;
        let mut handles = Vec::with_capacity(partitions.len());
        let mut pumped_partitions = Vec::with_capacity(partitions.len());
        for (i, reader) in partitions.into_iter().enumerate() {
            let sink = sinks.as_mut().map(|sinks| sinks.remove(0));
            let (sender, receiver) = mpsc::channel(PUMPED_BATCHES);
            let cut = Arc::new(AtomicBool::new(false));
            if consumed {
                pumped_partitions.push(PumpedPartition { batches: receiver, cut: cut.clone() });
            }
            let pumped = Pumped {
                description: description.clone(),
                schema: schema.clone(),
                partition: i,
                reader,
                sink,
                sender: Some(sender),
                cut_off: cut_off.clone(),
                cut,
            };
            let handle = std::thread::Builder::new()
                .name(format!("sluice-stream-{i}"))
                .spawn(move || pumped.run())
                .map_err(|e| Error::new(ErrorKind::Io, format!("stream source {description}: cannot start a thread: {e}")))?;
            handles.push(handle);
        }
        Ok((handles, pumped_partitions))
    }
}

/// Where a pumped partition's batches are written as well (a snapshot's file).
pub(crate) trait PartitionSink: Send {
    fn write(&mut self, batch: &RecordBatch) -> Result<()>;
    /// Called once, after the partition's last batch.
    fn finish(self: Box<Self>) -> Result<()>;
}

struct Pumped {
    description: String,
    schema: SchemaRef,
    partition: usize,
    reader: PartitionReader,
    sink: Option<Box<dyn PartitionSink>>,
    /// None once the consumer is gone (or cut off).
    sender: Option<mpsc::Sender<Result<RecordBatch>>>,
    cut_off: Option<watch::Receiver<bool>>,
    cut: Arc<AtomicBool>,
}

impl Pumped {
    fn run(mut self) -> Result<()> {
        let mut rows = 0u64;
        let result = loop {
            let batch = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.reader.next())) {
                Ok(None) => break Ok(()),
                Ok(Some(Ok(batch))) => batch,
                Ok(Some(Err(e))) => break Err(self.failed(rows, &e.to_string())),
                Err(panic) => break Err(self.failed(rows, &format!("panicked: {}", crate::error::panic_message(&panic)))),
            };
            let fits = batch.num_columns() == self.schema.fields().len()
                && batch.schema().fields().iter().zip(self.schema.fields()).all(|(a, b)| a.data_type().equals_datatype(b.data_type()));
            if !fits {
                break Err(self.failed(rows, &format!("a batch has the schema {:?}, not the stream's {:?}", batch.schema(), self.schema)));
            }
            rows += batch.num_rows() as u64;
            if let Some(sink) = &mut self.sink {
                if let Err(err) = sink.write(&batch) {
                    break Err(err);
                }
            }
            if !self.hand_on(batch) {
                self.sender = None;
                if self.sink.is_none() {
                    return Ok(());
                }
            }
        };
        let result = match result {
            Ok(()) => self.sink.take().map_or(Ok(()), |sink| sink.finish()),
            Err(err) => Err(err),
        };
        if let (Err(err), Some(sender)) = (&result, &self.sender) {
            let _ = sender.blocking_send(Err(err.clone()));
        }
        result
    }

    /// Hands `batch` on to the consumer, waiting for room; false when the consumer is gone or cut off.
    fn hand_on(&mut self, batch: RecordBatch) -> bool {
        let Some(sender) = &self.sender else { return false };
        let Some(cut_off) = &mut self.cut_off else { return sender.blocking_send(Ok(batch)).is_ok() };
        let cut = &self.cut;
        // tokio's channel and watch work outside its runtime; this thread is not one of the runtime's.
        futures::executor::block_on(async {
            tokio::select! {
                permit = sender.reserve() => match permit {
                    Ok(permit) => {
                        permit.send(Ok(batch));
                        true
                    }
                    Err(_) => false,
                },
                _ = cut_off.wait_for(|cut| *cut) => {
                    cut.store(true, Ordering::Release);
                    false
                }
            }
        })
    }

    /// The producer's error, named: never a silent short result.
    fn failed(&self, rows: u64, why: &str) -> Error {
        Error::new(
            ErrorKind::Io,
            format!("stream source {}: partition {} failed after {rows} rows: {why}", self.description, self.partition),
        )
    }
}
