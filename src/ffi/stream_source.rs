//! Stream sources in the C ABI: a connector over a caller's Arrow C stream,
//! its snapshot, and removing old snapshots.

use super::boundary::{fallible, non_null, non_null_mut, text};
use super::connector::sluice_connector;
use super::error::sluice_error;
use super::options::sluice_source_options;
use super::status::sluice_status;
use crate::connector::Connector;
use crate::error::Error;
use crate::options::SourceOptions;
use arrow::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use std::ffi::{c_char, CString};
use std::time::Duration;

/// Makes a connector over the rows of `stream`, an Arrow C stream, with
/// `options` (NULL for defaults; the `snapshot*` source options say when and
/// where its snapshot is written). Takes ownership of the stream in every
/// case, failure included: on return `stream->release` is NULL, and the
/// library releases it (from any thread) once it is read or no longer needed.
/// `description` (may be NULL) names the source in error messages, such as
/// "pandas.DataFrame"; it must hold no secret.
///
/// Nothing is read yet. The first read without shuffle, shards, workers or
/// `resume_from` streams straight from `stream` (with `snapshot=auto`, the
/// default, it writes the snapshot as it goes); every other read, and every
/// later one, reads the snapshot, written once into Parquet files under
/// `snapshot_dir`. The stream's `get_next` is called from the library's
/// threads, one at a time. On success writes a new connector to `*out`.
#[no_mangle]
pub unsafe extern "C" fn sluice_connector_from_arrow_stream(
    stream: *mut FFI_ArrowArrayStream,
    description: *const c_char,
    options: *const sluice_source_options,
    out: *mut *mut sluice_connector,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let stream = non_null_mut(stream, "stream")?;
        // Owned from here on, whatever happens next.
        let owned = std::mem::replace(stream, FFI_ArrowArrayStream::empty());
        let out = non_null_mut(out, "out")?;
        if owned.release.is_none() {
            return Err(Error::invalid_argument("argument 'stream' is released (its release callback is NULL)"));
        }
        let description = match description.is_null() {
            true => "(an Arrow C stream)".to_string(),
            false => format!("'{}'", text(description, "description")?),
        };
        let reader = ArrowArrayStreamReader::try_new(owned)
            .map_err(|e| Error::invalid_data(format!("stream source {description}: cannot read its schema: {e}")))?;
        let defaults = SourceOptions::default();
        let options = unsafe { options.as_ref() }.map_or(&defaults, |o| &o.0);
        let connector = Connector::from_streams(vec![Box::new(reader)], &description, options)?;
        *out = Box::into_raw(Box::new(sluice_connector(connector)));
        Ok(())
    })
}

/// Makes the snapshot of a connector over a stream if it is not made yet (or
/// waits for the process writing it), and writes its directory to `*out`, a
/// string the caller owns (free it with `sluice_string_free`): a directory of
/// Parquet files that `sluice_connector_open` reads with the same rows in the
/// same order. For a connector over files writes NULL. Fails as a read that
/// needs the snapshot would (`snapshot=never`, a stream that failed, a
/// snapshot directory that cannot be written).
#[no_mangle]
pub unsafe extern "C" fn sluice_connector_snapshot(
    connector: *const sluice_connector,
    out: *mut *mut c_char,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let connector = non_null(connector, "connector")?;
        let out = non_null_mut(out, "out")?;
        *out = match connector.0.snapshot()? {
            None => std::ptr::null_mut(),
            Some(path) => {
                let path = path.to_str().ok_or_else(|| Error::invalid_data(format!("the snapshot path {path:?} is not UTF-8")))?;
                CString::new(path).map_err(|_| Error::internal("a snapshot path with a NUL byte"))?.into_raw()
            }
        };
        Ok(())
    })
}

/// Removes from `snapshot_dir` every snapshot not used for `older_than_seconds`
/// or longer (0: every snapshot that is not being written), and the leftovers of
/// writers that died. `snapshot_dir`: a local directory, or an object-store URI
/// (`s3://bucket/prefix`, `gs://`, `az://`) reached with the store options of
/// `options` (`endpoint`, `region`, credentials, `allow_http`; NULL for
/// defaults); NULL: the `snapshot_dir` of `options`, else the default directory
/// (see docs/sources-from-streams.md). In an object store, an attempt that no
/// marker publishes is kept for at least an hour after its last upload, since
/// its writer may still be uploading it. Writes how many snapshots were removed
/// to `*removed` (may be NULL). A directory that does not exist holds none.
#[no_mangle]
pub unsafe extern "C" fn sluice_snapshots_remove(
    snapshot_dir: *const c_char,
    older_than_seconds: u64,
    options: *const sluice_source_options,
    removed: *mut u64,
    error: *mut *mut sluice_error,
) -> sluice_status {
    fallible(error, || {
        let mut located = unsafe { options.as_ref() }.map_or_else(SourceOptions::default, |o| o.0.clone());
        if !snapshot_dir.is_null() {
            located.set("snapshot_dir", text(snapshot_dir, "snapshot_dir")?)?;
        }
        let count = crate::snapshot::remove_snapshots_of(&located, Duration::from_secs(older_than_seconds))?;
        if let Some(removed) = unsafe { removed.as_mut() } {
            *removed = count;
        }
        Ok(())
    })
}
