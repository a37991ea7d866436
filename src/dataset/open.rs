//! Reading a version: its manifest, then its files, each checked against the
//! manifest before anything is read (its size always; its SHA-256 with
//! `verify`, which reads every byte), then a connector over exactly the files
//! the manifest lists, in its order, leaving out its `exclude_cols`.

use super::manifest::{FileEntry, Manifest};
use super::object_file::hex;
use super::root::Root;
use super::{block_on, Dataset};
use crate::error::{Error, Result};
use crate::Connector;
use futures::{StreamExt, TryStreamExt};

/// Files checked at once.
const CHECKS_IN_FLIGHT: usize = 16;

impl Dataset {
    /// A connector over version `version`; with `verify`, every file's checksum is checked first.
    pub fn open_version(&self, version: &str, verify: bool) -> Result<Connector> {
        let manifest = self.manifest(version)?;
        self.check_files(&manifest, verify)?;
        let inputs: Vec<String> = manifest.files.iter().map(|f| self.root.input(&self.relative(&f.path))).collect();
        let mut options = self.options.clone();
        options.format = Some(crate::options::FormatChoice::Parquet);
        options.delta_snapshot = None;
        let connector = Connector::open(&inputs, &options).map_err(|e| e.context(self.describe(version)))?;
        connector.excluding(&manifest.exclude_cols, &format!("{}: exclude_cols", self.describe(version)))
    }

    /// Checks that every file of `manifest` is there with its size (and, with `verify`, its checksum).
    pub fn check_files(&self, manifest: &Manifest, verify: bool) -> Result<()> {
        let what = self.describe(&manifest.version);
        let checks = manifest.files.iter().cloned().map(|file| {
            let (root, relative, what) = (self.root.clone(), self.relative(&file.path), what.clone());
            async move { check_file(&root, &relative, &file, verify, &what).await }
        });
        let checks: Vec<_> = checks.collect();
        block_on(async move { futures::stream::iter(checks).buffer_unordered(CHECKS_IN_FLIGHT).try_collect::<Vec<()>>().await })?;
        Ok(())
    }

    fn describe(&self, version: &str) -> String {
        format!("dataset '{}' version '{version}'", self.name)
    }
}

async fn check_file(root: &Root, relative: &str, file: &FileEntry, verify: bool, what: &str) -> Result<()> {
    let name = root.name_of(relative);
    let Some(meta) = root.head(relative).await? else {
        return Err(Error::not_found(format!("{what}: its file '{name}' is missing")));
    };
    if meta.size != file.bytes {
        return Err(Error::invalid_data(format!(
            "{what}: its file '{name}' has {} bytes, but the manifest says {}: the file was altered or replaced",
            meta.size, file.bytes
        )));
    }
    if verify {
        let store = root.store()?;
        let got = store.get_opts(&root.path(relative), Default::default()).await.map_err(|e| root.error(&e, relative))?;
        let mut chunks = got.into_stream();
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        while let Some(chunk) = chunks.next().await {
            digest.update(&chunk.map_err(|e| root.error(&e, relative))?);
        }
        let sha256 = hex(digest.finish().as_ref());
        if sha256 != file.sha256 {
            return Err(Error::invalid_data(format!(
                "{what}: its file '{name}' does not match its checksum (SHA-256 {sha256}, the manifest says {}): the file was altered",
                file.sha256
            )));
        }
    }
    Ok(())
}
