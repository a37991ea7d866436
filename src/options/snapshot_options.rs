//! When and where a stream source (a DataFrame, an Arrow stream, a query) is
//! written into a snapshot, the Parquet files that give it random access
//! (see docs/sources-from-streams.md).

use super::parse;
use crate::error::Result;
use std::path::PathBuf;
use std::time::Duration;

/// When a stream source is written into a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotMode {
    /// A single ordered pass streams straight from the producer (and writes the
    /// snapshot as it goes); anything else reads the snapshot.
    #[default]
    Auto,
    /// Every read comes from the snapshot, the first one included.
    Always,
    /// Never written: the stream can be read once, in order, without shuffle, shards or workers.
    Never,
}

#[derive(Debug, Clone, Default)]
pub struct SnapshotOptions {
    pub mode: SnapshotMode,
    /// None: `$SLUICE_SNAPSHOT_DIR`, else the user's cache directory (`crate::snapshot::default_dir`).
    pub dir: Option<PathBuf>,
    /// An object-store URI (`s3://bucket/snapshots`) instead of `dir`.
    pub uri: Option<String>,
    /// None: a new random id. Processes given the same id share one snapshot.
    pub id: Option<String>,
    /// Snapshots unused for longer are removed when a new one is published. None: 7 days.
    pub max_age: Option<Duration>,
    /// When a new snapshot is published, the least recently used others are removed until
    /// the directory's snapshots hold at most this many bytes. None: no limit.
    pub max_bytes: Option<u64>,
}

pub(crate) const KNOWN: &[&str] = &["snapshot", "snapshot_dir", "snapshot_id", "snapshot_max_age", "snapshot_max_bytes"];

impl SnapshotOptions {
    /// Sets `key` when it is a snapshot option; false when it is not one.
    pub(crate) fn set(&mut self, key: &str, value: &str) -> Result<bool> {
        match key {
            "snapshot" => {
                self.mode = match value.trim().to_ascii_lowercase().as_str() {
                    "auto" => SnapshotMode::Auto,
                    "always" => SnapshotMode::Always,
                    "never" => SnapshotMode::Never,
                    _ => return Err(parse::bad(key, value, "expected auto, always or never")),
                }
            }
            "snapshot_dir" => {
                if value.trim().is_empty() {
                    return Err(parse::bad(key, value, "is empty: name a local directory, or leave the option unset"));
                }
                if value.contains("://") && !value.to_ascii_lowercase().starts_with("file://") {
                    crate::source::location::remote_store(value).map_err(|e| parse::bad(key, value, &e.message))?;
                    self.uri = Some(value.to_string());
                    self.dir = None;
                } else {
                    self.dir = Some(PathBuf::from(value));
                    self.uri = None;
                }
            }
            "snapshot_id" => {
                let valid = !value.is_empty()
                    && value.len() <= 128
                    && !value.starts_with('.')
                    && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
                if !valid {
                    return Err(parse::bad(key, value, "expected 1 to 128 letters, digits, '-', '_' or '.' (not starting with '.')"));
                }
                self.id = Some(value.to_string());
            }
            "snapshot_max_age" => self.max_age = Some(parse::seconds(key, value)?),
            "snapshot_max_bytes" => self.max_bytes = Some(parse::bytes(key, value)?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}
