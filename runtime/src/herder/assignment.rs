//! What this worker runs: its share of the cluster, as the group's leader last assigned it.

use std::collections::BTreeSet;

use crate::group::ConnectorsAndTasks;
use crate::model::TaskId;

/// The connectors and tasks this worker runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Assignment {
    /// Connectors.
    pub connectors: BTreeSet<String>,
    /// Tasks.
    pub tasks: BTreeSet<TaskId>,
}

impl From<&ConnectorsAndTasks> for Assignment {
    fn from(held: &ConnectorsAndTasks) -> Self {
        Assignment {
            connectors: held.connectors.iter().cloned().collect(),
            tasks: held.tasks.iter().cloned().collect(),
        }
    }
}

impl Assignment {
    /// Takes `revoked` away.
    pub fn remove(&mut self, revoked: &ConnectorsAndTasks) {
        for name in &revoked.connectors {
            self.connectors.remove(name);
        }
        for id in &revoked.tasks {
            self.tasks.remove(id);
        }
    }
}
