//! The reader: runs the plan's tasks concurrently on the runtime under one
//! memory budget, and hands batches out in plan order (never in the order in
//! which tasks finish), re-cut to exactly `batch_size` rows.
//!
//! - this module: [`BatchStream`], the handle a consumer pulls batches from
//! - [`scheduler`]: which tasks run when, in plan order, within the budget
//! - [`job`]: what every task of one reader shares, and running one task
//! - [`budget`]: what a task will hold, and the errors when a window cannot fit
//! - [`memory`]: the size estimates, corrected by measuring decoded batches
//! - [`targets`]: columns written by the tasks into memory the caller owns

mod budget;
mod direct;
mod job;
mod memory;
mod scheduler;
mod targets;

use crate::error::{Error, ErrorKind, Result};
use crate::options::ReadOptions;
use crate::pack::Packing;
use crate::plan::Plan;
use crate::runtime;
use crate::source::{Projection, Source};
use crate::tensors::Policy;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
pub(crate) use direct::start as start_direct;
use futures::FutureExt;
use job::Job;
use memory::SizeModel;
use scheduler::Settings;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
pub use targets::ColumnTarget;
use targets::Targets;
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
    /// Column targets the tasks write into; closed when the stream is dropped.
    targets: Option<Arc<Targets>>,
    /// This reader's position at its start, without the rows: the options and the
    /// source's fingerprint (holding the source itself would count as a running reader).
    start: crate::resume::Position,
    /// Rows emitted: before a resume (the token's) and by this stream.
    rows_emitted: u64,
    /// A stream source's first pass: alive exactly as long as this stream (`snapshot::State::Writing`).
    _pass: Option<Arc<()>>,
}

/// What a read decodes and emits, from its options alone.
struct Shape {
    projection: Projection,
    packing: Option<Packing>,
    policy: Option<Policy>,
    /// The schema of the emitted batches.
    schema: SchemaRef,
}

impl Shape {
    fn of(source_schema: &SchemaRef, options: &ReadOptions) -> Result<Shape> {
        options.validate()?;
        if let Some(label) = &options.label {
            if source_schema.index_of(label).is_err() {
                return Err(Error::invalid_argument(format!("option 'label': no column named '{label}'")));
            }
        }
        let option = if options.features.is_some() { "features" } else { "columns" };
        let projection = Projection::new(source_schema, options.projected_columns().as_deref(), option)?;
        let packing = match &options.features {
            Some(features) => Some(Packing::new(&projection.schema, features, options.label.as_deref(), options.tensors.null_fill)?),
            None => None,
        };
        let unpolicied = packing.as_ref().map_or_else(|| projection.schema.clone(), Packing::schema);
        let policy = options.policy_applies().then(|| Policy::new(&unpolicied, &options.tensors)).transpose()?;
        let schema = policy.as_ref().map_or(unpolicied, Policy::schema);
        Ok(Shape { projection, packing, policy, schema })
    }
}

/// The schema of the batches a read with `options` emits, without reading.
pub(crate) fn read_schema(source_schema: &SchemaRef, options: &ReadOptions) -> Result<SchemaRef> {
    Ok(Shape::of(source_schema, options)?.schema)
}

impl BatchStream {
    pub fn start(source: Arc<Source>, options: &ReadOptions) -> Result<BatchStream> {
        // Safety: no targets, no pointers.
        unsafe { Self::start_into(source, options, Vec::new()) }
    }

    /// Starts a reader whose tasks write the columns of `targets` into the
    /// caller's memory; the stream carries the other columns.
    ///
    /// Safety: the contract of [`crate::Connector::read_into`].
    pub(crate) unsafe fn start_into(source: Arc<Source>, options: &ReadOptions, targets: Vec<ColumnTarget>) -> Result<BatchStream> {
        let Shape { projection, packing, policy, schema } = Shape::of(&source.schema, options)?;
        let sizes = SizeModel::new(source.fragments.iter().map(|f| source.fragment_size(f, &projection)).collect());
        if options.shuffle {
            budget::check_window_fits(&source, &sizes, options)?;
        }
        let rows: Vec<u64> = source.fragments.iter().map(|f| f.rows).collect();
        let plan = Plan::new(&rows, options);
        crate::logging::events::planned(&source, options, plan.rows(), projection.indices.len());
        let targets = match targets.is_empty() {
            true => None,
            false if policy.is_some() => {
                return Err(Error::invalid_argument(
                    "column targets take the columns as decoded: they cannot be combined with options 'features' or 'tensors'",
                ))
            }
            false => Some(Arc::new(Targets::new(&projection.schema, targets, plan.rows())?)),
        };
        if let Some(position) = &options.resume_from {
            position.check(options, &source, plan.rows_from_start())?;
        }
        let rows_emitted = plan.rows_from_start() - plan.rows();
        let start = crate::resume::Position::new(0, options, &source);
        // Decoding in large batches costs less per row; re-cutting them is zero-copy.
        let decode_rows = options.batch_size.clamp(131_072, 1 << 20) as usize;
        let schema = targets.as_ref().map_or(schema, |targets| targets.rest_schema());
        let job = Arc::new(Job {
            source,
            projection,
            max_decode_rows: decode_rows,
            budget: options.memory_budget,
            shuffle_window: options.shuffle_window,
            sizes,
            packing,
            policy,
            targets: targets.clone(),
        });
        let (sender, receiver) = mpsc::channel(1);
        let settings = Settings { concurrency: options.concurrency(), chunk_rows: options.chunk_rows() };
        let producer = runtime::runtime()?.spawn(async move {
            let failure = sender.clone();
            let run = AssertUnwindSafe(scheduler::produce(job, plan, settings, sender)).catch_unwind().await;
            if let Err(panic) = run {
                let _ = failure
                    .send(Err(Error::new(
                        ErrorKind::Panic,
                        format!("internal panic while reading: {}", crate::error::panic_message(&panic)),
                    )))
                    .await;
            }
        });
        Ok(BatchStream {
            schema,
            receiver,
            producer,
            pid: std::process::id(),
            finished: false,
            failed: None,
            targets,
            start,
            rows_emitted,
            _pass: None,
        })
    }

    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// This reader's position as a resume token (`resume_from`): after the rows it emitted
    /// so far, less `unconsumed` of them that the caller received but did not use (the
    /// rest of a chunk it cuts into smaller batches). A read with the same options and
    /// `resume_from` set to it emits exactly the rows this one would emit next.
    pub fn position(&self, unconsumed: u64) -> Result<String> {
        let rows = self.rows_emitted.checked_sub(unconsumed).ok_or_else(|| {
            Error::invalid_argument(format!("unconsumed rows ({unconsumed}) exceed the rows the stream emitted ({})", self.rows_emitted))
        })?;
        Ok(crate::resume::Position { rows, ..self.start.clone() }.to_token())
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
            Some(Ok(batch)) => {
                self.rows_emitted += batch.num_rows() as u64;
                Ok(Some(batch))
            }
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
            if let Some(targets) = &self.targets {
                targets.close();
            }
        }
    }
}
