//! The files the reader harnesses mutate, written in memory by arrow-rs's own
//! writers with the columns of the test suite's files (tests/common): an int64
//! id, a float32 with nulls and a string, in several layouts per format.

use arrow::array::{ArrayRef, Float32Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterVersion};
use std::sync::Arc;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Parquet,
    Ipc,
    Csv,
    Ndjson,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Ipc => "arrow",
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }
}

/// Rows `start..start+n`: id = row number, x = id / 2 (null every fifth row), s = "s{id % 7}".
pub fn rows(start: i64, n: i64) -> RecordBatch {
    let ids: Vec<i64> = (start..start + n).collect();
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef),
        ("x", Arc::new(Float32Array::from_iter(ids.iter().map(|&i| (i % 5 != 0).then_some(i as f32 / 2.0)))) as ArrayRef),
        ("s", Arc::new(StringArray::from_iter_values(ids.iter().map(|i| format!("s{}", i % 7)))) as ArrayRef),
    ])
    .unwrap()
}

#[derive(Debug, Clone, Copy)]
pub struct ParquetLayout {
    pub compression: Compression,
    pub no_dictionary: bool,
    pub v2_pages: bool,
    pub page_rows: Option<usize>,
}

impl Default for ParquetLayout {
    fn default() -> Self {
        ParquetLayout { compression: Compression::UNCOMPRESSED, no_dictionary: false, v2_pages: false, page_rows: None }
    }
}

pub fn parquet(batch: &RecordBatch, row_group_rows: usize, layout: ParquetLayout) -> Vec<u8> {
    let mut props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(row_group_rows))
        .set_compression(layout.compression)
        .set_dictionary_enabled(!layout.no_dictionary);
    if layout.v2_pages {
        props = props.set_writer_version(WriterVersion::PARQUET_2_0);
    }
    if let Some(rows) = layout.page_rows {
        props = props.set_data_page_row_count_limit(rows).set_write_batch_size(rows);
    }
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props.build())).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
    out
}

pub fn ipc_file(batches: &[RecordBatch]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = arrow::ipc::writer::FileWriter::try_new(&mut out, &batches[0].schema()).unwrap();
    for b in batches {
        writer.write(b).unwrap();
    }
    writer.finish().unwrap();
    drop(writer);
    out
}

pub fn ipc_stream(batches: &[RecordBatch]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = arrow::ipc::writer::StreamWriter::try_new(&mut out, &batches[0].schema()).unwrap();
    for b in batches {
        writer.write(b).unwrap();
    }
    writer.finish().unwrap();
    drop(writer);
    out
}

pub fn csv(batch: &RecordBatch, header: bool, delimiter: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = arrow::csv::WriterBuilder::new().with_header(header).with_delimiter(delimiter).build(&mut out);
    writer.write(batch).unwrap();
    drop(writer);
    out
}

pub fn ndjson(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = arrow::json::LineDelimitedWriter::new(&mut out);
    writer.write(batch).unwrap();
    writer.finish().unwrap();
    drop(writer);
    out
}

/// The seed files of one format, written once per process.
pub fn seeds(format: Format) -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<[Vec<Vec<u8>>; 4]> = OnceLock::new();
    let all = SEEDS.get_or_init(|| {
        let small = rows(0, 60);
        let parts = [rows(0, 25), rows(25, 1), rows(26, 34)];
        let zstd = Compression::ZSTD(ZstdLevel::default());
        [
            vec![
                parquet(&small, 20, ParquetLayout::default()),
                parquet(&small, 60, ParquetLayout { compression: Compression::SNAPPY, page_rows: Some(8), ..Default::default() }),
                parquet(&small, 32, ParquetLayout { compression: zstd, no_dictionary: true, v2_pages: true, ..Default::default() }),
                parquet(
                    &small,
                    7,
                    ParquetLayout { compression: Compression::LZ4_RAW, v2_pages: true, page_rows: Some(3), ..Default::default() },
                ),
            ],
            vec![ipc_file(&parts), ipc_stream(&parts), ipc_file(std::slice::from_ref(&small))],
            vec![csv(&small, true, b','), csv(&parts[0], true, b',')],
            vec![ndjson(&small), ndjson(&parts[2])],
        ]
    });
    let index = match format {
        Format::Parquet => 0,
        Format::Ipc => 1,
        Format::Csv => 2,
        Format::Ndjson => 3,
    };
    &all[index]
}
