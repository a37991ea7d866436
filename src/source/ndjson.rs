//! Newline-delimited JSON: one fragment per file; the first file's inferred
//! schema (or the `schema` option) applies to all. Files are decoded once at
//! open to count and check their rows.

use super::slicing::keep_ranges;
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

pub async fn inspect(file: &FileRef, declared: Option<SchemaRef>, infer_rows: usize) -> Result<(Inspected, SchemaRef)> {
    let bytes = fetch_all(file).await?;
    let schema = match declared {
        Some(schema) => schema,
        None => {
            let (schema, _) = arrow::json::reader::infer_json_schema(Cursor::new(&bytes), Some(infer_rows)).map_err(|e| bad(file, e))?;
            Arc::new(in_first_seen_order(schema, &bytes, infer_rows))
        }
    };
    if schema.fields().is_empty() {
        return Err(Error::invalid_data(format!("'{}' has no fields to read", file.name)));
    }
    let reader = ReaderBuilder::new(schema.clone()).with_batch_size(65_536).build(Cursor::new(bytes)).map_err(|e| bad(file, e))?;
    let mut rows = 0u64;
    for batch in reader {
        rows += batch.map_err(|e| bad(file, e))?.num_rows() as u64;
    }
    let part = PartInfo { index: 0, rows, bytes: file.size };
    Ok((Inspected { schema: schema.clone(), parts: vec![part] }, schema))
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

pub async fn read(file: &FileRef, ranges: &[Range<u64>], projection: &Projection, batch_rows: usize) -> Result<Vec<RecordBatch>> {
    let bytes = fetch_all(file).await?;
    let reader =
        ReaderBuilder::new(projection.schema.clone()).with_batch_size(batch_rows).build(Cursor::new(bytes)).map_err(|e| bad(file, e))?;
    let kept = keep_ranges(reader.map(|b| b.map_err(|e| bad(file, e))), ranges)?;
    kept.into_iter().map(|b| projection.rebuild(b, &file.name)).collect()
}
