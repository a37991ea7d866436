//! Which inputs are Delta tables: the `format` option says so, or the input is
//! a directory (a prefix) that holds `_delta_log/`. Reading a table's
//! directory as plain Parquet would also read the files that later versions
//! removed, so a table is recognised without being named one.

use crate::error::{Error, ErrorKind, Result};
use crate::logging::request_span;
use crate::options::{FormatChoice, SourceOptions};
use crate::source::glob;
use crate::source::location::{remote_store, without_dots, FileRef, Stores};
use crate::source::store::{Store, StoreKind};
use futures::StreamExt;
use object_store::path::Path;
use object_store::ObjectStoreExt;
use std::sync::Arc;
use tracing::Instrument;
use url::Url;

/// A Delta table's root: its store, its URL (with a trailing slash, as the
/// kernel wants it) and the name messages give it.
pub struct TableRoot {
    pub store: Arc<Store>,
    pub url: Url,
    pub name: String,
}

/// The Delta table among the inputs, if the inputs are one. A table is read
/// alone: its snapshot is the unit that versions, shards and resumes.
pub async fn find_table(inputs: &[String], options: &SourceOptions, stores: &mut Stores) -> Result<Option<TableRoot>> {
    let mut table = None;
    for input in inputs {
        if let Some(found) = table_at(input, options, stores).await? {
            if inputs.len() > 1 {
                return Err(Error::invalid_argument(format!(
                    "'{}' is a Delta table, which is read as the only source, but {} sources were given",
                    found.name,
                    inputs.len()
                )));
            }
            table = Some(found);
        }
    }
    if table.is_none() && options.delta_snapshot.is_some() {
        return Err(Error::invalid_argument(format!(
            "options 'version' and 'timestamp' choose a snapshot of a Delta table, but '{}' is not one (no _delta_log directory)",
            inputs.first().map(|i| crate::options::echo(&without_password(i))).unwrap_or_default()
        )));
    }
    Ok(table)
}

/// A URI as messages may show it: a password in it (`https://user:password@host`) becomes `***`.
fn without_password(input: &str) -> String {
    match Url::parse(input) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => input.to_string(),
    }
}

async fn table_at(input: &str, options: &SourceOptions, stores: &mut Stores) -> Result<Option<TableRoot>> {
    let named = options.format == Some(FormatChoice::Delta);
    let shown = without_password(input);
    let not_a_table = |why: &str| {
        if named {
            Err(Error::not_found(format!("'{shown}' is not a Delta table: {why}")))
        } else {
            Ok(None)
        }
    };
    if glob::has_wildcard(input) {
        return match named {
            true => Err(Error::invalid_argument(format!("'{shown}': a Delta table is named by its directory, not by a glob"))),
            false => Ok(None),
        };
    }
    match input.split_once("://") {
        Some((scheme, _)) if !scheme.eq_ignore_ascii_case("file") => {
            let (kind, url) = remote_store(input)?;
            if matches!(kind, StoreKind::Http { .. }) {
                return match named {
                    true => Err(Error::new(
                        ErrorKind::Unsupported,
                        format!("'{shown}': Delta tables are read from s3, gs, az or local paths; an HTTP server cannot list the log"),
                    )),
                    false => Ok(None),
                };
            }
            let key = url.path().trim_matches('/').to_string();
            let last = key.rsplit('/').next().unwrap_or_default();
            if !named && FormatChoice::from_extension(last).is_some() {
                return Ok(None);
            }
            let store = stores.get(kind, options);
            let log = Path::from_url_path(format!("{key}/_delta_log/"))
                .map_err(|e| Error::invalid_argument(format!("invalid URI path in '{shown}': {e}")))?;
            let name = store.without_password(input.trim_end_matches('/'));
            let first = store.get()?.list(Some(&log)).next().instrument(request_span(&name)).await;
            match first {
                None => not_a_table("it has no _delta_log directory"),
                Some(Err(e)) => Err(store.error(&e, &name)),
                Some(Ok(_)) => {
                    let mut url = url;
                    url.set_path(&format!("/{key}/"));
                    Ok(Some(TableRoot { store, url, name }))
                }
            }
        }
        _ => {
            let path = match input.split_once("://") {
                Some(_) => Url::parse(input)
                    .ok()
                    .and_then(|u| u.to_file_path().ok())
                    .ok_or_else(|| Error::invalid_argument(format!("invalid file URI '{shown}'")))?,
                None => std::path::PathBuf::from(input),
            };
            let absolute = std::path::absolute(&path).map_err(|e| Error::invalid_argument(format!("invalid path '{shown}': {e}")))?;
            let absolute = without_dots(&absolute);
            if !absolute.is_dir() {
                return match absolute.exists() {
                    true => not_a_table("it is a file, not a table's directory"),
                    false if named => Err(Error::not_found(format!("'{shown}' not found: no such directory"))),
                    false => Ok(None),
                };
            }
            if !absolute.join("_delta_log").is_dir() {
                return not_a_table("it has no _delta_log directory");
            }
            let url = Url::from_directory_path(&absolute).map_err(|_| Error::invalid_argument(format!("invalid path '{shown}'")))?;
            Ok(Some(TableRoot { store: stores.get(StoreKind::Local, options), url, name: input.trim_end_matches('/').to_string() }))
        }
    }
}

impl TableRoot {
    /// One data file of the snapshot, by the path the log gives it (relative to
    /// the root, percent-encoded, or an absolute URI in the same store). Its
    /// metadata comes from the store, so reads are pinned to what is there now.
    pub async fn data_file(&self, log_path: &str, size: i64) -> Result<FileRef> {
        let url =
            self.url.join(log_path).map_err(|e| self.bad_log(format!("its log names a file '{log_path}' that is not a path: {e}")))?;
        if url.scheme() != self.url.scheme() || url.host_str() != self.url.host_str() {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("Delta table '{}': its log names a data file in another store ('{log_path}'), which is not supported", self.name),
            ));
        }
        let path =
            Path::from_url_path(url.path()).map_err(|e| self.bad_log(format!("its log names an invalid file path '{log_path}': {e}")))?;
        let name = self.store.display(&path);
        let meta = self.store.get()?.head(&path).instrument(request_span(&name)).await.map_err(|e| {
            let error = self.store.error(&e, &name);
            match error.kind {
                ErrorKind::NotFound => Error::not_found(format!(
                    "Delta table '{}': data file '{name}' of this snapshot is missing (removed by VACUUM?)",
                    self.name
                )),
                _ => error,
            }
        })?;
        if i64::try_from(meta.size).ok() != Some(size) {
            return Err(self.bad_log(format!("data file '{name}' has {} bytes, but the log says {size}", meta.size)));
        }
        Ok(FileRef::new(self.store.clone(), name, meta))
    }

    fn bad_log(&self, why: String) -> Error {
        Error::invalid_data(format!("Delta table '{}': {why}", self.name))
    }
}
