//! Every read of a file is pinned to the version seen when the connector was
//! opened, so a file replaced during a read is an error, never a mix of old and
//! new rows.
//!
//! The store is asked to refuse another version (`If-Match` with the ETag, the
//! version id where the store gives one, `If-Unmodified-Since` without an ETag),
//! and each answer's ETag, modification time and size are compared with the
//! pinned ones as well, for servers that ignore those headers. The local file
//! system's ETag is made of the inode, the modification time and the size, so
//! `os.replace` and in-place rewrites are both seen.

use super::store::StoreKind;
use super::FileRef;
use crate::error::{Error, ErrorKind, Result};
use crate::logging::{events, request_span, stream_in_span};
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::{GetOptions, ObjectMeta};
use std::ops::Range;
use tracing::Instrument;

impl FileRef {
    /// The whole file.
    pub async fn get_all(&self) -> Result<Bytes> {
        self.get_pinned(None).await
    }

    pub async fn get_range(&self, range: Range<u64>) -> Result<Bytes> {
        self.get_pinned(Some(range)).await
    }

    /// Several ranges; close ones are fetched together, as object_store's own `get_ranges` does.
    pub async fn get_ranges(&self, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        object_store::coalesce_ranges(ranges, |range| self.get_range(range), object_store::OBJECT_STORE_COALESCE_DEFAULT).await
    }

    /// The whole file as a stream of chunks, for a pass that need not hold it all.
    /// A stream that ends before the file's last byte is resumed from there
    /// within the retry budget, and is an error after it: never a short file.
    pub async fn get_stream(&self) -> Result<BoxStream<'static, Result<Bytes>>> {
        let chunks = self.open_stream(None).await?;
        let state = StreamState { file: self.clone(), chunks, received: 0, attempts: self.store.retry_budget().start(), done: false };
        Ok(futures::stream::unfold(state, StreamState::next).boxed())
    }

    /// The pinned object's bytes from `from` on, as a stream.
    async fn open_stream(&self, from: Option<u64>) -> Result<BoxStream<'static, object_store::Result<Bytes>>> {
        let store = self.store.get()?;
        let range = from.map(|start| start..self.size);
        // object_store's retries (of the request, and of the body) are logged with this span's URI.
        let span = request_span(&self.name);
        let got = store.get_opts(&self.path, self.pinned_options(range)).instrument(span.clone()).await.map_err(|e| self.read_error(&e))?;
        if let Some(difference) = difference(&self.opened, &got.meta) {
            return Err(self.changed(&difference));
        }
        Ok(stream_in_span(got.into_stream(), span).boxed())
    }

    /// One pinned read, retried where object_store did not retry it (see retry.rs):
    /// a body that ended short without an error, or was cut off when the object has no ETag.
    async fn get_pinned(&self, range: Option<Range<u64>>) -> Result<Bytes> {
        let mut attempts = self.store.retry_budget().start();
        loop {
            let failure = match self.get_once(range.clone()).instrument(request_span(&self.name)).await {
                Ok(bytes) => return Ok(bytes),
                Err(failure) => failure,
            };
            match (failure.retry, attempts.next_wait()) {
                (true, Some(wait)) => {
                    events::retrying(&self.name, attempts.retries(), wait, &failure.error.message);
                    tokio::time::sleep(wait).await
                }
                (true, None) if attempts.retries() > 0 => {
                    return Err(Error::new(failure.error.kind, self.store.retry_budget().ran_out(&failure.error.message)));
                }
                _ => return Err(failure.error),
            }
        }
    }

    async fn get_once(&self, range: Option<Range<u64>>) -> Result<Bytes, Failure> {
        let store = self.store.get()?;
        let got = store.get_opts(&self.path, self.pinned_options(range.clone())).await.map_err(|e| self.read_error(&e))?;
        if let Some(difference) = difference(&self.opened, &got.meta) {
            return Err(self.changed(&difference).into());
        }
        // object_store resumes a cut body itself when the answer has an ETag.
        let resumed_by_object_store = got.meta.e_tag.is_some();
        let bytes = got.bytes().await.map_err(|e| Failure {
            retry: !resumed_by_object_store && self.store.kind != StoreKind::Local && super::retry::transient(&e),
            error: self.read_error(&e),
        })?;
        let expected = range.map_or(self.size, |r| r.end - r.start);
        if bytes.len() as u64 != expected {
            return Err(Failure { retry: self.store.kind != StoreKind::Local, error: self.short(bytes.len() as u64, expected) });
        }
        Ok(bytes)
    }

    fn short(&self, got: u64, expected: u64) -> Error {
        Error::new(
            ErrorKind::Io,
            format!("'{}' could not be read: the store sent {got} bytes where {expected} were asked for (a body cut short)", self.name),
        )
    }

    fn pinned_options(&self, range: Option<Range<u64>>) -> GetOptions {
        let opened = &self.opened;
        let mut options = GetOptions { range: range.map(Into::into), version: opened.version.clone(), ..Default::default() };
        match &opened.e_tag {
            Some(e_tag) => options.if_match = Some(e_tag.clone()),
            None if known_time(opened) => options.if_unmodified_since = Some(opened.last_modified),
            None => {}
        }
        options
    }

    fn read_error(&self, err: &object_store::Error) -> Error {
        // object_store reports a refused precondition as its own variant, or
        // (HTTP, or a body resumed mid-way) as a generic error whose source is a 412 answer.
        let sources = std::iter::successors(Some(err as &(dyn std::error::Error + 'static)), |e| e.source());
        let refused = sources.clone().any(|e| {
            matches!(
                e.downcast_ref::<object_store::Error>(),
                Some(object_store::Error::Precondition { .. } | object_store::Error::NotModified { .. })
            )
        }) || sources.clone().any(|e| crate::error::http_status(e) == Some(412));
        if refused {
            return self.changed("the store refused the version pinned at open");
        }
        self.store.error(err, &self.name)
    }

    fn changed(&self, difference: &str) -> Error {
        Error::new(
            ErrorKind::Io,
            format!(
                "'{}' changed after the connector was opened ({difference}); rows of two versions are never mixed: \
                 open a new connector to read the new content",
                self.name
            ),
        )
    }
}

/// A whole-file stream being read: how far, and the retries left to resume it.
struct StreamState {
    file: FileRef,
    chunks: BoxStream<'static, object_store::Result<Bytes>>,
    received: u64,
    attempts: super::retry::Attempts,
    done: bool,
}

impl StreamState {
    async fn next(mut self) -> Option<(Result<Bytes>, Self)> {
        loop {
            if self.done {
                return None;
            }
            let failure = match self.chunks.next().await {
                Some(Ok(bytes)) => {
                    self.received += bytes.len() as u64;
                    return Some((Ok(bytes), self));
                }
                None if self.received == self.file.size => return None,
                None => Failure { retry: self.file.store.kind != StoreKind::Local, error: self.file.short(self.received, self.file.size) },
                Some(Err(e)) => Failure {
                    retry: self.file.store.kind != StoreKind::Local && self.file.opened.e_tag.is_none() && super::retry::transient(&e),
                    error: self.file.read_error(&e),
                },
            };
            let resumed = match (failure.retry, self.attempts.next_wait()) {
                (true, Some(wait)) => {
                    events::retrying(&self.file.name, self.attempts.retries(), wait, &failure.error.message);
                    tokio::time::sleep(wait).await;
                    self.file.open_stream(Some(self.received)).await
                }
                (true, None) if self.attempts.retries() > 0 => {
                    Err(Error::new(failure.error.kind, self.file.store.retry_budget().ran_out(&failure.error.message)))
                }
                _ => Err(failure.error),
            };
            match resumed {
                Ok(chunks) => self.chunks = chunks,
                Err(error) => {
                    self.done = true;
                    return Some((Err(error), self));
                }
            }
        }
    }
}

/// A failed read, and whether sluice should make it again.
struct Failure {
    error: Error,
    retry: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { error, retry: false }
    }
}

/// Object stores without a Last-Modified header report the Unix epoch.
fn known_time(meta: &ObjectMeta) -> bool {
    meta.last_modified.timestamp() != 0 || meta.last_modified.timestamp_subsec_nanos() != 0
}

/// An ETag without quotes or weak marker: Azure's listing gives `0x8D…` where its
/// answers' headers give `"0x8D…"`.
fn bare(e_tag: &str) -> &str {
    e_tag.trim_start_matches("W/").trim_matches('"')
}

/// What tells the version seen now from the one pinned at open, if anything:
/// the ETag where both have one, else the modification time where both have one,
/// and always the size.
fn difference(opened: &ObjectMeta, now: &ObjectMeta) -> Option<String> {
    match (&opened.e_tag, &now.e_tag) {
        (Some(was), Some(is)) if bare(was) != bare(is) => return Some(format!("ETag {was} is now {is}")),
        (None, _) if known_time(opened) && known_time(now) && opened.last_modified != now.last_modified => {
            return Some(format!("modified at {}, was {}", now.last_modified, opened.last_modified));
        }
        _ => {}
    }
    (opened.size != now.size).then(|| format!("{} bytes, was {}", now.size, opened.size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn meta(e_tag: Option<&str>, seconds: u64, size: u64) -> ObjectMeta {
        ObjectMeta {
            location: "f".into(),
            last_modified: (SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)).into(),
            size,
            e_tag: e_tag.map(str::to_string),
            version: None,
        }
    }

    #[test]
    fn same_version_is_no_difference() {
        assert_eq!(difference(&meta(Some("a"), 9, 5), &meta(Some("a"), 9, 5)), None);
        // A server without ETag or Last-Modified: only the size can tell.
        assert_eq!(difference(&meta(None, 0, 5), &meta(None, 0, 5)), None);
        assert_eq!(difference(&meta(None, 9, 5), &meta(None, 0, 5)), None);
        // Azure: the listing's ETag has no quotes, the GET answer's has.
        assert_eq!(difference(&meta(Some("0x8D1"), 9, 5), &meta(Some("\"0x8D1\""), 9, 5)), None);
    }

    #[test]
    fn each_sign_of_a_new_version_is_a_difference() {
        assert!(difference(&meta(Some("a"), 9, 5), &meta(Some("b"), 9, 5)).unwrap().contains("ETag"));
        assert!(difference(&meta(None, 9, 5), &meta(None, 10, 5)).unwrap().contains("modified"));
        assert!(difference(&meta(Some("a"), 9, 5), &meta(None, 9, 6)).unwrap().contains("bytes"));
    }
}
