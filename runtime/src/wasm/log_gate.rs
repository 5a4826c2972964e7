//! What a plugin may write to the worker's log: a bounded rate and size per instance, so a
//! plugin cannot flood the log; its text goes into a field, escaped, so it cannot forge lines
//! that look like the worker's or another connector's.

use std::time::{Duration, Instant};

/// Messages an instance may log per second, on average.
pub const RATE_PER_SECOND: f64 = 100.0;
/// Messages an instance may log at once after a quiet spell.
const BURST: f64 = 200.0;
/// The most bytes of one message; the rest is cut.
pub const MAX_MESSAGE_BYTES: usize = 4096;
/// How often dropped messages are reported.
const REPORT_EVERY: Duration = Duration::from_secs(1);

/// A token bucket over one instance's log messages, and the count of those it dropped.
pub struct LogGate {
    tokens: f64,
    refilled: Instant,
    /// Dropped since the last report.
    dropped: u64,
    /// Dropped in all.
    dropped_total: u64,
    reported: Instant,
}

impl Default for LogGate {
    fn default() -> Self {
        let now = Instant::now();
        LogGate {
            tokens: BURST,
            refilled: now,
            dropped: 0,
            dropped_total: 0,
            reported: now,
        }
    }
}

impl LogGate {
    /// Whether one more message may be logged now; one that may not is counted as dropped.
    pub fn admit(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.refilled).as_secs_f64() * RATE_PER_SECOND;
        self.tokens = (self.tokens + refill).min(BURST);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            self.dropped += 1;
            self.dropped_total += 1;
            false
        }
    }

    /// Messages dropped since the last report and in all, once a second at most.
    pub fn report(&mut self) -> Option<(u64, u64)> {
        if self.dropped == 0 || self.reported.elapsed() < REPORT_EVERY {
            return None;
        }
        self.reported = Instant::now();
        Some((std::mem::take(&mut self.dropped), self.dropped_total))
    }
}

/// A message cut to [`MAX_MESSAGE_BYTES`] (at a character boundary), saying how much was cut.
pub fn clip(mut message: String) -> String {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message;
    }
    let cut = message.len();
    let mut end = MAX_MESSAGE_BYTES;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    message.push_str(&format!("... ({} bytes cut)", cut - end));
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_cut_to_the_burst() {
        let mut gate = LogGate::default();
        let admitted = (0..10_000).filter(|_| gate.admit()).count();
        assert!((200..=210).contains(&admitted), "{admitted}");
        gate.reported = Instant::now() - REPORT_EVERY;
        let (dropped, total) = gate.report().unwrap();
        assert_eq!(dropped, total);
        assert_eq!(dropped as usize, 10_000 - admitted);
        assert_eq!(gate.report(), None);
    }

    #[test]
    fn long_messages_are_cut_at_a_character() {
        let long = "é".repeat(3000);
        let clipped = clip(long);
        assert!(clipped.ends_with("bytes cut)"), "{clipped}");
        assert!(clipped.len() < MAX_MESSAGE_BYTES + 30);
        assert_eq!(clip("short".into()), "short");
    }
}
