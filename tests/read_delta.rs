//! A Delta Lake table through the Rust API: tests/c/data/delta_table, written by
//! the deltalake package (tests/c/data/make_delta_fixture.py): ids 0..29 with a
//! partition column `g` ("a" for even ids), then ids 30..49 appended, then ids
//! below 10 deleted.

use arrow::array::{Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use sluice::{Connector, ErrorKind, ReadOptions, SourceOptions};
use std::path::Path;

fn table() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/data/delta_table").to_string_lossy().into_owned()
}

fn open(options: &[(&str, &str)]) -> sluice::Result<Connector> {
    let mut source = SourceOptions::default();
    for (k, v) in options {
        source.set(k, v)?;
    }
    Connector::open(&[table()], &source)
}

fn read(c: &Connector, options: &[(&str, &str)]) -> Vec<RecordBatch> {
    let mut read = ReadOptions::default();
    for (k, v) in options {
        read.set(k, v).unwrap();
    }
    c.read(&read).unwrap().collect::<sluice::Result<Vec<_>>>().unwrap()
}

/// (id, g) of every row, sorted by id.
fn rows(batches: &[RecordBatch]) -> Vec<(i64, String)> {
    let mut rows = Vec::new();
    for batch in batches {
        let ids = batch.column_by_name("id").unwrap().as_any().downcast_ref::<Int64Array>().unwrap();
        let groups = batch.column_by_name("g").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..batch.num_rows() {
            rows.push((ids.value(i), groups.value(i).to_string()));
        }
    }
    rows.sort();
    rows
}

fn expected(ids: std::ops::Range<i64>) -> Vec<(i64, String)> {
    ids.map(|i| (i, if i % 2 == 0 { "a" } else { "b" }.to_string())).collect()
}

#[test]
fn latest_version_with_partition_values() {
    let c = open(&[]).unwrap();
    assert_eq!(c.num_rows().unwrap(), 40);
    let names: Vec<String> = c.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["id", "g"]);
    assert_eq!(rows(&read(&c, &[("batch_size", "7")])), expected(10..50));
    let shuffled = read(&c, &[("shuffle", "true"), ("seed", "4")]);
    assert_eq!(rows(&shuffled), expected(10..50));
}

#[test]
fn an_older_version() {
    let c = open(&[("format", "delta"), ("version", "1")]).unwrap();
    assert_eq!(rows(&read(&c, &[])), expected(0..50));
    let c = open(&[("version", "0")]).unwrap();
    let only_g = read(&c, &[("columns", "g")]);
    assert_eq!(only_g.iter().map(|b| b.num_rows()).sum::<usize>(), 30);
    assert!(only_g.iter().all(|b| b.column(0).null_count() == 0));
}

#[test]
fn a_version_that_does_not_exist() {
    let err = open(&[("version", "3")]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("delta_table' has no version 3"), "{}", err.message);
}
