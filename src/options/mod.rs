//! Options arrive as key/value strings (from C, Python, Java) and are validated
//! when they are set, so an error names the option at the moment it is given.

mod delta_time;
mod parse;
mod read_options;
mod snapshot_options;
mod source_options;
mod tensor_options;

pub use parse::{echo, Number};
pub use read_options::{EqualShards, ReadOptions};
pub use snapshot_options::{SnapshotMode, SnapshotOptions};
pub use source_options::{CsvOptions, DeltaSnapshot, FormatChoice, SourceOptions, StoreOptions};
pub use tensor_options::{Decimals, Dictionaries, Ragged, TensorOptions};

/// Every read option key (tensor options included), for tests that cover each one.
#[cfg(test)]
pub(crate) fn read_option_keys() -> impl Iterator<Item = &'static str> {
    read_options::KNOWN.iter().chain(tensor_options::KNOWN).copied()
}

/// Every source option key, for tests that cover each one.
#[cfg(test)]
pub(crate) fn source_option_keys() -> impl Iterator<Item = &'static str> {
    source_options::KNOWN.iter().chain(snapshot_options::KNOWN).copied()
}
