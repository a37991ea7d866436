//! Deleting a version, and removing what crashed creates left behind.
//!
//! A version is deleted manifest first: from that moment no reader finds it,
//! and its files are removed after. What a crash leaves (files under an
//! attempt directory that no manifest lists) is removed by `clean_up` once it
//! is older than a given age, so that a create still running is left alone.

use super::publish::attempt_started;
use super::{block_on, name, Dataset};
use crate::error::Result;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What `clean_up` removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Removed {
    /// Attempt directories (`data/<version>/<attempt>`), relative to the dataset.
    pub attempts: Vec<String>,
    pub files: u64,
}

impl Dataset {
    /// Deletes version `version`: its manifest, then its files.
    pub fn delete_version(&self, version: &str) -> Result<()> {
        let manifest = self.manifest(version)?;
        let (root, relative) = (self.root.clone(), self.relative(&Self::manifest_path(version)));
        block_on(async move { root.delete(&relative).await })?;
        let root = self.root.clone();
        let files: Vec<String> = manifest.files.iter().map(|f| self.relative(&f.path)).collect();
        block_on(async move {
            for file in files {
                root.delete(&file).await?;
            }
            Ok(())
        })?;
        if let Some(local) = &self.root.local {
            // Empty directories are not objects: the local file system keeps them.
            let data = local.join(self.relative(&format!("data/{version}")));
            for attempt in manifest.files.iter().filter_map(|f| f.path.rsplit_once('/').map(|(dir, _)| dir.to_string())) {
                let _ = std::fs::remove_dir(local.join(self.relative(&attempt)));
            }
            let _ = std::fs::remove_dir(data);
        }
        Ok(())
    }

    /// Removes the files of attempts that no manifest lists and that started longer than
    /// `older_than` ago (zero: all of them; only safe when no create is running).
    pub fn clean_up(&self, older_than: Duration) -> Result<Removed> {
        let mut referenced: BTreeSet<String> = BTreeSet::new();
        for version in self.versions()? {
            let manifest = self.manifest(&version)?;
            referenced.extend(manifest.files.iter().filter_map(|f| f.path.rsplit_once('/').map(|(dir, _)| dir.to_string())));
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let (root, data) = (self.root.clone(), self.relative("data"));
        let listed = block_on(async move { root.list(&data).await })?;
        let prefix = self.relative("");
        let mut stale: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, _) in listed {
            let Some(inside) = path.strip_prefix(&prefix) else { continue };
            let parts: Vec<&str> = inside.split('/').collect();
            if parts.len() < 4 || name::check("version name", parts[1]).is_err() {
                continue;
            }
            let attempt = format!("data/{}/{}", parts[1], parts[2]);
            let old = attempt_started(parts[2]).is_some_and(|started| now.saturating_sub(started) >= older_than.as_secs());
            if !referenced.contains(&attempt) && old {
                stale.entry(attempt).or_default().push(path);
            }
        }
        if let Some(local) = &self.root.local {
            self.stale_local_attempts(local, &referenced, now, older_than, &mut stale);
        }
        let mut removed = Removed::default();
        for (attempt, files) in stale {
            let root = self.root.clone();
            let count = files.len() as u64;
            block_on(async move {
                for file in files {
                    root.delete(&file).await?;
                }
                Ok(())
            })?;
            if let Some(local) = &self.root.local {
                let _ = std::fs::remove_dir_all(local.join(self.relative(&attempt)));
            }
            removed.files += count;
            removed.attempts.push(attempt);
        }
        Ok(removed)
    }

    /// Local attempt directories that hold no listed file (an upload's staging file only).
    fn stale_local_attempts(
        &self,
        local: &std::path::Path,
        referenced: &BTreeSet<String>,
        now: u64,
        older_than: Duration,
        stale: &mut BTreeMap<String, Vec<String>>,
    ) {
        let data = local.join(self.relative("data"));
        let Ok(versions) = std::fs::read_dir(&data) else { return };
        for version in versions.flatten() {
            let Ok(attempts) = std::fs::read_dir(version.path()) else { continue };
            for attempt in attempts.flatten() {
                let (version, attempt) =
                    (version.file_name().to_string_lossy().into_owned(), attempt.file_name().to_string_lossy().into_owned());
                let key = format!("data/{version}/{attempt}");
                let old = attempt_started(&attempt).is_some_and(|started| now.saturating_sub(started) >= older_than.as_secs());
                if old && !referenced.contains(&key) {
                    stale.entry(key).or_default();
                }
            }
        }
    }
}
