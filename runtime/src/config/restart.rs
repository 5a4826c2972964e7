//! Automatic restart of failed tasks, Weir's keys: Kafka Connect leaves a FAILED task failed
//! until someone restarts it, and so does Weir unless asked. The worker config sets the policy
//! (`task.restart.*`); a connector config may override any of the keys for its own tasks.

use std::time::Duration;

use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, Importance, Props, Validator};

/// The group these keys are shown in.
pub const GROUP: &str = "Automatic restart";

const POLICY: &str = "task.restart.policy";
const INITIAL: &str = "task.restart.backoff.initial.ms";
const MAX: &str = "task.restart.backoff.max.ms";
const ATTEMPTS: &str = "task.restart.max.attempts";
const RESET: &str = "task.restart.reset.after.ms";

/// When and how often a failed task is started again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Whether a failed task is restarted (`on-failure`) or left FAILED (`never`).
    pub on_failure: bool,
    /// The wait before the first restart; each next one waits twice as long.
    pub initial_backoff: Duration,
    /// The longest wait between restarts.
    pub max_backoff: Duration,
    /// The most restarts in a row; `None` for no limit.
    pub max_attempts: Option<u32>,
    /// How long a task must run without failing for its restarts to count from zero again.
    pub reset_after: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            on_failure: false,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_attempts: Some(5),
            reset_after: Duration::from_secs(300),
        }
    }
}

impl RestartPolicy {
    /// The keys, in the worker's definition (with their defaults) or a connector's (without:
    /// an unset key takes the worker's value).
    pub fn keys(in_worker: bool) -> Vec<ConfigKey> {
        let defaults = RestartPolicy::default();
        let millis = |d: Duration| d.as_millis().to_string();
        let key = |name: &str, kind: ConfigType, doc: &str, default: String| {
            let key = ConfigKey::new(name, kind, Importance::Low, doc);
            if in_worker {
                key.default_value(&default)
            } else {
                key.default_null()
            }
        };
        vec![
            key(
                POLICY,
                ConfigType::String,
                "never leaves a failed task FAILED, as Kafka Connect does; on-failure starts it again after a backoff.",
                "never".into(),
            )
            .validator(Validator::one_of(&["never", "on-failure"])),
            key(
                INITIAL,
                ConfigType::Long,
                "The wait before the first automatic restart, in ms; each next one waits twice as long.",
                millis(defaults.initial_backoff),
            )
            .validator(Validator::at_least(0.0)),
            key(
                MAX,
                ConfigType::Long,
                "The longest wait between automatic restarts, in ms.",
                millis(defaults.max_backoff),
            )
            .validator(Validator::at_least(0.0)),
            key(
                ATTEMPTS,
                ConfigType::Int,
                "The most automatic restarts in a row; then the task stays FAILED. -1 for no limit.",
                "5".into(),
            )
            .validator(Validator::at_least(-1.0)),
            key(
                RESET,
                ConfigType::Long,
                "How long a task must run without failing, in ms, for its restarts to count from zero again.",
                millis(defaults.reset_after),
            )
            .validator(Validator::at_least(0.0)),
        ]
    }

    /// Adds the keys to a definition.
    pub fn define(def: ConfigDef, in_worker: bool) -> ConfigDef {
        RestartPolicy::keys(in_worker)
            .into_iter()
            .fold(def, |def, key| def.define(GROUP, key))
    }

    /// This policy with the keys `props` sets instead (they passed validation: a value that does
    /// not parse is left out).
    pub fn overridden_by(&self, props: &Props) -> RestartPolicy {
        let millis = |key: &str| {
            props
                .get(key)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_millis)
        };
        RestartPolicy {
            on_failure: props.get(POLICY).map_or(self.on_failure, |p| p.trim() == "on-failure"),
            initial_backoff: millis(INITIAL).unwrap_or(self.initial_backoff),
            max_backoff: millis(MAX).unwrap_or(self.max_backoff),
            max_attempts: match props.get(ATTEMPTS).and_then(|v| v.trim().parse::<i64>().ok()) {
                Some(n) if n < 0 => None,
                Some(n) => Some(u32::try_from(n).unwrap_or(u32::MAX)),
                None => self.max_attempts,
            },
            reset_after: millis(RESET).unwrap_or(self.reset_after),
        }
    }

    /// The wait before restart number `attempt` (from 1): the initial backoff, doubled at each
    /// attempt, at most the maximum.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }

    /// Whether restart number `attempt` (from 1) is allowed.
    pub fn allows(&self, attempt: u32) -> bool {
        self.on_failure && self.max_attempts.is_none_or(|max| attempt <= max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let policy = RestartPolicy {
            on_failure: true,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(3),
            ..RestartPolicy::default()
        };
        let waits: Vec<u128> = (1..=5).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 3000, 3000]);
        assert_eq!(policy.backoff(200), Duration::from_secs(3));
        assert!(policy.allows(5) && !policy.allows(6));
    }

    #[test]
    fn a_connector_overrides_the_workers_keys_it_sets() {
        let worker = RestartPolicy::default();
        let props: Props = [
            (POLICY.to_owned(), "on-failure".to_owned()),
            (ATTEMPTS.to_owned(), "-1".to_owned()),
        ]
        .into_iter()
        .collect();
        let policy = worker.overridden_by(&props);
        assert!(policy.on_failure);
        assert_eq!(policy.max_attempts, None);
        assert_eq!(policy.initial_backoff, worker.initial_backoff);
        assert!(policy.allows(1000));
        assert!(!worker.allows(1), "never restarts by default");
    }
}
