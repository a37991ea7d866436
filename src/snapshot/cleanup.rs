//! Removing old snapshots: those not used (opened or written) for longer than
//! a given age, and the temporary directories of writers that died; and, past a
//! size limit, the least recently used ones. A snapshot whose lock is held
//! (being written) is left alone.

use super::publish::TEMPORARY_MARK;
use crate::error::Result;
use std::fs::{self, File, OpenOptions};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How long an unused snapshot is kept when the source option `snapshot_max_age` is not set.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// Removes from `dir` every snapshot unused for longer than `older_than` (zero: all that are
/// not being written), with its lock file, and writers' leftovers as old. Returns how many
/// snapshots were removed. A directory that does not exist holds none.
pub fn remove_snapshots(dir: &Path, older_than: Duration) -> Result<u64> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(super::publish::unwritable(dir, e)),
    };
    let cutoff = SystemTime::now().checked_sub(older_than).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if !path.is_dir() || entry.metadata().and_then(|m| m.modified()).is_ok_and(|used| used > cutoff) {
            continue;
        }
        // `<id>` or `.<id>.tmp-<pid>-<nanos>`: either way the lock file is `<id>.lock`.
        let id = match name.strip_prefix('.').and_then(|rest| rest.rsplit_once(TEMPORARY_MARK)) {
            Some((id, _)) => id.to_string(),
            None => name.clone(),
        };
        let lock_path = dir.join(format!("{id}.lock"));
        let Some(_lock) = try_lock(&lock_path) else { continue };
        if fs::remove_dir_all(&path).is_ok() && !name.starts_with('.') {
            removed += 1;
            let _ = fs::remove_file(&lock_path);
        }
    }
    Ok(removed)
}

/// Removes the least recently used snapshots of `dir` (oldest first) until those left hold at
/// most `max_bytes`, never `keep` (the one just published) nor one being written. Returns how
/// many were removed. A directory that does not exist holds none.
pub fn remove_snapshots_over(dir: &Path, max_bytes: u64, keep: &Path) -> Result<u64> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(super::publish::unwritable(dir, e)),
    };
    let mut snapshots: Vec<(SystemTime, u64, std::path::PathBuf, String)> = entries
        .flatten()
        .filter(|entry| entry.path().is_dir() && !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| {
            let used = entry.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
            let path = entry.path();
            (used, bytes_under(&path), path, entry.file_name().to_string_lossy().into_owned())
        })
        .collect();
    let mut total: u64 = snapshots.iter().map(|(_, bytes, _, _)| bytes).sum();
    snapshots.sort_by_key(|(used, ..)| *used);
    let mut removed = 0;
    for (_, bytes, path, id) in snapshots {
        if total <= max_bytes {
            break;
        }
        if path == keep {
            continue;
        }
        let lock_path = dir.join(format!("{id}.lock"));
        let Some(_lock) = try_lock(&lock_path) else { continue };
        if fs::remove_dir_all(&path).is_ok() {
            total = total.saturating_sub(bytes);
            removed += 1;
            let _ = fs::remove_file(&lock_path);
        }
    }
    Ok(removed)
}

/// The bytes of the files under `path`.
fn bytes_under(path: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(path) else { return 0 };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => bytes_under(&entry.path()),
            Ok(_) => entry.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

/// The lock of a snapshot nobody is writing, held until dropped; None while a writer holds it.
fn try_lock(path: &Path) -> Option<File> {
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(path).ok()?;
    fs4::FileExt::try_lock(&file).ok()?;
    Some(file)
}
