//! Newline-delimited JSON: one fragment per file; the first file's inferred
//! schema (or the `schema` option) applies to all. Files are decoded once at
//! open to count and check their rows: a key the schema lacks is an error
//! unless the `ndjson_unknown_keys` option says to ignore such keys.

use super::slicing::{decode_batch_rows, keep_ranges};
use super::{fetch_all, FileRef, Inspected, PartInfo, Projection};
use crate::error::{Error, Result};
use arrow::datatypes::{Schema, SchemaRef};
use arrow::json::ReaderBuilder;
use arrow::record_batch::RecordBatch;
use std::io::Cursor;
use std::ops::Range;
use std::sync::Arc;

fn bad(file: &FileRef, err: arrow::error::ArrowError) -> Error {
    Error::from_arrow(err, &file.name, "NDJSON")
}

/// The tape decoder reserves two offsets (4 bytes each) and two tape elements
/// (8 bytes each) per field of each row of a batch.
const TAPE_BYTES_PER_FIELD: usize = 24;

/// Rows per decode batch: `wanted`, fewer for objects with many fields.
fn batch_rows(schema: &Schema, wanted: usize) -> usize {
    decode_batch_rows(schema.flattened_fields().len(), TAPE_BYTES_PER_FIELD, wanted)
}

/// `ignore_unknown_keys`: skip keys the schema lacks instead of failing on them.
pub async fn inspect(file: &FileRef, declared: Option<SchemaRef>, infer_rows: usize, ignore_unknown_keys: bool) -> Result<Inspected> {
    let bytes = fetch_all(file).await?;
    let (schema, inferred) = match declared {
        Some(schema) => (schema, false),
        None => {
            let (schema, _) = arrow::json::reader::infer_json_schema(Cursor::new(&bytes), Some(infer_rows)).map_err(|e| bad(file, e))?;
            (Arc::new(in_first_seen_order(schema, &bytes, infer_rows)), true)
        }
    };
    if schema.fields().is_empty() {
        return Err(Error::invalid_data(format!("'{}' has no fields to read", file.name)));
    }
    // Every row is decoded once here, so a bad value or an unknown key fails the open.
    let reader = ReaderBuilder::new(schema.clone())
        .with_batch_size(batch_rows(&schema, 65_536))
        .with_strict_mode(!ignore_unknown_keys)
        .build(Cursor::new(&bytes[..]))
        .map_err(|e| bad(file, e))?;
    let mut rows = 0u64;
    for batch in reader {
        match batch {
            Ok(batch) => rows += batch.num_rows() as u64,
            // arrow-json's strict mode names the key but not the line.
            Err(e) if !ignore_unknown_keys && e.to_string().contains("missing from schema") => {
                return Err(unknown_key(file, &bytes, &schema, inferred, e));
            }
            Err(e) => return Err(bad(file, e)),
        }
    }
    let part = PartInfo { index: 0, rows, bytes: file.size };
    Ok(Inspected { schema, parts: vec![part] })
}

/// Names the first top-level key the schema lacks and its line (1-based). Runs
/// only once decoding has failed, so a good file is not scanned twice.
fn unknown_key(file: &FileRef, bytes: &[u8], schema: &Schema, inferred: bool, err: arrow::error::ArrowError) -> Error {
    let remedy = if inferred {
        "list it in the 'schema' option, raise 'csv_infer_rows' (the rows read to infer the schema), or set ndjson_unknown_keys=ignore to skip such keys"
    } else {
        "add it to the 'schema' option, or set ndjson_unknown_keys=ignore to skip such keys"
    };
    let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<KeyOrder>();
    loop {
        let end_of_previous = values.byte_offset();
        let Some(Ok(keys)) = values.next() else { break };
        if let Some(key) = keys.0.iter().find(|k| schema.index_of(k).is_err()) {
            let start = end_of_previous + bytes[end_of_previous..].iter().take_while(|b| b.is_ascii_whitespace()).count();
            let line = bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1;
            return Error::invalid_data(format!("'{}' line {line}: key '{key}' is not in the schema; {remedy}", file.name));
        }
    }
    // A key inside a nested object: arrow's message names its field.
    Error::invalid_data(format!("'{}' has a key that is not in the schema ({err}); {remedy}", file.name))
}

/// Inference sorts fields by name; pyarrow, pandas and polars keep the order in
/// which keys first appear, and so does sluice.
fn in_first_seen_order(schema: Schema, bytes: &[u8], rows: usize) -> Schema {
    let mut order: Vec<String> = Vec::new();
    let values = serde_json::Deserializer::from_slice(bytes).into_iter::<KeyOrder>();
    for keys in values.take(rows).map_while(|v| v.ok()) {
        for key in keys.0 {
            if !order.contains(&key) {
                order.push(key);
            }
        }
    }
    let position = |name: &str| order.iter().position(|k| k == name).unwrap_or(usize::MAX);
    let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
    fields.sort_by_key(|f| position(f.name()));
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// The top-level keys of one JSON object, in document order (values skipped).
struct KeyOrder(Vec<String>);

impl<'de> serde::Deserialize<'de> for KeyOrder {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = KeyOrder;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<KeyOrder, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(KeyOrder(keys))
            }
        }
        deserializer.deserialize_map(Keys)
    }
}

pub async fn read(file: &FileRef, ranges: &[Range<u64>], projection: &Projection, wanted_rows: usize) -> Result<Vec<RecordBatch>> {
    let bytes = fetch_all(file).await?;
    let reader = ReaderBuilder::new(projection.schema.clone())
        .with_batch_size(batch_rows(&projection.schema, wanted_rows))
        .build(Cursor::new(bytes))
        .map_err(|e| bad(file, e))?;
    let kept = keep_ranges(reader.map(|b| b.map_err(|e| bad(file, e))), ranges)?;
    kept.into_iter().map(|b| projection.rebuild(b, &file.name)).collect()
}
