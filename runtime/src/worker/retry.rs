//! Exponential backoff between retries of a task's retriable failures.
//!
//! As in Kafka Connect, a retriable failure of `poll` or `put` is retried until it succeeds
//! (or the task is stopped); the waits start at 300 ms and double up to
//! `errors.retry.delay.max.ms`.

use std::time::Duration;

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

    #[test]
    fn a_small_max_caps_the_first_wait() {
        assert_eq!(
            Backoff::new(Duration::from_millis(50)).next_delay(),
            Duration::from_millis(50)
        );
    }
}
