//! Snapshots: a stream source (a DataFrame, an Arrow stream, a query) written
//! once, as it streams, into Parquet files. Reads that need random access
//! (shuffle, shards, workers, a second epoch, resume) read the snapshot through
//! the file reader, so every guarantee of files holds for them.
//!
//! - this module: [`StreamConnection`], a stream source and its snapshot's state
//! - [`write`]: one partition into one Parquet file, row groups sized for the reader
//! - [`publish`]: the temporary directory, the rename that publishes, the lock that makes
//!   processes given one id agree on one snapshot
//! - [`remote`]: snapshots in an object store, published by a create-if-absent marker
//! - [`cleanup`]: removing old snapshots (by age, and by size), automatically and by hand
//! - [`remote_cleanup`]: the same in an object store

mod cleanup;
mod publish;
mod remote;
mod remote_cleanup;
pub(crate) mod write;

pub use cleanup::{remove_snapshots, remove_snapshots_over, DEFAULT_MAX_AGE};

use crate::error::{Error, ErrorKind, Result};
use crate::options::{ReadOptions, SnapshotMode, SnapshotOptions, SourceOptions};
use crate::source::stream::{PartitionSink, PumpedPartition, StreamSource};
use crate::source::Source;
use arrow::datatypes::SchemaRef;
use publish::Claim;
use remote::{Published, RemoteDir};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, Weak};
use tokio::sync::watch;

/// The directory snapshots go to when `snapshot_dir` is not set: `$SLUICE_SNAPSHOT_DIR`,
/// else `$XDG_CACHE_HOME/sluice/snapshots`, else `~/.cache/sluice/snapshots`, else the
/// temporary directory's `sluice-snapshots`.
pub fn default_dir() -> PathBuf {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set("SLUICE_SNAPSHOT_DIR") {
        return dir;
    }
    let cache = set("XDG_CACHE_HOME").or_else(|| set("HOME").map(|home| home.join(".cache")));
    match cache {
        Some(cache) => cache.join("sluice").join("snapshots"),
        None => std::env::temp_dir().join("sluice-snapshots"),
    }
}

/// Removes the snapshots of the `snapshot_dir` of `options` unused for longer than
/// `older_than` (zero: all that are not being written), as [`remove_snapshots`] does; in an
/// object store (reached with the store options of `options`), the attempts of writers that
/// died go too once older than `older_than` and one hour. Returns how many snapshots
/// were removed.
pub fn remove_snapshots_of(options: &SourceOptions, older_than: std::time::Duration) -> Result<u64> {
    match &options.snapshot.uri {
        Some(uri) => remote_cleanup::remove_snapshots(&RemoteDir::new(uri, options), older_than),
        None => remove_snapshots(&options.snapshot.dir.clone().unwrap_or_else(default_dir), older_than),
    }
}

/// A new snapshot id: unique for this process and moment. Never derived from the source
/// (a query or a URI may carry a secret).
fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("s-{nanos:x}-{:x}-{:x}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Where a stream source stands.
enum State {
    /// Not read yet.
    Fresh(StreamSource),
    /// A single ordered pass is streaming, and writing the snapshot as it goes. The
    /// weak reference is alive while the pass's consumer holds its stream.
    Writing { consumer: Weak<()> },
    /// The snapshot is published and opened as files.
    Ready { source: Arc<Source>, path: PathBuf },
    /// Read once with `snapshot=never`.
    Consumed,
    /// The stream failed while it was read (or its snapshot could not be written).
    Failed(Error),
    /// Taken out while being changed (never seen outside a method).
    Moving,
}

/// A stream source with its snapshot, shared by the clones of a connector.
pub struct StreamConnection {
    pub description: String,
    pub schema: SchemaRef,
    settings: SnapshotOptions,
    id: String,
    /// Local snapshots: `snapshot_dir`. Object-store ones: the local staging directory.
    dir: PathBuf,
    /// `snapshot_dir` when it is an object-store URI.
    remote: Option<RemoteDir>,
    /// The process that holds the stream: a forked child can only read a published snapshot.
    pid: u32,
    state: Mutex<State>,
    changed: Condvar,
    /// Turned true when a read needs the snapshot while the first pass's consumer still holds
    /// its stream: the pass stops handing batches on, so the snapshot never waits for it.
    cut_off: watch::Sender<bool>,
}

/// What a read of a stream source reads.
pub(crate) enum Route {
    /// The snapshot, through the file reader.
    Snapshot(Arc<Source>),
    /// The producer's batches, partition after partition; the token lives as long as the reader.
    Direct { partitions: Vec<PumpedPartition>, token: Arc<()> },
}

impl StreamConnection {
    pub fn new(source: StreamSource, options: &SourceOptions) -> StreamConnection {
        let settings = options.snapshot.clone();
        let id = settings.id.clone().unwrap_or_else(new_id);
        let remote = settings.uri.as_deref().map(|uri| RemoteDir::new(uri, options));
        let dir = match &remote {
            Some(remote) => remote.staging(),
            None => settings.dir.clone().unwrap_or_else(default_dir),
        };
        StreamConnection {
            description: source.description.clone(),
            schema: source.schema.clone(),
            settings,
            id,
            dir,
            remote,
            pid: std::process::id(),
            state: Mutex::new(State::Fresh(source)),
            changed: Condvar::new(),
            cut_off: watch::channel(false).0,
        }
    }

    /// The id other processes find this snapshot by (source option `snapshot_id`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The published snapshot if there is one now (no waiting, nothing written).
    pub fn ready(&self) -> Option<Arc<Source>> {
        match &*self.lock() {
            State::Ready { source, .. } => Some(source.clone()),
            _ => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What a read with `options` reads: straight from the producer for the first single
    /// ordered pass (unless `snapshot=always`), the snapshot otherwise (made now if needed).
    pub(crate) fn route(self: &Arc<Self>, options: &ReadOptions) -> Result<Route> {
        let why = random_access_reason(options);
        if why.is_none() && self.settings.mode != SnapshotMode::Always && self.pid == std::process::id() {
            let mut state = self.lock();
            if matches!(*state, State::Fresh(_)) {
                let State::Fresh(source) = std::mem::replace(&mut *state, State::Moving) else { unreachable!() };
                if let Some(route) = self.start_direct(&mut state, source)? {
                    return Ok(route);
                }
            }
        }
        let why = why.unwrap_or("it is read again (the stream itself can be read once)");
        Ok(Route::Snapshot(self.snapshot(why)?.0))
    }

    /// The published snapshot, written now if it is not yet (waiting for a pass that writes
    /// it, or for another process given the same id). `why` says what needs it, for errors.
    pub fn snapshot(self: &Arc<Self>, why: &str) -> Result<(Arc<Source>, PathBuf)> {
        let mut state = self.lock();
        loop {
            let forked = self.pid != std::process::id();
            match &*state {
                State::Ready { source, path } => return Ok((source.clone(), path.clone())),
                _ if forked => {
                    return Err(Error::invalid_argument(format!(
                        "stream source {}: its stream belongs to the process that opened it (pid {}), and this process \
                         forked from it before its snapshot was made, and {why}: make the snapshot before forking \
                         (the connector's snapshot function), or open the connector in this process",
                        self.description, self.pid
                    )))
                }
                State::Failed(err) => return Err(err.clone()),
                State::Consumed => {
                    return Err(Error::invalid_argument(format!(
                        "stream source {} was read once with snapshot=never, and {why}: a stream can be read once; \
                         set snapshot=auto (the default) or always to keep it in a snapshot",
                        self.description
                    )))
                }
                State::Writing { consumer } => {
                    if consumer.upgrade().is_some() {
                        // Its consumer may never read on (an abandoned iterator): cut it off.
                        self.cut_off.send_replace(true);
                    }
                    state = self.changed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
                }
                State::Moving => {
                    state = self.changed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
                }
                State::Fresh(_) => {
                    if self.settings.mode == SnapshotMode::Never {
                        return Err(Error::invalid_argument(format!(
                            "stream source {}: snapshot=never, but {why}, which needs random access to the rows: \
                             a stream can only be read once, in order. Set snapshot=auto (the default) or always, \
                             so that it is written into a snapshot first",
                            self.description
                        )));
                    }
                    let State::Fresh(source) = std::mem::replace(&mut *state, State::Moving) else { unreachable!() };
                    let outcome = self.write_whole(source);
                    *state = match outcome {
                        Ok(ready) => ready,
                        Err(err) => State::Failed(err),
                    };
                    self.changed.notify_all();
                }
            }
        }
    }

    /// Writes the whole stream into the snapshot (or finds it published by another process).
    fn write_whole(&self, source: StreamSource) -> Result<State> {
        if let Some(published) = self.published_remotely()? {
            return self.open_published(published);
        }
        let pending = match publish::claim(&self.dir, &self.id, true)? {
            Claim::Published(path) => return self.open_published(Published::local(path)),
            Claim::Writer(pending) => pending,
            Claim::Busy => unreachable!("a waiting claim is never busy"),
        };
        // Published by another process on this host while this one waited for the lock.
        if let Some(published) = self.published_remotely()? {
            return self.open_published(published);
        }
        let sinks = self.sinks(&pending, &source);
        let (handles, _) = source.pump(Some(sinks), false, None)?;
        join_all(handles)?;
        self.finish(pending)
    }

    /// The snapshot published in the object store under this id, if `snapshot_dir` is one.
    fn published_remotely(&self) -> Result<Option<Published>> {
        match &self.remote {
            Some(remote) => remote.published(&self.id),
            None => Ok(None),
        }
    }

    /// Publishes a written snapshot (a local rename, or an upload and its marker in the object
    /// store), removes old ones, and opens it.
    fn finish(&self, pending: publish::Pending) -> Result<State> {
        let published = match &self.remote {
            // The local lock is held while uploading: a process of this host that waits for it
            // then finds the marker.
            Some(remote) => remote.upload(pending.temporary(), &self.id)?,
            None => Published::local(pending.publish()?),
        };
        self.clean_up(std::path::Path::new(&published.uri));
        self.open_published(published)
    }

    /// Starts a single ordered pass; with `snapshot=auto` it writes the snapshot as it streams.
    /// None when the snapshot is published or being written by another process given the
    /// same id: the read then goes to that snapshot (`state` says where it stands).
    fn start_direct(self: &Arc<Self>, state: &mut State, source: StreamSource) -> Result<Option<Route>> {
        let token = Arc::new(());
        if self.settings.mode == SnapshotMode::Never {
            *state = State::Consumed;
            let (_, partitions) = source.pump(None, true, None)?;
            return Ok(Some(Route::Direct { partitions, token }));
        }
        let failed = |state: &mut State, err: Error| {
            *state = State::Failed(err.clone());
            Err(err)
        };
        match self.published_remotely() {
            Ok(Some(published)) => {
                *state = self.open_published(published).unwrap_or_else(State::Failed);
                return Ok(None);
            }
            Ok(None) => {}
            Err(err) => return failed(state, err),
        }
        let pending = match publish::claim(&self.dir, &self.id, false) {
            Ok(Claim::Writer(pending)) => pending,
            Ok(Claim::Published(path)) => {
                *state = self.open_published(Published::local(path)).unwrap_or_else(State::Failed);
                return Ok(None);
            }
            Ok(Claim::Busy) => {
                *state = State::Fresh(source);
                return Ok(None);
            }
            Err(err) => return failed(state, err),
        };
        let sinks = self.sinks(&pending, &source);
        let (handles, partitions) = match source.pump(Some(sinks), true, Some(self.cut_off.subscribe())) {
            Ok(pumped) => pumped,
            Err(err) => return failed(state, err),
        };
        *state = State::Writing { consumer: Arc::downgrade(&token) };
        let connection = self.clone();
        let finisher = std::thread::Builder::new().name("sluice-snapshot".into()).spawn(move || {
            let outcome = join_all(handles).and_then(|()| connection.finish(pending));
            *connection.lock() = outcome.unwrap_or_else(State::Failed);
            connection.changed.notify_all();
        });
        match finisher {
            Ok(_) => Ok(Some(Route::Direct { partitions, token })),
            Err(e) => failed(state, Error::new(ErrorKind::Io, format!("stream source {}: cannot start a thread: {e}", self.description))),
        }
    }

    fn sinks(&self, pending: &publish::Pending, source: &StreamSource) -> Vec<Box<dyn PartitionSink>> {
        (0..source.num_partitions())
            .map(|i| Box::new(write::ParquetSink::new(pending.partition_file(i), source.schema.clone())) as Box<dyn PartitionSink>)
            .collect()
    }

    /// Opens a published snapshot through the file reader. One in an object store must hold
    /// the files its marker counts: fewer means it is being removed, and is not read in part.
    fn open_published(&self, published: Published) -> Result<State> {
        let path = PathBuf::from(&published.uri);
        let inputs = vec![published.uri.clone()];
        // An object store's snapshot is read with the store's settings (endpoint, credentials).
        let options = self.remote.as_ref().map_or_else(SourceOptions::default, |remote| remote.read_options().clone());
        let source = crate::runtime::block_on(async move { Source::open(&inputs, &options).await })?
            .map_err(|err| err.context(format!("stream source {}: its snapshot '{}'", self.description, path.display())))?;
        if let Some(expected) = published.files.filter(|&expected| expected != source.files.len()) {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "stream source {}: its snapshot '{}' holds {} of the {expected} files it was published with: it was removed \
                     (snapshot_max_age, snapshot_max_bytes or remove_snapshots) while being opened; read again to write it anew",
                    self.description,
                    crate::source::sql::uri_for_messages(&published.uri),
                    source.files.len()
                ),
            ));
        }
        Ok(State::Ready { source: Arc::new(source), path })
    }

    /// Removes snapshots unused for longer than `snapshot_max_age`, then the least recently
    /// used others (never `published`) while they hold more than `snapshot_max_bytes`; a
    /// failure only costs disk space. In an object store, the same there (and writers'
    /// leftovers in the local staging directory).
    fn clean_up(&self, published: &std::path::Path) {
        let max_age = self.settings.max_age.unwrap_or(DEFAULT_MAX_AGE);
        let _ = remove_snapshots(&self.dir, max_age);
        if let Some(remote) = &self.remote {
            let _ = remote_cleanup::clean_up(remote, max_age, self.settings.max_bytes, Some(&self.id));
            return;
        }
        if let Some(max_bytes) = self.settings.max_bytes {
            let _ = remove_snapshots_over(&self.dir, max_bytes, published);
        }
    }
}

/// Why a read with `options` needs random access to the rows, if it does.
fn random_access_reason(options: &ReadOptions) -> Option<&'static str> {
    if options.shuffle {
        Some("the read shuffles")
    } else if options.num_shards > 1 {
        Some("the read is one of several shards")
    } else if options.num_workers > 1 {
        Some("the read is one of several workers")
    } else if options.resume_from.is_some() {
        Some("the read resumes from a position")
    } else {
        None
    }
}

fn join_all(handles: Vec<crate::source::stream::Pump>) -> Result<()> {
    let mut first = None;
    for handle in handles {
        let outcome = handle.join().unwrap_or_else(|panic| {
            Err(Error::new(ErrorKind::Panic, format!("internal panic while reading a stream: {}", crate::error::panic_message(&panic))))
        });
        if let Err(err) = outcome {
            first.get_or_insert(err);
        }
    }
    first.map_or(Ok(()), Err)
}
