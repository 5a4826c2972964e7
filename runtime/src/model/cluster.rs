//! The desired state of the cluster: what the config topic says, up to the offset read.

use std::collections::{BTreeMap, BTreeSet};

use weir_connector_api::Props;

use super::SessionKey;

/// What a connector should be doing, as the user asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetState {
    /// Running.
    Started,
    /// Paused: tasks keep their resources but move no data.
    Paused,
    /// Stopped: tasks shut down and their configs removed; offsets may be edited.
    Stopped,
}

impl TargetState {
    /// The name used on the config topic and in requests.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Started => "STARTED",
            TargetState::Paused => "PAUSED",
            TargetState::Stopped => "STOPPED",
        }
    }

    /// The state a name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "STARTED" => Some(TargetState::Started),
            "PAUSED" => Some(TargetState::Paused),
            "STOPPED" => Some(TargetState::Stopped),
            _ => None,
        }
    }
}

/// A request to restart a connector and possibly its tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestartRequest {
    /// The connector.
    pub connector: String,
    /// Whether tasks are restarted too.
    pub include_tasks: bool,
    /// Whether only failed instances are restarted.
    pub only_failed: bool,
}

/// Everything the config topic says, as read up to [`ClusterConfig::offset`].
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    /// Connector configs by name.
    pub connectors: BTreeMap<String, Props>,
    /// Target states by connector; absent means started.
    pub target_states: BTreeMap<String, TargetState>,
    /// Committed task configs by connector.
    pub tasks: BTreeMap<String, Vec<Props>>,
    /// The config topic's offset of the last record read into this state (-1 before any).
    pub offset: i64,
    /// The session key the leader last wrote, if any.
    pub session_key: Option<SessionKey>,
    /// By connector, the task count of its last `tasks-fencing-<name>` record: how many task
    /// ids its exactly-once producers used when it was last fenced.
    pub task_counts: BTreeMap<String, usize>,
    /// Connectors whose task configs were committed since their last `tasks-fencing-<name>`
    /// record: their exactly-once tasks may not start until the older ones are fenced.
    pub pending_fencing: BTreeSet<String>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            connectors: BTreeMap::new(),
            target_states: BTreeMap::new(),
            tasks: BTreeMap::new(),
            offset: -1,
            session_key: None,
            task_counts: BTreeMap::new(),
            pending_fencing: BTreeSet::new(),
        }
    }
}

impl ClusterConfig {
    /// A connector's target state.
    pub fn target_state(&self, connector: &str) -> TargetState {
        self.target_states
            .get(connector)
            .copied()
            .unwrap_or(TargetState::Started)
    }

    /// A connector's committed task configs.
    pub fn task_configs(&self, connector: &str) -> &[Props] {
        self.tasks.get(connector).map_or(&[], Vec::as_slice)
    }
}
