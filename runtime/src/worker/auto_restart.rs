//! The automatic restart of failed tasks (`task.restart.policy=on-failure`): how many times in
//! a row each task was restarted, and the wait before the next time. The herder's loop carries
//! a restart out once its wait is over.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::config::restart::RestartPolicy;
use crate::model::{AutoRestart, TaskId};
use crate::sync::lock;

/// What to do about a task that just failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Where the task stands, for its status; `None` when the policy never restarts.
    pub status: Option<AutoRestart>,
    /// The wait before restarting it; `None` to leave it FAILED.
    pub wait: Option<Duration>,
}

/// Each task's restarts in a row.
#[derive(Debug, Default)]
pub struct RestartCounts {
    counts: Mutex<HashMap<TaskId, u32>>,
}

impl RestartCounts {
    /// Decides about task `id`, which failed after running for `ran_for` under `policy`: a task
    /// that ran `reset_after` without failing counts from zero again.
    pub fn failed(&self, id: &TaskId, ran_for: Duration, policy: &RestartPolicy) -> Decision {
        if !policy.on_failure {
            return Decision {
                status: None,
                wait: None,
            };
        }
        let mut counts = lock(&self.counts);
        let count = counts.entry(id.clone()).or_insert(0);
        if ran_for >= policy.reset_after {
            *count = 0;
        }
        let next = *count + 1;
        if !policy.allows(next) {
            return Decision {
                status: Some(AutoRestart {
                    attempt: *count,
                    max_attempts: policy.max_attempts,
                    next_attempt_ms: None,
                }),
                wait: None,
            };
        }
        *count = next;
        let wait = policy.backoff(next);
        let due = SystemTime::now() + wait;
        Decision {
            status: Some(AutoRestart {
                attempt: next,
                max_attempts: policy.max_attempts,
                next_attempt_ms: due
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .ok()
                    .and_then(|d| u64::try_from(d.as_millis()).ok()),
            }),
            wait: Some(wait),
        }
    }

    /// Forgets a task's count: a person restarted it, which gives it its attempts back.
    pub fn reset(&self, id: &TaskId) {
        lock(&self.counts).remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_stop_after_the_cap_and_count_again_after_a_healthy_run() {
        let policy = RestartPolicy {
            on_failure: true,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            max_attempts: Some(2),
            reset_after: Duration::from_secs(60),
        };
        let counts = RestartCounts::default();
        let id = TaskId::new("c", 0);
        let quick = Duration::from_millis(5);
        let first = counts.failed(&id, quick, &policy);
        assert_eq!(first.wait, Some(Duration::from_millis(100)));
        assert_eq!(first.status.map(|s| (s.attempt, s.max_attempts)), Some((1, Some(2))));
        assert_eq!(
            counts.failed(&id, quick, &policy).wait,
            Some(Duration::from_millis(200))
        );
        let spent = counts.failed(&id, quick, &policy);
        assert_eq!(spent.wait, None, "the cap is reached");
        assert_eq!(spent.status.map(|s| (s.attempt, s.next_attempt_ms)), Some((2, None)));
        let healthy = counts.failed(&id, Duration::from_secs(61), &policy);
        assert_eq!(healthy.status.map(|s| s.attempt), Some(1));
        counts.reset(&id);
        assert_eq!(counts.failed(&id, quick, &policy).status.map(|s| s.attempt), Some(1));
        let never = counts.failed(&id, quick, &RestartPolicy::default());
        assert_eq!(
            never,
            Decision {
                status: None,
                wait: None
            }
        );
    }
}
