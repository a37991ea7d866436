//! Removing old snapshots from an object store (`snapshot_dir` = `s3://...`), by age and by
//! size, as [`super::cleanup`] does for a local directory. The layout is [`super::remote`]'s:
//! `<dir>/<id>/<attempt>/` files and the marker `<dir>/<id>/_PUBLISHED` naming the attempt
//! that was published.
//!
//! - A published snapshot (one with a marker) was last used at the newest of its marker's
//!   and its `_USED` object's modification times (opening it rewrites `_USED`). When that is
//!   longer ago than the age, it goes: the marker first, so that a snapshot half removed is
//!   never taken for a published one, then the attempt the marker named and `_USED`.
//! - An attempt that no marker names (its writer died, lost the race to publish, or is still
//!   uploading) goes when its newest object is older than the age, and never before
//!   [`UPLOAD_GRACE`], also when its id's published snapshot is removed. An object store has
//!   no locks: nothing tells an attempt whose writer died from one still uploading, but the
//!   newest object's age. A `_USED` without a marker goes with the last such attempt.
//! - Past a size limit, the least recently used published snapshots go (never the one just
//!   published) until those left hold at most the limit.
//!
//! There being no locks, a process that opens a snapshot while it is removed may fail to
//! read it, with an error (the marker counts the files: [`super::remote`]), never a part of
//! it; a snapshot unused for the age (7 days by default) is not expected to be read.

use super::remote::{parse_marker, RemoteDir, MARKER, USED};
use crate::error::Result;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as StorePath;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// An attempt that no marker names is kept at least this long after its newest object was
/// written, whatever the age asked for: its writer may still be uploading it.
pub(crate) const UPLOAD_GRACE: Duration = Duration::from_secs(3600);

/// One snapshot id's objects.
#[derive(Default)]
struct Snapshot {
    /// The marker's modification time, when the id is published.
    published: Option<DateTime<Utc>>,
    /// The `_USED` object's modification time.
    used: Option<DateTime<Utc>>,
    /// The objects of each attempt (`<id>/<attempt>/...`).
    attempts: BTreeMap<String, Vec<ObjectMeta>>,
    /// Every object under `<id>/`, the marker included.
    objects: Vec<ObjectMeta>,
}

impl Snapshot {
    /// When a published snapshot was last used; None for an id with no marker.
    fn last_used(&self) -> Option<DateTime<Utc>> {
        self.published.map(|published| published.max(self.used.unwrap_or(published)))
    }

    fn bytes(&self) -> u64 {
        self.objects.iter().map(|object| object.size).sum()
    }
}

/// Removes from the object-store directory `dir` every published snapshot unused for longer
/// than `older_than` (zero: all of them), and the attempts no marker names that are older
/// than `older_than` and [`UPLOAD_GRACE`]. Returns how many published snapshots were removed.
pub(crate) fn remove_snapshots(dir: &RemoteDir, older_than: Duration) -> Result<u64> {
    clean_up(dir, older_than, None, None)
}

/// [`remove_snapshots`], then, when `max_bytes` is set, the least recently used published
/// snapshots other than `keep` until those left hold at most `max_bytes`. One listing for both.
pub(crate) fn clean_up(dir: &RemoteDir, older_than: Duration, max_bytes: Option<u64>, keep: Option<&str>) -> Result<u64> {
    let (store, prefix) = dir.store()?;
    let keep = keep.map(str::to_string);
    let removed = crate::runtime::block_on(async move { clean_up_in(&store, &prefix, older_than, max_bytes, keep.as_deref()).await })?;
    removed.map_err(|e| dir.failed(e))
}

/// [`clean_up`] in `store` under `prefix`; an error says what failed.
async fn clean_up_in(
    store: &Arc<dyn ObjectStore>,
    prefix: &StorePath,
    older_than: Duration,
    max_bytes: Option<u64>,
    keep: Option<&str>,
) -> std::result::Result<u64, String> {
    let snapshots = list(store, prefix).await.map_err(|e| format!("cannot list it: {e}"))?;
    let failed = |id: &str, e: object_store::Error| format!("cannot remove the snapshot '{id}': {e}");
    let cutoff = ago(older_than);
    let unpublished_cutoff = ago(older_than.max(UPLOAD_GRACE));
    let mut removed = 0;
    let mut left = Vec::new();
    for (id, snapshot) in snapshots {
        match snapshot.last_used() {
            Some(used) if used <= cutoff && keep != Some(id.as_str()) => {
                remove_published(store, prefix, &id, &snapshot, unpublished_cutoff).await.map_err(|e| failed(&id, e))?;
                removed += 1;
            }
            Some(_) => {
                let published = named_attempt(store, prefix, &id, &snapshot).await.map_err(|e| failed(&id, e))?;
                remove_unnamed_attempts(store, &snapshot, published.as_deref(), unpublished_cutoff).await.map_err(|e| failed(&id, e))?;
                left.push((id, snapshot));
            }
            None => remove_unpublished(store, prefix, &id, &snapshot, unpublished_cutoff).await.map_err(|e| failed(&id, e))?,
        }
    }
    if let Some(max_bytes) = max_bytes {
        let mut total: u64 = left.iter().map(|(_, snapshot)| snapshot.bytes()).sum();
        left.sort_by_key(|(_, snapshot)| snapshot.last_used());
        for (id, snapshot) in &left {
            if total <= max_bytes {
                break;
            }
            if keep == Some(id.as_str()) {
                continue;
            }
            remove_published(store, prefix, id, snapshot, unpublished_cutoff).await.map_err(|e| failed(id, e))?;
            total = total.saturating_sub(snapshot.bytes());
            removed += 1;
        }
    }
    Ok(removed)
}

/// The time `age` ago (the earliest time there is, for an age beyond it).
fn ago(age: Duration) -> DateTime<Utc> {
    let age = chrono::TimeDelta::from_std(age).ok();
    age.and_then(|age| Utc::now().checked_sub_signed(age)).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Every snapshot id under `prefix` with its objects, from one (paged) listing.
async fn list(store: &Arc<dyn ObjectStore>, prefix: &StorePath) -> object_store::Result<BTreeMap<String, Snapshot>> {
    let objects: Vec<ObjectMeta> = store.list(Some(prefix)).try_collect().await?;
    let mut snapshots: BTreeMap<String, Snapshot> = BTreeMap::new();
    for object in objects {
        let Some(parts) = object.location.prefix_match(prefix) else { continue };
        let parts: Vec<String> = parts.map(|part| part.as_ref().to_string()).collect();
        // Objects right under `prefix` are no snapshot's.
        let [id, rest @ ..] = parts.as_slice() else { continue };
        if rest.is_empty() {
            continue;
        }
        let snapshot = snapshots.entry(id.clone()).or_default();
        match rest {
            [name] if name == MARKER => snapshot.published = Some(object.last_modified),
            [name] if name == USED => snapshot.used = Some(object.last_modified),
            [attempt, _, ..] => snapshot.attempts.entry(attempt.clone()).or_default().push(object.clone()),
            _ => {}
        }
        snapshot.objects.push(object);
    }
    Ok(snapshots)
}

/// The attempt the marker of a published `snapshot` names: None when it has one attempt only
/// (that one is named) or when the marker is gone meanwhile.
async fn named_attempt(
    store: &Arc<dyn ObjectStore>,
    prefix: &StorePath,
    id: &str,
    snapshot: &Snapshot,
) -> object_store::Result<Option<String>> {
    if snapshot.attempts.len() < 2 {
        return Ok(None);
    }
    match store.get(&prefix.clone().join(id).join(MARKER)).await {
        Ok(found) => Ok(Some(parse_marker(&found.bytes().await?).0)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes a published snapshot: its marker first, then the attempt it named and `_USED`, and
/// the other attempts written before `unpublished_cutoff` (a younger one may be uploading).
async fn remove_published(
    store: &Arc<dyn ObjectStore>,
    prefix: &StorePath,
    id: &str,
    snapshot: &Snapshot,
    unpublished_cutoff: DateTime<Utc>,
) -> object_store::Result<()> {
    let named = named_attempt(store, prefix, id, snapshot).await?;
    let marker = prefix.clone().join(id).join(MARKER);
    ignore_missing(store.delete(&marker).await)?;
    for (attempt, objects) in &snapshot.attempts {
        // None: one attempt, the one named, or the marker was gone before it could be read
        let was_named = named.as_deref().map_or(snapshot.attempts.len() == 1, |named| named == attempt);
        if was_named || newest(objects).is_some_and(|newest| newest <= unpublished_cutoff) {
            delete_all(store, objects.iter()).await?;
        }
    }
    ignore_missing(store.delete(&prefix.clone().join(id).join(USED)).await)
}

/// Removes the attempts of an id with no marker that were written before `cutoff`, and its
/// `_USED` (left by a reader of a snapshot removed since) once no younger attempt is left.
async fn remove_unpublished(
    store: &Arc<dyn ObjectStore>,
    prefix: &StorePath,
    id: &str,
    snapshot: &Snapshot,
    cutoff: DateTime<Utc>,
) -> object_store::Result<()> {
    remove_unnamed_attempts(store, snapshot, None, cutoff).await?;
    let uploading = snapshot.attempts.values().any(|objects| newest(objects).is_some_and(|newest| newest > cutoff));
    if !uploading && snapshot.used.is_some_and(|used| used <= cutoff) {
        ignore_missing(store.delete(&prefix.clone().join(id).join(USED)).await)?;
    }
    Ok(())
}

/// When the newest of `objects` was written.
fn newest(objects: &[ObjectMeta]) -> Option<DateTime<Utc>> {
    objects.iter().map(|object| object.last_modified).max()
}

/// Removes the attempts of `snapshot` that no marker names and whose newest object was written
/// before `cutoff`. `published`: the attempt its marker names, when it was read (a published
/// id with one attempt needs no read: that one is named).
async fn remove_unnamed_attempts(
    store: &Arc<dyn ObjectStore>,
    snapshot: &Snapshot,
    published: Option<&str>,
    cutoff: DateTime<Utc>,
) -> object_store::Result<()> {
    for (attempt, objects) in &snapshot.attempts {
        let named = snapshot.published.is_some() && published.is_none_or(|published| published == attempt);
        if !named && newest(objects).is_some_and(|newest| newest <= cutoff) {
            delete_all(store, objects.iter()).await?;
        }
    }
    Ok(())
}

/// Deletes `objects` (in batches where the store has them); one already gone is no error.
async fn delete_all(store: &Arc<dyn ObjectStore>, objects: impl Iterator<Item = &ObjectMeta>) -> object_store::Result<()> {
    let locations: Vec<object_store::Result<StorePath>> = objects.map(|object| Ok(object.location.clone())).collect();
    let mut deleted = store.delete_stream(futures::stream::iter(locations).boxed());
    while let Some(outcome) = deleted.next().await {
        ignore_missing(outcome.map(|_| ()))?;
    }
    Ok(())
}

fn ignore_missing(outcome: object_store::Result<()>) -> object_store::Result<()> {
    match outcome {
        Err(object_store::Error::NotFound { .. }) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::local::LocalFileSystem;
    use std::fs;
    use std::time::SystemTime;

    /// A store in a new local directory, whose files' modification times a test can set.
    fn store(name: &str) -> (std::path::PathBuf, Arc<dyn ObjectStore>) {
        let root = std::env::temp_dir().join(format!("sluice-remote-cleanup-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        (root.clone(), Arc::new(LocalFileSystem::new_with_prefix(&root).unwrap()))
    }

    /// Writes `root/path` as last modified `age` ago.
    fn put(root: &std::path::Path, path: &str, bytes: &[u8], age: Duration) {
        let file = root.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, bytes).unwrap();
        fs::File::options().write(true).open(&file).unwrap().set_modified(SystemTime::now() - age).unwrap();
    }

    fn clean(store: &Arc<dyn ObjectStore>, age: Duration, max_bytes: Option<u64>, keep: Option<&str>) -> u64 {
        let (store, prefix) = (store.clone(), StorePath::from("snaps"));
        let keep = keep.map(str::to_string);
        crate::runtime::block_on(async move { clean_up_in(&store, &prefix, age, max_bytes, keep.as_deref()).await }).unwrap().unwrap()
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn by_age_published_snapshots_go_and_unpublished_attempts_wait_an_hour() {
        let (root, store) = store("age");
        // old: published two hours ago, opened 30 minutes ago; stale: unused for two hours
        put(&root, "snaps/old/_PUBLISHED", b"a-1", 2 * HOUR);
        put(&root, "snaps/old/a-1/part-000000.parquet", b"data", 2 * HOUR);
        put(&root, "snaps/old/_USED", b"", HOUR / 2);
        // a loser's attempt left behind, two hours old
        put(&root, "snaps/old/a-2/part-000000.parquet", b"lost", 2 * HOUR);
        put(&root, "snaps/stale/_PUBLISHED", b"a-1", 2 * HOUR);
        put(&root, "snaps/stale/a-1/part-000000.parquet", b"data", 2 * HOUR);
        // unpublished: a dead writer's (two hours) and one maybe still uploading (a minute)
        put(&root, "snaps/dead/a-1/part-000000.parquet", b"dead", 2 * HOUR);
        put(&root, "snaps/uploading/a-1/part-000000.parquet", b"busy", Duration::from_secs(60));
        put(&root, "snaps/not-a-snapshot.txt", b"left alone", 2 * HOUR);

        assert_eq!(clean(&store, HOUR, None, None), 1);
        assert!(!root.join("snaps/stale/_PUBLISHED").exists() && !root.join("snaps/stale/a-1/part-000000.parquet").exists());
        assert!(root.join("snaps/old/a-1/part-000000.parquet").exists() && root.join("snaps/old/_PUBLISHED").exists());
        assert!(!root.join("snaps/old/a-2/part-000000.parquet").exists(), "the unnamed attempt stayed");
        assert!(!root.join("snaps/dead/a-1/part-000000.parquet").exists());
        assert!(root.join("snaps/uploading/a-1/part-000000.parquet").exists());

        // age 0: every published snapshot, never an upload younger than an hour
        assert_eq!(clean(&store, Duration::ZERO, None, None), 1);
        assert!(!root.join("snaps/old/_PUBLISHED").exists() && !root.join("snaps/old/a-1/part-000000.parquet").exists());
        assert!(!root.join("snaps/old/_USED").exists());
        assert!(root.join("snaps/uploading/a-1/part-000000.parquet").exists());
        assert!(root.join("snaps/not-a-snapshot.txt").exists());
        let _ = fs::remove_dir_all(&root);
    }

    /// Removing a published snapshot spares a younger attempt of its id (a rank that lost the
    /// race may still be uploading it), and an id with a `_USED` but no marker is not published.
    #[test]
    fn young_uploads_stay_whatever_else_their_id_holds() {
        let (root, store) = store("young");
        put(&root, "snaps/raced/_PUBLISHED", b"a-1\n1\n", 2 * HOUR);
        put(&root, "snaps/raced/a-1/part-000000.parquet", b"data", 2 * HOUR);
        put(&root, "snaps/raced/a-2/part-000000.parquet", b"still uploading", Duration::from_secs(60));
        // a reader marked it used as it was removed; a new writer of the id uploads now
        put(&root, "snaps/reused/_USED", b"", 2 * HOUR);
        put(&root, "snaps/reused/a-3/part-000000.parquet", b"new upload", Duration::from_secs(60));

        assert_eq!(clean(&store, Duration::ZERO, None, None), 1);
        assert!(!root.join("snaps/raced/_PUBLISHED").exists() && !root.join("snaps/raced/a-1/part-000000.parquet").exists());
        assert!(root.join("snaps/raced/a-2/part-000000.parquet").exists(), "a young attempt of a removed snapshot went");
        assert!(root.join("snaps/reused/a-3/part-000000.parquet").exists(), "a _USED without a marker made an upload old");
        assert!(root.join("snaps/reused/_USED").exists());

        // once no young upload is left, an unpublished id's _USED goes too
        put(&root, "snaps/reused/a-3/part-000000.parquet", b"dead", 2 * HOUR);
        assert_eq!(clean(&store, HOUR, None, None), 0);
        assert!(!root.join("snaps/reused/a-3/part-000000.parquet").exists() && !root.join("snaps/reused/_USED").exists());
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn by_size_the_least_recently_used_go_first_never_the_one_kept() {
        let (root, store) = store("size");
        for (id, used_minutes_ago) in [("a", 10), ("b", 30), ("c", 20), ("new", 40)] {
            let age = Duration::from_secs(60 * used_minutes_ago);
            put(&root, &format!("snaps/{id}/_PUBLISHED"), b"a-1", age);
            put(&root, &format!("snaps/{id}/a-1/part-000000.parquet"), &[0; 997], age);
        }
        // four of 1000 bytes, a limit of 2500: b then c go; "new" is the oldest but kept
        assert_eq!(clean(&store, HOUR, Some(2500), Some("new")), 2);
        let left: Vec<bool> = ["a", "b", "c", "new"].iter().map(|id| root.join(format!("snaps/{id}/_PUBLISHED")).exists()).collect();
        assert_eq!(left, [true, false, false, true]);
        let _ = fs::remove_dir_all(&root);
    }
}
