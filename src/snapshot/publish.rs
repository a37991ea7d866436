//! Where a snapshot lives and how it is published: written into a temporary
//! directory, then renamed to `<snapshot_dir>/<id>`, so a half-written snapshot
//! is never read. Processes given the same id agree through a lock file,
//! `<snapshot_dir>/<id>.lock`: the one holding it writes, the others wait for
//! it and then read what it published. A writer that dies releases its lock
//! (the operating system does), and the next one in line writes instead.

use crate::error::{Error, ErrorKind, Result};
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Temporary directories are `.<id>.tmp-<pid>-<nanos>`: hidden, and never taken for a snapshot.
pub(super) const TEMPORARY_MARK: &str = ".tmp-";

/// What claiming an id gives: its published snapshot, or the right to write it.
pub(super) enum Claim {
    Published(PathBuf),
    Writer(Pending),
    /// Another process is writing it (only when not waiting).
    Busy,
}

/// A snapshot being written: its temporary directory and the held lock.
pub(super) struct Pending {
    temporary: PathBuf,
    target: PathBuf,
    /// Held until the snapshot is published or abandoned; closing the file releases it.
    _lock: File,
    published: bool,
}

/// The error for a snapshot directory that cannot be used, naming it.
pub(super) fn unwritable(dir: &Path, e: impl std::fmt::Display) -> Error {
    let kind = if e.to_string().contains("ermission denied") { ErrorKind::PermissionDenied } else { ErrorKind::Io };
    Error::new(
        kind,
        format!(
            "the snapshot directory '{}' cannot be written: {e} (set the source option 'snapshot_dir' to a writable directory)",
            dir.display()
        ),
    )
}

/// Claims `id` in `dir`: its snapshot when published, else its lock, waiting for it when `wait`.
pub(super) fn claim(dir: &Path, id: &str, wait: bool) -> Result<Claim> {
    let target = dir.join(id);
    if let Some(published) = published(&target) {
        return Ok(Claim::Published(published));
    }
    fs::create_dir_all(dir).map_err(|e| unwritable(dir, e))?;
    let lock_path = dir.join(format!("{id}.lock"));
    let lock = OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(|e| unwritable(dir, e))?;
    if wait {
        fs4::FileExt::lock(&lock).map_err(|e| unwritable(dir, format!("cannot lock '{}': {e}", lock_path.display())))?;
    } else if let Err(e) = fs4::FileExt::try_lock(&lock) {
        return match e {
            fs4::TryLockError::WouldBlock => Ok(Claim::Busy),
            fs4::TryLockError::Error(e) => Err(unwritable(dir, format!("cannot lock '{}': {e}", lock_path.display()))),
        };
    }
    // Published while this process waited for the lock.
    if let Some(published) = published(&target) {
        return Ok(Claim::Published(published));
    }
    let temporary = dir.join(format!(".{id}{TEMPORARY_MARK}{}-{}", std::process::id(), nanos()));
    fs::create_dir(&temporary).map_err(|e| unwritable(dir, e))?;
    Ok(Claim::Writer(Pending { temporary, target, _lock: lock, published: false }))
}

/// The published snapshot at `target`, marked as used now (the age the clean-up goes by).
fn published(target: &Path) -> Option<PathBuf> {
    if !target.is_dir() {
        return None;
    }
    if let Ok(dir) = File::open(target) {
        let _ = dir.set_modified(SystemTime::now());
    }
    Some(target.to_path_buf())
}

fn nanos() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

impl Pending {
    /// The file partition `i` is written to. Sorted by name, the files list the partitions in order.
    pub(super) fn partition_file(&self, i: usize) -> PathBuf {
        self.temporary.join(format!("part-{i:06}.parquet"))
    }

    /// The directory the snapshot is written in (removed when this is dropped unpublished).
    pub(super) fn temporary(&self) -> &Path {
        &self.temporary
    }

    /// Renames the written snapshot into place and releases the lock.
    pub(super) fn publish(mut self) -> Result<PathBuf> {
        let dir = self.temporary.parent().expect("inside the snapshot directory").to_path_buf();
        match fs::rename(&self.temporary, &self.target) {
            Ok(()) => {
                self.published = true;
                let _ = published(&self.target);
                if let Ok(parent) = File::open(&dir) {
                    let _ = parent.sync_all();
                }
                Ok(self.target.clone())
            }
            // Published meanwhile by a process that took a lock file a clean-up had removed:
            // the snapshots are the same rows, so the first one stays.
            Err(_) if self.target.is_dir() => Ok(self.target.clone()),
            Err(e) => Err(unwritable(&dir, e)),
        }
    }
}

impl Drop for Pending {
    /// An abandoned (or failed) snapshot is removed; it was never visible under its id.
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.temporary);
        }
    }
}
