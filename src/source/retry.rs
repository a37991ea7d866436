//! The retry budget of a store's requests, and the retries sluice makes itself.
//!
//! object_store retries a request that fails with a 5xx or 429 answer, a reset
//! connection or a timeout, and a body cut mid-way when the object has an ETag
//! (it resumes from the last byte received). It does not retry a body cut
//! short of an object without an ETag, nor notice a body that ends before the
//! range it asked for without any error. sluice retries those itself, with the
//! same budget: at most `max_retries` retries, none started later than
//! `retry_timeout` after the first attempt.

use object_store::client::{HttpError, HttpErrorKind};
use object_store::{BackoffConfig, RetryConfig};
use std::time::{Duration, Instant};

/// The user's retry budget (options `max_retries` and `retry_timeout`).
#[derive(Debug, Clone, Copy)]
pub struct RetryBudget {
    pub max_retries: usize,
    pub retry_timeout: Duration,
}

impl RetryBudget {
    /// The same budget for object_store's own retries.
    pub fn config(&self) -> RetryConfig {
        RetryConfig { backoff: BackoffConfig::default(), max_retries: self.max_retries, retry_timeout: self.retry_timeout }
    }

    pub fn start(&self) -> Attempts {
        Attempts { budget: *self, first: Instant::now(), retries: 0, backoff: BackoffConfig::default() }
    }

    /// Appended to the message of a failure that retries could have cured, once.
    pub fn ran_out(&self, message: &str) -> String {
        if message.contains(RAN_OUT) {
            return message.to_string();
        }
        format!(
            "{message}; {RAN_OUT} ({} retries, none started later than {:?} after the first attempt; \
             the 'max_retries' and 'retry_timeout' options set the budget)",
            self.max_retries, self.retry_timeout
        )
    }
}

const RAN_OUT: &str = "still failing when the retry budget ran out";

/// The retries of one read so far.
pub struct Attempts {
    budget: RetryBudget,
    first: Instant,
    retries: usize,
    backoff: BackoffConfig,
}

impl Attempts {
    /// The wait before the next retry, or None when the budget is spent.
    /// Exponential backoff as object_store's, without its jitter (one reader's
    /// retries of one range need no spreading out).
    pub fn next_wait(&mut self) -> Option<Duration> {
        if self.retries >= self.budget.max_retries || self.first.elapsed() > self.budget.retry_timeout {
            return None;
        }
        let factor = self.backoff.base.powi(self.retries.min(64) as i32);
        self.retries += 1;
        Some(self.backoff.init_backoff.mul_f64(factor).min(self.backoff.max_backoff))
    }

    pub fn retries(&self) -> usize {
        self.retries
    }
}

/// Whether a failed request might succeed if made again: a transport failure
/// (connection refused or reset, timeout, body cut short), or a 5xx or 429 answer.
pub fn transient(err: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(err), |e| e.source()).any(|e| {
        let transport = e.downcast_ref::<HttpError>().is_some_and(|h| {
            matches!(h.kind(), HttpErrorKind::Connect | HttpErrorKind::Request | HttpErrorKind::Timeout | HttpErrorKind::Interrupted)
        });
        transport || crate::error::http_status(e).is_some_and(|status| status >= 500 || status == 429)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_and_the_budget_ends_them() {
        let mut attempts = RetryBudget { max_retries: 3, retry_timeout: Duration::from_secs(60) }.start();
        let waits: Vec<_> = std::iter::from_fn(|| attempts.next_wait()).collect();
        assert_eq!(waits, [Duration::from_millis(100), Duration::from_millis(200), Duration::from_millis(400)]);
        let mut none = RetryBudget { max_retries: 0, retry_timeout: Duration::from_secs(60) }.start();
        assert_eq!(none.next_wait(), None);
    }

    #[test]
    fn no_retry_starts_after_the_retry_timeout() {
        let mut attempts = RetryBudget { max_retries: 100, retry_timeout: Duration::from_millis(1) }.start();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(attempts.next_wait(), None);
    }
}
