//! End-to-end reads through the Rust API: every format, projections, exact
//! batches, shuffles, shards, workers, budgets and bad input.

mod common;

use common::*;
use sluice::{Connector, ErrorKind, ReadOptions, SourceOptions};
use std::path::Path;

fn open(paths: &[&Path]) -> sluice::Result<Connector> {
    let inputs: Vec<String> = paths.iter().map(|p| p.to_string_lossy().to_string()).collect();
    Connector::open(&inputs, &SourceOptions::default())
}

fn read_opts(pairs: &[(&str, &str)]) -> ReadOptions {
    let mut o = ReadOptions::default();
    for (k, v) in pairs {
        o.set(k, v).unwrap();
    }
    o
}

fn collect(c: &Connector, pairs: &[(&str, &str)]) -> Vec<arrow::record_batch::RecordBatch> {
    c.read(&read_opts(pairs)).unwrap().collect::<sluice::Result<Vec<_>>>().unwrap()
}

/// Three Parquet files of 100, 250 and 37 rows, row groups of 40 rows.
fn parquet_dir() -> TempDir {
    let dir = tempdir();
    let mut start = 0;
    for (i, n) in [100, 250, 37].into_iter().enumerate() {
        write_parquet(&dir.path().join(format!("part-{i}.parquet")), &rows(start, n), 40);
        start += n;
    }
    std::fs::write(dir.path().join("_SUCCESS"), b"").unwrap();
    dir
}

#[test]
fn parquet_directory_in_order_with_exact_batches() {
    let dir = parquet_dir();
    let c = open(&[dir.path()]).unwrap();
    assert_eq!(c.num_rows().unwrap(), 387);
    assert_eq!(c.num_fragments().unwrap(), 3 + 7 + 1);
    let batches = collect(&c, &[("batch_size", "64")]);
    assert_eq!(ids(&batches), (0..387).collect::<Vec<_>>());
    let sizes: Vec<usize> = batches.iter().map(|b| b.num_rows()).collect();
    assert!(sizes[..sizes.len() - 1].iter().all(|&s| s == 64));
    assert_eq!(*sizes.last().unwrap(), 387 % 64);
    let dropped = collect(&c, &[("batch_size", "64"), ("drop_last_batch", "true")]);
    assert_eq!(ids(&dropped).len(), 384);
}

#[test]
fn projection_follows_requested_order() {
    let dir = parquet_dir();
    let c = open(&[dir.path()]).unwrap();
    let batches = collect(&c, &[("columns", "s,id")]);
    assert_eq!(schema_names(&batches[0].schema()), vec!["s", "id"]);
    assert_eq!(ids(&batches).len(), 387);
    let err = c.read(&read_opts(&[("columns", "id,nope")])).err().unwrap();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(err.message.contains("'nope'"), "{}", err.message);
}

#[test]
fn every_format_reads_the_same_rows() {
    let dir = tempdir();
    let (a, b) = (rows(0, 30), rows(30, 20));
    write_ipc_file(&dir.path().join("t.arrow"), &[a.clone(), b.clone()]);
    write_ipc_stream(&dir.path().join("t.arrows"), &[a.clone(), b.clone()]);
    let whole = arrow::compute::concat_batches(&a.schema(), &[a.clone(), b.clone()]).unwrap();
    write_csv(&dir.path().join("t.csv"), &whole);
    write_ndjson(&dir.path().join("t.jsonl"), &whole);
    for name in ["t.arrow", "t.arrows", "t.csv", "t.jsonl"] {
        let c = open(&[&dir.path().join(name)]).unwrap();
        let batches = collect(&c, &[("batch_size", "7"), ("columns", "id,s")]);
        assert_eq!(ids(&batches), (0..50).collect::<Vec<_>>(), "{name}");
        let s = batches[0].column(1).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
        assert_eq!(s.value(3), "s3", "{name}");
        // A worker's rows, read from the middle of each file.
        let worker = collect(&c, &[("batch_size", "7"), ("num_workers", "3"), ("worker_index", "1")]);
        let expected: Vec<i64> = (0..50).filter(|i| (i / 7) % 3 == 1).collect();
        assert_eq!(ids(&worker), expected, "{name}");
    }
    let ipc = open(&[&dir.path().join("t.arrow")]).unwrap();
    assert_eq!(ipc.num_fragments().unwrap(), 2, "one fragment per IPC record batch");
}

#[test]
fn shuffle_shards_and_workers_keep_the_contract() {
    let dir = parquet_dir();
    let c = open(&[dir.path()]).unwrap();
    let base = [("batch_size", "16"), ("shuffle", "true"), ("seed", "7"), ("shuffle_window", "50")];
    let first = ids(&collect(&c, &base));
    assert_eq!(first, ids(&collect(&c, &base)));
    assert_ne!(first, (0..387).collect::<Vec<_>>());
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(sorted, (0..387).collect::<Vec<_>>());
    let mut epoch1 = base.to_vec();
    epoch1.push(("epoch", "1"));
    assert_ne!(first, ids(&collect(&c, &epoch1)));

    let mut all = Vec::new();
    for shard in ["0", "1", "2"] {
        let mut o = base.to_vec();
        o.extend([("num_shards", "3"), ("shard_index", shard)]);
        let shard_ids = ids(&collect(&c, &o));
        assert_eq!(shard_ids.len(), 129);
        // Two workers, interleaved batch by batch, give the shard's stream.
        let worker = |w: &'static str| {
            let mut o = o.clone();
            o.extend([("num_workers", "2"), ("worker_index", w)]);
            collect(&c, &o)
        };
        let (w0, w1) = (worker("0"), worker("1"));
        let mut merged = Vec::new();
        for i in 0..w0.len().max(w1.len()) {
            merged.extend(w0.get(i).map(|b| ids(std::slice::from_ref(b))).unwrap_or_default());
            merged.extend(w1.get(i).map(|b| ids(std::slice::from_ref(b))).unwrap_or_default());
        }
        assert_eq!(merged, shard_ids);
        all.extend(shard_ids);
    }
    all.sort();
    assert_eq!(all, (0..387).collect::<Vec<_>>());
}

#[test]
fn a_small_budget_still_streams_every_row() {
    let dir = tempdir();
    write_parquet(&dir.path().join("big.parquet"), &rows(0, 200_000), 50_000);
    let c = open(&[dir.path()]).unwrap();
    let got = ids(&collect(&c, &[("memory_budget", "256KiB"), ("batch_size", "10000")]));
    assert_eq!(got, (0..200_000).collect::<Vec<_>>());
    let err = c.read(&read_opts(&[("memory_budget", "64KiB"), ("shuffle", "true")])).err().unwrap();
    assert!(err.message.contains("shuffle_window"), "{}", err.message);
}

#[test]
fn threads_is_the_former_name_of_fragments_in_flight() {
    let dir = parquet_dir();
    let c = open(&[dir.path()]).unwrap();
    let expected: Vec<i64> = (0..387).collect();
    for key in ["fragments_in_flight", "threads"] {
        assert_eq!(ids(&collect(&c, &[(key, "3"), ("batch_size", "50")])), expected, "{key}");
        let err = ReadOptions::default().set(key, "many").unwrap_err();
        assert!(err.message.contains(&format!("'{key}'")), "{}", err.message);
    }
}

#[test]
fn dropping_a_stream_early_stops_it() {
    // 100 fragments of 20 rows, read two at a time: a read that went on after the
    // drop would start every one of them before it ended.
    let dir = tempdir();
    write_parquet(&dir.path().join("many.parquet"), &rows(0, 2000), 20);
    let c = open(&[dir.path()]).unwrap();
    assert_eq!(c.num_fragments().unwrap(), 100);
    for round in 1..=5u64 {
        let mut s = c.read(&read_opts(&[("batch_size", "10"), ("threads", "2")])).unwrap();
        assert!(s.next().unwrap().is_ok());
        assert_eq!(c.readers_running(), 1);
        drop(s);
        // The producer and its tasks end on the runtime's threads after the drop: wait for
        // them (the deadline only bounds a failing run), then count what they had started.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while c.readers_running() > 0 {
            assert!(std::time::Instant::now() < deadline, "round {round}: the reader's work still runs 20 s after its stream was dropped");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // the first batch's fragment, the next one, and the two in flight: a handful, not 100
        let reads = c.fragment_reads();
        assert!(reads <= round * 10, "round {round}: {reads} fragment reads were started in all, for one batch a round");
    }
    assert_eq!(c.readers_running(), 0);
}

#[test]
fn bad_input_names_the_file_and_the_cause() {
    let dir = tempdir();
    let missing = dir.path().join("missing.parquet");
    let err = open(&[&missing]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("missing.parquet"), "{}", err.message);

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = open(&[&empty]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("empty"), "{}", err.message);

    let fake = dir.path().join("fake.parquet");
    std::fs::write(&fake, b"this is not parquet at all, just text").unwrap();
    let err = open(&[&fake]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::InvalidData);
    assert!(err.message.contains("fake.parquet"), "{}", err.message);

    let good = dir.path().join("good.parquet");
    write_parquet(&good, &rows(0, 100), 50);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.parquet");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = open(&[&truncated]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::InvalidData);
    assert!(err.message.contains("truncated.parquet"), "{}", err.message);

    let other = dir.path().join("other.parquet");
    let renamed = rows(0, 5);
    let renamed = arrow::record_batch::RecordBatch::try_from_iter([
        ("id", renamed.column(0).clone()),
        ("x", arrow::compute::cast(renamed.column(1), &arrow::datatypes::DataType::Float64).unwrap()),
        ("s", renamed.column(2).clone()),
    ])
    .unwrap();
    write_parquet(&other, &renamed, 50);
    let err = open(&[&good, &other]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::SchemaMismatch);
    assert!(err.message.contains("other.parquet") && err.message.contains("'x'"), "{}", err.message);

    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, "a,b\n1,2\n3\n5,6\n").unwrap();
    let err = open(&[&csv]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::InvalidData);
    assert!(err.message.contains("bad.csv"), "{}", err.message);

    let c = open(&[&good]).unwrap();
    let err = c.read(&read_opts(&[("num_shards", "2"), ("shard_index", "2")])).err().unwrap();
    assert!(err.message.contains("shard_index"), "{}", err.message);
    let mut o = ReadOptions::default();
    assert!(o.set("batch_size", "0").unwrap_err().message.contains("batch_size"));
    assert!(o.set("bogus", "1").unwrap_err().message.contains("'bogus'"));
}

#[test]
fn a_file_truncated_after_open_fails_mid_stream() {
    let dir = tempdir();
    let a = dir.path().join("a.parquet");
    let b = dir.path().join("b.parquet");
    write_parquet(&a, &rows(0, 1000), 500);
    write_parquet(&b, &rows(1000, 1000), 500);
    let c = open(&[&a, &b]).unwrap();
    std::fs::write(&b, b"gone").unwrap();
    let results: Vec<_> = c.read(&read_opts(&[("batch_size", "100"), ("threads", "1"), ("memory_budget", "1KiB")])).unwrap().collect();
    assert!(results.iter().take(10).all(|r| r.is_ok()), "the first file reads");
    let err = results.iter().find_map(|r| r.as_ref().err()).expect("an error for the broken file");
    assert!(err.message.contains("b.parquet"), "{}", err.message);
}

#[test]
fn globs_and_lists() {
    let dir = parquet_dir();
    let pattern = format!("{}/part-[01].parquet", dir.path().display());
    let c = Connector::open(&[pattern], &SourceOptions::default()).unwrap();
    assert_eq!(c.num_rows().unwrap(), 350);
    let err = Connector::open(&[format!("{}/*.csv", dir.path().display())], &SourceOptions::default()).err().unwrap();
    assert_eq!(err.kind, ErrorKind::NotFound);
    let p2 = dir.path().join("part-2.parquet");
    let p0 = dir.path().join("part-0.parquet");
    let c = open(&[&p2, &p0]).unwrap();
    let got = ids(&collect(&c, &[]));
    let expected: Vec<i64> = (350..387).chain(0..100).collect();
    assert_eq!(got, expected);
}

#[test]
fn packed_mode_builds_a_row_major_float_matrix() {
    let dir = parquet_dir();
    let c = open(&[dir.path()]).unwrap();
    let batches = collect(&c, &[("features", "x,id"), ("label", "s"), ("batch_size", "50"), ("shuffle", "true"), ("seed", "9")]);
    let plain = collect(&c, &[("columns", "x,id,s"), ("batch_size", "50"), ("shuffle", "true"), ("seed", "9")]);
    assert_eq!(batches.len(), plain.len());
    for (packed, plain) in batches.iter().zip(&plain) {
        assert_eq!(schema_names(&packed.schema()), vec!["features", "s"]);
        let list = packed.column(0).as_any().downcast_ref::<arrow::array::FixedSizeListArray>().unwrap();
        assert_eq!(list.value_length(), 2);
        let values = list.values().as_any().downcast_ref::<arrow::array::Float32Array>().unwrap();
        let x = plain.column(0).as_any().downcast_ref::<arrow::array::Float32Array>().unwrap();
        let id = plain.column(1).as_any().downcast_ref::<arrow::array::Int64Array>().unwrap();
        for row in 0..plain.num_rows() {
            assert_eq!(values.value(row * 2), x.value(row));
            assert_eq!(values.value(row * 2 + 1), id.value(row) as f32);
        }
        assert_eq!(packed.column(1).as_ref(), plain.column(2).as_ref());
    }
    let err = c.read(&read_opts(&[("features", "x,s")])).err().unwrap();
    assert!(err.message.contains("'s'") && err.message.contains("features"), "{}", err.message);
    let err = c.read(&read_opts(&[("features", "x"), ("columns", "id")])).err().unwrap();
    assert!(err.message.contains("'columns'"), "{}", err.message);
    let err = c.read(&read_opts(&[("label", "id")])).err().unwrap();
    assert!(err.message.contains("'features'"), "{}", err.message);
}

#[test]
fn review_findings_stay_fixed() {
    let dir = parquet_dir();
    // Paths with `..` and `.` segments, plain and in globs.
    let dotted = dir.path().join("sub").join("..").join(".").join("part-0.parquet");
    assert_eq!(open(&[&dotted]).unwrap().num_rows().unwrap(), 100);
    let glob = format!("{}/sub/../part-*.parquet", dir.path().display());
    assert_eq!(Connector::open(&[glob], &SourceOptions::default()).unwrap().num_rows().unwrap(), 387);

    // A batch size so large that `batch index * batch size` would overflow.
    let c = open(&[dir.path()]).unwrap();
    let huge = read_opts(&[("batch_size", "4611686018427387904"), ("num_workers", "4"), ("worker_index", "0")]);
    assert_eq!(c.count_rows(&huge).unwrap(), 387);

    // An empty projection is refused when it is set; options name themselves.
    let mut o = ReadOptions::default();
    assert!(o.set("columns", "[]").unwrap_err().message.contains("'columns'"));
    assert!(o.set("shuffle_window", "5000000000").unwrap_err().message.contains("shuffle_window"));
    let err = c.read(&read_opts(&[("features", "x,nope")])).err().unwrap();
    assert!(err.message.contains("'features'") && err.message.contains("'nope'"), "{}", err.message);
    let err = c.read(&read_opts(&[("features", "x"), ("label", "nope")])).err().unwrap();
    assert!(err.message.contains("'label'"), "{}", err.message);

    // An empty CSV file next to a real one holds no rows; alone it is an error naming it.
    let csv_dir = tempdir();
    write_csv(&csv_dir.path().join("a.csv"), &rows(0, 10));
    std::fs::write(csv_dir.path().join("b.csv"), b"").unwrap();
    assert_eq!(open(&[csv_dir.path()]).unwrap().num_rows().unwrap(), 10);
    let err = open(&[&csv_dir.path().join("b.csv")]).err().unwrap();
    assert!(err.message.contains("b.csv") && err.message.contains("empty"), "{}", err.message);
}

#[test]
fn one_row_worker_turns_rebuild_the_single_reader_from_parquet() {
    let dir = parquet_dir();
    let c = open(&[dir.path()]).unwrap();
    for shuffle in ["false", "true"] {
        let base = [("batch_size", "16"), ("shuffle", shuffle), ("seed", "3"), ("shuffle_window", "64")];
        let single = ids(&collect(&c, &base));
        let per_worker: Vec<Vec<i64>> = ["0", "1", "2"]
            .iter()
            .map(|w| {
                let mut o = base.to_vec();
                o.extend([("num_workers", "3"), ("worker_index", *w), ("worker_interleave", "1")]);
                let batches = collect(&c, &o);
                assert!(batches[..batches.len() - 1].iter().all(|b| b.num_rows() == 16), "batches stay exact");
                ids(&batches)
            })
            .collect();
        let merged: Vec<i64> = (0..single.len()).map(|i| per_worker[i % 3][i / 3]).collect();
        assert_eq!(merged, single, "shuffle={shuffle}");
    }
}

#[test]
fn tensor_mode_follows_the_column_policy_on_real_files() {
    use arrow::array::{Array, AsArray};
    let dir = parquet_dir();
    let c = open(&[dir.path()]).unwrap();
    let batches = collect(&c, &[("tensors", "true"), ("batch_size", "100")]);
    let schema = batches[0].schema();
    assert!(schema.fields().iter().all(|f| !f.is_nullable()), "{schema:?}");
    assert!(batches.iter().all(|b| b.columns().iter().all(|col| col.null_count() == 0)));
    assert_eq!(ids(&batches), (0..387).collect::<Vec<_>>());
    assert_eq!(batches[0].column(2).as_string::<i32>().value(3), "s3");
    let e = c.read(&read_opts(&[("null_fill", "0")])).err().unwrap();
    assert!(e.message.contains("'null_fill' needs tensors=true"), "{}", e.message);
    let e = c.read(&read_opts(&[("tensors", "true"), ("ragged", "pad")])).err().unwrap();
    assert!(e.message.contains("pad_length"), "{}", e.message);
    let e = c.read(&read_opts(&[("tensors", "true"), ("null_mask", "nope")])).err().unwrap();
    assert!(e.message.contains("'nope'"), "{}", e.message);
}

fn int64_column(batches: &[arrow::record_batch::RecordBatch], name: &str) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| b.column_by_name(name).unwrap().as_any().downcast_ref::<arrow::array::Int64Array>().unwrap().values().to_vec())
        .collect()
}

#[test]
fn wide_csv_opens_and_reads_without_rows_times_columns_buffers() {
    // Issue 9 item 2: 10,000 columns made the counting reader reserve 65,536 rows of
    // every column (10 GB) and abort.
    let dir = tempdir();
    let path = dir.path().join("w.csv");
    let n = 10_000;
    let header: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    let rows: Vec<String> = (0..3).map(|r| (0..n).map(|i| (i * 10 + r).to_string()).collect::<Vec<_>>().join(",")).collect();
    std::fs::write(&path, format!("{}\n{}\n", header.join(","), rows.join("\n"))).unwrap();
    let c = open(&[&path]).unwrap();
    assert_eq!(c.num_rows().unwrap(), 3);
    let batches = collect(&c, &[("columns", "c9999,c0,c4321")]);
    assert_eq!(int64_column(&batches, "c0"), vec![0, 1, 2]);
    assert_eq!(int64_column(&batches, "c4321"), vec![43210, 43211, 43212]);
    assert_eq!(int64_column(&batches, "c9999"), vec![99990, 99991, 99992]);
    let all = collect(&c, &[]);
    assert_eq!(all.iter().map(|b| b.num_columns()).max(), Some(n as usize));
}

#[test]
fn wide_ndjson_opens_and_reads_without_rows_times_fields_tapes() {
    // Issue 9 item 2: 2,000 keys made the tape decoder reserve 4 GB at open.
    let dir = tempdir();
    let path = dir.path().join("w.jsonl");
    let n = 2_000;
    let lines: Vec<String> =
        (0..4).map(|r| format!("{{{}}}", (0..n).map(|i| format!("\"k{i}\": {}", i * 10 + r)).collect::<Vec<_>>().join(", "))).collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let c = open(&[&path]).unwrap();
    assert_eq!(c.num_rows().unwrap(), 4);
    assert_eq!(c.schema().fields().len(), n as usize);
    let batches = collect(&c, &[("columns", "k1999,k0")]);
    assert_eq!(int64_column(&batches, "k0"), vec![0, 1, 2, 3]);
    assert_eq!(int64_column(&batches, "k1999"), vec![19990, 19991, 19992, 19993]);
}

fn open_with(paths: &[&Path], pairs: &[(&str, &str)]) -> sluice::Result<Connector> {
    let inputs: Vec<String> = paths.iter().map(|p| p.to_string_lossy().to_string()).collect();
    let mut options = SourceOptions::default();
    for (k, v) in pairs {
        options.set(k, v)?;
    }
    Connector::open(&inputs, &options)
}

#[test]
fn csv_schema_option_matches_header_columns_by_name() {
    // Issue 9 item 6: the declared types were applied by position.
    let dir = tempdir();
    let path = dir.path().join("ab.csv");
    std::fs::write(&path, "a,b\n1,x\n2,y\n").unwrap();
    let c = open_with(&[&path], &[("schema", "b:utf8,a:int64")]).unwrap();
    assert_eq!(schema_names(&c.schema()), vec!["b", "a"]);
    let batches = collect(&c, &[]);
    assert_eq!(int64_column(&batches, "a"), vec![1, 2]);
    let b = batches[0].column_by_name("b").unwrap().as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
    assert_eq!((b.value(0), b.value(1)), ("x", "y"));

    let err = open_with(&[&path], &[("schema", "a:int64,a:int64")]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(err.message.contains("'a'") && err.message.contains("twice"), "{}", err.message);
    let err = open_with(&[&path], &[("schema", "a:int64,c:utf8")]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::SchemaMismatch);
    assert!(err.message.contains("ab.csv") && err.message.contains("'c'") && err.message.contains("'b'"), "{}", err.message);
    let err = open_with(&[&path], &[("schema", "a:int64")]).err().unwrap();
    assert!(err.message.contains("ab.csv") && err.message.contains("'b'"), "{}", err.message);

    // Without a header the schema's order is the column order.
    let headless = dir.path().join("headless.csv");
    std::fs::write(&headless, "1,x\n2,y\n").unwrap();
    let c = open_with(&[&headless], &[("csv_header", "false"), ("schema", "a:int64,b:utf8")]).unwrap();
    assert_eq!(int64_column(&collect(&c, &[]), "a"), vec![1, 2]);
}

#[test]
fn ndjson_key_first_seen_after_inference_is_an_error_naming_key_and_line() {
    // Issue 9 item 7: the key was dropped silently.
    let dir = tempdir();
    let path = dir.path().join("late.jsonl");
    let mut text: String = (0..3000).map(|i| format!("{{\"a\": {i}}}\n")).collect();
    text.push_str("{\"a\": 1, \"zz\": 5}\n");
    std::fs::write(&path, text).unwrap();
    let err = open(&[&path]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::InvalidData);
    for part in ["late.jsonl", "'zz'", "line 3001", "ndjson_unknown_keys"] {
        assert!(err.message.contains(part), "{part}: {}", err.message);
    }
    let c = open_with(&[&path], &[("ndjson_unknown_keys", "ignore")]).unwrap();
    assert_eq!(schema_names(&c.schema()), vec!["a"]);
    assert_eq!(c.num_rows().unwrap(), 3001);
    let c = open_with(&[&path], &[("csv_infer_rows", "5000")]).unwrap();
    assert_eq!(schema_names(&c.schema()), vec!["a", "zz"]);
}
