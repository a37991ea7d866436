//! Test data written with arrow-rs's own writers into temporary directories.
#![allow(dead_code)]

use arrow::array::{ArrayRef, Float32Array, Int64Array, StringArray};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A directory removed when dropped. (No `tempfile` dev-dependency: it would
/// change the feature set of shared dependencies and rebuild arrow for tests.)
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn tempdir() -> TempDir {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("sluice-test-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let path = std::env::temp_dir().join(name);
    std::fs::create_dir_all(&path).unwrap();
    TempDir(path)
}

/// Rows `start..start+n` with id = row number, x = id / 2, s = "s{id % 7}".
pub fn rows(start: i64, n: i64) -> RecordBatch {
    let ids: Vec<i64> = (start..start + n).collect();
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef),
        ("x", Arc::new(Float32Array::from_iter_values(ids.iter().map(|&i| i as f32 / 2.0))) as ArrayRef),
        ("s", Arc::new(StringArray::from_iter_values(ids.iter().map(|i| format!("s{}", i % 7)))) as ArrayRef),
    ])
    .unwrap()
}

pub fn write_parquet(path: &Path, batch: &RecordBatch, row_group_rows: usize) {
    let file = std::fs::File::create(path).unwrap();
    let props = WriterProperties::builder().set_max_row_group_row_count(Some(row_group_rows)).build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

pub fn write_ipc_file(path: &Path, batches: &[RecordBatch]) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow::ipc::writer::FileWriter::try_new(file, &batches[0].schema()).unwrap();
    for b in batches {
        writer.write(b).unwrap();
    }
    writer.finish().unwrap();
}

pub fn write_ipc_stream(path: &Path, batches: &[RecordBatch]) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow::ipc::writer::StreamWriter::try_new(file, &batches[0].schema()).unwrap();
    for b in batches {
        writer.write(b).unwrap();
    }
    writer.finish().unwrap();
}

pub fn write_csv(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow::csv::WriterBuilder::new().with_header(true).build(file);
    writer.write(batch).unwrap();
}

pub fn write_ndjson(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow::json::LineDelimitedWriter::new(file);
    writer.write(batch).unwrap();
    writer.finish().unwrap();
}

/// The `id` column of every batch, concatenated.
pub fn ids(batches: &[RecordBatch]) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| {
            let col = b.column_by_name("id").unwrap();
            col.as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec()
        })
        .collect()
}

pub fn schema_names(schema: &SchemaRef) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}
