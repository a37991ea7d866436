//! Malformed files must be errors that name the file. Some decoders of our
//! dependencies (arrow-ipc, parquet's schema conversion) panic on a few
//! malformed inputs instead of returning an error, for example on a buffer
//! length or an integer bit width taken from a corrupted header (found by the
//! fuzzing harnesses, tests/fuzzing). A panic while inspecting or decoding one
//! file is therefore reported as that file's invalid data, like the decoder's
//! own errors, instead of as an internal panic that does not say which file.

use crate::error::{panic_message, Error, Result};
use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;

/// Runs `work` (the inspection or decoding of file `name`, of format `format`),
/// turning a panic inside it into an invalid-data error naming the file.
pub async fn guarded<T>(name: &str, format: &str, work: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(Error::invalid_data(format!(
            "'{name}' is not a readable {format} file: its decoder failed on malformed data ({})",
            panic_message(&panic)
        ))),
    }
}
