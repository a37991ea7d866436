//! Arrow IPC. The file format gives one fragment per record batch, located
//! through the footer, so a fragment fetches only its own bytes. The stream
//! format has no index: each stream file is one fragment.

use super::slicing::keep_ranges;
use super::{fetch_all, FileRef, Inspected, PartInfo, Projection};
use crate::error::{Error, Result};
use arrow::buffer::Buffer;
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::{FileDecoder, StreamDecoder};
use arrow::ipc::{Block, MetadataVersion};
use arrow::record_batch::RecordBatch;
use std::ops::Range;
use std::sync::Arc;

const MAGIC: &[u8] = b"ARROW1";

/// Where an IPC file's batches and dictionaries are.
#[derive(Debug)]
pub struct IpcFileLayout {
    schema: SchemaRef,
    version: MetadataVersion,
    batches: Vec<Block>,
    dictionaries: Vec<Block>,
}

pub enum IpcKind {
    File(Arc<IpcFileLayout>),
    Stream,
}

fn bad(file: &FileRef, why: impl std::fmt::Display) -> Error {
    Error::invalid_data(format!("'{}' is not a readable Arrow IPC file: {why}", file.name))
}

async fn fetch(file: &FileRef, range: Range<u64>) -> Result<bytes::Bytes> {
    file.get_range(range).await
}

pub async fn inspect(file: &FileRef) -> Result<(Inspected, IpcKind)> {
    let is_file = file.size >= 6 + 10 && fetch(file, 0..6).await?.as_ref() == MAGIC;
    if !is_file {
        let (schema, batches) = decode_stream(file, fetch_all(file).await?)?;
        let rows = batches.iter().map(|b| b.num_rows() as u64).sum();
        let part = PartInfo { index: 0, rows, bytes: file.size };
        return Ok((Inspected { schema, parts: vec![part] }, IpcKind::Stream));
    }
    let tail = fetch(file, file.size - 10..file.size).await?;
    let footer_len = arrow::ipc::reader::read_footer_length(tail.as_ref().try_into().unwrap_or([0; 10])).map_err(|e| bad(file, e))? as u64;
    if footer_len + 10 > file.size {
        return Err(bad(file, "footer length is larger than the file (truncated?)"));
    }
    let footer_bytes = fetch(file, file.size - 10 - footer_len..file.size - 10).await?;
    let footer = arrow::ipc::root_as_footer(&footer_bytes).map_err(|e| bad(file, e))?;
    let schema = Arc::new(arrow::ipc::convert::fb_to_schema(footer.schema().ok_or_else(|| bad(file, "footer has no schema"))?));
    let batches: Vec<Block> = footer.recordBatches().map(|b| b.iter().copied().collect()).unwrap_or_default();
    let dictionaries: Vec<Block> = footer.dictionaries().map(|b| b.iter().copied().collect()).unwrap_or_default();
    // Each batch's row count sits in its message header: fetch only those headers.
    if batches.iter().chain(&dictionaries).any(|b| b.offset() < 0 || b.metaDataLength() < 0 || b.bodyLength() < 0) {
        return Err(bad(file, "the footer holds a negative offset or length"));
    }
    // Whole blocks, bodies included: a body length is also a size estimate for the budget.
    let past_end =
        |b: &Block| (b.offset() as u64).saturating_add(b.metaDataLength() as u64).saturating_add(b.bodyLength() as u64) > file.size;
    if batches.iter().chain(&dictionaries).any(past_end) {
        return Err(bad(file, "a record batch or dictionary lies past the end of the file (truncated?)"));
    }
    let header_ranges: Vec<Range<u64>> = batches.iter().map(|b| b.offset() as u64..b.offset() as u64 + b.metaDataLength() as u64).collect();
    let headers = file.get_ranges(&header_ranges).await?;
    let mut parts = Vec::with_capacity(batches.len());
    for (index, (block, header)) in batches.iter().zip(headers).enumerate() {
        let message = parse_message(&header).ok_or_else(|| bad(file, format!("record batch {index} has a malformed header")))?;
        let rows = message.header_as_record_batch().ok_or_else(|| bad(file, format!("block {index} is not a record batch")))?.length();
        let rows = u64::try_from(rows).map_err(|_| bad(file, format!("record batch {index} has a negative length")))?;
        parts.push(PartInfo { index, rows, bytes: block.bodyLength() as u64 });
    }
    let layout = IpcFileLayout { schema: schema.clone(), version: footer.version(), batches, dictionaries };
    Ok((Inspected { schema, parts }, IpcKind::File(Arc::new(layout))))
}

/// Decodes a whole IPC stream held in memory. `StreamDecoder` slices each
/// message's body out of the bytes it is given, so a corrupted body length is an
/// "unexpected end of stream" error; `StreamReader` would first allocate a buffer
/// of that length (an allocation bomb: tests/fuzz.rs found 4.7 EB).
fn decode_stream(file: &FileRef, bytes: bytes::Bytes) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let mut decoder = StreamDecoder::new();
    let mut buffer = Buffer::from(bytes);
    let mut batches = Vec::new();
    while !buffer.is_empty() {
        if let Some(batch) = decoder.decode(&mut buffer).map_err(|e| bad(file, e))? {
            batches.push(batch);
        }
    }
    decoder.finish().map_err(|e| bad(file, e))?;
    let schema = decoder.schema().ok_or_else(|| bad(file, "the stream holds no schema"))?;
    Ok((schema, batches))
}

/// A block starts with an optional 0xFFFFFFFF continuation marker and a length.
fn parse_message(header: &[u8]) -> Option<arrow::ipc::Message<'_>> {
    let body = if header.len() >= 8 && header[..4] == [0xff; 4] { &header[8..] } else { header.get(4..)? };
    arrow::ipc::root_as_message(body).ok()
}

pub async fn read(
    file: &FileRef,
    kind: &IpcKind,
    index: usize,
    ranges: &[Range<u64>],
    projection: &Projection,
) -> Result<Vec<RecordBatch>> {
    let batches = match kind {
        IpcKind::File(layout) => vec![read_file_batch(file, layout, index).await?],
        IpcKind::Stream => decode_stream(file, fetch_all(file).await?)?.1,
    };
    let kept = keep_ranges(batches.into_iter().map(Ok), ranges)?;
    kept.into_iter()
        .map(|b| projection.rebuild(b.project(&projection.indices).map_err(|e| Error::internal(e.to_string()))?, &file.name))
        .collect()
}

async fn read_file_batch(file: &FileRef, layout: &IpcFileLayout, index: usize) -> Result<RecordBatch> {
    let span = |b: &Block| b.offset() as u64..b.offset() as u64 + b.metaDataLength() as u64 + b.bodyLength() as u64;
    let mut ranges: Vec<Range<u64>> = layout.dictionaries.iter().map(span).collect();
    ranges.push(span(&layout.batches[index]));
    let mut buffers = file.get_ranges(&ranges).await?;
    let batch_bytes = buffers.pop().unwrap_or_default();
    let mut decoder = FileDecoder::new(layout.schema.clone(), layout.version).with_require_alignment(false);
    for (block, bytes) in layout.dictionaries.iter().zip(buffers) {
        decoder.read_dictionary(block, &Buffer::from(bytes)).map_err(|e| bad(file, e))?;
    }
    decoder
        .read_record_batch(&layout.batches[index], &Buffer::from(batch_bytes))
        .map_err(|e| bad(file, e))?
        .ok_or_else(|| bad(file, format!("record batch {index} is empty")))
}
