//! `sluice_cli_main`, the C entry point of the command line (src/ffi/cli.rs): it runs
//! the command line with the `python-cli` feature, and otherwise says that it is missing
//! and returns SLUICE_UNSUPPORTED, never reading its arguments wrongly or panicking.

use sluice::ffi::{sluice_cli_main, sluice_status};
use std::ffi::{c_char, CString};

fn cli_main(args: &[&str]) -> i32 {
    let owned: Vec<CString> = args.iter().map(|a| CString::new(*a).unwrap()).collect();
    let argv: Vec<*const c_char> = owned.iter().map(|a| a.as_ptr()).collect();
    unsafe { sluice_cli_main(argv.len() as i32, argv.as_ptr()) }
}

#[test]
fn the_entry_point_runs_the_command_line_only_when_built_with_it() {
    let status = cli_main(&["sluice", "--version"]);
    if cfg!(feature = "python-cli") {
        assert_eq!(status, 0);
        assert_eq!(cli_main(&["sluice", "count", "/no/such/file.parquet"]), sluice_status::SLUICE_NOT_FOUND as i32);
    } else {
        assert_eq!(status, sluice_status::SLUICE_UNSUPPORTED as i32);
    }
}

#[test]
fn no_arguments_at_all_is_not_a_crash() {
    let status = unsafe { sluice_cli_main(0, std::ptr::null()) };
    let expected = if cfg!(feature = "python-cli") { sluice_status::SLUICE_INVALID_ARGUMENT } else { sluice_status::SLUICE_UNSUPPORTED };
    assert_eq!(status, expected as i32);
}
