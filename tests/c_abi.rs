//! Drives the same reads through the exported C functions and through the Rust
//! API and compares the results (as ADBC's driver tests do).

mod common;

use arrow::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use common::*;
use sluice::ffi::*;
use std::ffi::{CStr, CString};

fn set_read(options: *mut sluice_read_options, key: &str, value: &str) -> sluice_status {
    let (k, v) = (CString::new(key).unwrap(), CString::new(value).unwrap());
    unsafe { sluice_read_options_set(options, k.as_ptr(), v.as_ptr(), std::ptr::null_mut()) }
}

#[test]
fn c_stream_matches_rust_reader() {
    let dir = tempdir();
    write_parquet(&dir.path().join("a.parquet"), &rows(0, 500), 64);
    let path = CString::new(dir.path().to_str().unwrap()).unwrap();
    let sources = [path.as_ptr()];
    let mut connector = std::ptr::null_mut();
    let status = unsafe { sluice_connector_open(sources.as_ptr(), 1, std::ptr::null(), &mut connector, std::ptr::null_mut()) };
    assert_eq!(status, sluice_status::SLUICE_OK);

    let options = sluice_read_options_new();
    for (k, v) in [("batch_size", "33"), ("shuffle", "true"), ("seed", "3"), ("num_shards", "2"), ("shard_index", "1")] {
        assert_eq!(set_read(options, k, v), sluice_status::SLUICE_OK);
    }
    let mut count = 0u64;
    assert_eq!(unsafe { sluice_connector_count_rows(connector, options, &mut count, std::ptr::null_mut()) }, sluice_status::SLUICE_OK);
    assert_eq!(count, 250);
    let mut stream = FFI_ArrowArrayStream::empty();
    assert_eq!(unsafe { sluice_connector_read(connector, options, &mut stream, std::ptr::null_mut()) }, sluice_status::SLUICE_OK);
    // The stream outlives the connector.
    unsafe { sluice_connector_free(connector) };
    unsafe { sluice_read_options_free(options) };
    let reader = unsafe { ArrowArrayStreamReader::from_raw(&mut stream) }.unwrap();
    let through_c: Vec<_> = reader.collect::<Result<_, _>>().unwrap();

    let rust = sluice::Connector::open(&[dir.path().to_str().unwrap().to_string()], &Default::default()).unwrap();
    let mut o = sluice::ReadOptions::default();
    for (k, v) in [("batch_size", "33"), ("shuffle", "true"), ("seed", "3"), ("num_shards", "2"), ("shard_index", "1")] {
        o.set(k, v).unwrap();
    }
    let direct: Vec<_> = rust.read(&o).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(ids(&through_c), ids(&direct));
    assert_eq!(ids(&through_c).len(), 250);
    assert!(through_c.iter().take(7).all(|b| b.num_rows() == 33));
}

#[test]
fn errors_carry_status_and_message() {
    let missing = CString::new("/nonexistent/dir/file.parquet").unwrap();
    let sources = [missing.as_ptr()];
    let mut connector = std::ptr::null_mut();
    let mut error = std::ptr::null_mut();
    let status = unsafe { sluice_connector_open(sources.as_ptr(), 1, std::ptr::null(), &mut connector, &mut error) };
    assert_eq!(status, sluice_status::SLUICE_NOT_FOUND);
    assert!(connector.is_null(), "out-params are written only on success");
    assert_eq!(unsafe { sluice_error_status(error) }, sluice_status::SLUICE_NOT_FOUND);
    let message = unsafe { CStr::from_ptr(sluice_error_message(error)) }.to_str().unwrap();
    assert!(message.contains("/nonexistent/dir/file.parquet"), "{message}");
    unsafe { sluice_error_free(error) };

    let options = sluice_read_options_new();
    let mut error = std::ptr::null_mut();
    let (k, v) = (CString::new("batch_size").unwrap(), CString::new("0").unwrap());
    assert_eq!(unsafe { sluice_read_options_set(options, k.as_ptr(), v.as_ptr(), &mut error) }, sluice_status::SLUICE_INVALID_ARGUMENT);
    let message = unsafe { CStr::from_ptr(sluice_error_message(error)) }.to_str().unwrap();
    assert!(message.contains("batch_size"), "{message}");
    unsafe { sluice_error_free(error) };
    unsafe { sluice_read_options_free(options) };

    // NULL arguments are errors, never crashes; NULL error out-params are allowed.
    assert_eq!(
        unsafe { sluice_connector_open(std::ptr::null(), 1, std::ptr::null(), &mut connector, std::ptr::null_mut()) },
        sluice_status::SLUICE_INVALID_ARGUMENT
    );
    unsafe { sluice_connector_free(std::ptr::null_mut()) };
    unsafe { sluice_error_free(std::ptr::null_mut()) };
    assert_eq!(unsafe { CStr::from_ptr(sluice_version()) }.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    assert_eq!(sluice_abi_version(), SLUICE_ABI_VERSION);
}
