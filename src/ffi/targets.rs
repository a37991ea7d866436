//! Reads that write columns straight into the caller's memory (a numpy array,
//! a C buffer), from the library's threads, while the stream carries the rest.

use super::boundary::{fallible, non_null, non_null_mut, text};
use super::connector::{read_options, sluice_connector};
use super::error::sluice_error;
use super::options::sluice_read_options;
use super::status::sluice_status;
use super::stream::export_stream;
use crate::error::Error;
use crate::read::ColumnTarget;
use arrow::ffi_stream::FFI_ArrowArrayStream;
use std::ffi::{c_char, c_void};

/// Where `sluice_connector_read_into` writes one column: row `i` of the read
/// goes to element `i` of `values`.
///
/// - Integers, floats, dates, times, timestamps and durations: the Arrow
///   value, in native byte order, as wide as the type (a date32 is 4 bytes, a
///   timestamp 8). A bool: one byte, 0 or 1.
/// - A null: NaN for floats, INT64_MIN (NaT for numpy and pandas) for
///   timestamps and durations, 0 for every other type.
#[repr(C)]
pub struct sluice_column_target {
    /// The column's name in the read's output (UTF-8), borrowed for the call only.
    pub column: *const c_char,
    /// `rows` values, contiguous.
    pub values: *mut c_void,
    /// How many rows `values` (and `null_mask`) hold: at least the rows the read
    /// emits (`sluice_connector_count_rows` with the same options).
    pub rows: u64,
    /// NULL, or `rows` bytes that the caller zero-filled: the byte of each null
    /// row is set to 1, and no other byte is written.
    pub null_mask: *mut u8,
    /// NULL, or an 8-byte aligned counter that the caller zeroed, to which the
    /// column's nulls are added.
    pub null_count: *mut u64,
}

/// Starts a reader, as `sluice_connector_read`, whose decoding threads write
/// the columns of `targets` (`n_targets` of them) into the caller's memory:
/// each batch's rows right after they are decoded, in parallel, never on the
/// thread that calls `get_next`. The stream written to `*out` carries the
/// read's other columns (none, when every column has a target: its batches
/// then have no columns but still count the rows), and the rows arrive in the
/// targets in the order the stream would emit them. Options `features` and
/// `tensors` cannot be combined with targets.
///
/// The targets' memory must stay valid until the stream is released (release
/// waits for writes in progress; none start after), and nothing else may
/// write it meanwhile. The values are complete once `get_next` has returned
/// the end of the stream: read them no earlier, and after an error release
/// the stream first. Null counters are written atomically while the stream
/// lives. `targets` itself is only read during the call.
///
/// Fails with `SLUICE_INVALID_ARGUMENT` when a target names no column of the
/// read, names one twice, holds fewer rows than the read emits, or has a NULL
/// `values`; with `SLUICE_UNSUPPORTED` when a target's column has no
/// fixed-width values (strings, decimals, dictionaries, nested types); the
/// message names the column.
#[no_mangle]
pub unsafe extern "C" fn sluice_connector_read_into(
    connector: *const sluice_connector,
    options: *const sluice_read_options,
    targets: *const sluice_column_target,
    n_targets: usize,
    out: *mut FFI_ArrowArrayStream,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let connector = non_null(connector, "connector")?;
        non_null_mut(out, "out")?;
        if targets.is_null() && n_targets > 0 {
            return Err(Error::invalid_argument("argument 'targets' is NULL"));
        }
        let targets = (0..n_targets)
            .map(|i| {
                let target = unsafe { &*targets.add(i) };
                Ok(ColumnTarget {
                    column: text(target.column, &format!("targets[{i}].column"))?.to_string(),
                    values: target.values.cast(),
                    rows: target.rows,
                    null_mask: target.null_mask,
                    null_count: target.null_count,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        // Safety: the caller keeps the memory valid until it releases the stream (the contract above).
        let stream = unsafe { connector.0.read_into(&read_options(options), targets) }?;
        unsafe { std::ptr::write(out, export_stream(stream)) };
        Ok(())
    })
}
