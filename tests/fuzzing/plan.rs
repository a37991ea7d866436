//! The plan on random sizes, seeds, shards and workers, read end to end from
//! Parquet files whose `id` column numbers the rows: every row exactly once
//! per epoch across the shards (or equal shards, when asked, by dropping or
//! padding), workers that together emit exactly their shard's rows in turns,
//! the same rows in the same order for the same seed, exact batch sizes, and
//! `count_rows` equal to what a read emits.

use super::seeds::{parquet, rows};
use super::Scratch;
use arbitrary::Unstructured;
use arrow::array::Int64Array;
use sluice::{Connector, ReadOptions, SourceOptions};

/// One random case: the files' row counts and the read options.
#[derive(Debug)]
struct Case {
    files: Vec<(i64, usize)>, // (rows, rows per row group)
    batch_size: u64,
    batches_per_chunk: u64,
    shuffle: Option<(u64, u64, u64)>, // (seed, epoch, shuffle_window)
    num_shards: u64,
    equal_shards: &'static str,
    num_workers: u64,
    worker_interleave: Option<u64>,
    drop_last_batch: bool,
    limit: Option<u64>,
}

impl Case {
    fn from(u: &mut Unstructured) -> arbitrary::Result<Case> {
        let files = (0..u.int_in_range(1..=4)?)
            .map(|_| Ok((u.int_in_range(0..=150)?, u.int_in_range(1..=64)?)))
            .collect::<arbitrary::Result<_>>()?;
        let batch_size = u.int_in_range(1..=40)?;
        let num_workers = u.int_in_range(1..=3)?;
        let drop_last_batch = u.ratio(1, 3)?;
        let worker_interleave = match u.int_in_range(0..=2u8)? {
            0 => None,
            // With workers, dropping the last batch needs whole batches per turn.
            _ if drop_last_batch && num_workers > 1 => Some(batch_size * u.int_in_range(1..=3)?),
            _ => Some(u.int_in_range(1..=50)?),
        };
        Ok(Case {
            files,
            batch_size,
            batches_per_chunk: u.int_in_range(1..=3)?,
            shuffle: if u.arbitrary()? { Some((u.arbitrary()?, u.int_in_range(0..=3)?, u.int_in_range(1..=200)?)) } else { None },
            num_shards: u.int_in_range(1..=4)?,
            equal_shards: ["off", "drop", "pad"][u.choose_index(3)?],
            num_workers,
            worker_interleave,
            drop_last_batch,
            limit: if u.ratio(1, 4)? { Some(u.int_in_range(0..=300)?) } else { None },
        })
    }

    /// The options of shard `shard`, worker `worker` of `workers`; `whole` leaves out `limit` and `drop_last_batch`.
    fn options(&self, shard: u64, worker: u64, workers: u64, whole: bool) -> ReadOptions {
        let mut o = ReadOptions::default();
        let mut set = |k: &str, v: String| o.set(k, &v).unwrap_or_else(|e| panic!("{k}={v}: {}", e.message));
        set("batch_size", self.batch_size.to_string());
        set("batches_per_chunk", self.batches_per_chunk.to_string());
        if let Some((seed, epoch, window)) = self.shuffle {
            set("shuffle", "true".into());
            set("seed", seed.to_string());
            set("epoch", epoch.to_string());
            set("shuffle_window", window.to_string());
        }
        set("num_shards", self.num_shards.to_string());
        set("shard_index", shard.to_string());
        set("equal_shards", self.equal_shards.into());
        set("num_workers", workers.to_string());
        set("worker_index", worker.to_string());
        if let Some(turn) = self.worker_interleave {
            set("worker_interleave", turn.to_string());
        }
        if !whole {
            set("drop_last_batch", self.drop_last_batch.to_string());
            if let Some(limit) = self.limit {
                set("limit", limit.to_string());
            }
        }
        o
    }
}

/// The ids a reader emits, and its batches' sizes; checks `count_rows`.
fn read(connector: &Connector, options: &ReadOptions) -> (Vec<i64>, Vec<usize>) {
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    for batch in connector.read(options).unwrap() {
        let batch = batch.unwrap_or_else(|e| panic!("{:?}: {}", e.kind, e.message));
        sizes.push(batch.num_rows());
        let column = batch.column_by_name("id").unwrap().as_any().downcast_ref::<Int64Array>().unwrap();
        ids.extend_from_slice(column.values());
    }
    assert_eq!(connector.count_rows(options).unwrap(), ids.len() as u64, "count_rows differs from the rows read");
    (ids, sizes)
}

/// Every emitted batch holds `batches_per_chunk` whole batches but the last,
/// which is short only at its end, and not at all with `drop_last_batch`.
fn check_batch_sizes(case: &Case, sizes: &[usize], what: &str) {
    let (batch, chunk) = (case.batch_size as usize, (case.batch_size * case.batches_per_chunk) as usize);
    let Some((last, rest)) = sizes.split_last() else { return };
    assert!(rest.iter().all(|&s| s == chunk), "{what}: batches of {sizes:?}, expected {chunk} rows each but the last");
    assert!(*last > 0 && *last <= chunk, "{what}: last batch of {last} rows (chunk {chunk})");
    if case.drop_last_batch {
        assert_eq!(last % batch, 0, "{what}: a short batch with drop_last_batch: {sizes:?}");
    }
}

/// The shard's rows, rebuilt from its workers' rows taken in turns.
fn round_robin(workers: &[Vec<i64>], turn: usize) -> Vec<i64> {
    let mut cursors = vec![0usize; workers.len()];
    let mut out = Vec::new();
    for w in (0..workers.len()).cycle() {
        let rows = &workers[w][cursors[w]..];
        if rows.is_empty() {
            break;
        }
        let take = rows.len().min(turn);
        out.extend_from_slice(&rows[..take]);
        cursors[w] += take;
    }
    out
}

pub fn plan(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(case) = Case::from(&mut u) else { return };
    let scratch = Scratch::new("plan");
    let mut start = 0;
    for (i, &(n, row_group)) in case.files.iter().enumerate() {
        std::fs::write(scratch.path().join(format!("part-{i}.parquet")), parquet(&rows(start, n), row_group, Default::default())).unwrap();
        start += n;
    }
    let total = start as u64;
    let connector = Connector::open(&[scratch.path().to_str().unwrap().to_string()], &SourceOptions::default()).unwrap();
    assert_eq!(connector.num_rows().unwrap(), total);
    let n = case.num_shards;

    // Whole shards (no limit, no dropped batch): the epoch, split as asked.
    let shards: Vec<Vec<i64>> = (0..n).map(|s| read(&connector, &case.options(s, 0, 1, true)).0).collect();
    let lengths: Vec<u64> = shards.iter().map(|s| s.len() as u64).collect();
    let joined: Vec<i64> = shards.concat();
    let mut sorted = joined.clone();
    sorted.sort_unstable();
    let every_row: Vec<i64> = (0..total as i64).collect();
    match case.equal_shards {
        "off" => {
            assert!(lengths.iter().all(|&l| l == total / n || l == total / n + 1), "{case:?}: shard lengths {lengths:?}");
            assert_eq!(sorted, every_row, "{case:?}: the shards do not hold every row exactly once");
            if case.shuffle.is_none() {
                assert_eq!(joined, every_row, "{case:?}: unshuffled shards out of order");
            }
        }
        "drop" => {
            assert!(lengths.iter().all(|&l| l == total / n), "{case:?}: shard lengths {lengths:?}");
            sorted.dedup();
            assert_eq!(sorted.len(), joined.len(), "{case:?}: a row repeated");
        }
        _ => {
            assert!(lengths.iter().all(|&l| l == total.div_ceil(n)), "{case:?}: shard lengths {lengths:?}");
            sorted.dedup();
            assert_eq!(sorted, every_row, "{case:?}: padded shards miss rows");
            // Padding repeats the epoch from its start.
            assert!(
                (total as usize..joined.len()).all(|i| joined[i] == joined[i % total as usize]),
                "{case:?}: padding is not the epoch's start"
            );
        }
    }

    let turn = case.worker_interleave.unwrap_or(case.batch_size) as usize;
    for s in 0..n {
        let (single, sizes) = read(&connector, &case.options(s, 0, 1, false));
        let mut expected = shards[s as usize].len().min(case.limit.map_or(usize::MAX, |l| l as usize));
        if case.drop_last_batch {
            expected -= expected % case.batch_size as usize;
        }
        assert_eq!(single, shards[s as usize][..expected], "{case:?}: shard {s} with limit/drop_last_batch is not its shard's start");
        check_batch_sizes(&case, &sizes, &format!("{case:?}: shard {s}"));
        if case.num_workers > 1 {
            let workers: Vec<Vec<i64>> = (0..case.num_workers)
                .map(|w| {
                    let (ids, sizes) = read(&connector, &case.options(s, w, case.num_workers, false));
                    check_batch_sizes(&case, &sizes, &format!("{case:?}: shard {s} worker {w}"));
                    ids
                })
                .collect();
            assert_eq!(round_robin(&workers, turn), single, "{case:?}: shard {s}'s workers in turns differ from the shard");
        }
    }
    let again = read(&connector, &case.options(0, 0, case.num_workers, false));
    assert_eq!(again, read(&connector, &case.options(0, 0, case.num_workers, false)), "{case:?}: the same seed read differently");
}
