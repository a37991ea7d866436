//! Fuzzing harnesses, shared by the bounded runs of `cargo test` (tests/fuzz.rs,
//! through `drive`) and the `cargo fuzz` targets (fuzz/, run by tools/fuzz).
//! Each harness takes arbitrary bytes, turns them into a structured case with
//! `arbitrary::Unstructured`, and panics only when sluice broke a promise: a
//! panic or internal error, an error that does not name the file, rows lost,
//! repeated or reordered by the plan.
#![allow(dead_code)]

pub mod driver;
pub mod options;
pub mod plan;
pub mod readers;
pub mod seeds;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A scratch directory for one case, removed when dropped (no `tempfile`
/// dev-dependency, as in tests/common).
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("sluice-fuzz-{tag}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).unwrap();
        Scratch(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An error from sluice must be an error about the input, never a panic or an
/// internal fault, and must say which file it is about.
pub fn check_error(error: &sluice::Error, file_name: &str, what: &str) {
    use sluice::ErrorKind;
    assert!(!matches!(error.kind, ErrorKind::Panic | ErrorKind::Internal), "{what}: {:?} error: {}", error.kind, error.message);
    assert!(error.message.contains(file_name), "{what}: the error does not name '{file_name}': {}", error.message);
}

/// Under libFuzzer: libfuzzer-sys installs a panic hook that aborts on every
/// panic, even one that sluice catches and reports as an error naming the file
/// (src/source/decoder_panic.rs). This puts back the default hook; a panic that
/// escapes the harness still aborts, as libfuzzer-sys catches it and aborts.
pub fn keep_caught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| drop(std::panic::take_hook()));
}
