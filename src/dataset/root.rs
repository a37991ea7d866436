//! Where datasets live: a local directory or an object-store URI (s3://, gs://,
//! az://), through the same object stores (and credentials: the source
//! options) as the files sluice reads. One code path serves both: the local
//! file system is object_store's `LocalFileSystem`, whose create-if-absent put
//! is a no-clobber hard link, as S3's is a conditional put (`If-None-Match: *`).

use crate::error::{Error, ErrorKind, Result};
use crate::options::SourceOptions;
use crate::source::location::{remote_store, without_dots};
use crate::source::store::{Store, StoreKind};
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::{Path, PathPart};
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use std::sync::Arc;

/// A dataset root: its store, its object path, and how to name what lies under it.
#[derive(Clone)]
pub struct Root {
    store: Arc<Store>,
    base: Path,
    /// The root as messages show it (without a password).
    pub display: String,
    /// What file inputs under the root start with: an absolute local path or the URI.
    input_base: String,
    /// The local directory, for a local root.
    pub local: Option<std::path::PathBuf>,
}

impl Root {
    pub fn parse(root: &str, options: &SourceOptions) -> Result<Root> {
        if root.trim().is_empty() {
            return Err(Error::invalid_argument("the dataset root is empty: give a local directory or an s3://, gs:// or az:// URI"));
        }
        match root.split_once("://") {
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("file") => {
                let url = url::Url::parse(root).map_err(|e| Error::invalid_argument(format!("invalid dataset root '{root}': {e}")))?;
                let path = url.to_file_path().map_err(|_| Error::invalid_argument(format!("invalid file URI '{root}'")))?;
                Self::local(root, &path, options)
            }
            Some(_) => {
                let (kind, url) = remote_store(root)?;
                if matches!(kind, StoreKind::Http { .. }) {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!("dataset root '{root}': HTTP(S) servers cannot be written; use a local directory or s3://, gs://, az://"),
                    ));
                }
                let base = Path::from_url_path(url.path().trim_matches('/'))
                    .map_err(|e| Error::invalid_argument(format!("invalid dataset root '{root}': {e}")))?;
                let store = Arc::new(Store::new(kind, options.store.clone()));
                let trimmed = root.split(['?', '#']).next().unwrap_or(root).trim_end_matches('/').to_string();
                Ok(Root { display: store.without_password(&trimmed), store, base, input_base: trimmed, local: None })
            }
            None => Self::local(root, std::path::Path::new(root), options),
        }
    }

    fn local(root: &str, path: &std::path::Path, options: &SourceOptions) -> Result<Root> {
        let absolute = std::path::absolute(path).map_err(|e| Error::invalid_argument(format!("invalid dataset root '{root}': {e}")))?;
        let absolute = without_dots(&absolute);
        let base =
            Path::from_absolute_path(&absolute).map_err(|e| Error::invalid_argument(format!("invalid dataset root '{root}': {e}")))?;
        let text = absolute.to_string_lossy().trim_end_matches('/').to_string();
        let store = Arc::new(Store::new(StoreKind::Local, options.store.clone()));
        Ok(Root { store, base, display: root.to_string(), input_base: text, local: Some(absolute) })
    }

    /// The object path of `relative` (parts joined by '/') under the root.
    pub fn path(&self, relative: &str) -> Path {
        Path::from_iter(self.base.parts().chain(relative.split('/').filter(|p| !p.is_empty()).map(PathPart::from)))
    }

    /// `relative` as an input for `Connector::open` (and as messages name it).
    pub fn input(&self, relative: &str) -> String {
        format!("{}/{relative}", self.input_base)
    }

    /// `relative` as messages show it.
    pub fn name_of(&self, relative: &str) -> String {
        self.store.without_password(&self.input(relative))
    }

    /// The path of `location` relative to the root.
    pub fn relative(&self, location: &Path) -> String {
        let parts: Vec<_> = location.parts().skip(self.base.parts().count()).map(|p| p.as_ref().to_string()).collect();
        parts.join("/")
    }

    pub fn store(&self) -> Result<Arc<dyn ObjectStore>> {
        self.store.get()
    }

    /// An error of this store about `relative`.
    pub fn error(&self, err: &object_store::Error, relative: &str) -> Error {
        self.store.error(err, &self.name_of(relative))
    }

    /// The error for a write that failed: one the root does not allow says so.
    pub fn write_error(&self, err: &object_store::Error, relative: &str) -> Error {
        let error = self.error(err, relative);
        if error.kind == ErrorKind::PermissionDenied {
            return Error::new(
                error.kind,
                format!("the dataset root '{}' cannot be written (no write access): {}", self.display, error.message),
            );
        }
        error.context(format!("cannot write to the dataset root '{}'", self.display))
    }

    /// Writes `bytes` at `relative` unless something is there already: false then.
    pub async fn put_new(&self, relative: &str, bytes: Bytes) -> Result<bool> {
        let options = PutOptions { mode: PutMode::Create, ..Default::default() };
        match self.store()?.put_opts(&self.path(relative), PutPayload::from(bytes), options).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.write_error(&e, relative)),
        }
    }

    /// The whole object at `relative`; None when there is none.
    pub async fn read(&self, relative: &str) -> Result<Option<Bytes>> {
        let store = self.store()?;
        let got = match store.get(&self.path(relative)).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.error(&e, relative)),
        };
        got.bytes().await.map(Some).map_err(|e| self.error(&e, relative))
    }

    /// The object's metadata; None when there is none.
    pub async fn head(&self, relative: &str) -> Result<Option<ObjectMeta>> {
        match self.store()?.head(&self.path(relative)).await {
            Ok(meta) => Ok(Some(meta)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(&e, relative)),
        }
    }

    /// Every object under `relative` (a directory), with its path relative to the root.
    pub async fn list(&self, relative: &str) -> Result<Vec<(String, ObjectMeta)>> {
        let prefix = self.path(relative);
        let listed: std::result::Result<Vec<ObjectMeta>, _> = self.store()?.list(Some(&prefix)).try_collect().await;
        let metas = match listed {
            Ok(metas) => metas,
            Err(object_store::Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(self.error(&e, relative)),
        };
        let mut listed: Vec<(String, ObjectMeta)> = metas.into_iter().map(|m| (self.relative(&m.location), m)).collect();
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(listed)
    }

    /// Removes the object at `relative` (nothing there is fine).
    pub async fn delete(&self, relative: &str) -> Result<()> {
        match self.store()?.delete(&self.path(relative)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.write_error(&e, relative)),
        }
    }
}
