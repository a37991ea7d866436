//! Exit status: 0 on success, otherwise the C status of the error's kind
//! (`sluice_status` in include/sluice.h), so that a script tells a missing
//! file (2) from a corrupt one (4) as a C caller does. A command line that
//! does not parse is an invalid argument (1) too.

use crate::error::ErrorKind;
use crate::ffi::sluice_status;

pub const USAGE: i32 = sluice_status::SLUICE_INVALID_ARGUMENT as i32;

pub fn code(kind: ErrorKind) -> i32 {
    sluice_status::from(kind) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_nonzero_code() {
        use ErrorKind::*;
        let kinds = [InvalidArgument, NotFound, Io, InvalidData, SchemaMismatch, PermissionDenied, Unsupported, Panic, Internal];
        let codes: Vec<i32> = kinds.iter().map(|&k| code(k)).collect();
        assert_eq!(codes, (1..=9).collect::<Vec<_>>());
    }
}
