//! Log records reach the receiver on one thread of their own, never on the
//! thread that logged. The threads that log are the library's I/O threads and
//! the threads of callers waiting for them; a receiver that takes a lock (a
//! Python callback takes the GIL) would deadlock a caller that holds that lock
//! while it waits for a batch. Here a thread that logs only puts the record in
//! a bounded queue, and never waits: when the queue is full the record is
//! dropped and counted, and the count is told with the next record delivered.
//!
//! The thread starts with the first record, so there is none while nothing is
//! logged. A child process after `fork()` has no copy of it: the first record
//! the child logs starts the child's own (the parent's queue is left alone).

use super::Level;
use std::fmt::Write;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// Records waiting for the receiver; beyond these, new ones are dropped.
const CAPACITY: usize = 1024;
/// The longest a flush waits for the receiver: a receiver that never returns must not hang the caller.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

enum Message {
    Record {
        level: Level,
        target: String,
        text: String,
    },
    /// Answered once every message sent before it has been handled.
    Flush(SyncSender<()>),
}

/// The queue of the delivery thread of process `pid`. Never freed: a thread
/// may still be sending to it (the same reason as for `Registration`).
struct Delivery {
    pid: u32,
    queue: SyncSender<Message>,
}

/// This process's delivery, or null before the first record (or one of the parent's, in a forked child).
static CURRENT: AtomicPtr<Delivery> = AtomicPtr::new(std::ptr::null_mut());
/// Records dropped since the last one delivered.
static DROPPED: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static ON_DELIVERY_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this is the delivery thread: an event logged here was caused by the
/// receiver calling into sluice, and is dropped rather than fed back to it.
pub(super) fn on_delivery_thread() -> bool {
    ON_DELIVERY_THREAD.with(|on| on.get())
}

/// Queues one record for the receiver, without waiting.
pub(super) fn send(level: Level, target: &str, text: String) {
    let record = Message::Record { level, target: target.to_string(), text };
    let sent = delivery().is_some_and(|delivery| match delivery.queue.try_send(record) {
        Ok(()) => true,
        Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
    });
    if !sent {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Waits (at most `FLUSH_TIMEOUT`) until the records queued so far have reached
/// the receiver. Called before the receiver is replaced, and at exit.
pub(super) fn flush() {
    if on_delivery_thread() {
        // The receiver itself replaced the receiver: it cannot wait for itself.
        return;
    }
    let Some(delivery) = own_delivery() else { return };
    let deadline = Instant::now() + FLUSH_TIMEOUT;
    let (done, answered) = sync_channel(1);
    let mut message = Message::Flush(done);
    loop {
        match delivery.queue.try_send(message) {
            Ok(()) => break,
            Err(TrySendError::Full(again)) if Instant::now() < deadline => {
                message = again;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(_) => return,
        }
    }
    let _ = answered.recv_timeout(deadline.saturating_duration_since(Instant::now()));
}

/// This process's delivery, if it has started one.
fn own_delivery() -> Option<&'static Delivery> {
    // Never freed (see Delivery): the reference stays valid.
    unsafe { CURRENT.load(Ordering::Acquire).as_ref() }.filter(|delivery| delivery.pid == std::process::id())
}

/// This process's delivery, started now if it has none; None if no thread can be started.
fn delivery() -> Option<&'static Delivery> {
    if let Some(delivery) = own_delivery() {
        return Some(delivery);
    }
    let seen = CURRENT.load(Ordering::Acquire);
    let (queue, records) = sync_channel(CAPACITY);
    std::thread::Builder::new().name("sluice-log".into()).spawn(move || deliver_all(records)).ok()?;
    let new = Box::into_raw(Box::new(Delivery { pid: std::process::id(), queue }));
    match CURRENT.compare_exchange(seen, new, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {
            register_flush_at_exit();
            Some(unsafe { &*new })
        }
        Err(_) => {
            // Another thread started one first: ours ends as its queue is dropped.
            drop(unsafe { Box::from_raw(new) });
            own_delivery()
        }
    }
}

/// The delivery thread: hands each record to the receiver, in order.
fn deliver_all(records: Receiver<Message>) {
    ON_DELIVERY_THREAD.with(|on| on.set(true));
    for message in records {
        match message {
            Message::Record { level, target, mut text } => {
                let dropped = DROPPED.swap(0, Ordering::Relaxed);
                if dropped > 0 {
                    let _ = write!(text, " [{dropped} other log record(s) dropped: the log callback was slower than the events]");
                }
                // A panic here would end the thread, and every later record with it.
                let _ = std::panic::catch_unwind(|| super::call_receiver(level, &target, &text));
            }
            Message::Flush(done) => {
                let _ = done.try_send(());
            }
        }
    }
}

/// Records queued when the process exits still reach the receiver (a binding
/// that unregisters at exit flushes then, too).
fn register_flush_at_exit() {
    extern "C" fn flush_at_exit() {
        let _ = std::panic::catch_unwind(flush);
    }
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    // Once per process: a forked child inherits the parent's registration.
    REGISTERED.call_once(|| unsafe {
        libc::atexit(flush_at_exit);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing::level_filters::LevelFilter;

    #[test]
    fn a_slow_receiver_loses_records_without_blocking_and_is_told_how_many() {
        let delivered = Arc::new(Mutex::new(Vec::<String>::new()));
        let (entered, first_entered) = sync_channel::<()>(1);
        let (release, released) = sync_channel::<()>(1);
        let released = Mutex::new(released);
        let lines = delivered.clone();
        let receiver: super::super::Receiver = Box::new(move |_, target, text| {
            if target != "test::delivery" {
                return;
            }
            let first = lines.lock().unwrap().is_empty();
            lines.lock().unwrap().push(text.to_string());
            if first {
                let _ = entered.send(());
                let _ = released.lock().unwrap().recv();
            }
        });
        // ERROR: other tests' events (INFO) stay out of the queue.
        super::super::set_receiver(Some(receiver), LevelFilter::ERROR).unwrap();

        send(Level::INFO, "test::delivery", "first".into());
        first_entered.recv_timeout(Duration::from_secs(10)).expect("the first record reaches the receiver");
        // The receiver is busy: these only fill the queue, and the last 5 are dropped, without waiting.
        let start = Instant::now();
        for i in 0..CAPACITY + 5 {
            send(Level::INFO, "test::delivery", format!("record {i}"));
        }
        assert!(start.elapsed() < Duration::from_secs(1), "sending waited for the receiver");
        release.send(()).unwrap();
        flush();
        super::super::set_receiver(None, LevelFilter::OFF).unwrap();

        let delivered = delivered.lock().unwrap();
        assert_eq!(delivered.len(), 1 + CAPACITY);
        assert!(delivered[1].starts_with("record 0 [5 other log record(s) dropped"), "{}", delivered[1]);
        assert_eq!(delivered[CAPACITY], format!("record {}", CAPACITY - 1));
    }
}
