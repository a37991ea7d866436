//! The Rust API: open sources once, read them many times with different
//! options (epochs, shards, workers). The C ABI and every binding wrap this.

use crate::error::Result;
use crate::options::{ReadOptions, SourceOptions};
use crate::read::{BatchStream, ColumnTarget};
use crate::runtime;
use crate::snapshot::{Route, StreamConnection};
use crate::source::stream::{PartitionReader, StreamSource};
use crate::source::Source;
use arrow::datatypes::SchemaRef;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[derive(Clone)]
pub struct Connector {
    backing: Backing,
    /// One share per clone of this connector, to tell them apart from readers' shares of `source`.
    clones: Arc<()>,
    /// Columns a read leaves out unless it names them (a dataset version's `exclude_cols`).
    excluded: Arc<[String]>,
}

/// Where a connector's rows come from.
#[derive(Clone)]
enum Backing {
    Files(Arc<Source>),
    /// A stream (DataFrame, Arrow stream, query), and its snapshot once made.
    Stream(Arc<StreamConnection>),
}

impl Connector {
    /// Resolves the inputs, reads every file's metadata and checks the schema.
    pub fn open(inputs: &[String], options: &SourceOptions) -> Result<Connector> {
        options.validate()?;
        let (inputs, options) = (inputs.to_vec(), options.clone());
        let count = inputs.len();
        let source = runtime::block_on(async move { Source::open(&inputs, &options).await })??;
        crate::logging::events::opened(&source, count);
        Ok(Connector { backing: Backing::Files(Arc::new(source)), clones: Arc::new(()), excluded: Vec::new().into() })
    }

    /// A connector over a stream source: one record batch reader per partition (their rows
    /// follow each other in this order), all with one schema. `description` names the source
    /// in errors (a DataFrame's type, a query): it must hold no secret. Nothing is read yet.
    ///
    /// The first single ordered pass (no shuffle, shards, workers or resume) streams straight
    /// from the readers; with `snapshot=auto` (the default) it also writes the snapshot as it
    /// streams. Every other read, and every later one, reads the snapshot: Parquet files in
    /// `snapshot_dir`, written once (waiting for it when another process given the same
    /// `snapshot_id` writes it). `snapshot=never` refuses the reads that would need one.
    pub fn from_streams(partitions: Vec<PartitionReader>, description: &str, options: &SourceOptions) -> Result<Connector> {
        options.validate()?;
        let source = StreamSource::new(partitions, description)?;
        let connection = StreamConnection::new(source, options);
        Ok(Connector { backing: Backing::Stream(Arc::new(connection)), clones: Arc::new(()), excluded: Vec::new().into() })
    }

    /// The files of a file connector; a stream connector's snapshot (made now if needed:
    /// `why` says what needs it, for the error when it cannot be made).
    fn files(&self, why: &str) -> Result<Arc<Source>> {
        match &self.backing {
            Backing::Files(source) => Ok(source.clone()),
            Backing::Stream(stream) => Ok(stream.snapshot(why)?.0),
        }
    }

    /// The schema of a read that names no columns (without the excluded ones).
    pub fn schema(&self) -> SchemaRef {
        let all = self.full_schema();
        if self.excluded.is_empty() {
            return all;
        }
        let kept: Vec<_> = all.fields().iter().filter(|f| !self.excluded.contains(f.name())).cloned().collect();
        Arc::new(arrow::datatypes::Schema::new_with_metadata(kept, all.metadata().clone()))
    }

    /// Every column of the source, the excluded ones included.
    fn full_schema(&self) -> SchemaRef {
        match &self.backing {
            Backing::Files(source) => source.schema.clone(),
            Backing::Stream(stream) => stream.schema.clone(),
        }
    }

    /// This connector with `columns` left out of every read that does not name them. Each
    /// must be a column of the source.
    pub(crate) fn excluding(mut self, columns: &[String], what: &str) -> Result<Connector> {
        let schema = self.full_schema();
        for column in columns {
            if schema.index_of(column).is_err() {
                let known: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(crate::error::Error::invalid_argument(format!(
                    "{what}: no column named '{}' (columns: {})",
                    crate::options::echo(column),
                    crate::options::echo(&known.join(", "))
                )));
            }
        }
        self.excluded = columns.to_vec().into();
        Ok(self)
    }

    /// `options` with the kept columns named, when this connector excludes some and the
    /// read names neither columns nor features.
    fn with_defaults<'a>(&self, options: &'a ReadOptions) -> std::borrow::Cow<'a, ReadOptions> {
        if self.excluded.is_empty() || options.columns.is_some() || options.features.is_some() {
            return std::borrow::Cow::Borrowed(options);
        }
        let mut options = options.clone();
        options.columns = Some(self.schema().fields().iter().map(|f| f.name().clone()).collect());
        std::borrow::Cow::Owned(options)
    }

    /// The decoded size of every row, all columns, estimated from metadata (a stream
    /// connector's snapshot, made now if needed).
    pub(crate) fn decoded_bytes(&self) -> Result<u64> {
        Ok(self.files("its size is estimated")?.fragments.iter().map(|f| f.bytes).sum())
    }

    /// What the rows come from, for a dataset version's manifest: the stream's description,
    /// or the files' names (without passwords or query values).
    pub(crate) fn describe(&self) -> String {
        let text = match &self.backing {
            Backing::Stream(stream) => stream.description.clone(),
            Backing::Files(source) => {
                let names: Vec<&str> = source.files.iter().take(3).map(|f| f.file.name.as_str()).collect();
                let more = source.files.len().saturating_sub(names.len());
                let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                format!("{} file(s): {}{more}", source.files.len(), names.join(", "))
            }
        };
        crate::logging::redact::without_secrets(&text)
    }

    /// Every row, before any read option. A stream connector knows it from its snapshot,
    /// which this makes if it is not made yet.
    pub fn num_rows(&self) -> Result<u64> {
        Ok(self.files("its rows are counted")?.num_rows())
    }

    pub fn num_fragments(&self) -> Result<usize> {
        Ok(self.files("its fragments are counted")?.fragments.len())
    }

    /// The rows a reader with these options would emit (after shards, workers,
    /// limit and drop_last_batch; after `resume_from`, the rows left), without reading anything.
    /// A stream connector counts its snapshot's rows, which this makes if it is not made yet.
    pub fn count_rows(&self, options: &ReadOptions) -> Result<u64> {
        options.validate()?;
        let source = self.files("its rows are counted")?;
        let options = &self.in_snapshot(options, &source);
        let rows: Vec<u64> = source.fragments.iter().map(|f| f.rows).collect();
        let plan = crate::plan::Plan::new(&rows, options);
        if let Some(position) = &options.resume_from {
            position.check(options, &source, plan.rows_from_start())?;
        }
        Ok(plan.rows())
    }

    /// The schema of the batches a reader with these options would emit, without reading anything.
    pub fn read_schema(&self, options: &ReadOptions) -> Result<SchemaRef> {
        crate::read::read_schema(&self.full_schema(), &self.with_defaults(options))
    }

    /// A stream connector's snapshot: made now if it is not yet (or waited for), then its
    /// directory, which other processes open as Parquet files or find by the id. None for files.
    pub fn snapshot(&self) -> Result<Option<PathBuf>> {
        match &self.backing {
            Backing::Files(_) => Ok(None),
            Backing::Stream(stream) => Ok(Some(stream.snapshot("its snapshot is asked for")?.1)),
        }
    }

    /// A stream connector's snapshot id (source option `snapshot_id`, or the one it made up).
    pub fn snapshot_id(&self) -> Option<&str> {
        match &self.backing {
            Backing::Files(_) => None,
            Backing::Stream(stream) => Some(stream.id()),
        }
    }

    /// The files being read, if known without reading: a stream connector's only once its snapshot exists.
    fn files_now(&self) -> Option<Arc<Source>> {
        match &self.backing {
            Backing::Files(source) => Some(source.clone()),
            Backing::Stream(stream) => stream.ready(),
        }
    }

    /// Fragment reads started so far by the readers of this connector and its clones.
    /// One relaxed atomic load: for tests and monitoring.
    pub fn fragment_reads(&self) -> u64 {
        self.files_now().map_or(0, |source| source.reads_started.load(Ordering::Relaxed))
    }

    /// Readers of this connector and its clones whose work has not ended. A reader holds
    /// the sources until its producer and every task it started are gone, which happens
    /// shortly after its stream is dropped (on the runtime's threads). Two atomic loads:
    /// for tests and monitoring; approximate while connectors are cloned concurrently.
    /// For a stream connector: readers of its snapshot.
    pub fn readers_running(&self) -> usize {
        match &self.backing {
            Backing::Files(source) => Arc::strong_count(source).saturating_sub(Arc::strong_count(&self.clones)),
            // The connection holds one share of its snapshot; `files_now` another.
            Backing::Stream(stream) => stream.ready().map_or(0, |source| Arc::strong_count(&source).saturating_sub(2)),
        }
    }

    /// Starts a reader. The stream keeps the source alive on its own.
    pub fn read(&self, options: &ReadOptions) -> Result<BatchStream> {
        let options = &*self.with_defaults(options);
        match &self.backing {
            Backing::Files(source) => BatchStream::start(source.clone(), options),
            Backing::Stream(stream) => {
                options.validate()?;
                // Options that do not go together fail before the stream is touched.
                crate::read::read_schema(&stream.schema, options)?;
                match stream.route(options)? {
                    Route::Snapshot(source) => BatchStream::start(source.clone(), &self.in_snapshot(options, &source)),
                    Route::Direct { partitions, token } => {
                        let start = crate::resume::Position::of_stream(options, stream.id());
                        crate::read::start_direct(&stream.schema, &stream.description, partitions, token, options, start)
                    }
                }
            }
        }
    }

    /// Starts a reader whose tasks write the columns named in `targets` into
    /// the caller's memory, each right after decoding its rows, on the
    /// runtime's threads (see [`ColumnTarget`] for what lands where). The
    /// stream carries the read's other columns, in batches that still count
    /// every row; the targets are complete once it has ended. Not with
    /// `features` or `tensors`. A stream connector reads its snapshot (made now if needed).
    ///
    /// # Safety
    /// Every target's memory must stay valid until the stream is dropped
    /// (dropping it waits for writes in progress; none start after), and no
    /// one else may write it meanwhile. Its values are complete once the
    /// stream has returned its end; read them no earlier (after an error,
    /// drop the stream first). Its null counter is accessed only atomically.
    pub unsafe fn read_into(&self, options: &ReadOptions, targets: Vec<ColumnTarget>) -> Result<BatchStream> {
        let source = self.files("its columns are read into memory the caller gave")?;
        let options = self.in_snapshot(&self.with_defaults(options), &source);
        unsafe { BatchStream::start_into(source, &options, targets) }
    }

    /// `options` with a `resume_from` taken by a pass straight from this stream connector's
    /// producer turned into the same position in its snapshot `source` (same rows, same order).
    fn in_snapshot(&self, options: &ReadOptions, source: &Source) -> ReadOptions {
        let mut options = options.clone();
        if let (Backing::Stream(stream), Some(position)) = (&self.backing, &options.resume_from) {
            options.resume_from = Some(position.in_snapshot(stream.id(), source));
        }
        options
    }
}
