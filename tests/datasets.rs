//! Dataset versions through the Rust API on a local root: written, read back
//! (values against the source), never overwritten, raced for by threads (one
//! wins, and only its files are listed), deleted manifest first, checked
//! against their manifests, and cleaned up after an abandoned attempt.

mod common;

use arrow::array::{Array, Int64Array};
use arrow::record_batch::RecordBatch;
use common::{rows, tempdir, write_parquet};
use sluice::{Connector, Dataset, ErrorKind, ReadOptions, SourceOptions, VersionSettings};
use std::sync::{Arc, Barrier};
use std::time::Duration;

fn source(dir: &std::path::Path) -> Connector {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    write_parquet(&dir.join("src/a.parquet"), &rows(0, 3000), 500);
    write_parquet(&dir.join("src/b.parquet"), &rows(3000, 1234), 500);
    Connector::open(&[dir.join("src").to_string_lossy().into_owned()], &SourceOptions::default()).unwrap()
}

fn ids(connector: &Connector) -> Vec<i64> {
    let batches: Vec<RecordBatch> = connector.read(&ReadOptions::default()).unwrap().collect::<sluice::Result<_>>().unwrap();
    batches.iter().flat_map(|b| b.column_by_name("id").unwrap().as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec()).collect()
}

fn root(dir: &std::path::Path) -> String {
    dir.join("root").to_string_lossy().into_owned()
}

#[test]
fn a_version_reads_back_its_rows_and_leaves_out_excluded_columns() {
    let dir = tempdir();
    let input = source(dir.path());
    let dataset = Dataset::create(&root(dir.path()), "d", false, &SourceOptions::default()).unwrap();
    let settings = VersionSettings { exclude_cols: vec!["s".into()], ..Default::default() };
    let mut last = (0, 0);
    let manifest = dataset.create_version("v1", &input, &settings, &mut |done, total| last = (done, total)).unwrap();
    assert_eq!(last, (4234, 4234));
    assert_eq!(manifest.num_rows, 4234);
    assert_eq!(dataset.versions().unwrap(), vec!["v1".to_string()]);
    let version = dataset.open_version("v1", true).unwrap();
    assert_eq!(version.schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>(), vec!["id", "x"]);
    assert_eq!(ids(&version), (0..4234).collect::<Vec<_>>());

    let again = dataset.create_version("v1", &input, &VersionSettings::default(), &mut |_, _| {}).unwrap_err();
    assert_eq!(again.kind, ErrorKind::InvalidArgument);
    assert!(again.message.contains("version 'v1' already exists"), "{}", again.message);

    dataset.delete_version("v1").unwrap();
    let gone = dataset.open_version("v1", false).err().unwrap();
    assert_eq!(gone.kind, ErrorKind::NotFound);
    assert!(gone.message.contains("no version 'v1'"), "{}", gone.message);
}

#[test]
fn threads_racing_for_one_version_publish_exactly_one() {
    let dir = tempdir();
    let input = source(dir.path());
    let root = root(dir.path());
    Dataset::create(&root, "race", false, &SourceOptions::default()).unwrap();
    let barrier = Arc::new(Barrier::new(4));
    let outcomes: Vec<sluice::Result<sluice::Manifest>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (barrier, input, root) = (barrier.clone(), input.clone(), root.clone());
                scope.spawn(move || {
                    let dataset = Dataset::open(&root, "race", &SourceOptions::default()).unwrap();
                    barrier.wait();
                    dataset.create_version("v1", &input, &VersionSettings::default(), &mut |_, _| {})
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{:?}", outcomes.iter().map(|o| o.as_ref().err().map(|e| e.message.clone())).collect::<Vec<_>>());
    for lost in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert!(lost.message.contains("version 'v1' already exists"), "{}", lost.message);
    }
    let dataset = Dataset::open(&root, "race", &SourceOptions::default()).unwrap();
    assert_eq!(&dataset.manifest("v1").unwrap(), won[0]);
    // the losers removed their attempts: one directory is left
    let attempts = std::fs::read_dir(dir.path().join("root/race/data/v1")).unwrap().count();
    assert_eq!(attempts, 1);
}

#[test]
fn an_abandoned_attempt_is_invisible_and_cleaned_up() {
    let dir = tempdir();
    let root = root(dir.path());
    let dataset = Dataset::create(&root, "d", false, &SourceOptions::default()).unwrap();
    let leftover = dir.path().join("root/d/data/v1/a1000-1-0");
    std::fs::create_dir_all(&leftover).unwrap();
    write_parquet(&leftover.join("part-00000.parquet"), &rows(0, 10), 10);
    assert!(dataset.versions().unwrap().is_empty());
    let removed = dataset.clean_up(Duration::from_secs(3600)).unwrap();
    assert_eq!(removed.attempts, vec!["data/v1/a1000-1-0".to_string()]);
    assert_eq!(removed.files, 1);
    assert!(!leftover.exists());
}

#[test]
fn bad_names_and_unknown_columns_are_named() {
    let dir = tempdir();
    let input = source(dir.path());
    let dataset = Dataset::create(&root(dir.path()), "d", false, &SourceOptions::default()).unwrap();
    for bad in ["../up", "a/b", "a\\b", "", "-x"] {
        let err = dataset.create_version(bad, &input, &VersionSettings::default(), &mut |_, _| {}).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
        assert!(err.message.starts_with("version name"), "{}", err.message);
    }
    let settings = VersionSettings { partition_by: Some("nope".into()), ..Default::default() };
    let err = dataset.create_version("v1", &input, &settings, &mut |_, _| {}).unwrap_err();
    assert!(err.message.contains("partition_by: no column named 'nope' (columns: id, x, s)"), "{}", err.message);
    let missing = Dataset::open(&root(dir.path()), "nope", &SourceOptions::default()).err().unwrap();
    assert_eq!(missing.kind, ErrorKind::NotFound);
}

/// The C functions give what the Rust API gives: a version created, listed, described and
/// opened through `sluice_dataset_*` and `sluice_connector_open_dataset`.
#[test]
fn the_c_abi_creates_lists_and_opens_versions() {
    use sluice::ffi::*;
    use std::ffi::{c_void, CStr, CString};

    unsafe extern "C" fn count(done: u64, total: u64, user_data: *mut c_void) {
        let seen = unsafe { &mut *(user_data as *mut Vec<(u64, u64)>) };
        seen.push((done, total));
    }
    fn taken(text: *mut std::ffi::c_char) -> String {
        let owned = unsafe { CStr::from_ptr(text) }.to_str().unwrap().to_string();
        unsafe { sluice_string_free(text) };
        owned
    }

    let dir = tempdir();
    source(dir.path());
    let src = CString::new(dir.path().join("src").to_str().unwrap()).unwrap();
    let mut input = std::ptr::null_mut();
    let status = unsafe { sluice_connector_open([src.as_ptr()].as_ptr(), 1, std::ptr::null(), &mut input, std::ptr::null_mut()) };
    assert_eq!(status, sluice_status::SLUICE_OK);
    let (root, name, version) = (CString::new(root(dir.path())).unwrap(), CString::new("c").unwrap(), CString::new("v1").unwrap());
    let null = std::ptr::null_mut();
    assert_eq!(unsafe { sluice_dataset_create(root.as_ptr(), name.as_ptr(), 0, std::ptr::null(), null) }, sluice_status::SLUICE_OK);
    let (key, value) = (CString::new("exclude_cols").unwrap(), CString::new("[\"s\"]").unwrap());
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let mut manifest = std::ptr::null_mut();
    let status = unsafe {
        sluice_dataset_create_version(
            root.as_ptr(),
            name.as_ptr(),
            version.as_ptr(),
            input,
            [key.as_ptr()].as_ptr(),
            [value.as_ptr()].as_ptr(),
            1,
            Some(count),
            &mut seen as *mut _ as *mut c_void,
            std::ptr::null(),
            &mut manifest,
            null,
        )
    };
    assert_eq!(status, sluice_status::SLUICE_OK);
    unsafe { sluice_connector_free(input) };
    let manifest: serde_json::Value = serde_json::from_str(&taken(manifest)).unwrap();
    assert_eq!(manifest["num_rows"], 4234);
    assert_eq!(seen.first(), Some(&(0, 4234)));
    assert_eq!(seen.last(), Some(&(4234, 4234)));

    let mut versions = std::ptr::null_mut();
    let status = unsafe { sluice_dataset_versions(root.as_ptr(), name.as_ptr(), std::ptr::null(), &mut versions, null) };
    assert_eq!(status, sluice_status::SLUICE_OK);
    assert_eq!(taken(versions), "[\"v1\"]");

    let mut connector = std::ptr::null_mut();
    let status =
        unsafe { sluice_connector_open_dataset(root.as_ptr(), name.as_ptr(), version.as_ptr(), 1, std::ptr::null(), &mut connector, null) };
    assert_eq!(status, sluice_status::SLUICE_OK);
    let mut rows = 0u64;
    assert_eq!(unsafe { sluice_connector_num_rows(connector, &mut rows, null) }, sluice_status::SLUICE_OK);
    assert_eq!(rows, 4234);
    unsafe { sluice_connector_free(connector) };

    let missing = CString::new("v9").unwrap();
    let mut error = std::ptr::null_mut();
    let mut connector = std::ptr::null_mut();
    let status = unsafe {
        sluice_connector_open_dataset(root.as_ptr(), name.as_ptr(), missing.as_ptr(), 0, std::ptr::null(), &mut connector, &mut error)
    };
    assert_eq!(status, sluice_status::SLUICE_NOT_FOUND);
    assert!(connector.is_null());
    let message = unsafe { CStr::from_ptr(sluice_error_message(error)) }.to_str().unwrap().to_string();
    assert!(message.contains("no version 'v9'"), "{message}");
    unsafe { sluice_error_free(error) };
}
