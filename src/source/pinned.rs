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

use super::FileRef;
use crate::error::{Error, ErrorKind, Result};
use crate::logging::{request_span, stream_in_span};
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
    pub async fn get_stream(&self) -> Result<BoxStream<'static, Result<Bytes>>> {
        let store = self.store.get()?;
        // object_store's retries (of the request, and of the body) are logged with this span's URI.
        let span = request_span(&self.name);
        let got = store.get_opts(&self.path, self.pinned_options(None)).instrument(span.clone()).await.map_err(|e| self.read_error(&e))?;
        if let Some(difference) = difference(&self.opened, &got.meta) {
            return Err(self.changed(&difference));
        }
        let file = self.clone();
        Ok(stream_in_span(got.into_stream(), span).map(move |chunk| chunk.map_err(|e| file.read_error(&e))).boxed())
    }

    async fn get_pinned(&self, range: Option<Range<u64>>) -> Result<Bytes> {
        let store = self.store.get()?;
        async {
            let got = store.get_opts(&self.path, self.pinned_options(range)).await.map_err(|e| self.read_error(&e))?;
            if let Some(difference) = difference(&self.opened, &got.meta) {
                return Err(self.changed(&difference));
            }
            got.bytes().await.map_err(|e| self.read_error(&e))
        }
        .instrument(request_span(&self.name))
        .await
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
        match err {
            object_store::Error::Precondition { .. } | object_store::Error::NotModified { .. } => {
                self.changed("the store refused the version pinned at open")
            }
            _ => self.store.error(err, &self.name),
        }
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
