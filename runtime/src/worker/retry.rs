//! Exponential backoff for retriable failures, bounded by `errors.retry.timeout`.

use std::time::{Duration, Instant};

use crate::config::connector::ErrorPolicy;

/// The first wait, as in Kafka Connect.
const INITIAL_DELAY: Duration = Duration::from_millis(300);

/// The waits between retries of one failing operation.
pub struct Backoff {
    timeout: Option<Duration>,
    max_delay: Duration,
    next_delay: Duration,
    first_failure: Option<Instant>,
}

impl Backoff {
    /// Backoff per a connector's error policy.
    pub fn new(policy: &ErrorPolicy) -> Self {
        Backoff {
            timeout: policy.retry_timeout,
            max_delay: policy.retry_delay_max,
            next_delay: INITIAL_DELAY,
            first_failure: None,
        }
    }

    /// The wait before the next retry, or `None` once retrying is over.
    pub fn next_delay(&mut self) -> Option<Duration> {
        let first = *self.first_failure.get_or_insert_with(Instant::now);
        let delay = self.next_delay.min(self.max_delay);
        if let Some(timeout) = self.timeout
            && first.elapsed() + delay > timeout
        {
            return None;
        }
        self.next_delay = (self.next_delay * 2).min(self.max_delay);
        Some(delay)
    }

    /// Forgets past failures after a success.
    pub fn reset(&mut self) {
        self.next_delay = INITIAL_DELAY;
        self.first_failure = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(timeout: Option<u64>) -> ErrorPolicy {
        ErrorPolicy {
            retry_timeout: timeout.map(Duration::from_millis),
            retry_delay_max: Duration::from_millis(1000),
            tolerate_all: false,
            log: false,
            log_messages: false,
            dead_letter_queue: None,
        }
    }

    #[test]
    fn zero_timeout_never_retries() {
        assert_eq!(Backoff::new(&policy(Some(0))).next_delay(), None);
    }

    #[test]
    fn delays_double_up_to_the_max() {
        let mut backoff = Backoff::new(&policy(None));
        let delays: Vec<_> = (0..5)
            .filter_map(|_| backoff.next_delay())
            .map(|d| d.as_millis())
            .collect();
        assert_eq!(delays, vec![300, 600, 1000, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Some(INITIAL_DELAY));
    }
}
