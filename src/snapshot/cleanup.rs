//! Removing old snapshots: those not used (opened or written) for longer than
//! a given age, and the temporary directories of writers that died. A snapshot
//! whose lock is held (being written) is left alone.

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

/// The lock of a snapshot nobody is writing, held until dropped; None while a writer holds it.
fn try_lock(path: &Path) -> Option<File> {
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(path).ok()?;
    fs4::FileExt::try_lock(&file).ok()?;
    Some(file)
}
