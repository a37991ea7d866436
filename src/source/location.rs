//! Turns what the user wrote (paths, directories, globs, URIs) into an ordered
//! list of files: given order across inputs, sorted by path inside a directory
//! or a glob. Hidden files (`.x`, `_SUCCESS`) and files that are not data are skipped.

use super::glob;
use super::store::{Store, StoreKind};
use crate::error::{Error, ErrorKind, Result};
use crate::logging::request_span;
use crate::options::{FormatChoice, SourceOptions};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt};
use std::collections::HashMap;
use std::sync::Arc;
use tracing::Instrument;

/// One file to read: where it is, the name to show the user, its size in bytes,
/// and the version every read is pinned to (see pinned.rs).
#[derive(Debug, Clone)]
pub struct FileRef {
    pub store: Arc<Store>,
    pub path: Path,
    pub name: String,
    pub size: u64,
    pub opened: ObjectMeta,
}

impl FileRef {
    pub(super) fn new(store: Arc<Store>, name: String, meta: ObjectMeta) -> Self {
        FileRef { store, path: meta.location.clone(), name, size: meta.size, opened: meta }
    }
}

/// Shares one store between all files of the same bucket or host.
#[derive(Default)]
pub struct Stores(HashMap<StoreKind, Arc<Store>>);

impl Stores {
    pub(super) fn get(&mut self, kind: StoreKind, options: &SourceOptions) -> Arc<Store> {
        self.0.entry(kind.clone()).or_insert_with(|| Arc::new(Store::new(kind, options.store.clone()))).clone()
    }
}

pub async fn expand(input: &str, options: &SourceOptions, stores: &mut Stores) -> Result<Vec<FileRef>> {
    if input.trim().is_empty() {
        return Err(Error::invalid_argument("a source path is empty"));
    }
    match input.split_once("://") {
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("file") => {
            let url = url::Url::parse(input).map_err(|e| Error::invalid_argument(format!("invalid URI '{input}': {e}")))?;
            let path = url.to_file_path().map_err(|_| Error::invalid_argument(format!("invalid file URI '{input}'")))?;
            expand_local(input, &path, options, stores).await
        }
        Some(_) => expand_remote(input, options, stores).await,
        None => expand_local(input, std::path::Path::new(input), options, stores).await,
    }
}

async fn expand_local(input: &str, path: &std::path::Path, options: &SourceOptions, stores: &mut Stores) -> Result<Vec<FileRef>> {
    let absolute = std::path::absolute(path).map_err(|e| Error::invalid_argument(format!("invalid path '{input}': {e}")))?;
    let absolute = without_dots(&absolute);
    let text = absolute.to_string_lossy().to_string();
    let store = stores.get(StoreKind::Local, options);
    if glob::has_wildcard(&text) {
        return expand_glob(input, &store, text.trim_start_matches('/'), options).await;
    }
    let to_path =
        |p: &std::path::Path| Path::from_absolute_path(p).map_err(|e| Error::invalid_argument(format!("invalid path '{input}': {e}")));
    match std::fs::metadata(&absolute) {
        Ok(meta) if meta.is_dir() => {
            let files = list(&store, &to_path(&absolute)?, input, options, |_| true).await?;
            if files.is_empty() {
                return Err(Error::not_found(format!(
                    "directory '{input}' holds no data files (.parquet, .arrow, .feather, .arrows, .csv, .tsv, .json, .jsonl, .ndjson)"
                )));
            }
            Ok(files)
        }
        Ok(_) => {
            // The store's own metadata, so that the ETag is the one its reads are checked against.
            let meta = store.get()?.head(&to_path(&absolute)?).instrument(request_span(input)).await.map_err(|e| store.error(&e, input))?;
            Ok(vec![FileRef::new(store, input.to_string(), meta)])
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(Error::not_found(format!("'{input}' not found: no such file or directory")))
        }
        Err(e) => Err(Error::new(ErrorKind::Io, format!("cannot access '{input}': {e}"))),
    }
}

/// The store a remote URI lives in (its bucket or host), and the URI parsed.
pub(crate) fn remote_store(input: &str) -> Result<(StoreKind, url::Url)> {
    let url = url::Url::parse(input).map_err(|e| Error::invalid_argument(format!("invalid URI '{input}': {e}")))?;
    let scheme = url.scheme().to_ascii_lowercase();
    let authority = &input[scheme.len() + 3..];
    let authority = &authority[..authority.find('/').unwrap_or(authority.len())];
    let root = format!("{scheme}://{authority}");
    let kind = match scheme.as_str() {
        "http" | "https" => StoreKind::Http { root },
        "s3" | "s3a" | "gs" | "gcs" | "az" | "azure" | "abfs" | "abfss" | "adl" => StoreKind::Cloud { scheme: scheme.clone(), root },
        _ => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("unsupported URI scheme '{scheme}' in '{input}' (supported: s3, gs, az, abfss, http, https, file)"),
            ))
        }
    };
    Ok((kind, url))
}

async fn expand_remote(input: &str, options: &SourceOptions, stores: &mut Stores) -> Result<Vec<FileRef>> {
    let (kind, url) = remote_store(input)?;
    let is_http = matches!(kind, StoreKind::Http { .. });
    let store = stores.get(kind, options);
    let key = url.path().trim_start_matches('/');
    let decoded = percent_decode(key);
    if glob::has_wildcard(&decoded) {
        if is_http {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("'{input}': HTTP sources cannot be listed, so globs are not supported there"),
            ));
        }
        return expand_glob(input, &store, &decoded, options).await;
    }
    let path = Path::from_url_path(key).map_err(|e| Error::invalid_argument(format!("invalid URI path in '{input}': {e}")))?;
    let object_store = store.get()?;
    if !key.is_empty() && !key.ends_with('/') {
        match object_store.head(&path).instrument(request_span(input)).await {
            Ok(meta) => return Ok(vec![FileRef::new(store.clone(), store.without_password(input), ObjectMeta { location: path, ..meta })]),
            Err(object_store::Error::NotFound { .. }) if !is_http => {}
            Err(e) => return Err(store.error(&e, input)),
        }
    }
    let files = list(&store, &path, input, options, |_| true).await?;
    if files.is_empty() {
        return Err(Error::not_found(format!("'{}' not found: no object or prefix with data files there", store.without_password(input))));
    }
    Ok(files)
}

/// `pattern` is the whole object path with wildcards, without a leading slash.
async fn expand_glob(input: &str, store: &Arc<Store>, pattern: &str, options: &SourceOptions) -> Result<Vec<FileRef>> {
    let first_wild = pattern.find(['*', '?', '[']).unwrap_or(pattern.len());
    let base = &pattern[..pattern[..first_wild].rfind('/').map_or(0, |i| i + 1)];
    let prefix = Path::from(base.trim_end_matches('/'));
    let files = list(store, &prefix, input, options, |location| glob::matches(pattern, location)).await?;
    if files.is_empty() {
        return Err(Error::not_found(format!("glob '{input}' matched no data files")));
    }
    Ok(files)
}

async fn list(
    store: &Arc<Store>,
    prefix: &Path,
    input: &str,
    options: &SourceOptions,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<FileRef>> {
    let object_store = store.get()?;
    let prefix_text = prefix.to_string();
    let mut metas: Vec<_> = object_store
        .list(if prefix_text.is_empty() { None } else { Some(prefix) })
        .try_collect()
        .instrument(request_span(input))
        .await
        .map_err(|e| store.error(&e, input))?;
    metas.sort_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()));
    Ok(metas
        .into_iter()
        .filter(|m| {
            let location = m.location.as_ref();
            let relative = location.strip_prefix(prefix_text.as_str()).unwrap_or(location);
            is_data_file(relative, options.format) && keep(location)
        })
        .map(|m| FileRef::new(store.clone(), store.display(&m.location), m))
        .collect())
}

/// `a/./b/../c` → `a/c`, without touching the file system (the path may hold a glob).
pub(crate) fn without_dots(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut clean = std::path::PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other.as_os_str()),
        }
    }
    clean
}

/// Listings keep visible files with a data extension (any name when `format` is set).
fn is_data_file(relative: &str, format: Option<FormatChoice>) -> bool {
    let hidden = relative.split('/').any(|part| part.starts_with('.') || part.starts_with('_'));
    let name = relative.rsplit('/').next().unwrap_or(relative);
    !hidden && (format.is_some() || FormatChoice::from_extension(name).is_some())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(v) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
