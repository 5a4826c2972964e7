//! What runs on a worker, as the herder compares it with what should run.

use std::collections::BTreeMap;

use weir_connector_api::Props;

use super::{TargetState, TaskId};

/// A task running on this worker: the configs and target it was started with.
#[derive(Clone, Debug, PartialEq)]
pub struct RunningTask {
    /// Its connector's config.
    pub connector_config: Props,
    /// Its own config.
    pub task_config: Props,
    /// Its target state.
    pub target: TargetState,
}

/// The connectors and tasks running on this worker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Running {
    /// Connectors, with the config and target they were started with.
    pub connectors: BTreeMap<String, (Props, TargetState)>,
    /// Tasks.
    pub tasks: BTreeMap<TaskId, RunningTask>,
}
