//! Creating a version. Its files go under a directory of their own for this
//! attempt (`data/<version>/<attempt>/`); the manifest, which lists them, is
//! published last with a create-if-absent put. So a version is visible whole
//! or not at all: a crash before the manifest leaves only files that no
//! manifest lists (see `cleanup`), and of two writers racing for one version
//! exactly one publishes; the other gets an error naming the version and
//! removes its own files, which no manifest ever listed.

use super::manifest::{columns, Manifest, FORMAT_VERSION};
use super::partition::{unknown_column, write_partitioned};
use super::write::{write_shards, Layout};
use super::{block_on, name, Dataset};
use crate::error::{Error, Result};
use crate::Connector;
use serde_json::{Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// What `create_version` is told besides the rows.
#[derive(Debug, Clone, Default)]
pub struct VersionSettings {
    /// Shuffle the rows once, with this seed, before writing them.
    pub shuffle_seed: Option<u64>,
    pub partition_by: Option<String>,
    pub label_cols: Vec<String>,
    pub exclude_cols: Vec<String>,
    pub comment: Option<String>,
    pub properties: Map<String, Value>,
}

impl VersionSettings {
    /// Sets one setting by key, as the C ABI passes them: `shuffle` (true/false), `seed`,
    /// `partition_by`, `label_cols` and `exclude_cols` (JSON arrays or comma-separated),
    /// `comment`, `properties` (a JSON object).
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad = |why: &str| Error::invalid_argument(format!("version setting '{key}' = '{}': {why}", crate::options::echo(value)));
        match key {
            "shuffle" => {
                let on = match value.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(bad("expected true or false")),
                };
                self.shuffle_seed = on.then_some(self.shuffle_seed.unwrap_or(0));
            }
            "seed" => self.shuffle_seed = Some(value.trim().parse().map_err(|_| bad("expected a non-negative integer"))?),
            "partition_by" => self.partition_by = Some(value.to_string()).filter(|v| !v.is_empty()),
            "label_cols" => self.label_cols = names(value).map_err(|why| bad(&why))?,
            "exclude_cols" => self.exclude_cols = names(value).map_err(|why| bad(&why))?,
            "comment" => self.comment = Some(value.to_string()),
            "properties" => match serde_json::from_str(value) {
                Ok(Value::Object(map)) => self.properties = map,
                _ => return Err(bad("expected a JSON object")),
            },
            _ => {
                return Err(Error::invalid_argument(format!(
                    "unknown version setting '{key}' (known: shuffle, seed, partition_by, label_cols, exclude_cols, comment, properties)"
                )))
            }
        }
        Ok(())
    }
}

/// Column names as a JSON array or comma-separated; empty for none.
fn names(value: &str) -> std::result::Result<Vec<String>, String> {
    let v = value.trim();
    if v.is_empty() || v == "[]" {
        return Ok(Vec::new());
    }
    if v.starts_with('[') {
        return serde_json::from_str(v).map_err(|e| format!("expected a JSON array of strings ({e})"));
    }
    Ok(v.split(',').map(|s| s.trim().to_string()).collect())
}

/// Now, as the manifest writes times.
pub fn now_rfc3339() -> String {
    chrono::DateTime::<chrono::Utc>::from(SystemTime::now()).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A directory name unique to this attempt: its start time (seconds, which the clean-up
/// reads), the process and a counter.
fn attempt_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("a{}-{}-{:x}{:x}", now.as_secs(), std::process::id(), now.subsec_nanos(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The start time (seconds since the epoch) an attempt directory's name records.
pub fn attempt_started(attempt: &str) -> Option<u64> {
    attempt.strip_prefix('a')?.split('-').next()?.parse().ok()
}

impl Dataset {
    /// Writes the rows of `input` as version `version` and publishes it; `progress(rows_done,
    /// rows_total)` is called on this thread as rows are written. Fails, naming the version,
    /// when it exists already (or another writer publishes it first).
    pub fn create_version(
        &self,
        version: &str,
        input: &Connector,
        settings: &VersionSettings,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Manifest> {
        name::check("version name", version)?;
        let schema = input.schema();
        for column in &settings.exclude_cols {
            if schema.index_of(column).is_err() {
                return Err(unknown("exclude_cols", column, &schema));
            }
        }
        for column in &settings.label_cols {
            if schema.index_of(column).is_err() {
                return Err(unknown("label_cols", column, &schema));
            }
        }
        if let Some(column) = &settings.partition_by {
            schema.index_of(column).map_err(|_| unknown_column(column, &schema))?;
        }
        let manifest_relative = self.relative(&Self::manifest_path(version));
        let (root, check) = (self.root.clone(), manifest_relative.clone());
        if block_on(async move { root.head(&check).await })?.is_some() {
            return Err(self.exists(version));
        }

        let dir = self.relative(&format!("data/{version}/{}", attempt_id()));
        let layout = Layout::new(input, settings.shuffle_seed)?;
        let written = match &settings.partition_by {
            Some(column) => write_partitioned(input, &self.root, &dir, &layout, column, progress),
            None => write_shards(input, &self.root, &dir, &layout, progress),
        };
        let files = match written {
            Ok(files) => files,
            Err(err) => {
                self.remove_attempt(&dir);
                return Err(err.context(format!("dataset '{}': version '{version}' was not created", self.name)));
            }
        };
        let dataset_prefix = format!("{}/", self.name);
        let files: Vec<_> = files
            .into_iter()
            .map(|mut f| {
                f.path = f.path.strip_prefix(&dataset_prefix).unwrap_or(&f.path).to_string();
                f
            })
            .collect();
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            dataset: self.name.clone(),
            version: version.to_string(),
            created_at: now_rfc3339(),
            sluice_version: env!("CARGO_PKG_VERSION").to_string(),
            source: input.describe(),
            comment: settings.comment.clone(),
            properties: settings.properties.clone(),
            label_cols: settings.label_cols.clone(),
            exclude_cols: settings.exclude_cols.clone(),
            partition_by: settings.partition_by.clone(),
            shuffle_seed: settings.shuffle_seed,
            schema: columns(&schema),
            num_rows: files.iter().map(|f| f.rows).sum(),
            num_bytes: files.iter().map(|f| f.bytes).sum(),
            files,
        };
        let (root, text) = (self.root.clone(), manifest.to_json());
        let published = block_on(async move { root.put_new(&manifest_relative, text.into()).await });
        match published {
            Ok(true) => Ok(manifest),
            Ok(false) => {
                self.remove_attempt(&dir);
                Err(self.exists(version))
            }
            Err(err) => {
                self.remove_attempt(&dir);
                Err(err.context(format!("dataset '{}': version '{version}' was not created", self.name)))
            }
        }
    }

    fn exists(&self, version: &str) -> Error {
        Error::invalid_argument(format!(
            "dataset '{}' under '{}': version '{version}' already exists, and a version cannot be overwritten \
             (delete it first, or choose another version name)",
            self.name, self.root.display
        ))
    }

    /// Removes the files of an attempt that did not publish (best effort: what stays is
    /// never listed, and the clean-up removes it later).
    fn remove_attempt(&self, dir: &str) {
        let (root, listed) = (self.root.clone(), dir.to_string());
        let _ = block_on(async move {
            for (path, _) in root.list(&listed).await? {
                root.delete(&path).await?;
            }
            Ok(())
        });
        // A local upload that died leaves a staging file no listing shows; and the empty directory.
        if let Some(local) = &self.root.local {
            let _ = std::fs::remove_dir_all(local.join(dir));
        }
    }
}

fn unknown(what: &str, column: &str, schema: &arrow::datatypes::Schema) -> Error {
    let known: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    Error::invalid_argument(format!(
        "{what}: no column named '{}' (columns: {})",
        crate::options::echo(column),
        crate::options::echo(&known.join(", "))
    ))
}
