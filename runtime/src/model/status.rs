//! The reported state of connectors and tasks, as the status topic holds it.

use serde::{Deserialize, Serialize};

/// The reported state of a connector or task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Not running anywhere yet.
    Unassigned,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Stopped (connectors only).
    Stopped,
    /// Failed; see the trace.
    Failed,
    /// Being restarted.
    Restarting,
}

/// One status record: `{"state", "trace", "worker_id", "generation"}`, and Weir's
/// `auto_restart` for a failed task under an automatic restart policy (Kafka Connect's readers
/// ignore the key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The state.
    pub state: State,
    /// The error of a failed instance.
    pub trace: Option<String>,
    /// The worker running it.
    pub worker_id: String,
    /// The generation of the assignment it runs under.
    pub generation: i64,
    /// Where a failed task stands in its automatic restarts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_restart: Option<AutoRestart>,
}

/// Where a failed task stands in its automatic restarts (`task.restart.policy=on-failure`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoRestart {
    /// Restarts in a row so far, the next one included when one is due.
    pub attempt: u32,
    /// The most restarts in a row; `None` for no limit.
    pub max_attempts: Option<u32>,
    /// When the next restart is due, in milliseconds since the Unix epoch; `None` once the
    /// attempts are spent and the task stays FAILED.
    pub next_attempt_ms: Option<u64>,
}

impl Status {
    /// A status reported by `worker_id`, of generation 0 (set [`Status::generation`] for the
    /// group's).
    pub fn new(state: State, trace: Option<String>, worker_id: &str) -> Self {
        Status {
            state,
            trace,
            worker_id: worker_id.to_owned(),
            generation: 0,
            auto_restart: None,
        }
    }
}
