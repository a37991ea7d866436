//! Option parsing through the C ABI: random keys and values (known keys, near
//! misses, random UTF-8 and bytes that are not UTF-8) set on source and read
//! options, then the options used: a connector opened and read with them.
//! Every set is accepted or refused with `SLUICE_INVALID_ARGUMENT` and a
//! message; whatever was accepted reads without a panic or an internal error.

use arbitrary::Unstructured;
use arrow::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use sluice::ffi::*;
use std::ffi::{CStr, CString};
use std::path::PathBuf;
use std::sync::OnceLock;

const READ_KEYS: &[&str] = &[
    "columns",
    "features",
    "label",
    "batch_size",
    "batches_per_chunk",
    "drop_last_batch",
    "limit",
    "shuffle",
    "seed",
    "epoch",
    "shuffle_window",
    "num_shards",
    "shard_index",
    "equal_shards",
    "num_workers",
    "worker_index",
    "worker_interleave",
    "memory_budget",
    "fragments_in_flight",
    "threads",
    "fixed_options",
    "tensors",
    "null_fill",
    "null_mask",
    "ragged",
    "pad_length",
    "pad_value",
    "decimal",
    "dictionary",
];

const SOURCE_KEYS: &[&str] = &[
    "format",
    "csv_header",
    "csv_delimiter",
    "csv_quote",
    "csv_infer_rows",
    "schema",
    "ndjson_unknown_keys",
    "request_timeout",
    "connect_timeout",
    "endpoint",
    "region",
    "anonymous",
    "allow_http",
    "access_key_id",
    "secret_access_key",
    "session_token",
];

/// Values that sit on the edges of what options take.
const TOKENS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "7",
    "-1",
    "+1",
    " 1 ",
    "01",
    "1.0",
    "1.5",
    "1e3",
    "1e400",
    "-0",
    "NaN",
    "inf",
    "-inf",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "true",
    "false",
    "TRUE",
    "yes",
    "",
    " ",
    "off",
    "drop",
    "pad",
    "auto",
    "on",
    "parquet",
    "ipc",
    "csv",
    "ndjson",
    "json",
    "id",
    "x",
    "s",
    "id,x",
    "x,id",
    "id,id",
    "[\"id\"]",
    "[\"x\",\"id\"]",
    "[]",
    "[\"\"]",
    "[",
    "[\"id\",]",
    "[1]",
    "{}",
    "1KB",
    "1KiB",
    "16MiB",
    "512MB",
    "1.5GB",
    "1TB",
    "16EiB",
    "99999999999999999999TB",
    "0B",
    "1b",
    "http://localhost:1",
    "https://",
    "a:int64",
    "id:int64,x:float32,s:utf8",
    "id:int64,id:int64",
    ",",
    "\t",
    "\"",
    "ab",
    "é",
    "\u{1F600}",
    "\u{FEFF}",
    "error",
    "skip",
    "zero",
];

/// A small Parquet file and a CSV file of the same rows, written once per process.
fn data_files() -> &'static (PathBuf, PathBuf) {
    static FILES: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sluice-fuzz-options-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let batch = super::seeds::rows(0, 100);
        let parquet = dir.join("rows.parquet");
        std::fs::write(&parquet, super::seeds::parquet(&batch, 30, Default::default())).unwrap();
        let csv = dir.join("rows.csv");
        std::fs::write(&csv, super::seeds::csv(&batch, true, b',')).unwrap();
        (parquet, csv)
    })
}

fn bytes_from(u: &mut Unstructured, keys: &[&str]) -> Vec<u8> {
    let mut out = match u.int_in_range(0..=9u8).unwrap_or(0) {
        0..=5 => keys.get(u.choose_index(keys.len()).unwrap_or(0)).unwrap_or(&"").as_bytes().to_vec(),
        6 => TOKENS[u.choose_index(TOKENS.len()).unwrap_or(0)].as_bytes().to_vec(),
        7 => u.arbitrary::<String>().unwrap_or_default().into_bytes(),
        _ => u.arbitrary::<Vec<u8>>().unwrap_or_default(),
    };
    // Near misses: a known word with a random suffix or a changed byte.
    if u.ratio(1, 8).unwrap_or(false) {
        out.extend(u.arbitrary::<Vec<u8>>().unwrap_or_default().into_iter().take(4));
    }
    if !out.is_empty() && u.ratio(1, 10).unwrap_or(false) {
        let at = u.choose_index(out.len()).unwrap_or(0);
        out[at] = u.arbitrary().unwrap_or(0xff);
    }
    out.retain(|&b| b != 0); // a C string ends at its first NUL
    out
}

fn value_from(u: &mut Unstructured) -> Vec<u8> {
    bytes_from(u, TOKENS)
}

type Setter<H> = unsafe extern "C" fn(*mut H, *const std::ffi::c_char, *const std::ffi::c_char, *mut *mut sluice_error) -> sluice_status;

/// Sets `key` = `value`; accepted, or refused as an invalid argument with a message.
fn set<H>(handle: *mut H, setter: Setter<H>, key: &[u8], value: &[u8]) {
    let (c_key, c_value) = (CString::new(key).unwrap(), CString::new(value).unwrap());
    let mut error: *mut sluice_error = std::ptr::null_mut();
    let status = unsafe { setter(handle, c_key.as_ptr(), c_value.as_ptr(), &mut error) };
    let shown = format!("{:?} = {:?}", String::from_utf8_lossy(key), String::from_utf8_lossy(value));
    if status == sluice_status::SLUICE_OK {
        assert!(error.is_null(), "{shown}: an error was written on success");
        return;
    }
    assert!(!error.is_null(), "{shown}: no error for {status:?}");
    let message = unsafe { CStr::from_ptr(sluice_error_message(error)) }.to_string_lossy().into_owned();
    unsafe { sluice_error_free(error) };
    assert_eq!(status, sluice_status::SLUICE_INVALID_ARGUMENT, "{shown}: {message}");
    assert!(!message.is_empty(), "{shown}: an empty message");
    if let Ok(key) = std::str::from_utf8(key) {
        let short = key.chars().count() <= 100 && !key.contains(|c: char| c.is_control());
        assert!(!short || message.contains(key) || message.contains("key"), "{shown}: the message does not name the option: {message}");
    }
}

pub fn options(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let source = sluice_source_options_new();
    let read = sluice_read_options_new();
    let sets = u.int_in_range(0..=16u8).unwrap_or(0);
    for _ in 0..sets {
        if u.ratio(1, 4).unwrap_or(false) {
            let (key, value) = (bytes_from(&mut u, SOURCE_KEYS), value_from(&mut u));
            set(source, sluice_source_options_set, &key, &value);
        } else {
            let (key, value) = (bytes_from(&mut u, READ_KEYS), value_from(&mut u));
            set(read, sluice_read_options_set, &key, &value);
        }
    }
    let (parquet, csv) = data_files();
    let path = if u.arbitrary().unwrap_or(false) { csv } else { parquet };
    let c_path = CString::new(path.to_str().unwrap()).unwrap();
    let file_name = path.file_name().unwrap().to_str().unwrap();
    let sources = [c_path.as_ptr()];
    let mut connector = std::ptr::null_mut();
    let mut error: *mut sluice_error = std::ptr::null_mut();
    let status = unsafe { sluice_connector_open(sources.as_ptr(), 1, source, &mut connector, &mut error) };
    unsafe { sluice_source_options_free(source) };
    if status != sluice_status::SLUICE_OK {
        expect_input_error(status, &mut error, file_name);
        unsafe { sluice_read_options_free(read) };
        return;
    }
    let mut count = 0u64;
    let status = unsafe { sluice_connector_count_rows(connector, read, &mut count, &mut error) };
    if status != sluice_status::SLUICE_OK {
        expect_input_error(status, &mut error, file_name);
    }
    let mut stream = FFI_ArrowArrayStream::empty();
    let status = unsafe { sluice_connector_read(connector, read, &mut stream, &mut error) };
    unsafe { sluice_read_options_free(read) };
    unsafe { sluice_connector_free(connector) };
    if status != sluice_status::SLUICE_OK {
        expect_input_error(status, &mut error, file_name);
        return;
    }
    let reader = unsafe { ArrowArrayStreamReader::from_raw(&mut stream) }.unwrap();
    let mut rows = 0u64;
    for batch in reader {
        match batch {
            Ok(batch) => rows += batch.num_rows() as u64,
            Err(e) => {
                let message = e.to_string();
                assert!(!message.contains("panic"), "a read with accepted options panicked: {message}");
                return;
            }
        }
    }
    assert_eq!(rows, count, "the read emitted {rows} rows, count_rows said {count}");
}

/// A refused open or read: an input or option error, never a panic or an internal fault.
fn expect_input_error(status: sluice_status, error: &mut *mut sluice_error, file_name: &str) {
    let message = unsafe { CStr::from_ptr(sluice_error_message(*error)) }.to_string_lossy().into_owned();
    unsafe { sluice_error_free(*error) };
    *error = std::ptr::null_mut();
    assert!(
        !matches!(status, sluice_status::SLUICE_PANIC | sluice_status::SLUICE_INTERNAL),
        "{status:?} with accepted options ({file_name}): {message}"
    );
}
