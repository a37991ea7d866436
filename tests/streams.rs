//! Stream sources through the Rust API (`Connector::from_streams`): partitions in
//! order, a first pass straight from the readers, the snapshot for everything else.

mod common;

use arrow::error::ArrowError;
use arrow::record_batch::{RecordBatch, RecordBatchIterator};
use common::*;
use sluice::{Connector, ErrorKind, PartitionReader, ReadOptions, SourceOptions};

fn read_opts(pairs: &[(&str, &str)]) -> ReadOptions {
    let mut o = ReadOptions::default();
    for (k, v) in pairs {
        o.set(k, v).unwrap();
    }
    o
}

fn source_opts(dir: &TempDir, pairs: &[(&str, &str)]) -> SourceOptions {
    let mut o = SourceOptions::default();
    o.set("snapshot_dir", &dir.path().to_string_lossy()).unwrap();
    for (k, v) in pairs {
        o.set(k, v).unwrap();
    }
    o
}

/// A partition of `batches` rows each, starting at `start`.
fn partition(start: i64, batch_rows: i64, batches: i64) -> PartitionReader {
    let items: Vec<Result<RecordBatch, ArrowError>> = (0..batches).map(|b| Ok(rows(start + b * batch_rows, batch_rows))).collect();
    Box::new(RecordBatchIterator::new(items, rows(0, 1).schema()))
}

/// Three partitions: ids 0..300, 300..350, 350..1000.
fn three_partitions() -> Vec<PartitionReader> {
    vec![partition(0, 100, 3), partition(300, 50, 1), partition(350, 130, 5)]
}

fn collect(c: &Connector, pairs: &[(&str, &str)]) -> sluice::Result<Vec<RecordBatch>> {
    c.read(&read_opts(pairs))?.collect()
}

#[test]
fn partitions_follow_each_other_in_exact_batches_then_the_snapshot_serves_every_read() {
    let dir = tempdir();
    let c = Connector::from_streams(three_partitions(), "three partitions", &source_opts(&dir, &[])).unwrap();
    let first = collect(&c, &[("batch_size", "64"), ("drop_last_batch", "true")]).unwrap();
    assert_eq!(ids(&first), (0..960).collect::<Vec<_>>());
    assert!(first.iter().all(|b| b.num_rows() == 64));
    // a second pass, a shuffle and shards read the snapshot, which holds every row in order
    assert_eq!(ids(&collect(&c, &[("batch_size", "64")]).unwrap()), (0..1000).collect::<Vec<_>>());
    assert_eq!(c.num_rows().unwrap(), 1000);
    let snapshot = c.snapshot().unwrap().unwrap();
    let files = Connector::open(&[snapshot.to_string_lossy().into_owned()], &SourceOptions::default()).unwrap();
    let shuffle = [("shuffle", "true"), ("seed", "5"), ("shuffle_window", "100"), ("num_shards", "3"), ("shard_index", "1")];
    assert_eq!(ids(&collect(&c, &shuffle).unwrap()), ids(&collect(&files, &shuffle).unwrap()));
    assert_eq!(std::fs::read_dir(&snapshot).unwrap().count(), 3, "one file per partition");
}

#[test]
fn a_limited_first_pass_stops_early_and_the_snapshot_still_gets_every_row() {
    let dir = tempdir();
    let c = Connector::from_streams(three_partitions(), "three partitions", &source_opts(&dir, &[])).unwrap();
    assert_eq!(ids(&collect(&c, &[("limit", "320"), ("columns", "id")]).unwrap()), (0..320).collect::<Vec<_>>());
    assert_eq!(c.count_rows(&ReadOptions::default()).unwrap(), 1000);
    assert_eq!(ids(&collect(&c, &[("num_shards", "2"), ("shard_index", "1")]).unwrap()), (500..1000).collect::<Vec<_>>());
}

#[test]
fn partitions_with_different_schemas_are_refused() {
    let other = rows(0, 1).project(&[0]).unwrap();
    let items: Vec<Result<RecordBatch, ArrowError>> = vec![Ok(other.clone())];
    let odd: PartitionReader = Box::new(RecordBatchIterator::new(items, other.schema()));
    let err = Connector::from_streams(vec![partition(0, 10, 1), odd], "q", &SourceOptions::default()).err().unwrap();
    assert_eq!(err.kind, ErrorKind::SchemaMismatch);
    assert!(err.message.contains("stream source q: partition 1 has the schema"), "{}", err.message);
}

#[test]
fn a_producer_error_ends_every_read_with_it_and_leaves_no_snapshot() {
    let dir = tempdir();
    let items: Vec<Result<RecordBatch, ArrowError>> =
        vec![Ok(rows(0, 100)), Err(ArrowError::IoError("connection reset".into(), std::io::ErrorKind::Other.into()))];
    let failing: PartitionReader = Box::new(RecordBatchIterator::new(items, rows(0, 1).schema()));
    let c = Connector::from_streams(vec![partition(0, 10, 1), failing], "q", &source_opts(&dir, &[])).unwrap();
    let err = collect(&c, &[("batch_size", "7")]).err().unwrap();
    assert!(
        err.message.contains("stream source q: partition 1 failed after 100 rows: ") && err.message.contains("connection reset"),
        "{}",
        err.message
    );
    let again = collect(&c, &[("shuffle", "true")]).err().unwrap();
    assert_eq!(again.message, err.message);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().filter(|e| e.as_ref().unwrap().path().is_dir()).count(), 0);
}

#[test]
fn a_read_needing_the_snapshot_cuts_off_an_open_first_pass_which_then_fails_rather_than_ends_short() {
    let dir = tempdir();
    let c = Connector::from_streams(three_partitions(), "three partitions", &source_opts(&dir, &[])).unwrap();
    let mut first = c.read(&read_opts(&[("batch_size", "64")])).unwrap();
    assert_eq!(ids(&[first.next_batch().unwrap().unwrap()]), (0..64).collect::<Vec<_>>());
    // the first pass is open and not read on: the shuffle does not wait for it
    assert_eq!(ids(&collect(&c, &[("shuffle", "true")]).unwrap()).len(), 1000);
    let rest: sluice::Result<Vec<RecordBatch>> = first.collect();
    let err = rest.expect_err("the cut-off pass ends with an error");
    assert!(err.message.contains("this pass was cut off before its end"), "{}", err.message);
}
