//! The process-wide tokio runtime, rebuilt in a child after `fork()`.
//!
//! A forked child has only the thread that called fork; the parent's runtime
//! threads are gone and using that runtime would hang. Each use compares the
//! process id with the one the runtime was built in; a child builds its own and
//! keeps the parent's without dropping it (that would wait for threads that do
//! not exist).

use crate::error::{Error, Result};
use std::sync::{Arc, Mutex};
use tokio::runtime::Runtime;

static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);
/// Runtimes inherited from a parent process: kept, never dropped.
static INHERITED: Mutex<Vec<Arc<Runtime>>> = Mutex::new(Vec::new());

pub fn runtime() -> Result<Arc<Runtime>> {
    let pid = std::process::id();
    if let Some(runtime) = current(pid) {
        return Ok(runtime);
    }
    // Built outside the lock: a fork while the lock is held would leave it held in the child.
    let built = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("sluice-io")
            .enable_all()
            .build()
            .map_err(|e| Error::internal(format!("cannot start the I/O runtime: {e}")))?,
    );
    let mut slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    match slot.as_ref() {
        // Another thread of this process got there first: use its runtime.
        Some((owner, runtime)) if *owner == pid => Ok(runtime.clone()),
        _ => {
            if let Some((_, stale)) = slot.take() {
                INHERITED.lock().unwrap_or_else(|e| e.into_inner()).push(stale);
            }
            *slot = Some((pid, built.clone()));
            Ok(built)
        }
    }
}

/// This process's runtime, if it has one already.
fn current(pid: u32) -> Option<Arc<Runtime>> {
    let slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    slot.as_ref().filter(|(owner, _)| *owner == pid).map(|(_, runtime)| runtime.clone())
}

/// Runs a future to completion from a thread outside the runtime. The future
/// runs as a spawned task so that its work spreads over the runtime's threads.
pub fn block_on<F>(future: F) -> Result<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = runtime()?;
    runtime.block_on(runtime.spawn(future)).map_err(|e| {
        let why = if e.is_panic() { crate::error::panic_message(&e.into_panic()) } else { e.to_string() };
        Error::new(crate::error::ErrorKind::Panic, format!("internal panic: {why}"))
    })
}
