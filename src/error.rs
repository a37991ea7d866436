//! One error type for the whole core: a kind (which becomes the C status) and a
//! message that names what was wrong (the file, the column, the option) and why.

use crate::logging::redact::without_secrets;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidArgument,
    NotFound,
    Io,
    InvalidData,
    SchemaMismatch,
    PermissionDenied,
    Unsupported,
    Panic,
    Internal,
}

#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Every message is built here (and in `context`): URIs in it lose their
    /// passwords and query values (SAS tokens, signatures), whoever quoted them.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: without_secrets(&message.into()) }
    }
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn invalid_data(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidData, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Prefixes the message with where the error happened ("'a.parquet': ...").
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = without_secrets(&format!("{context}: {}", self.message));
        self
    }

    /// Classifies an object store error; `location` is the user-facing name.
    pub fn from_object_store(err: &object_store::Error, location: &str) -> Self {
        let kind = store_error_kind(err);
        let what = match kind {
            ErrorKind::NotFound => "not found",
            ErrorKind::PermissionDenied => "access denied",
            _ => "could not be read",
        };
        Error::new(kind, format!("'{location}' {what}: {}", full_chain(err)))
    }

    pub fn from_parquet(err: parquet::errors::ParquetError, location: &str) -> Self {
        if let parquet::errors::ParquetError::External(inner) = &err {
            if let Some(error) = inner.downcast_ref::<Error>() {
                return error.clone();
            }
            if let Some(store_err) = inner.downcast_ref::<object_store::Error>() {
                return Error::from_object_store(store_err, location);
            }
        }
        Error::invalid_data(format!("'{location}' is not a readable Parquet file: {err}"))
    }

    pub fn from_arrow(err: arrow::error::ArrowError, location: &str, format: &str) -> Self {
        if let arrow::error::ArrowError::ExternalError(inner) = &err {
            if let Some(store_err) = inner.downcast_ref::<object_store::Error>() {
                return Error::from_object_store(store_err, location);
            }
        }
        Error::invalid_data(format!("'{location}' is not a readable {format} file: {err}"))
    }
}

/// The kind of an object store error, from its variant. object_store gives a
/// generic error for some failed requests (a failed listing:
/// apache/arrow-rs-object-store#851); its sources then tell the HTTP status
/// or the local I/O error.
fn store_error_kind(err: &object_store::Error) -> ErrorKind {
    use object_store::Error as E;
    match err {
        E::NotFound { .. } => ErrorKind::NotFound,
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => ErrorKind::PermissionDenied,
        E::NotSupported { .. } | E::NotImplemented { .. } => ErrorKind::Unsupported,
        E::InvalidPath { .. } | E::UnknownConfigurationKey { .. } => ErrorKind::InvalidArgument,
        _ => {
            let sources = std::iter::successors(Some(err as &(dyn std::error::Error + 'static)), |e| e.source());
            sources.skip(1).find_map(source_kind).unwrap_or(ErrorKind::Io)
        }
    }
}

fn source_kind(source: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
    if let Some(io) = source.downcast_ref::<std::io::Error>() {
        return match io.kind() {
            std::io::ErrorKind::NotFound => Some(ErrorKind::NotFound),
            std::io::ErrorKind::PermissionDenied => Some(ErrorKind::PermissionDenied),
            _ => None,
        };
    }
    match http_status(source)? {
        404 => Some(ErrorKind::NotFound),
        401 | 403 => Some(ErrorKind::PermissionDenied),
        _ => None,
    }
}

/// The status of an object_store request error. Its type (`RequestError::Status`)
/// is not exported, so the status is read where that error's message puts it,
/// right after this prefix, never from a path or a body that may hold "404".
const STATUS_PREFIX: &str = "Server returned non-2xx status code: ";

pub(crate) fn http_status(source: &(dyn std::error::Error + 'static)) -> Option<u16> {
    source.to_string().strip_prefix(STATUS_PREFIX)?.get(..3)?.parse().ok()
}

/// The error and all its sources, so "connection refused" reaches the user.
pub fn full_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The text of a caught panic's payload.
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

#[cfg(test)]
#[path = "error_secrets_tests.rs"]
mod secrets_tests;
