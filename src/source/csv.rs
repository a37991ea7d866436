//! CSV: one fragment per file. The first file gives the schema (inferred, or the
//! `schema` option); every file is counted and checked (field counts) at open,
//! so a malformed file is reported before any row is handed out. With a header,
//! columns are matched to the schema by name; without one, by position.

use super::csv_records::{RecordCounter, WrongFieldCount};
use super::slicing::{decode_batch_rows, keep_ranges};
use super::{fetch_chunks, FileRef, Inspected, PartInfo, Projection};
use crate::error::{Error, ErrorKind, Result};
use crate::options::CsvOptions;
use arrow::csv::reader::Format;
use arrow::csv::ReaderBuilder;
use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use std::ops::Range;
use std::sync::Arc;

/// arrow-csv's decoder keeps an offset (8 bytes) and reserves about 8 bytes of
/// field data per value of a batch.
const DECODER_BYTES_PER_VALUE: usize = 16;

#[derive(Debug, Clone)]
pub struct CsvLayout {
    format: Format,
    /// The file's columns in the file's order, with the types they are decoded to.
    file_schema: SchemaRef,
    /// For each column of the connector's schema, its position in the file.
    positions: Vec<usize>,
}

fn delimiter_for(file: &FileRef, options: &CsvOptions) -> u8 {
    let tab = file.name.to_ascii_lowercase().ends_with(".tsv");
    options.delimiter.unwrap_or(if tab { b'\t' } else { b',' })
}

fn format_for(file: &FileRef, options: &CsvOptions) -> Format {
    Format::default().with_header(options.header).with_delimiter(delimiter_for(file, options)).with_quote(options.quote)
}

/// The csv-core parser that arrow-csv builds from `format_for`'s settings.
fn parser_for(file: &FileRef, options: &CsvOptions) -> csv_core::Reader {
    csv_core::ReaderBuilder::new().delimiter(delimiter_for(file, options)).quote(options.quote).build()
}

fn bad(file: &FileRef, err: arrow::error::ArrowError) -> Error {
    Error::from_arrow(err, &file.name, "CSV")
}

/// `declared`: the schema every file must follow (the `schema` option, or the one
/// inferred from the first file), with where it comes from, for messages.
pub async fn inspect(file: &FileRef, options: &CsvOptions, declared: Option<(SchemaRef, &str)>) -> Result<(Inspected, CsvLayout)> {
    let format = format_for(file, options);
    // Without a header, declared columns are positional: every record must have that many.
    let width = declared.as_ref().filter(|_| !options.header).map(|(schema, _)| schema.fields().len());
    let sample_records = options.infer_rows as u64 + u64::from(options.header);
    let scan = scan(file, options, width, sample_records).await?;
    if scan.blank {
        // An empty file has no rows; it can only take its schema from elsewhere.
        let (schema, _) =
            declared.ok_or_else(|| Error::invalid_data(format!("'{}' is empty: there is no header to take the schema from", file.name)))?;
        let part = PartInfo { index: 0, rows: 0, bytes: 0 };
        let layout = CsvLayout { format, file_schema: schema.clone(), positions: (0..schema.fields().len()).collect() };
        return Ok((Inspected { schema, parts: vec![part] }, layout));
    }
    let sample = ChunksReader { chunks: &scan.sample, next: 0, offset: 0 };
    let (schema, file_schema, positions) = match declared {
        Some((schema, _)) if !options.header => (schema.clone(), schema.clone(), (0..schema.fields().len()).collect()),
        Some((schema, origin)) => {
            let (header, _) = format.infer_schema(sample, Some(0)).map_err(|e| bad(file, e))?;
            let (file_schema, positions) = match_header(file, &header, &schema, origin)?;
            (schema, file_schema, positions)
        }
        None => {
            let (inferred, _) = format.infer_schema(sample, Some(options.infer_rows)).map_err(|e| bad(file, e))?;
            let positions = (0..inferred.fields().len()).collect();
            let inferred = Arc::new(inferred);
            (inferred.clone(), inferred, positions)
        }
    };
    if schema.fields().is_empty() {
        return Err(Error::invalid_data(format!("'{}' has no columns", file.name)));
    }
    let rows = scan.records.saturating_sub(u64::from(options.header));
    let part = PartInfo { index: 0, rows, bytes: file.size };
    Ok((Inspected { schema, parts: vec![part] }, CsvLayout { format, file_schema, positions }))
}

/// What one streaming pass over a file learns.
struct Scan {
    /// Records, the header included.
    records: u64,
    /// The chunks holding at least the first `sample_records` records (the whole file if shorter).
    sample: Vec<bytes::Bytes>,
    /// Nothing but whitespace.
    blank: bool,
}

/// Streams the object once: counts its records and checks that each has `width`
/// fields (None: as many as the first record), keeping only the first
/// `sample_records` records, for the schema. Memory does not grow with the file.
async fn scan(file: &FileRef, options: &CsvOptions, width: Option<usize>, sample_records: u64) -> Result<Scan> {
    let mut chunks = fetch_chunks(file).await?;
    let mut counter = RecordCounter::new(parser_for(file, options), width);
    let wrong = |w: WrongFieldCount| {
        Error::invalid_data(format!(
            "'{}' is not a readable CSV file: line {} has {} fields, expected {} (one per column)",
            file.name, w.line, w.found, w.expected
        ))
    };
    let (mut sample, mut blank, mut sample_wanted) = (Vec::new(), true, true);
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        blank = blank && chunk.iter().all(|b| b.is_ascii_whitespace());
        counter.feed(&chunk).map_err(wrong)?;
        if sample_wanted {
            // Kept as they came (no copy into one growing buffer: a long line would double it).
            sample.push(chunk);
            sample_wanted = counter.records() < sample_records;
        }
    }
    counter.feed(&[]).map_err(wrong)?;
    Ok(Scan { records: counter.records(), sample, blank })
}

/// The declared types laid out in the file's column order, and where each declared
/// column sits in the file. Every header name must be declared, and every declared
/// name must be in the header, once.
fn match_header(file: &FileRef, header: &Schema, declared: &Schema, origin: &str) -> Result<(SchemaRef, Vec<usize>)> {
    let names: Vec<&str> = header.fields().iter().map(|f| f.name().as_str()).collect();
    let mismatch =
        |why: String| Error::new(ErrorKind::SchemaMismatch, format!("'{}' does not match the schema of {origin}: {why}", file.name));
    if let Some((_, twice)) = names.iter().enumerate().find(|(i, n)| names[..*i].contains(n)) {
        return Err(mismatch(format!("its header names column '{twice}' twice")));
    }
    let missing: Vec<&str> = declared.fields().iter().map(|f| f.name().as_str()).filter(|n| !names.contains(n)).collect();
    let extra: Vec<&str> = names.iter().copied().filter(|n| declared.index_of(n).is_err()).collect();
    if !missing.is_empty() || !extra.is_empty() {
        let mut why = Vec::new();
        if !missing.is_empty() {
            why.push(format!("columns missing from its header: {}", quoted(&missing)));
        }
        if !extra.is_empty() {
            why.push(format!("columns of its header that the schema lacks: {}", quoted(&extra)));
        }
        return Err(mismatch(why.join("; ")));
    }
    let field = |name: &str| declared.field_with_name(name).cloned().map_err(|e| Error::internal(e.to_string()));
    let fields = names.iter().map(|n| field(n)).collect::<Result<Vec<Field>>>()?;
    let positions = declared.fields().iter().map(|f| names.iter().position(|n| n == f.name()).unwrap_or(0)).collect();
    Ok((Arc::new(Schema::new(fields)), positions))
}

/// Reads a list of chunks as one stream of bytes.
struct ChunksReader<'a> {
    chunks: &'a [bytes::Bytes],
    next: usize,
    offset: usize,
}

impl std::io::Read for ChunksReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(chunk) = self.chunks.get(self.next) {
            let rest = &chunk[self.offset..];
            if rest.is_empty() {
                (self.next, self.offset) = (self.next + 1, 0);
                continue;
            }
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.offset += n;
            return Ok(n);
        }
        Ok(0)
    }
}

/// Names in quotes, at most twenty of them, so a message stays short for wide files.
fn quoted(names: &[&str]) -> String {
    const SHOWN: usize = 20;
    let mut text = names.iter().take(SHOWN).map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

pub async fn read(
    file: &FileRef,
    layout: &CsvLayout,
    ranges: &[Range<u64>],
    projection: &Projection,
    batch_rows: usize,
) -> Result<Vec<RecordBatch>> {
    let (Some(first), Some(last)) = (ranges.first(), ranges.last()) else { return Ok(vec![]) };
    let columns: Vec<usize> = projection.indices.iter().map(|&i| layout.positions[i]).collect();
    let rows = decode_batch_rows(layout.file_schema.fields().len(), DECODER_BYTES_PER_VALUE, batch_rows);
    let mut decoder = ReaderBuilder::new(layout.file_schema.clone())
        .with_format(layout.format.clone())
        .with_projection(columns)
        .with_batch_size(rows)
        .with_bounds(first.start as usize, last.end as usize)
        .build_decoder();
    // The object is decoded as its chunks arrive, never held whole.
    let mut chunks = fetch_chunks(file).await?;
    let (mut batches, mut pending, mut end_of_file) = (Vec::new(), bytes::Bytes::new(), false);
    loop {
        if pending.is_empty() && !end_of_file {
            match chunks.next().await {
                Some(chunk) => pending = chunk?,
                None => end_of_file = true,
            }
            continue;
        }
        // An empty slice tells the decoder the file has ended.
        let used = decoder.decode(&pending).map_err(|e| bad(file, e))?;
        pending = pending.slice(used..);
        if used == 0 || decoder.capacity() == 0 {
            // A full batch, the last row wanted, or the end of the file.
            match decoder.flush().map_err(|e| bad(file, e))? {
                Some(batch) => batches.push(batch),
                None if used == 0 => break,
                None => {}
            }
        }
    }
    let shifted: Vec<Range<u64>> = ranges.iter().map(|r| r.start - first.start..r.end - first.start).collect();
    let kept = keep_ranges(batches.into_iter().map(Ok), &shifted)?;
    kept.into_iter().map(|b| projection.rebuild(b, &file.name)).collect()
}
