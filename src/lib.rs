//! sluice streams tabular training data from where it lives into the tools that
//! train on it. The pipeline, one module each:
//!
//! source ─▶ plan ─▶ read (parallel, bounded) ─▶ batch ─▶ pack / tensors ─▶ ffi (C ABI stream)
//!
//! - `source`: paths, globs and URIs resolved to files and fragments (row groups …);
//!   or a stream source (record batch readers: a DataFrame, an Arrow C stream, a query)
//! - `dataset`: named, immutable versions of any source (Parquet files plus a manifest)
//! - `snapshot`: a stream source written once into Parquet files, for every read that
//!   needs random access (shuffle, shards, workers, a second epoch, resume)
//! - `plan`: which rows this reader emits, in which order (pure, deterministic)
//! - `read`: fetch and decode the plan's tasks concurrently under a byte budget
//! - `batch`: re-cut into batches of exactly `batch_size` rows
//! - `pack`: optionally, feature columns into one float32 matrix (packed mode)
//! - `tensors`: optionally, the column policy: every column in a form a tensor can take
//! - [`ffi`]: the stable C ABI (`include/sluice.h`) and its Arrow stream export
//!
//! The Rust API is [`Connector`] (open once, read many times), [`ReadOptions`]
//! and [`SourceOptions`] (set by key, as every binding does), [`BatchStream`]
//! and [`Error`]; the pipeline's modules are private, so that the compiler
//! reports what nothing uses.

#[cfg(feature = "mimalloc")]
mod allocator;
mod batch;
#[cfg(feature = "cli")]
pub mod cli;
mod connector;
mod connector_sql;
mod dataset;
mod error;
pub mod ffi;
mod logging;
mod options;
mod pack;
mod plan;
mod read;
mod resume;
mod runtime;
mod snapshot;
mod source;
mod tensors;

pub use connector::Connector;
pub use dataset::{Dataset, Manifest, Removed, VersionSettings};
pub use error::{Error, ErrorKind, Result};
pub use options::{ReadOptions, SourceOptions};
pub use read::{BatchStream, ColumnTarget};
pub use snapshot::{
    default_dir as default_snapshot_dir, remove_snapshots, remove_snapshots_of, DEFAULT_MAX_AGE as DEFAULT_SNAPSHOT_MAX_AGE,
};
pub use source::sql::{SqlPartitions, SqlSource};
pub use source::stream::PartitionReader;
