//! A task's identity, the same for the worker, the storage and the REST API.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A task's identity: its connector and its number (Kafka Connect's `ConnectorTaskId`, on the
/// wire `{"connector", "task"}`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaskId {
    /// The connector.
    pub connector: String,
    /// The task number.
    pub task: usize,
}

impl TaskId {
    /// Task `task` of `connector`.
    pub fn new(connector: impl Into<String>, task: usize) -> Self {
        TaskId {
            connector: connector.into(),
            task,
        }
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}
