//! Logging: what a read planned, and every object-store retry, for whoever
//! registered a receiver (`sluice_log_set_callback` in the C ABI).
//!
//! The core emits its events through `tracing`, the facade object_store itself
//! logs its retries with. A Rust program that depends on this crate sees them in
//! its own `tracing` subscriber (targets `sluice::*`). The C library installs
//! its subscriber (a `tracing-subscriber` registry with the [`layer::Forward`]
//! layer) the first time a receiver is registered, never before: until then no
//! subscriber exists, and each event or span costs one relaxed load.
//!
//! - [`layer`]: which events pass, and each one as one line of text
//! - [`delivery`]: the one thread that hands the lines to the receiver, so that no
//!   thread that logs waits for it
//! - [`redact`]: URLs in those lines without their passwords and query values
//! - [`events`]: the events the core emits (a connector opened, a read planned)

mod delivery;
pub(crate) mod events;
mod layer;
pub(crate) mod redact;

use crate::error::{Error, ErrorKind, Result};
use std::sync::atomic::{AtomicPtr, AtomicU8, Ordering};
use std::sync::OnceLock;
use tracing::level_filters::LevelFilter;
pub(crate) use tracing::Level;
use tracing_subscriber::layer::SubscriberExt;

/// Receives each event as (level, target, message): `target` is where it comes
/// from (`sluice::read`, `object_store::client::retry` …), `message` one line.
/// Called from the delivery thread only (`delivery`), one record at a time.
pub(crate) type Receiver = Box<dyn Fn(Level, &str, &str) + Send + Sync>;

/// One registration. Replaced ones are kept, never freed: another thread may
/// still be calling their receiver, and registrations are rare. Each links to
/// the one before, so all stay reachable (no leak for a leak checker).
struct Registration {
    receiver: Option<Receiver>,
    previous: *mut Registration,
}

/// The latest registration, or null before the first.
static LATEST: AtomicPtr<Registration> = AtomicPtr::new(std::ptr::null_mut());
/// The level asked for: 0 off, 1 error … 5 trace (`level_number`).
static REQUESTED: AtomicU8 = AtomicU8::new(0);
/// The most verbose level passed on: the one asked for while there is a receiver, else 0.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
/// Whether the global subscriber is ours (or why not), once it has been tried.
static INSTALLED: OnceLock<std::result::Result<(), String>> = OnceLock::new();

/// Registers `receiver` (None: nothing is logged) for events up to `max_level`.
pub(crate) fn set_receiver(receiver: Option<Receiver>, max_level: LevelFilter) -> Result<()> {
    if receiver.is_some() {
        install()?;
    }
    // What was logged until now reaches the receiver it was logged for.
    delivery::flush();
    let new = Box::into_raw(Box::new(Registration { receiver, previous: std::ptr::null_mut() }));
    let mut previous = LATEST.load(Ordering::Acquire);
    loop {
        // Not yet shared: written without a race.
        unsafe { (*new).previous = previous };
        match LATEST.compare_exchange(previous, new, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => break,
            Err(latest) => previous = latest,
        }
    }
    set_max_level(max_level);
    Ok(())
}

/// The receiver registered last, if any.
fn receiver() -> Option<&'static Receiver> {
    // Registrations are never freed (see Registration), so the reference stays valid.
    unsafe { LATEST.load(Ordering::Acquire).as_ref() }.and_then(|r| r.receiver.as_ref())
}

/// Waits (briefly, see `delivery::flush`) until the records logged so far have reached the receiver.
pub(crate) fn flush() {
    delivery::flush();
}

/// Changes the most verbose level passed on to the receiver (kept for the next
/// one while there is none).
pub(crate) fn set_max_level(max_level: LevelFilter) {
    REQUESTED.store(level_number(max_level.into_level()), Ordering::Release);
    let effective = if receiver().is_none() { 0 } else { REQUESTED.load(Ordering::Acquire) };
    if MAX_LEVEL.swap(effective, Ordering::AcqRel) != effective && INSTALLED.get().is_some() {
        // Every callsite caches whether it is enabled: recompute them.
        tracing::callsite::rebuild_interest_cache();
    }
}

/// 1 (error) … 5 (trace); 0 for none (off).
pub(crate) fn level_number(level: Option<Level>) -> u8 {
    match level {
        None => 0,
        Some(Level::ERROR) => 1,
        Some(Level::WARN) => 2,
        Some(Level::INFO) => 3,
        Some(Level::DEBUG) => 4,
        Some(Level::TRACE) => 5,
    }
}

/// The filter for a level number (`level_number`'s inverse); None above 5.
pub(crate) fn level_filter(number: u32) -> Option<LevelFilter> {
    Some(match number {
        0 => LevelFilter::OFF,
        1 => LevelFilter::ERROR,
        2 => LevelFilter::WARN,
        3 => LevelFilter::INFO,
        4 => LevelFilter::DEBUG,
        5 => LevelFilter::TRACE,
        _ => return None,
    })
}

fn max_level() -> LevelFilter {
    level_filter(MAX_LEVEL.load(Ordering::Acquire).into()).unwrap_or(LevelFilter::OFF)
}

/// Queues one line for the receiver (the delivery thread calls it).
fn deliver(level: Level, target: &str, message: String) {
    delivery::send(level, target, message);
}

/// Hands one line to the receiver, if there is one (on the delivery thread).
fn call_receiver(level: Level, target: &str, message: &str) {
    if let Some(receiver) = receiver() {
        receiver(level, target, message);
    }
}

fn install() -> Result<()> {
    let installed = INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(layer::Forward);
        tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())
    });
    installed.clone().map_err(|why| {
        Error::new(
            ErrorKind::Unsupported,
            format!("cannot forward sluice's log events: this process already has a global tracing subscriber ({why}); they go to it"),
        )
    })
}

/// The span around one object-store request, naming the object: an event inside
/// it (object_store's retry messages, which name none) is reported with the URI.
pub(crate) fn request_span(uri: &str) -> tracing::Span {
    tracing::info_span!(target: "sluice::store", "request", uri = %uri)
}

/// `stream` polled inside `span`, as `tracing::Instrument` does for a future.
pub(crate) fn stream_in_span<S>(mut stream: S, span: tracing::Span) -> impl futures::Stream<Item = S::Item> + Send
where
    S: futures::Stream + Unpin + Send,
{
    use futures::StreamExt;
    futures::stream::poll_fn(move |cx| {
        let _entered = span.enter();
        stream.poll_next_unpin(cx)
    })
}
