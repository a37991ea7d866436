//! Parquet: one fragment per row group; rows are selected inside the reader, so
//! rows this reader does not emit are never decoded.

use super::{FileRef, Inspected, PartInfo, Projection};
use crate::error::{Error, Result};
use arrow::datatypes::TimeUnit;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, TryStreamExt};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, RowSelection};
use parquet::arrow::async_reader::{AsyncFileReader, MetadataFetch, ParquetRecordBatchStreamBuilder};
use parquet::arrow::ProjectionMask;
use parquet::errors::ParquetError;
use parquet::file::metadata::{FooterTail, ParquetMetaData, ParquetMetaDataReader};
use std::ops::Range;
use std::sync::Arc;

/// Ranged reads through the file's pinned reads, so that a file replaced
/// during a read fails instead of mixing versions.
struct PinnedReader(FileRef);

fn external(err: Error) -> ParquetError {
    ParquetError::External(Box::new(err))
}

impl AsyncFileReader for PinnedReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move { self.0.get_range(range).await.map_err(external) }.boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move { self.0.get_ranges(&ranges).await.map_err(external) }.boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let mut reader = ParquetMetaDataReader::new().with_metadata_options(options.map(|o| o.metadata_options().clone()));
            if let Some(options) = options {
                reader =
                    reader.with_column_index_policy(options.column_index_policy()).with_offset_index_policy(options.offset_index_policy());
            }
            let size = self.0.size;
            Ok(Arc::new(reader.load_and_finish(self, size).await?))
        }
        .boxed()
    }
}

pub async fn inspect(file: &FileRef, int96_unit: TimeUnit) -> Result<(Inspected, ArrowReaderMetadata)> {
    let mut fetch = FooterWatch { reader: PinnedReader(file.clone()), size: file.size, metadata_length: None };
    let loaded = ParquetMetaDataReader::new().load_and_finish(&mut fetch, file.size).await;
    let metadata = loaded.and_then(super::dictionary_offsets::without_misplaced).map_err(|e| Error::from_parquet(e, &file.name))?;
    if let Some(length) = fetch.metadata_length {
        check_chunks_fit(file, &metadata, file.size.saturating_sub(FOOTER_SIZE + length))?;
    }
    let meta =
        ArrowReaderMetadata::try_new(Arc::new(metadata), ArrowReaderOptions::new()).map_err(|e| Error::from_parquet(e, &file.name))?;
    let meta = super::int96::with_unit(meta, int96_unit, &file.name)?;
    let mut parts = Vec::new();
    for (i, rg) in meta.metadata().row_groups().iter().enumerate() {
        let rows = u64::try_from(rg.num_rows()).map_err(|_| {
            Error::invalid_data(format!("'{}' is not a readable Parquet file: row group {i} has a negative row count", file.name))
        })?;
        parts.push(PartInfo { index: i, rows, bytes: super::decoded_size::parquet_sizes(&meta, i, None).0 });
    }
    Ok((Inspected { schema: meta.schema().clone(), parts }, meta))
}

const FOOTER_SIZE: u64 = 8;

/// Fetches for the metadata loader that note the footer's metadata length on the way.
struct FooterWatch {
    reader: PinnedReader,
    size: u64,
    metadata_length: Option<u64>,
}

impl MetadataFetch for &mut FooterWatch {
    fn fetch(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            let bytes = self.reader.get_bytes(range.clone()).await?;
            if range.end == self.size && bytes.len() as u64 >= FOOTER_SIZE {
                let tail: Option<&[u8; FOOTER_SIZE as usize]> = bytes[bytes.len() - FOOTER_SIZE as usize..].try_into().ok();
                self.metadata_length = tail.and_then(|t| FooterTail::try_new(t).ok()).map(|t| t.metadata_length() as u64);
            }
            Ok(bytes)
        }
        .boxed()
    }
}

/// Every column chunk the footer lists must lie before the footer. A file whose
/// data was cut (or whose footer belongs to another file) fails here, at open,
/// with a message that says so, rather than with a short read mid-stream.
fn check_chunks_fit(file: &FileRef, metadata: &ParquetMetaData, data_end: u64) -> Result<()> {
    for (i, rg) in metadata.row_groups().iter().enumerate() {
        for column in rg.columns() {
            let (start, length) = column.byte_range();
            let end = start.saturating_add(length);
            if end > data_end {
                return Err(Error::invalid_data(format!(
                    "'{}' is truncated or its data does not match its footer: column '{}' of row group {i} ends at byte {end}, \
                     but the data ends at byte {data_end} ({} bytes in the file)",
                    file.name,
                    column.column_path(),
                    file.size
                )));
            }
        }
    }
    Ok(())
}

pub async fn read(
    file: &FileRef,
    meta: &ArrowReaderMetadata,
    row_group: usize,
    ranges: &[Range<u64>],
    projection: &Projection,
    batch_rows: usize,
) -> Result<Vec<RecordBatch>> {
    if projection.indices.is_empty() {
        return Ok(rows_without_columns(projection, ranges));
    }
    let group_rows = meta.metadata().row_group(row_group).num_rows() as usize;
    // The mask yields columns in file order; `order` puts them back in the requested order.
    let mut sorted = projection.indices.clone();
    sorted.sort_unstable();
    let order: Vec<usize> = projection.indices.iter().map(|i| sorted.binary_search(i).unwrap_or(0)).collect();
    let mask = ProjectionMask::roots(meta.parquet_schema(), sorted);
    let mut builder = ParquetRecordBatchStreamBuilder::new_with_metadata(PinnedReader(file.clone()), meta.clone())
        .with_row_groups(vec![row_group])
        .with_projection(mask)
        .with_batch_size(batch_rows);
    let whole = ranges.len() == 1 && ranges[0].start == 0 && ranges[0].end as usize == group_rows;
    if !whole {
        let ranges = ranges.iter().map(|r| r.start as usize..r.end as usize);
        builder = builder.with_row_selection(RowSelection::from_consecutive_ranges(ranges, group_rows));
    }
    let stream = builder.build().map_err(|e| Error::from_parquet(e, &file.name))?;
    let batches: Vec<RecordBatch> = stream.try_collect().await.map_err(|e| Error::from_parquet(e, &file.name))?;
    batches.into_iter().map(|b| projection.rebuild(b.project(&order).map_err(|e| Error::internal(e.to_string()))?, &file.name)).collect()
}

/// A file without columns has only row counts (polars writes such files), and
/// there is nothing to decode: the Parquet reader would ignore a row selection
/// there and yield no rows at all.
fn rows_without_columns(projection: &Projection, ranges: &[Range<u64>]) -> Vec<RecordBatch> {
    let batch = |rows: u64| {
        let options = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows as usize));
        RecordBatch::try_new_with_options(projection.schema.clone(), vec![], &options).expect("a batch without columns has any row count")
    };
    ranges.iter().filter(|r| r.end > r.start).map(|r| batch(r.end - r.start)).collect()
}
