//! CSV: one fragment per file. The first file gives the schema (inferred, or the
//! `schema` option); every file is counted and checked (field counts) at open,
//! so a malformed file is reported before any row is handed out.

use super::slicing::keep_ranges;
use super::{fetch_all, FileRef, Inspected, PartInfo, Projection};
use crate::error::{Error, Result};
use crate::options::CsvOptions;
use arrow::csv::reader::Format;
use arrow::csv::ReaderBuilder;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use std::io::Cursor;
use std::ops::Range;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct CsvLayout {
    format: Format,
    schema: SchemaRef,
}

fn format_for(file: &FileRef, options: &CsvOptions) -> Format {
    let tab = file.name.to_ascii_lowercase().ends_with(".tsv");
    let delimiter = options.delimiter.unwrap_or(if tab { b'\t' } else { b',' });
    Format::default().with_header(options.header).with_delimiter(delimiter).with_quote(options.quote)
}

fn bad(file: &FileRef, err: arrow::error::ArrowError) -> Error {
    Error::from_arrow(err, &file.name, "CSV")
}

/// `declared`: the schema every file must follow (explicit, or inferred from the first file).
pub async fn inspect(file: &FileRef, options: &CsvOptions, declared: Option<SchemaRef>) -> Result<(Inspected, CsvLayout)> {
    let bytes = fetch_all(file).await?;
    let format = format_for(file, options);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        // An empty file has no rows; it can only take its schema from elsewhere.
        let schema =
            declared.ok_or_else(|| Error::invalid_data(format!("'{}' is empty: there is no header to take the schema from", file.name)))?;
        let part = PartInfo { index: 0, rows: 0, bytes: 0 };
        return Ok((Inspected { schema: schema.clone(), parts: vec![part] }, CsvLayout { format, schema }));
    }
    let (schema, seen) = match declared {
        Some(schema) if !options.header => (schema.clone(), schema),
        Some(schema) => {
            // Later files keep the declared types, but show their own header names so a
            // renamed or reordered column is reported as a schema mismatch.
            let (header, _) = format.infer_schema(Cursor::new(&bytes), Some(0)).map_err(|e| bad(file, e))?;
            let renamed = if header.fields().len() == schema.fields().len() {
                let fields = schema.fields().iter().zip(header.fields()).map(|(f, h)| f.as_ref().clone().with_name(h.name()));
                Arc::new(Schema::new(fields.collect::<Vec<_>>()))
            } else {
                Arc::new(header)
            };
            (schema, renamed)
        }
        None => {
            let (inferred, _) = format.infer_schema(Cursor::new(&bytes), Some(options.infer_rows)).map_err(|e| bad(file, e))?;
            let inferred = Arc::new(inferred);
            (inferred.clone(), inferred)
        }
    };
    if schema.fields().is_empty() {
        return Err(Error::invalid_data(format!("'{}' has no columns", file.name)));
    }
    let rows = count_rows(file, &bytes, &format, &schema)?;
    let part = PartInfo { index: 0, rows, bytes: file.size };
    Ok((Inspected { schema: seen, parts: vec![part] }, CsvLayout { format, schema }))
}

/// Reads every row, decoding one column only: checks field counts and counts rows.
fn count_rows(file: &FileRef, bytes: &bytes::Bytes, format: &Format, schema: &SchemaRef) -> Result<u64> {
    let reader = ReaderBuilder::new(schema.clone())
        .with_format(format.clone())
        .with_projection(vec![0])
        .with_batch_size(65_536)
        .build(Cursor::new(bytes.clone()))
        .map_err(|e| bad(file, e))?;
    let mut rows = 0u64;
    for batch in reader {
        rows += batch.map_err(|e| bad(file, e))?.num_rows() as u64;
    }
    Ok(rows)
}

pub async fn read(
    file: &FileRef,
    layout: &CsvLayout,
    ranges: &[Range<u64>],
    projection: &Projection,
    batch_rows: usize,
) -> Result<Vec<RecordBatch>> {
    let (Some(first), Some(last)) = (ranges.first(), ranges.last()) else {
        return Ok(vec![]);
    };
    let bytes = fetch_all(file).await?;
    let reader = ReaderBuilder::new(layout.schema.clone())
        .with_format(layout.format.clone())
        .with_projection(projection.indices.clone())
        .with_batch_size(batch_rows)
        .with_bounds(first.start as usize, last.end as usize)
        .build(Cursor::new(bytes))
        .map_err(|e| bad(file, e))?;
    let shifted: Vec<Range<u64>> = ranges.iter().map(|r| r.start - first.start..r.end - first.start).collect();
    let kept = keep_ranges(reader.map(|b| b.map_err(|e| bad(file, e))), &shifted)?;
    kept.into_iter().map(|b| projection.rebuild(b, &file.name)).collect()
}
