//! The Rust API: open sources once, read them many times with different
//! options (epochs, shards, workers). The C ABI and every binding wrap this.

use crate::error::Result;
use crate::options::{ReadOptions, SourceOptions};
use crate::read::{BatchStream, ColumnTarget};
use crate::runtime;
use crate::source::Source;
use arrow::datatypes::SchemaRef;
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[derive(Clone)]
pub struct Connector {
    source: Arc<Source>,
    /// One share per clone of this connector, to tell them apart from readers' shares of `source`.
    clones: Arc<()>,
}

impl Connector {
    /// Resolves the inputs, reads every file's metadata and checks the schema.
    pub fn open(inputs: &[String], options: &SourceOptions) -> Result<Connector> {
        options.validate()?;
        let (inputs, options) = (inputs.to_vec(), options.clone());
        let count = inputs.len();
        let source = runtime::block_on(async move { Source::open(&inputs, &options).await })??;
        crate::logging::events::opened(&source, count);
        Ok(Connector { source: Arc::new(source), clones: Arc::new(()) })
    }

    pub fn schema(&self) -> SchemaRef {
        self.source.schema.clone()
    }

    pub fn num_rows(&self) -> u64 {
        self.source.num_rows()
    }

    pub fn num_fragments(&self) -> usize {
        self.source.fragments.len()
    }

    /// The rows a reader with these options would emit (after shards, workers,
    /// limit and drop_last_batch; after `resume_from`, the rows left), without reading anything.
    pub fn count_rows(&self, options: &ReadOptions) -> Result<u64> {
        options.validate()?;
        let rows: Vec<u64> = self.source.fragments.iter().map(|f| f.rows).collect();
        let plan = crate::plan::Plan::new(&rows, options);
        if let Some(position) = &options.resume_from {
            position.check(options, &self.source, plan.rows_from_start())?;
        }
        Ok(plan.rows())
    }

    /// The schema of the batches a reader with these options would emit, without reading anything.
    pub fn read_schema(&self, options: &ReadOptions) -> Result<SchemaRef> {
        crate::read::read_schema(&self.source, options)
    }

    /// Fragment reads started so far by the readers of this connector and its clones.
    /// One relaxed atomic load: for tests and monitoring.
    pub fn fragment_reads(&self) -> u64 {
        self.source.reads_started.load(Ordering::Relaxed)
    }

    /// Readers of this connector and its clones whose work has not ended. A reader holds
    /// the sources until its producer and every task it started are gone, which happens
    /// shortly after its stream is dropped (on the runtime's threads). Two atomic loads:
    /// for tests and monitoring; approximate while connectors are cloned concurrently.
    pub fn readers_running(&self) -> usize {
        Arc::strong_count(&self.source).saturating_sub(Arc::strong_count(&self.clones))
    }

    /// Starts a reader. The stream keeps the source alive on its own.
    pub fn read(&self, options: &ReadOptions) -> Result<BatchStream> {
        BatchStream::start(self.source.clone(), options)
    }

    /// Starts a reader whose tasks write the columns named in `targets` into
    /// the caller's memory, each right after decoding its rows, on the
    /// runtime's threads (see [`ColumnTarget`] for what lands where). The
    /// stream carries the read's other columns, in batches that still count
    /// every row; the targets are complete once it has ended. Not with
    /// `features` or `tensors`.
    ///
    /// # Safety
    /// Every target's memory must stay valid until the stream is dropped
    /// (dropping it waits for writes in progress; none start after), and no
    /// one else may write it meanwhile. Its values are complete once the
    /// stream has returned its end; read them no earlier (after an error,
    /// drop the stream first). Its null counter is accessed only atomically.
    pub unsafe fn read_into(&self, options: &ReadOptions, targets: Vec<ColumnTarget>) -> Result<BatchStream> {
        unsafe { BatchStream::start_into(self.source.clone(), options, targets) }
    }
}
