//! Snapshots in an object store (`snapshot_dir` = `s3://...`, `gs://...`, `az://...`):
//! written locally first (the local publish of [`super::publish`], in a staging directory),
//! then uploaded under a directory of their own, `<snapshot_dir>/<id>/<attempt>/`, and
//! published by one create-if-absent write of the marker `<snapshot_dir>/<id>/_PUBLISHED`,
//! which names the attempt (object_store `PutMode::Create`). The first marker wins: a rank
//! whose marker write finds one reads that attempt and deletes its own upload. Readers
//! open only the attempt a marker names, so files of an attempt still uploading (or of
//! one that died) are never read. The marker also counts the attempt's files: a reader that
//! finds fewer (the snapshot was being removed as it opened it) fails rather than reading
//! part of it. Opening a published snapshot rewrites the small object
//! `<snapshot_dir>/<id>/_USED`, the time [`super::remote_cleanup`] counts its age from.

use crate::error::{Error, ErrorKind, Result};
use crate::options::SourceOptions;
use crate::source::store::Store;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The marker that publishes a snapshot: the name of the attempt to read, then (a second
/// line) how many files it holds.
pub(super) const MARKER: &str = "_PUBLISHED";

/// Rewritten (empty) each time a published snapshot is opened: when it was last used.
pub(super) const USED: &str = "_USED";

/// A published snapshot: the URI of its attempt's directory, and how many files its marker
/// says it holds (None for a marker of an earlier version, which did not count them).
pub(crate) struct Published {
    pub(crate) uri: String,
    pub(crate) files: Option<usize>,
}

impl Published {
    /// A snapshot published in a local directory (its files are not counted).
    pub(crate) fn local(path: PathBuf) -> Published {
        Published { uri: path.to_string_lossy().into_owned(), files: None }
    }
}

/// The attempt a marker names, and the files it counts.
pub(super) fn parse_marker(bytes: &[u8]) -> (String, Option<usize>) {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines().map(str::trim);
    let attempt = lines.next().unwrap_or_default().to_string();
    (attempt, lines.next().and_then(|count| count.parse().ok()))
}

/// Where snapshots go in an object store, with the store options to reach it.
#[derive(Debug, Clone)]
pub(crate) struct RemoteDir {
    /// The URI as given, without a trailing '/'.
    uri: String,
    options: SourceOptions,
}

impl RemoteDir {
    pub(crate) fn new(uri: &str, options: &SourceOptions) -> RemoteDir {
        let mut options = options.clone();
        options.snapshot = Default::default();
        RemoteDir { uri: uri.trim_end_matches('/').to_string(), options }
    }

    /// The local staging directory: snapshots are written there before they are uploaded.
    pub(crate) fn staging(&self) -> PathBuf {
        std::env::temp_dir().join("sluice-snapshot-staging")
    }

    /// The store, and the directory's path in it.
    pub(super) fn store(&self) -> Result<(Arc<dyn ObjectStore>, StorePath)> {
        let (kind, url) = crate::source::location::remote_store(&self.uri).map_err(|e| self.failed(e.message))?;
        let store = Store::new(kind, self.options.store.clone()).get()?;
        let prefix = StorePath::parse(url.path().trim_start_matches('/')).map_err(|e| self.failed(e))?;
        Ok((store, prefix))
    }

    pub(super) fn failed(&self, e: impl std::fmt::Display) -> Error {
        Error::new(ErrorKind::Io, format!("the snapshot directory '{}': {e}", crate::source::sql::uri_for_messages(&self.uri)))
    }

    /// The snapshot published under `id`, if any (then marked as used now).
    pub(crate) fn published(&self, id: &str) -> Result<Option<Published>> {
        let (store, prefix) = self.store()?;
        let marker = prefix.clone().join(id).join(MARKER);
        let this = self.clone();
        let id = id.to_string();
        crate::runtime::block_on(async move {
            match store.get(&marker).await {
                Ok(found) => {
                    let bytes = found.bytes().await.map_err(|e| this.failed(e))?;
                    let (attempt, files) = parse_marker(&bytes);
                    mark_used(&store, &prefix.clone().join(id.as_str())).await;
                    Ok(Some(Published { uri: format!("{}/{id}/{attempt}/", this.uri), files }))
                }
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(this.failed(e)),
            }
        })?
    }

    /// Uploads the locally published snapshot `local` (its Parquet files) as a new attempt of
    /// `id`, then publishes it unless another attempt was published first. Returns the
    /// snapshot to read, and removes `local`.
    pub(crate) fn upload(&self, local: &Path, id: &str) -> Result<Published> {
        let (store, prefix) = self.store()?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let attempt = format!("a-{}-{nanos:x}", std::process::id());
        let mut files: Vec<PathBuf> = std::fs::read_dir(local)
            .map_err(|e| self.failed(format!("cannot list the staged snapshot '{}': {e}", local.display())))?
            .flatten()
            .map(|entry| entry.path())
            .collect();
        files.sort();
        let this = self.clone();
        let (id_owned, attempt_owned) = (id.to_string(), attempt.clone());
        let winner = crate::runtime::block_on(async move {
            let attempt_dir = prefix.clone().join(id_owned.as_str()).join(attempt_owned.as_str());
            let mut uploaded = Vec::new();
            for file in &files {
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let target = attempt_dir.clone().join(name.as_str());
                upload_file(&store, file, &target).await.map_err(|e| this.failed(format!("uploading '{name}': {e}")))?;
                uploaded.push(target);
            }
            let marker = prefix.clone().join(id_owned.as_str()).join(MARKER);
            let create = PutOptions { mode: PutMode::Create, ..Default::default() };
            let counted = format!("{attempt_owned}\n{}\n", files.len());
            match store.put_opts(&marker, PutPayload::from(counted.into_bytes()), create).await {
                Ok(_) => Ok((attempt_owned, Some(files.len()))),
                Err(object_store::Error::AlreadyExists { .. }) => {
                    // Another rank published first: read its attempt, and drop this one.
                    for path in &uploaded {
                        let _ = store.delete(path).await;
                    }
                    let found = store.get(&marker).await.map_err(|e| this.failed(e))?;
                    let bytes = found.bytes().await.map_err(|e| this.failed(e))?;
                    mark_used(&store, &prefix.clone().join(id_owned.as_str())).await;
                    Ok(parse_marker(&bytes))
                }
                Err(e) => Err(this.failed(format!("publishing '{MARKER}': {e}"))),
            }
        })??;
        let _ = std::fs::remove_dir_all(local);
        let (attempt, files) = winner;
        Ok(Published { uri: format!("{}/{id}/{attempt}/", self.uri), files })
    }

    /// The source options a published snapshot is opened with (the store's settings).
    pub(crate) fn read_options(&self) -> &SourceOptions {
        &self.options
    }
}

/// Rewrites `<snapshot>/_USED`, so that the age policy counts from now. Best effort: with
/// credentials that may only read, the snapshot is still read, and ages from its marker.
async fn mark_used(store: &Arc<dyn ObjectStore>, snapshot: &StorePath) {
    let _ = store.put(&snapshot.clone().join(USED), PutPayload::new()).await;
}

/// Streams one local file to the store in parts (never whole in memory).
async fn upload_file(store: &Arc<dyn ObjectStore>, file: &Path, target: &StorePath) -> std::result::Result<(), String> {
    use tokio::io::AsyncWriteExt;
    let mut source = tokio::fs::File::open(file).await.map_err(|e| e.to_string())?;
    let mut writer = object_store::buffered::BufWriter::new(store.clone(), target.clone());
    if let Err(e) = tokio::io::copy(&mut source, &mut writer).await {
        let _ = writer.abort().await;
        return Err(e.to_string());
    }
    writer.shutdown().await.map_err(|e| e.to_string())
}
