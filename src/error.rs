//! One error type for the whole core: a kind (which becomes the C status) and a
//! message that names what was wrong (the file, the column, the option) and why.

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
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into() }
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
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Classifies an object store error; `location` is the user-facing name.
    pub fn from_object_store(err: &object_store::Error, location: &str) -> Self {
        use object_store::Error as E;
        let kind = match err {
            E::NotFound { .. } => ErrorKind::NotFound,
            E::PermissionDenied { .. } | E::Unauthenticated { .. } => ErrorKind::PermissionDenied,
            E::NotSupported { .. } | E::NotImplemented { .. } => ErrorKind::Unsupported,
            E::InvalidPath { .. } | E::UnknownConfigurationKey { .. } => ErrorKind::InvalidArgument,
            _ => classify_message(&err.to_string()),
        };
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

/// Some stores report HTTP statuses only through the message of a generic error.
fn classify_message(message: &str) -> ErrorKind {
    let m = message.to_ascii_lowercase();
    if m.contains("404") || m.contains("not found") || m.contains("nosuchkey") || m.contains("nosuchbucket") {
        ErrorKind::NotFound
    } else if m.contains("403") || m.contains("401") || m.contains("accessdenied") || m.contains("access denied") || m.contains("forbidden")
    {
        ErrorKind::PermissionDenied
    } else {
        ErrorKind::Io
    }
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
