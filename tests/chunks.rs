//! `batches_per_chunk`: emitted Arrow batches made of whole batches, so that an
//! output that converts large chunks (torch, tf.data) cuts the core's own batches
//! at every `batch_size` rows, with no batching logic of its own.

mod common;

use arrow::record_batch::RecordBatch;
use common::*;
use sluice::{Connector, ErrorKind, ReadOptions, SourceOptions};

fn read(c: &Connector, pairs: &[(&str, &str)]) -> sluice::Result<Vec<RecordBatch>> {
    let mut o = ReadOptions::default();
    for (k, v) in pairs {
        o.set(k, v)?;
    }
    c.read(&o)?.collect()
}

/// 387 rows in three Parquet files, row groups of 40 rows.
fn connector(dir: &TempDir) -> Connector {
    let mut start = 0;
    for (i, n) in [100, 250, 37].into_iter().enumerate() {
        write_parquet(&dir.path().join(format!("part-{i}.parquet")), &rows(start, n), 40);
        start += n;
    }
    Connector::open(&[dir.path().to_string_lossy().to_string()], &SourceOptions::default()).unwrap()
}

/// The ids of each batch, a chunk cut every `batch_size` rows.
fn batches_of(chunks: &[RecordBatch], batch_size: usize) -> Vec<Vec<i64>> {
    chunks.iter().flat_map(|chunk| ids(std::slice::from_ref(chunk)).chunks(batch_size).map(<[i64]>::to_vec).collect::<Vec<_>>()).collect()
}

#[test]
fn chunks_cut_every_batch_size_rows_give_the_core_batches() {
    let dir = tempdir();
    let c = connector(&dir);
    for drop_last in ["false", "true"] {
        for shuffle in ["false", "true"] {
            for (workers, worker, interleave) in [("1", "0", "16"), ("3", "1", "16"), ("2", "0", "48"), ("2", "1", "48")] {
                let base = [
                    ("batch_size", "16"),
                    ("drop_last_batch", drop_last),
                    ("shuffle", shuffle),
                    ("shuffle_window", "50"),
                    ("num_workers", workers),
                    ("worker_index", worker),
                    ("worker_interleave", interleave),
                ];
                let batches = read(&c, &base).unwrap();
                let expected = batches_of(&batches, 16);
                assert_eq!(expected.len(), batches.len(), "batch_size alone emits one batch per Arrow batch");
                let mut chunked = base.to_vec();
                chunked.push(("batches_per_chunk", "5"));
                let chunks = read(&c, &chunked).unwrap();
                let context = format!("drop_last={drop_last} shuffle={shuffle} worker {worker} of {workers}, turns {interleave}");
                assert!(chunks[..chunks.len() - 1].iter().all(|b| b.num_rows() == 80), "{context}: whole chunks");
                assert_eq!(batches_of(&chunks, 16), expected, "{context}");
                let last = expected.last().unwrap().len();
                if drop_last == "true" {
                    assert_eq!(last, 16, "{context}: drop_last_batch leaves no short batch");
                }
            }
        }
    }
    // Without drop_last_batch the stream's last batch is the short one: 387 = 24 * 16 + 3.
    let chunks = read(&c, &[("batch_size", "16"), ("batches_per_chunk", "5")]).unwrap();
    assert_eq!(chunks.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(), [80, 80, 80, 80, 67]);
    assert_eq!(ids(&chunks), (0..387).collect::<Vec<_>>());
}

#[test]
fn bad_chunk_and_turn_options_are_refused() {
    let dir = tempdir();
    let c = connector(&dir);
    let refused = |pairs: &[(&str, &str)], words: &[&str]| {
        let Err(err) = read(&c, pairs) else { panic!("accepted") };
        assert_eq!(err.kind, ErrorKind::InvalidArgument, "{err}");
        for word in words {
            assert!(err.to_string().contains(word), "{err} names {word}");
        }
    };
    refused(&[("batches_per_chunk", "0")], &["batches_per_chunk"]);
    refused(&[("batch_size", "4294967296"), ("batches_per_chunk", "4294967296")], &["batch_size", "batches_per_chunk"]);
    // whole batches per worker turn, or a worker's last batch could be short despite drop_last_batch
    let odd_turns = [("batch_size", "16"), ("drop_last_batch", "true"), ("num_workers", "3"), ("worker_interleave", "5")];
    refused(&odd_turns, &["drop_last_batch", "worker_interleave", "batch_size"]);
}
