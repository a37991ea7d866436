//! Writing a version's rows into Parquet files of even size. File `i` of `n`
//! holds shard `i` of `n` of the read (a contiguous run of the rows, in the
//! source's order or in the shuffled order), so files are written in parallel,
//! each by a thread that reads its shard and encodes it, with row groups sized
//! as snapshots size them (each one a fragment that shuffles and shards use).

use super::manifest::FileEntry;
use super::object_file::ObjectFile;
use super::root::Root;
use crate::error::{Error, Result};
use crate::snapshot::write::{rows_per_group, writer_properties};
use crate::{Connector, ReadOptions};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

/// Decoded bytes a file aims at.
const FILE_BYTES: u64 = 128 << 20;
/// The memory budget of all the reads that feed the writers.
const READ_BUDGET: u64 = 512 << 20;
const MIN_READ_BUDGET: u64 = 64 << 20;

/// How the rows are read for writing: their order, and how many files they go to.
pub struct Layout {
    pub shuffle_seed: Option<u64>,
    pub total_rows: u64,
    pub files: usize,
}

impl Layout {
    pub fn new(input: &Connector, shuffle_seed: Option<u64>) -> Result<Layout> {
        let total_rows = input.num_rows()?;
        let bytes = input.decoded_bytes()?;
        let files = bytes.div_ceil(FILE_BYTES).clamp(1, total_rows.max(1));
        Ok(Layout { shuffle_seed, total_rows, files: usize::try_from(files).unwrap_or(usize::MAX) })
    }

    /// The read options of the rows to write (all of them, or shard `i` of `n`).
    pub fn read_options(&self, shard: Option<(usize, usize)>, budget: u64) -> ReadOptions {
        let mut options = ReadOptions { batch_size: 65_536, memory_budget: budget, ..ReadOptions::default() };
        if let Some(seed) = self.shuffle_seed {
            options.shuffle = true;
            options.seed = seed;
        }
        if let Some((index, count)) = shard {
            options.num_shards = count as u64;
            options.shard_index = index as u64;
        }
        options
    }
}

/// The file name of the `i`-th file of an attempt directory.
pub fn file_name(dir: &str, i: usize) -> String {
    format!("{dir}/part-{i:05}.parquet")
}

/// Parquet rows into one object, the writer opened at the first batch (whose width sizes
/// the row groups).
pub struct ParquetObject {
    relative: String,
    schema: SchemaRef,
    root: Root,
    writer: Option<ArrowWriter<ObjectFile>>,
    pub rows: u64,
}

impl ParquetObject {
    pub fn new(root: &Root, relative: String, schema: SchemaRef) -> ParquetObject {
        ParquetObject { relative, schema, root: root.clone(), writer: None, rows: 0 }
    }

    fn failed(&self, e: impl std::fmt::Display) -> Error {
        Error::new(crate::ErrorKind::Io, format!("cannot write '{}': {e}", self.root.name_of(&self.relative)))
    }

    fn open(&mut self, rows_per_group: usize) -> Result<()> {
        let file = ObjectFile::new(&self.root, self.relative.clone())?;
        let writer = ArrowWriter::try_new(file, self.schema.clone(), Some(writer_properties(rows_per_group)));
        self.writer = Some(writer.map_err(|e| self.failed(e))?);
        Ok(())
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if self.writer.is_none() {
            self.open(rows_per_group(batch))?;
        }
        self.rows += batch.num_rows() as u64;
        let written = self.writer.as_mut().expect("opened above").write(batch);
        written.map_err(|e| unwrap_io(e, &self.root, &self.relative))
    }

    /// Writes the footer and finishes the object: its manifest entry.
    pub fn close(mut self, partition_value: Option<serde_json::Value>) -> Result<FileEntry> {
        if self.writer.is_none() {
            // A version without rows still has a file: the schema lives in it.
            self.open(1024)?;
        }
        let writer = self.writer.take().expect("opened above");
        let file = writer.into_inner().map_err(|e| unwrap_io(e, &self.root, &self.relative))?;
        let closed = file.close()?;
        Ok(FileEntry { path: self.relative, rows: self.rows, bytes: closed.bytes, sha256: closed.sha256, partition_value })
    }
}

/// A Parquet error that carries the store's error (from `ObjectFile::write`) gives it back.
fn unwrap_io(err: parquet::errors::ParquetError, root: &Root, relative: &str) -> Error {
    if let parquet::errors::ParquetError::External(inner) = &err {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            if let Some(error) = io.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
                return error.clone();
            }
        }
    }
    Error::new(crate::ErrorKind::Io, format!("cannot write '{}': {err}", root.name_of(relative)))
}

/// Writes the rows into `layout.files` files under `dir` (relative to the root), in
/// parallel; `progress(rows_done, rows_total)` is called on this thread as rows are written.
pub fn write_shards(
    input: &Connector,
    root: &Root,
    dir: &str,
    layout: &Layout,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<FileEntry>> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(layout.files).max(1);
    let budget = (READ_BUDGET / workers as u64).max(MIN_READ_BUDGET);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let entries: Mutex<Vec<Option<FileEntry>>> = Mutex::new(vec![None; layout.files]);
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    let (sender, receiver) = mpsc::channel::<u64>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, stop, entries, first_error) = (&next, &stop, &entries, &first_error);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= layout.files || stop.load(Ordering::Relaxed) {
                    return;
                }
                let options = layout.read_options(Some((i, layout.files)), budget);
                let written = write_one(input, root, file_name(dir, i), &options, stop, &sender);
                match written {
                    Ok(entry) => entries.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(entry),
                    Err(err) => {
                        // Recorded before the others are stopped, so that theirs ("stopped") never comes first.
                        first_error.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(err);
                        stop.store(true, Ordering::Relaxed);
                        return;
                    }
                }
            });
        }
        drop(sender);
        let mut done = 0;
        progress(0, layout.total_rows);
        for rows in receiver {
            done += rows;
            progress(done, layout.total_rows);
        }
    });
    if let Some(err) = first_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(err);
    }
    let entries = entries.into_inner().unwrap_or_else(|e| e.into_inner());
    entries.into_iter().map(|e| e.ok_or_else(|| Error::internal("a version file was not written"))).collect()
}

fn write_one(
    input: &Connector,
    root: &Root,
    relative: String,
    options: &ReadOptions,
    stop: &AtomicBool,
    progress: &mpsc::Sender<u64>,
) -> Result<FileEntry> {
    let mut stream = input.read(options)?;
    let mut object = ParquetObject::new(root, relative, stream.schema());
    while let Some(batch) = stream.next_batch()? {
        if stop.load(Ordering::Relaxed) {
            return Err(Error::internal("stopped: another file failed"));
        }
        object.write(&batch)?;
        let _ = progress.send(batch.num_rows() as u64);
    }
    object.close(None)
}
