//! Exponential backoff between retries of a task's retriable failures.
//!
//! As in Kafka Connect, a retriable failure of `poll` or `put` is retried until it succeeds
//! (or the task is stopped); the waits start at 300 ms and double up to
//! `errors.retry.delay.max.ms`. A stage of the record pipeline that failed for now (a
//! converter whose registry is out of reach) is retried so only for `errors.retry.timeout`.

use std::time::{Duration, Instant};

use crate::config::connector::ErrorPolicy;

/// The first wait, as in Kafka Connect.
const INITIAL_DELAY: Duration = Duration::from_millis(300);

/// The waits between retries of one failing operation.
pub struct Backoff {
    max_delay: Duration,
    next_delay: Duration,
}

impl Backoff {
    /// Backoff capped at `max_delay`.
    pub fn new(max_delay: Duration) -> Self {
        Backoff {
            max_delay,
            next_delay: INITIAL_DELAY.min(max_delay),
        }
    }

    /// The wait before the next retry.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next_delay;
        self.next_delay = (self.next_delay * 2).min(self.max_delay);
        delay
    }

    /// Forgets past failures after a success.
    pub fn reset(&mut self) {
        self.next_delay = INITIAL_DELAY.min(self.max_delay);
    }
}

/// The retries of one record's stage, within `errors.retry.timeout`.
pub struct StageRetries {
    backoff: Backoff,
    /// When retries stop; `None`: never.
    deadline: Option<Instant>,
}

impl StageRetries {
    /// Retries under a connector's policy, from now.
    pub fn new(policy: &ErrorPolicy) -> Self {
        StageRetries {
            backoff: Backoff::new(policy.retry_delay_max),
            deadline: policy.retry_timeout.map(|timeout| Instant::now() + timeout),
        }
    }

    /// The wait before the next try, cut short at the deadline; `None` once it has passed.
    pub fn next_delay(&mut self) -> Option<Duration> {
        let delay = self.backoff.next_delay();
        match self.deadline {
            None => Some(delay),
            Some(deadline) => {
                let left = deadline
                    .checked_duration_since(Instant::now())
                    .filter(|d| !d.is_zero())?;
                Some(delay.min(left))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_max() {
        let mut backoff = Backoff::new(Duration::from_millis(1000));
        let delays: Vec<_> = (0..5).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, vec![300, 600, 1000, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), INITIAL_DELAY);
    }

    fn policy(timeout: Option<Duration>) -> ErrorPolicy {
        ErrorPolicy {
            retry_timeout: timeout,
            retry_delay_max: Duration::from_millis(1000),
            tolerate_all: false,
            log: false,
            log_messages: false,
            dead_letter_queue: None,
        }
    }

    #[test]
    fn a_stage_is_retried_within_the_timeout_only() {
        assert_eq!(StageRetries::new(&policy(Some(Duration::ZERO))).next_delay(), None);
        let mut short = StageRetries::new(&policy(Some(Duration::from_millis(100))));
        assert!(short.next_delay().is_some_and(|d| d <= Duration::from_millis(100)));
        let mut forever = StageRetries::new(&policy(None));
        let delays: Vec<_> = (0..4).map(|_| forever.next_delay()).collect();
        assert!(delays.iter().all(Option::is_some));
    }

    #[test]
    fn a_small_max_caps_the_first_wait() {
        assert_eq!(
            Backoff::new(Duration::from_millis(50)).next_delay(),
            Duration::from_millis(50)
        );
    }
}
