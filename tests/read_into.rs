//! Reads that write columns into the caller's memory (`Connector::read_into`):
//! the rows land where the stream would emit them, nulls as documented, and
//! bad targets are refused with a message naming the column.

mod common;

use arrow::array::{Array, ArrayRef, BooleanArray, Float32Array, Int32Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use common::*;
use sluice::{ColumnTarget, Connector, ErrorKind, ReadOptions, SourceOptions};
use std::sync::Arc;

fn read_opts(pairs: &[(&str, &str)]) -> ReadOptions {
    let mut o = ReadOptions::default();
    for (k, v) in pairs {
        o.set(k, v).unwrap();
    }
    o
}

/// Rows with id, a float and an int with nulls, a bool and a string.
fn table(n: i64) -> RecordBatch {
    let ids: Vec<i64> = (0..n).collect();
    let null_at = |i: i64| i % 11 == 4;
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef),
        ("x", Arc::new(Float32Array::from_iter(ids.iter().map(|&i| (!null_at(i)).then_some(i as f32 / 4.0))))),
        ("k", Arc::new(Int32Array::from_iter(ids.iter().map(|&i| (!null_at(i)).then_some(i as i32 * 3))))),
        ("flag", Arc::new(BooleanArray::from_iter(ids.iter().map(|&i| Some(i % 3 == 0))))),
        ("s", Arc::new(StringArray::from_iter_values(ids.iter().map(|i| format!("s{}", i % 7))))),
    ])
    .unwrap()
}

fn connector(dir: &TempDir) -> Connector {
    let n = 1000;
    let all = table(n);
    for (i, start) in [0, 400, 750].into_iter().enumerate() {
        let end = [400, 750, n as usize][i];
        write_parquet(&dir.path().join(format!("part-{i}.parquet")), &all.slice(start, end - start), 130);
    }
    Connector::open(&[dir.path().to_string_lossy().to_string()], &SourceOptions::default()).unwrap()
}

/// Memory for one column of `rows` rows of `width` bytes, a null mask and a counter.
struct Column {
    values: Vec<u8>,
    mask: Vec<u8>,
    nulls: Box<u64>,
}

impl Column {
    fn new(rows: usize, width: usize) -> Column {
        Column { values: vec![0xAB; rows * width], mask: vec![0; rows], nulls: Box::new(0) }
    }

    fn target(&mut self, name: &str, rows: u64) -> ColumnTarget {
        ColumnTarget {
            column: name.to_string(),
            values: self.values.as_mut_ptr(),
            rows,
            null_mask: self.mask.as_mut_ptr(),
            null_count: &mut *self.nulls,
        }
    }
}

#[test]
fn targets_hold_the_rows_the_stream_would_emit() {
    let dir = tempdir();
    let c = connector(&dir);
    for pairs in [
        vec![("batch_size", "64")],
        vec![("shuffle", "true"), ("seed", "7"), ("shuffle_window", "300"), ("batch_size", "50")],
        vec![("num_shards", "3"), ("shard_index", "2"), ("equal_shards", "pad"), ("limit", "250")],
        vec![("num_workers", "2"), ("worker_index", "1"), ("batch_size", "33"), ("drop_last_batch", "true")],
    ] {
        let options = read_opts(&pairs);
        let expected: Vec<RecordBatch> = c.read(&options).unwrap().collect::<sluice::Result<_>>().unwrap();
        let expected = arrow::compute::concat_batches(&expected[0].schema(), &expected).unwrap();
        let rows = c.count_rows(&options).unwrap();
        assert_eq!(rows as usize, expected.num_rows());
        let (mut id, mut x, mut k, mut flag) = (Column::new(1000, 8), Column::new(1000, 4), Column::new(1000, 4), Column::new(1000, 1));
        let targets = vec![id.target("id", 1000), x.target("x", 1000), k.target("k", 1000), flag.target("flag", 1000)];
        let stream = unsafe { c.read_into(&options, targets) }.unwrap();
        assert_eq!(schema_names(&stream.schema()), vec!["s"], "{pairs:?}");
        let rest: Vec<RecordBatch> = stream.collect::<sluice::Result<_>>().unwrap();
        let rest = arrow::compute::concat_batches(&rest[0].schema(), &rest).unwrap();
        assert_eq!(rest.column(0).as_ref(), expected.column_by_name("s").unwrap().as_ref(), "{pairs:?}");

        let n = rows as usize;
        let as_i64: Vec<i64> = id.values[..n * 8].chunks(8).map(|b| i64::from_ne_bytes(b.try_into().unwrap())).collect();
        assert_eq!(as_i64, ids(std::slice::from_ref(&expected)), "{pairs:?}");
        let want_x = expected.column_by_name("x").unwrap().as_any().downcast_ref::<Float32Array>().unwrap().clone();
        let want_k = expected.column_by_name("k").unwrap().as_any().downcast_ref::<Int32Array>().unwrap().clone();
        let want_flag = expected.column_by_name("flag").unwrap().as_any().downcast_ref::<BooleanArray>().unwrap().clone();
        for row in 0..n {
            let got_x = f32::from_ne_bytes(x.values[row * 4..row * 4 + 4].try_into().unwrap());
            let got_k = i32::from_ne_bytes(k.values[row * 4..row * 4 + 4].try_into().unwrap());
            if want_x.is_null(row) {
                assert!(got_x.is_nan(), "a null float is NaN");
                assert_eq!((got_k, k.mask[row]), (0, 1), "a null int is 0, marked in the mask");
            } else {
                assert_eq!((got_x, got_k, k.mask[row]), (want_x.value(row), want_k.value(row), 0));
            }
            assert_eq!(flag.values[row], want_flag.value(row) as u8);
        }
        assert!(id.values[n * 8..].iter().all(|&b| b == 0xAB), "nothing written past the read's rows");
        assert_eq!(*k.nulls as usize, want_k.null_count(), "{pairs:?}");
        assert_eq!(*x.nulls as usize, want_x.null_count());
        assert_eq!(*id.nulls, 0);
    }
}

#[test]
fn every_column_in_a_target_leaves_batches_that_count_rows() {
    let dir = tempdir();
    let c = connector(&dir);
    let options = read_opts(&[("columns", "k,id"), ("batch_size", "300")]);
    let (mut id, mut k) = (Column::new(1000, 8), Column::new(1000, 4));
    let stream = unsafe { c.read_into(&options, vec![id.target("id", 1000), k.target("k", 1000)]) }.unwrap();
    let batches: Vec<RecordBatch> = stream.collect::<sluice::Result<_>>().unwrap();
    assert!(batches.iter().all(|b| b.num_columns() == 0));
    assert_eq!(batches.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(), vec![300, 300, 300, 100]);
    assert_eq!(i64::from_ne_bytes(id.values[999 * 8..].try_into().unwrap()), 999);
}

#[test]
fn bad_targets_name_the_column() {
    let dir = tempdir();
    let c = connector(&dir);
    let mut memory = Column::new(1000, 8);
    let refused = |options: &ReadOptions, target: ColumnTarget| unsafe { c.read_into(options, vec![target]) }.err().unwrap();
    let plain = ReadOptions::default();

    let err = refused(&plain, memory.target("nope", 1000));
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(err.message.contains("'nope'") && err.message.contains("id, x, k, flag, s"), "{}", err.message);

    let err = refused(&plain, memory.target("s", 1000));
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert!(err.message.contains("'s'") && err.message.contains("Utf8"), "{}", err.message);

    let err = refused(&plain, memory.target("id", 999));
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(err.message.contains("'id' holds 999 rows, but the read emits 1000"), "{}", err.message);

    let err = refused(&read_opts(&[("tensors", "true")]), memory.target("id", 1000));
    assert!(err.message.contains("'tensors'"), "{}", err.message);

    let err = refused(&read_opts(&[("columns", "x")]), memory.target("id", 1000));
    assert!(err.message.contains("'id'") && err.message.contains("its columns: x"), "{}", err.message);
}

#[test]
fn read_schema_is_the_schema_the_stream_emits() {
    let dir = tempdir();
    let c = connector(&dir);
    for pairs in [vec![], vec![("columns", "s,id")], vec![("features", "x,k"), ("label", "id")], vec![("tensors", "true")]] {
        let options = read_opts(&pairs);
        assert_eq!(c.read_schema(&options).unwrap(), c.read(&options).unwrap().schema(), "{pairs:?}");
    }
    let err = c.read_schema(&read_opts(&[("columns", "nope")])).unwrap_err();
    assert!(err.message.contains("no column named 'nope'"), "{}", err.message);
}
