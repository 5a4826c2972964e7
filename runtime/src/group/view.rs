//! What a worker knows of its group after a rebalance: the generation, who leads, what this
//! worker runs, and (on the leader) who runs the rest. The herder reads it to decide what to
//! start, where to forward a write, and which generation its statuses carry.

use std::collections::BTreeMap;

use super::protocol::{ConnectProtocol, ConnectorsAndTasks};
use crate::model::TaskId;

/// This worker's view of its group, as of the last completed rebalance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupView {
    /// The group generation the assignment belongs to.
    pub generation: i32,
    /// The protocol the group speaks (`sessioned` signs worker-to-worker requests).
    pub protocol: ConnectProtocol,
    /// This worker's member id.
    pub member_id: String,
    /// The leader's member id.
    pub leader_id: String,
    /// The leader's REST URL.
    pub leader_url: String,
    /// The config-topic offset (Kafka Connect's: one past the last record read) this worker
    /// must have read before it starts what it holds.
    pub config_offset: i64,
    /// What this worker runs.
    pub held: ConnectorsAndTasks,
    /// On the leader, every member's URL and what it runs, by member id; empty elsewhere.
    pub owners: BTreeMap<String, Owner>,
    /// Every member's REST URL, sorted, as the coordinator described the group.
    pub members: Vec<String>,
}

/// A member of the group, as the leader assigned it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Owner {
    /// Its REST URL.
    pub url: String,
    /// What it runs.
    pub work: ConnectorsAndTasks,
}

impl GroupView {
    /// Whether this worker leads the group.
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader_id
    }

    /// The URL of the member that runs connector `name`, as the leader knows it.
    pub fn connector_owner(&self, name: &str) -> Option<&str> {
        self.owner(|work| work.connectors.iter().any(|c| c == name))
    }

    /// The URL of the member that runs task `id`, as the leader knows it.
    pub fn task_owner(&self, id: &TaskId) -> Option<&str> {
        self.owner(|work| work.tasks.contains(id))
    }

    fn owner(&self, runs: impl Fn(&ConnectorsAndTasks) -> bool) -> Option<&str> {
        self.owners
            .values()
            .find(|owner| runs(&owner.work))
            .map(|owner| owner.url.as_str())
    }
}
