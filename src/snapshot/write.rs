//! Writing one partition of a stream into one Parquet file of a snapshot, with
//! row groups sized for the reader (each row group is a fragment: the unit a
//! shuffle permutes and a task reads).

use crate::error::{Error, ErrorKind, Result};
use crate::source::stream::PartitionSink;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::fs::File;
use std::path::PathBuf;

/// Decoded bytes a row group aims at: small against the memory budget, large enough to read fast.
const ROW_GROUP_BYTES: usize = 16 << 20;
const MIN_ROW_GROUP_ROWS: usize = 1024;
const MAX_ROW_GROUP_ROWS: usize = 262_144;

pub(crate) struct ParquetSink {
    path: PathBuf,
    schema: SchemaRef,
    /// Created at the first batch, whose width sizes the row groups; with the file, to sync it.
    writer: Option<(ArrowWriter<File>, File)>,
}

impl ParquetSink {
    pub(crate) fn new(path: PathBuf, schema: SchemaRef) -> ParquetSink {
        ParquetSink { path, schema, writer: None }
    }

    fn failed(&self, e: impl std::fmt::Display) -> Error {
        Error::new(ErrorKind::Io, format!("cannot write the snapshot file '{}': {e}", self.path.display()))
    }

    fn open(&self, rows_per_group: usize) -> Result<(ArrowWriter<File>, File)> {
        let file = File::create(&self.path).map_err(|e| self.failed(e))?;
        let sync = file.try_clone().map_err(|e| self.failed(e))?;
        let writer =
            ArrowWriter::try_new(file, self.schema.clone(), Some(writer_properties(rows_per_group))).map_err(|e| self.failed(e))?;
        Ok((writer, sync))
    }
}

/// How snapshot (and dataset version) files are written: once, and read back whole, so
/// fast to write beats small. No dictionaries (the writer's hashing is its costliest step)
/// and no statistics (nothing filters on them).
pub(crate) fn writer_properties(rows_per_group: usize) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::LZ4_RAW)
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_max_row_group_row_count(Some(rows_per_group))
        .build()
}

/// Rows per row group for batches like `batch`.
pub(crate) fn rows_per_group(batch: &RecordBatch) -> usize {
    let row_bytes = batch.get_array_memory_size() / batch.num_rows().max(1);
    (ROW_GROUP_BYTES / row_bytes.max(1)).clamp(MIN_ROW_GROUP_ROWS, MAX_ROW_GROUP_ROWS)
}

impl PartitionSink for ParquetSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if self.writer.is_none() {
            self.writer = Some(self.open(rows_per_group(batch))?);
        }
        let written = self.writer.as_mut().expect("opened above").0.write(batch);
        written.map_err(|e| self.failed(e))
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        // A partition without rows still gets a file: the snapshot's schema lives in its files.
        let (writer, file) = match self.writer.take() {
            Some(opened) => opened,
            None => self.open(MIN_ROW_GROUP_ROWS)?,
        };
        writer.close().map_err(|e| self.failed(e))?;
        // On disk before the snapshot is published by a rename.
        file.sync_all().map_err(|e| self.failed(e))
    }
}
