use super::*;
use crate::options::EqualShards;

/// The (fragment, row) pairs a plan emits, in order.
fn rows(fragments: &[u64], options: &ReadOptions) -> Vec<(usize, u64)> {
    let mut out = Vec::new();
    for task in Plan::new(fragments, options).tasks() {
        let read: Vec<(usize, u64)> =
            task.pieces.iter().flat_map(|p| p.ranges.iter().flat_map(move |r| r.clone().map(move |row| (p.fragment, row)))).collect();
        match &task.order {
            None => out.extend(read),
            Some(order) => out.extend(order.iter().map(|&i| read[i as usize])),
        }
    }
    out
}

fn options(f: impl FnOnce(&mut ReadOptions)) -> ReadOptions {
    let mut o = ReadOptions { batch_size: 7, shuffle_window: 23, ..Default::default() };
    f(&mut o);
    o
}

const FRAGMENTS: [u64; 6] = [10, 3, 25, 1, 40, 8];

fn all_rows() -> Vec<(usize, u64)> {
    FRAGMENTS.iter().enumerate().flat_map(|(f, &n)| (0..n).map(move |r| (f, r))).collect()
}

#[test]
fn unshuffled_reads_everything_in_order() {
    assert_eq!(rows(&FRAGMENTS, &options(|_| {})), all_rows());
}

#[test]
fn shuffle_is_a_seeded_permutation() {
    let a = rows(&FRAGMENTS, &options(|o| o.shuffle = true));
    let b = rows(&FRAGMENTS, &options(|o| o.shuffle = true));
    let next_epoch = rows(
        &FRAGMENTS,
        &options(|o| {
            o.shuffle = true;
            o.epoch = 1
        }),
    );
    assert_eq!(a, b);
    assert_ne!(a, next_epoch);
    assert_ne!(a, all_rows());
    let mut sorted = a.clone();
    sorted.sort();
    assert_eq!(sorted, all_rows());
}

#[test]
fn shards_are_disjoint_and_cover() {
    for shuffle in [false, true] {
        for n in 1..5 {
            let mut seen = Vec::new();
            for i in 0..n {
                seen.extend(rows(
                    &FRAGMENTS,
                    &options(|o| {
                        o.shuffle = shuffle;
                        o.num_shards = n;
                        o.shard_index = i
                    }),
                ));
            }
            seen.sort();
            assert_eq!(seen, all_rows(), "shuffle={shuffle} n={n}");
        }
    }
}

#[test]
fn equal_shards_have_equal_lengths() {
    let total: u64 = FRAGMENTS.iter().sum();
    for mode in [EqualShards::Drop, EqualShards::Pad] {
        let lengths: Vec<usize> = (0..4)
            .map(|i| {
                rows(
                    &FRAGMENTS,
                    &options(|o| {
                        o.num_shards = 4;
                        o.shard_index = i;
                        o.equal_shards = mode;
                        o.shuffle = true
                    }),
                )
                .len()
            })
            .collect();
        let expected = if mode == EqualShards::Drop { total / 4 } else { total.div_ceil(4) } as usize;
        assert!(lengths.iter().all(|&l| l == expected), "{mode:?}: {lengths:?}");
    }
}

#[test]
fn workers_interleave_to_the_single_reader() {
    for shuffle in [false, true] {
        for drop_last in [false, true] {
            for interleave in [None, Some(1), Some(3), Some(10)] {
                let single = rows(
                    &FRAGMENTS,
                    &options(|o| {
                        o.shuffle = shuffle;
                        o.drop_last_batch = drop_last
                    }),
                );
                for k in 1..5u64 {
                    let per_worker: Vec<Vec<(usize, u64)>> = (0..k)
                        .map(|w| {
                            rows(
                                &FRAGMENTS,
                                &options(|o| {
                                    o.shuffle = shuffle;
                                    o.drop_last_batch = drop_last;
                                    o.num_workers = k;
                                    o.worker_index = w;
                                    o.worker_interleave = interleave
                                }),
                            )
                        })
                        .collect();
                    // Round-robin over workers, one turn (a batch of 7 rows by default) at a time.
                    let turn = interleave.unwrap_or(7) as usize;
                    let mut merged = Vec::new();
                    let mut cursors = vec![0usize; k as usize];
                    'outer: loop {
                        for w in 0..k as usize {
                            let rows = &per_worker[w];
                            if cursors[w] >= rows.len() {
                                break 'outer;
                            }
                            let end = (cursors[w] + turn).min(rows.len());
                            merged.extend_from_slice(&rows[cursors[w]..end]);
                            cursors[w] = end;
                        }
                    }
                    assert_eq!(merged, single, "shuffle={shuffle} drop_last={drop_last} k={k} interleave={interleave:?}");
                }
            }
        }
    }
}

#[test]
fn planned_row_count_matches_the_rows_emitted() {
    for equal in [EqualShards::Off, EqualShards::Drop, EqualShards::Pad] {
        for (shards, k, interleave, drop_last) in [(1, 1, None, false), (3, 2, Some(1), false), (4, 3, Some(5), true), (5, 4, None, true)] {
            for shard in 0..shards {
                for w in 0..k {
                    let o = options(|o| {
                        o.shuffle = true;
                        o.num_shards = shards;
                        o.shard_index = shard;
                        o.equal_shards = equal;
                        o.num_workers = k;
                        o.worker_index = w;
                        o.worker_interleave = interleave;
                        o.drop_last_batch = drop_last
                    });
                    assert_eq!(Plan::new(&FRAGMENTS, &o).rows(), rows(&FRAGMENTS, &o).len() as u64);
                }
            }
        }
    }
}

#[test]
fn one_row_turns_cost_no_memory_up_front() {
    // A billion rows in one-row turns: planning must not allocate per row.
    let o = ReadOptions { num_workers: 2, worker_index: 1, worker_interleave: Some(1), ..Default::default() };
    let plan = Plan::new(&[1 << 30], &o);
    assert_eq!(plan.rows(), 1 << 29);
    let first = plan.tasks().next().unwrap();
    assert_eq!(first.pieces[0].ranges[..2], [1..2, 3..4]);
    assert_eq!(first.rows(), MAX_RANGES_PER_TASK as u64);
}

#[test]
fn limit_and_drop_last() {
    let limited = rows(&FRAGMENTS, &options(|o| o.limit = Some(20)));
    assert_eq!(limited, all_rows()[..20].to_vec());
    let dropped = rows(
        &FRAGMENTS,
        &options(|o| {
            o.limit = Some(20);
            o.drop_last_batch = true
        }),
    );
    assert_eq!(dropped.len(), 14);
}

#[test]
fn padding_wraps_to_the_start() {
    let last = rows(
        &[5],
        &options(|o| {
            o.num_shards = 3;
            o.shard_index = 2;
            o.equal_shards = EqualShards::Pad
        }),
    );
    assert_eq!(last, vec![(0, 4), (0, 0)]);
}

#[test]
fn empty_source_plans_nothing() {
    assert!(rows(&[], &options(|o| o.shuffle = true)).is_empty());
}

/// A plan resumed after `skip` rows: a position whose options are `options`'.
fn resumed(options: &ReadOptions, skip: u64) -> ReadOptions {
    let sequence = crate::resume::Sequence::of(options);
    let position = crate::resume::Position { rows: skip, sequence, files: 0, total_rows: 0, source_hash: String::new() };
    ReadOptions { resume_from: Some(position), ..options.clone() }
}

#[test]
fn a_resumed_plan_emits_the_rest_for_every_skip() {
    let cases = [
        options(|_| {}),
        options(|o| o.shuffle = true),
        options(|o| (o.num_workers, o.worker_index, o.worker_interleave) = (3, 1, Some(5))),
        options(|o| (o.shuffle, o.num_shards, o.shard_index, o.equal_shards) = (true, 4, 3, EqualShards::Pad)),
    ];
    for options in cases {
        let whole = rows(&FRAGMENTS, &options);
        for skip in 0..=whole.len() as u64 {
            let resumed = resumed(&options, skip);
            assert_eq!(rows(&FRAGMENTS, &resumed), whole[skip as usize..], "{options:?} skip {skip}");
            assert_eq!(Plan::new(&FRAGMENTS, &resumed).rows(), whole.len() as u64 - skip);
        }
    }
}

#[test]
fn resuming_near_the_end_of_a_huge_epoch_plans_in_constant_time() {
    // 10^12 rows in 1000 fragments, one-row worker turns: skipping turn by turn would never end.
    let fragments = vec![1_000_000_000u64; 1000];
    let options = options(|o| (o.num_workers, o.worker_index, o.worker_interleave) = (2, 1, Some(1)));
    let skip = 500_000_000_000 - 3;
    let tasks: Vec<Task> = Plan::new(&fragments, &resumed(&options, skip)).tasks().collect();
    let read: Vec<(usize, u64)> =
        tasks.iter().flat_map(|t| &t.pieces).flat_map(|p| p.ranges.iter().map(move |r| (p.fragment, r.start))).collect();
    assert_eq!(read, vec![(999, 999_999_993), (999, 999_999_995), (999, 999_999_997), (999, 999_999_999)][1..]);
}
