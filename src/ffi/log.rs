//! Logging for C: a callback that receives the core's log events (what each
//! read planned, object-store retries), one line each.

use super::boundary::fallible;
use super::error::{c_string, sluice_error};
use super::status::sluice_status;
use crate::error::{Error, Result};
use crate::logging::{self, Level};
use std::ffi::{c_char, c_void};

/// A log level: `SLUICE_LOG_OFF` or one of `SLUICE_LOG_ERROR` … `SLUICE_LOG_TRACE`.
pub type sluice_log_level = u32;

/// Nothing is logged.
pub const SLUICE_LOG_OFF: sluice_log_level = 0;
pub const SLUICE_LOG_ERROR: sluice_log_level = 1;
pub const SLUICE_LOG_WARN: sluice_log_level = 2;
/// What each connector opened and each read planned; object-store retries.
pub const SLUICE_LOG_INFO: sluice_log_level = 3;
pub const SLUICE_LOG_DEBUG: sluice_log_level = 4;
pub const SLUICE_LOG_TRACE: sluice_log_level = 5;

/// Receives one log event: its level (`SLUICE_LOG_ERROR` … `SLUICE_LOG_TRACE`),
/// its target (where it comes from: `sluice::open`, `sluice::read`,
/// `object_store::client::retry` …) and its message, one line of UTF-8 without
/// secrets (passwords and query values of URLs are `***`). Both strings are
/// borrowed for the duration of the call.
///
/// It is called on one thread of the library's own, one record at a time, never
/// on the thread that logged: that thread only queues the record, and never
/// waits for the callback, which may therefore take locks a reading thread holds
/// (a Python callback takes the GIL). Records arrive shortly after they are
/// logged, in order; while the callback is slower than the events, records are
/// dropped, and the next one delivered ends with how many were. It must return
/// without unwinding (no C++ exception, no longjmp). An event it causes by
/// calling into sluice is dropped.
pub type sluice_log_callback =
    Option<unsafe extern "C" fn(level: sluice_log_level, target: *const c_char, message: *const c_char, user_data: *mut c_void)>;

struct UserData(*mut c_void);
// The caller of `sluice_log_set_callback` promises that `user_data` may be used from any thread.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl UserData {
    /// Through a method, so that a closure captures the whole `UserData`, not its field.
    fn pointer(&self) -> *mut c_void {
        self.0
    }
}

fn level_of(number: sluice_log_level, name: &str) -> Result<tracing::level_filters::LevelFilter> {
    logging::level_filter(number).ok_or_else(|| {
        Error::invalid_argument(format!(
            "argument '{name}' is {number}: a log level is SLUICE_LOG_OFF (0), ERROR (1), WARN (2), INFO (3), DEBUG (4) or TRACE (5)"
        ))
    })
}

/// Registers `callback` to receive the library's log events of `max_level` and
/// more severe, with `user_data` as its last argument; a NULL `callback` (or
/// `SLUICE_LOG_OFF`) logs nothing. The registration is for the whole process and
/// replaces the previous one. Until a callback is registered, nothing is logged
/// and logging costs nothing.
///
/// Events are those of sluice and of the object-store client only. At
/// `SLUICE_LOG_INFO`: a connector opened (files, formats, fragments, rows) and a
/// read planned (this reader's rows and the sources', files, fragments, shard,
/// worker, batch size, shuffle), as `key=value` fields; each retry of an
/// object-store request, with the attempt, the error and the object's URI.
///
/// Records logged before this call reach the previous callback first: this
/// function waits for them (at most 2 seconds, then it goes on; not at all when
/// called from the callback itself). Records still queued at process exit are
/// delivered the same way (an `atexit` handler). After a wait that timed out,
/// the previous callback may still be running: `user_data` of a replaced callback
/// should stay valid (a binding registers once, for the life of the process). A
/// child process after `fork()` keeps the registration, and its records are
/// delivered on a thread of its own.
///
/// Fails with `SLUICE_INVALID_ARGUMENT` for a level above `SLUICE_LOG_TRACE`, and
/// with `SLUICE_UNSUPPORTED` when a Rust program linking sluice already has its
/// own global `tracing` subscriber (which then receives the events).
#[no_mangle]
pub unsafe extern "C" fn sluice_log_set_callback(
    callback: sluice_log_callback,
    max_level: sluice_log_level,
    user_data: *mut c_void,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let max_level = level_of(max_level, "max_level")?;
        let user_data = UserData(user_data);
        let receiver = callback.map(|callback| -> logging::Receiver {
            Box::new(move |level: Level, target: &str, message: &str| {
                let (target, message) = (c_string(target), c_string(message));
                let level = sluice_log_level::from(logging::level_number(Some(level)));
                unsafe { callback(level, target.as_ptr(), message.as_ptr(), user_data.pointer()) }
            })
        });
        logging::set_receiver(receiver, max_level)
    })
}

/// Changes the level of the registered callback: events of `max_level` and
/// more severe reach it (`SLUICE_LOG_OFF`: none). A binding calls it when its
/// own logger's level changes, so that filtered-out events are never formatted.
/// Without a registered callback it only keeps the level for the next one.
/// Fails with `SLUICE_INVALID_ARGUMENT` for a level above `SLUICE_LOG_TRACE`.
#[no_mangle]
pub unsafe extern "C" fn sluice_log_set_level(max_level: sluice_log_level, error: *mut *mut sluice_error) -> sluice_status {
    fallible(error, || {
        logging::set_max_level(level_of(max_level, "max_level")?);
        Ok(())
    })
}

/// Waits until the log records logged so far have reached the callback (at most
/// 2 seconds; returns at once when called from the callback, or when nothing was
/// ever logged). For a program, or a test, that wants a read's records before it
/// goes on: the callback receives them on another thread, shortly after.
#[no_mangle]
pub extern "C" fn sluice_log_flush() {
    let _ = std::panic::catch_unwind(logging::flush);
}
