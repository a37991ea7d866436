//! Resume tokens through the Rust API: a reader opened from another's position
//! emits exactly the rows and batches the other would have emitted next; a
//! token that does not fit the read is an error naming what differs.

mod common;

use arrow::record_batch::RecordBatch;
use common::*;
use sluice::{Connector, ErrorKind, ReadOptions, SourceOptions};

/// Three Parquet files of 100, 250 and 37 rows, row groups of 40 rows.
fn parquet_dir() -> TempDir {
    let dir = tempdir();
    let mut start = 0;
    for (i, n) in [100, 250, 37].into_iter().enumerate() {
        write_parquet(&dir.path().join(format!("part-{i}.parquet")), &rows(start, n), 40);
        start += n;
    }
    dir
}

fn open(dir: &TempDir) -> Connector {
    Connector::open(&[dir.path().to_string_lossy().to_string()], &SourceOptions::default()).unwrap()
}

fn options(pairs: &[(&str, &str)]) -> ReadOptions {
    let mut o = ReadOptions::default();
    for (k, v) in pairs {
        o.set(k, v).unwrap();
    }
    o
}

fn batch_ids(batches: &[RecordBatch]) -> Vec<Vec<i64>> {
    batches.iter().map(|b| ids(std::slice::from_ref(b))).collect()
}

/// The batches after resuming from the position after `consumed` batches.
fn resumed_after(connector: &Connector, pairs: &[(&str, &str)], consumed: usize) -> Vec<Vec<i64>> {
    let mut first = connector.read(&options(pairs)).unwrap();
    for _ in 0..consumed {
        first.next_batch().unwrap();
    }
    let token = first.position(0).unwrap();
    let mut resumed = options(pairs);
    resumed.set("resume_from", &token).unwrap();
    let rest: Vec<RecordBatch> = connector.read(&resumed).unwrap().collect::<sluice::Result<_>>().unwrap();
    assert_eq!(connector.count_rows(&resumed).unwrap(), rest.iter().map(|b| b.num_rows() as u64).sum::<u64>());
    batch_ids(&rest)
}

#[test]
fn a_resumed_reader_emits_exactly_the_rest_at_every_position() {
    let dir = parquet_dir();
    let connector = open(&dir);
    let cases: &[&[(&str, &str)]] = &[
        &[("batch_size", "32")],
        &[("batch_size", "32"), ("shuffle", "true"), ("seed", "5"), ("shuffle_window", "64")],
        &[("batch_size", "10"), ("shuffle", "true"), ("epoch", "3"), ("num_shards", "3"), ("shard_index", "1")],
        &[("batch_size", "16"), ("num_workers", "3"), ("worker_index", "2"), ("drop_last_batch", "true")],
        &[("batch_size", "7"), ("shuffle", "true"), ("num_workers", "2"), ("worker_index", "1"), ("worker_interleave", "3")],
        &[("batch_size", "50"), ("num_shards", "4"), ("shard_index", "3"), ("equal_shards", "pad"), ("shuffle", "true")],
        &[("batch_size", "9"), ("limit", "100"), ("batches_per_chunk", "2")],
    ];
    for pairs in cases {
        let whole = batch_ids(&connector.read(&options(pairs)).unwrap().collect::<sluice::Result<Vec<_>>>().unwrap());
        assert!(whole.len() >= 2, "{pairs:?}");
        for consumed in 0..=whole.len() {
            assert_eq!(resumed_after(&connector, pairs, consumed), whole[consumed..].to_vec(), "{pairs:?} after {consumed}");
        }
    }
}

#[test]
fn unconsumed_rows_move_the_position_back_and_a_resumed_reader_resumes_again() {
    let dir = parquet_dir();
    let connector = open(&dir);
    let pairs = [("batch_size", "10"), ("batches_per_chunk", "4"), ("shuffle", "true"), ("shuffle_window", "50")];
    let whole: Vec<i64> = ids(&connector.read(&options(&pairs)).unwrap().collect::<sluice::Result<Vec<_>>>().unwrap());
    let mut first = connector.read(&options(&pairs)).unwrap();
    first.next_batch().unwrap(); // 40 rows, of which the caller used 10
    let token = first.position(30).unwrap();
    assert!(first.position(41).unwrap_err().to_string().contains("unconsumed rows (41)"));
    let mut second = connector.read(&options(&[&pairs[..], &[("resume_from", &token)]].concat())).unwrap();
    let got = ids(&[second.next_batch().unwrap().unwrap()]);
    assert_eq!(got, whole[10..50]);
    // A resumed reader's position counts the rows before the resume too.
    let token = second.position(0).unwrap();
    let rest = ids(&connector
        .read(&options(&[&pairs[..], &[("resume_from", &token)]].concat()))
        .unwrap()
        .collect::<sluice::Result<Vec<_>>>()
        .unwrap());
    assert_eq!(rest, whole[50..]);
}

#[test]
fn resuming_skips_fragments_by_count_without_reading_them() {
    let dir = parquet_dir();
    let connector = open(&dir);
    let pairs = [("batch_size", "40")];
    let mut first = connector.read(&options(&pairs)).unwrap();
    for _ in 0..9 {
        first.next_batch().unwrap();
    }
    let token = first.position(0).unwrap();
    drop(first);
    let before = connector.fragment_reads();
    let rest: Vec<RecordBatch> =
        connector.read(&options(&[("batch_size", "40"), ("resume_from", &token)])).unwrap().collect::<sluice::Result<_>>().unwrap();
    assert_eq!(ids(&rest), (360..387).collect::<Vec<i64>>());
    // Row 360 is in the last file's first row group: 2 fragments left of 11 (3 + 7 + 1).
    assert!(connector.fragment_reads() - before <= 2, "read {} fragments", connector.fragment_reads() - before);
}

fn token_after(connector: &Connector, pairs: &[(&str, &str)], batches: usize) -> String {
    let mut stream = connector.read(&options(pairs)).unwrap();
    for _ in 0..batches {
        stream.next_batch().unwrap();
    }
    stream.position(0).unwrap()
}

fn resume_error(connector: &Connector, pairs: &[(&str, &str)], token: &str) -> String {
    let mut o = options(pairs);
    o.set("resume_from", token).unwrap();
    let err = connector.read(&o).err().expect("the read must be refused");
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert_eq!(connector.count_rows(&o).unwrap_err().to_string(), err.to_string());
    err.to_string()
}

#[test]
fn a_token_that_does_not_fit_names_what_differs() {
    let dir = parquet_dir();
    let connector = open(&dir);
    let pairs = [("batch_size", "20"), ("shuffle", "true"), ("seed", "1")];
    let token = token_after(&connector, &pairs, 2);
    let err = resume_error(&connector, &[("batch_size", "20"), ("shuffle", "true"), ("seed", "2")], &token);
    assert!(err.contains("'seed' (token: 1, this read: 2)"), "{err}");
    let err = resume_error(&connector, &[("batch_size", "25"), ("shuffle", "true"), ("seed", "1")], &token);
    assert!(err.contains("'batch_size' (token: 20, this read: 25)"), "{err}");
    // World-size change: refused, naming the old and new counts.
    let err = resume_error(&connector, &[("batch_size", "20"), ("shuffle", "true"), ("seed", "1"), ("num_workers", "2")], &token);
    assert!(err.contains("shard 0 of 1 (worker 0 of 1)") && err.contains("(worker 0 of 2)") && err.contains("refused"), "{err}");
    let err = resume_error(&connector, &[("batch_size", "20"), ("shuffle", "true"), ("seed", "1"), ("num_shards", "2")], &token);
    assert!(err.contains("shard 0 of 2"), "{err}");
    // A changed source: a file rewritten with other rows, then a file added.
    write_parquet(&dir.path().join("part-2.parquet"), &rows(350, 38), 40);
    let changed = open(&dir);
    let err = resume_error(&changed, &pairs, &token);
    assert!(err.contains("source changed") && err.contains("388 rows"), "{err}");
    write_parquet(&dir.path().join("part-2.parquet"), &rows(1000, 37), 40);
    let err = resume_error(&open(&dir), &pairs, &token);
    assert!(err.contains("source changed") && err.contains("version"), "{err}");
    // Garbage and tokens of a newer format fail when the option is set.
    for bad in ["", "x", "sluice-pos-1:e30", "sluice-pos-9:e30"] {
        let err = ReadOptions::default().set("resume_from", bad).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("resume_from"), "{err}");
    }
}
