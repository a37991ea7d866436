//! Status codes: explicit values, only ever appended.

use crate::error::ErrorKind;

/// The result of every fallible call. `SLUICE_OK` is 0; other values are only ever appended.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sluice_status {
    SLUICE_OK = 0,
    /// An unknown or invalid option, a NULL argument, a bad combination of options.
    SLUICE_INVALID_ARGUMENT = 1,
    /// A missing file or object, an empty directory, a glob that matches nothing, HTTP 404.
    SLUICE_NOT_FOUND = 2,
    /// An I/O or network failure (an unreachable host, a timeout).
    SLUICE_IO = 3,
    /// A corrupt or truncated file, a malformed CSV row, a value that does not parse.
    SLUICE_INVALID_DATA = 4,
    /// Files that disagree on the schema.
    SLUICE_SCHEMA_MISMATCH = 5,
    /// Access denied by the store (HTTP 401 / 403).
    SLUICE_PERMISSION_DENIED = 6,
    /// A format, URI scheme or feature this build does not support.
    SLUICE_UNSUPPORTED = 7,
    /// A panic inside the library, caught at the boundary.
    SLUICE_PANIC = 8,
    /// A bug: an invariant of the library did not hold.
    SLUICE_INTERNAL = 9,
}

impl From<ErrorKind> for sluice_status {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => sluice_status::SLUICE_INVALID_ARGUMENT,
            ErrorKind::NotFound => sluice_status::SLUICE_NOT_FOUND,
            ErrorKind::Io => sluice_status::SLUICE_IO,
            ErrorKind::InvalidData => sluice_status::SLUICE_INVALID_DATA,
            ErrorKind::SchemaMismatch => sluice_status::SLUICE_SCHEMA_MISMATCH,
            ErrorKind::PermissionDenied => sluice_status::SLUICE_PERMISSION_DENIED,
            ErrorKind::Unsupported => sluice_status::SLUICE_UNSUPPORTED,
            ErrorKind::Panic => sluice_status::SLUICE_PANIC,
            ErrorKind::Internal => sluice_status::SLUICE_INTERNAL,
        }
    }
}
