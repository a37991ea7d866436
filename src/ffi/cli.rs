//! `sluice_cli_main`: the `sluice` command line, run inside the caller's
//! process. The Python package's `sluice` console script calls it, since a
//! wheel built by maturin around this library holds no executable of its own.
//! Built with the `python-cli` feature; without it the function only says so.

use std::ffi::{c_char, c_int};

/// Runs the `sluice` command line (docs/cli.md) on `argv[0..argc]` (the
/// program name first) and returns its exit status. It writes to the process's
/// standard output and error. Libraries built without the command line (the
/// default) print why on standard error and return `SLUICE_UNSUPPORTED`.
#[no_mangle]
pub unsafe extern "C" fn sluice_cli_main(argc: c_int, argv: *const *const c_char) -> c_int {
    super::boundary::ffi_boundary(|| {
        let count = if argv.is_null() { 0 } else { argc.max(0) as usize };
        let args: Vec<std::ffi::OsString> = (0..count)
            .map(|i| unsafe { *argv.add(i) })
            .filter(|arg| !arg.is_null())
            .map(|arg| os_string(unsafe { std::ffi::CStr::from_ptr(arg) }))
            .collect();
        run(args)
    })
}

#[cfg(feature = "python-cli")]
fn run(args: Vec<std::ffi::OsString>) -> c_int {
    crate::cli::run(args)
}

#[cfg(not(feature = "python-cli"))]
fn run(_: Vec<std::ffi::OsString>) -> c_int {
    eprintln!(
        "sluice: this library was built without the command line (cargo feature `python-cli`; the `sluice` program needs feature `cli`)"
    );
    super::status::sluice_status::SLUICE_UNSUPPORTED as c_int
}

#[cfg(unix)]
fn os_string(arg: &std::ffi::CStr) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(arg.to_bytes()).to_os_string()
}

#[cfg(not(unix))]
fn os_string(arg: &std::ffi::CStr) -> std::ffi::OsString {
    arg.to_string_lossy().into_owned().into()
}
