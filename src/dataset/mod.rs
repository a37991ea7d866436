//! Versioned datasets: named, immutable snapshots of any source, written once
//! as Parquet files plus a manifest (docs/datasets.md), and read back as a
//! connector with every guarantee of files.
//!
//! Layout under a root (a local directory or an object-store URI):
//!
//! ```text
//! <root>/<dataset>/dataset.json                              the dataset exists
//! <root>/<dataset>/versions/<version>.json                   a version's manifest: published last
//! <root>/<dataset>/data/<version>/<attempt>/part-NNNNN.parquet   its files
//! ```
//!
//! - [`name`]: dataset and version names (safe as path parts)
//! - [`root`]: the store under the root, and its create-if-absent put
//! - [`manifest`]: the manifest, its format version and its checks
//! - [`object_file`], [`write`], [`partition`]: writing a version's files
//! - [`publish`]: creating a version: files under a per-attempt directory, then the manifest
//! - [`open`]: reading a version: size checks, checksum checks on request, a connector
//! - [`cleanup`]: deleting a version, and removing what crashed creates left

mod cleanup;
mod manifest;
mod name;
mod object_file;
mod open;
mod partition;
mod publish;
mod root;
mod write;

pub use cleanup::Removed;
pub use manifest::{Manifest, FORMAT_VERSION};
pub use publish::VersionSettings;

use crate::error::{Error, Result};
use crate::options::SourceOptions;
use root::Root;
use std::future::Future;

/// A dataset under a root. Cheap to make; every call reads or writes the store.
#[derive(Clone)]
pub struct Dataset {
    root: Root,
    name: String,
    options: SourceOptions,
}

const MARKER: &str = "dataset.json";

impl Dataset {
    /// Creates the dataset `name` under `root` (the store options in `options`). An existing
    /// one is an error unless `exist_ok`.
    pub fn create(root: &str, name: &str, exist_ok: bool, options: &SourceOptions) -> Result<Dataset> {
        let dataset = Self::new(root, name, options)?;
        let marker = serde_json::json!({
            "format_version": FORMAT_VERSION,
            "dataset": name,
            "created_at": publish::now_rfc3339(),
            "sluice_version": env!("CARGO_PKG_VERSION"),
        });
        let mut text = serde_json::to_vec_pretty(&marker).expect("JSON");
        text.push(b'\n');
        let (root, relative) = (dataset.root.clone(), dataset.relative(MARKER));
        let created = block_on(async move { root.put_new(&relative, text.into()).await })?;
        if !created && !exist_ok {
            return Err(Error::invalid_argument(format!(
                "dataset '{name}' already exists under '{}' (pass exist_ok=True to use it)",
                dataset.root.display
            )));
        }
        Ok(dataset)
    }

    /// The existing dataset `name` under `root`.
    pub fn open(root: &str, name: &str, options: &SourceOptions) -> Result<Dataset> {
        let dataset = Self::new(root, name, options)?;
        let (root, relative) = (dataset.root.clone(), dataset.relative(MARKER));
        if block_on(async move { root.head(&relative).await })?.is_none() {
            return Err(Error::not_found(format!(
                "dataset '{name}' not found under '{}' (no '{}'; create it with Dataset.create)",
                dataset.root.display,
                dataset.root.name_of(&dataset.relative(MARKER))
            )));
        }
        Ok(dataset)
    }

    fn new(root: &str, name: &str, options: &SourceOptions) -> Result<Dataset> {
        options.validate()?;
        name::check("dataset name", name)?;
        Ok(Dataset { root: Root::parse(root, options)?, name: name.to_string(), options: options.clone() })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `path` (relative to the dataset's directory) relative to the root.
    fn relative(&self, path: &str) -> String {
        format!("{}/{path}", self.name)
    }

    fn manifest_path(version: &str) -> String {
        format!("versions/{version}.json")
    }

    /// The names of the published versions, sorted.
    pub fn versions(&self) -> Result<Vec<String>> {
        let (root, relative) = (self.root.clone(), self.relative("versions"));
        let listed = block_on(async move { root.list(&relative).await })?;
        let prefix = self.relative("versions/");
        let mut versions: Vec<String> = listed
            .iter()
            .filter_map(|(path, _)| path.strip_prefix(&prefix)?.strip_suffix(".json").map(str::to_string))
            .filter(|v| !v.contains('/') && name::check("version name", v).is_ok())
            .collect();
        versions.sort();
        Ok(versions)
    }

    /// The manifest of `version`.
    pub fn manifest(&self, version: &str) -> Result<Manifest> {
        name::check("version name", version)?;
        let relative = self.relative(&Self::manifest_path(version));
        let root = self.root.clone();
        let bytes = block_on({
            let relative = relative.clone();
            async move { root.read(&relative).await }
        })?;
        match bytes {
            Some(bytes) => Manifest::parse(&bytes, &self.root.name_of(&relative), version),
            None => {
                let versions = self.versions().unwrap_or_default();
                let known = if versions.is_empty() { "it has none yet".to_string() } else { format!("versions: {}", versions.join(", ")) };
                Err(Error::not_found(format!("dataset '{}' under '{}' has no version '{version}' ({known})", self.name, self.root.display)))
            }
        }
    }
}

/// Runs `future` on the runtime from a thread outside it.
fn block_on<T: Send + 'static>(future: impl Future<Output = Result<T>> + Send + 'static) -> Result<T> {
    crate::runtime::block_on(future)?
}
