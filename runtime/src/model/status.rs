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

/// One status record: `{"state", "trace", "worker_id", "generation"}`.
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
        }
    }
}
