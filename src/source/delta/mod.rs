//! Delta Lake tables as sources. The Delta project's kernel (`delta_kernel`)
//! replays the table's log and lists the Parquet files of one snapshot; those
//! files become the source's files, so that everything after (fragments,
//! shuffles, shards, memory budget, resume) is the same as for Parquet files.
//! Partition columns are filled in from the log, columns added by a later
//! schema change read as nulls in older files, columns renamed by column
//! mapping (mode 'name') are found by their stored names, and what this reader does not
//! apply (deletion vectors, column mapping by id or of nested fields) is
//! refused by name.

mod columns;
mod locate;
mod snapshot;

pub use columns::DeltaFile;
pub use locate::find_table;

use super::location::FileRef;
use super::{parquet, DataFile, FileFormat, Fragment, Projection, Source};
use crate::error::Result;
use crate::options::SourceOptions;
use arrow::record_batch::RecordBatch;
use futures::{StreamExt, TryStreamExt};
use locate::TableRoot;
use std::ops::Range;
use std::sync::atomic::AtomicU64;

/// Opens the snapshot of the table that the options choose (the latest by default).
pub async fn open(table: TableRoot, options: &SourceOptions) -> Result<Source> {
    let listing = snapshot::list(&table, options.delta_snapshot.clone()).await?;
    let int96_unit = options.int96_timestamp_unit.unwrap_or(arrow::datatypes::TimeUnit::Nanosecond);
    let opened: Vec<(FileRef, DeltaFile, Vec<super::PartInfo>)> = futures::stream::iter(listing.files)
        .map(|file| {
            let (table, schema, stored, partitions) = (&table, &listing.schema, &listing.stored_names, &listing.partition_columns);
            async move {
                let file_ref = table.data_file(&file.path, file.size).await?;
                let (inspected, meta) = parquet::inspect(&file_ref, int96_unit).await?;
                let delta_file = DeltaFile::new(&table.name, &file_ref.name, schema, stored, partitions, &file.partition_values, meta)?;
                Ok::<_, crate::error::Error>((file_ref, delta_file, inspected.parts))
            }
        })
        .buffered(16)
        .try_collect()
        .await?;

    let mut files = Vec::with_capacity(opened.len());
    let mut fragments = Vec::new();
    for (i, (file, delta_file, parts)) in opened.into_iter().enumerate() {
        for part in parts.iter().filter(|p| p.rows > 0) {
            fragments.push(Fragment { file: i, index: part.index, rows: part.rows, bytes: part.bytes });
        }
        files.push(DataFile { file, format: FileFormat::Delta(Box::new(delta_file)) });
    }
    Ok(Source { schema: listing.schema, files, fragments, reads_started: AtomicU64::new(0) })
}

/// Decodes rows of one row group of a table's data file, in the table's columns.
pub async fn read(
    file: &FileRef,
    delta: &DeltaFile,
    row_group: usize,
    ranges: &[Range<u64>],
    projection: &Projection,
    batch_rows: usize,
) -> Result<Vec<RecordBatch>> {
    let stored = delta.stored_projection(projection);
    let batches = parquet::read(file, delta.parquet(), row_group, ranges, &stored, batch_rows).await?;
    batches.into_iter().map(|batch| delta.to_table_columns(batch, projection, &file.name)).collect()
}
