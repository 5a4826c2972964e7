//! Which worker runs which connector and task.
//!
//! Every worker of a group reads the same config topic and computes the same assignment from it
//! and the group's membership, so no coordination beyond membership is needed. The leader (the
//! first member) is the one writer of task configs. Today a worker is a group of one; sharing
//! connectors across workers plugs the broker's group membership in here.

use std::collections::BTreeSet;

use crate::model::{ClusterConfig, TargetState, TaskId};

/// The workers of a group.
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    /// Worker ids, sorted.
    members: Vec<String>,
}

impl Membership {
    /// A group of this one worker.
    pub fn single(worker_id: &str) -> Self {
        Membership {
            members: vec![worker_id.to_owned()],
        }
    }

    /// The worker that writes task configs.
    pub fn leader(&self) -> &str {
        self.members.first().map_or("", String::as_str)
    }
}

/// What one worker runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Assignment {
    /// Connectors.
    pub connectors: BTreeSet<String>,
    /// Tasks (of connectors that are not stopped).
    pub tasks: BTreeSet<TaskId>,
}

/// The share of `worker`: connectors and tasks dealt round-robin, in name order, over the members.
pub fn assign(config: &ClusterConfig, membership: &Membership, worker: &str) -> Assignment {
    let n = membership.members.len().max(1);
    let Some(me) = membership.members.iter().position(|m| m == worker) else {
        return Assignment::default();
    };
    let connectors = config
        .connectors
        .keys()
        .enumerate()
        .filter(|(i, _)| i % n == me)
        .map(|(_, c)| c.clone())
        .collect();
    let tasks = config
        .connectors
        .keys()
        .filter(|c| config.target_state(c) != TargetState::Stopped)
        .flat_map(|c| {
            (0..config.task_configs(c).len()).map(move |task| TaskId {
                connector: c.clone(),
                task,
            })
        })
        .enumerate()
        .filter(|(i, _)| i % n == me)
        .map(|(_, t)| t)
        .collect();
    Assignment { connectors, tasks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_over_members() {
        let mut config = ClusterConfig::default();
        for name in ["a", "b", "c"] {
            config.connectors.insert(name.into(), Default::default());
            config.tasks.insert(name.into(), vec![Default::default(); 2]);
        }
        config.target_states.insert("c".into(), TargetState::Stopped);
        let membership = Membership {
            members: vec!["w1".into(), "w2".into()],
        };
        let w1 = assign(&config, &membership, "w1");
        let w2 = assign(&config, &membership, "w2");
        assert_eq!(w1.connectors.into_iter().collect::<Vec<_>>(), vec!["a", "c"]);
        assert_eq!(w2.connectors.into_iter().collect::<Vec<_>>(), vec!["b"]);
        assert_eq!(w1.tasks.len() + w2.tasks.len(), 4, "stopped connectors have no tasks");
        assert!(w1.tasks.is_disjoint(&w2.tasks));
        assert_eq!(membership.leader(), "w1");
    }

    #[test]
    fn a_single_worker_runs_everything() {
        let mut config = ClusterConfig::default();
        config.connectors.insert("a".into(), Default::default());
        config.tasks.insert("a".into(), vec![Default::default(); 3]);
        let all = assign(&config, &Membership::single("w"), "w");
        assert_eq!(all.tasks.len(), 3);
    }
}
