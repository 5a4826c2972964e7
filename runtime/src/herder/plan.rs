//! Reconciling as a pure function: from what the config topic says, this worker's share of it,
//! and what runs here, to what must start, stop or change. No I/O; the herder's loop carries a
//! plan out.

use weir_connector_api::Props;

use super::assignment::Assignment;
use crate::model::{ClusterConfig, Running, TargetState, TaskId};

/// A task to start.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskStart {
    /// The task.
    pub id: TaskId,
    /// Its connector's config.
    pub connector_config: Props,
    /// Its own config.
    pub task_config: Props,
    /// Its target state.
    pub target: TargetState,
}

/// What the worker must do to run its share of the cluster.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Connectors running here that are no longer this worker's.
    pub stop_connectors: Vec<String>,
    /// Of those, the ones deleted from the config topic (their status goes too).
    pub forget_connectors: Vec<String>,
    /// Of those, the ones that moved to another worker (shown UNASSIGNED until it starts them).
    pub unassign_connectors: Vec<String>,
    /// Connectors to start, or start again with a new config or target.
    pub start_connectors: Vec<(String, Props, TargetState)>,
    /// Tasks to stop: gone, or changed. All stop before any starts, so a connector's old and
    /// new tasks never overlap.
    pub stop_tasks: Vec<TaskId>,
    /// Of those, the ones gone from the config, or of a stopped connector (their status goes
    /// too).
    pub forget_tasks: Vec<TaskId>,
    /// Of those, the ones that moved to another worker (shown UNASSIGNED until it starts them).
    pub unassign_tasks: Vec<TaskId>,
    /// Tasks to start: new, or changed.
    pub start_tasks: Vec<TaskStart>,
    /// Tasks running as configured whose target state changed.
    pub retarget_tasks: Vec<(TaskId, TargetState)>,
}

impl Plan {
    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Plan::default()
    }
}

/// What this worker must do, given the cluster's config, its share `mine`, and what `running`.
pub fn plan(cluster: &ClusterConfig, mine: &Assignment, running: &Running) -> Plan {
    let mut plan = Plan::default();
    // A deleted connector stops at once, before the group revokes it.
    for name in running.connectors.keys() {
        let configured = cluster.connectors.contains_key(name);
        if !mine.connectors.contains(name) || !configured {
            plan.stop_connectors.push(name.clone());
            if configured {
                plan.unassign_connectors.push(name.clone());
            } else {
                plan.forget_connectors.push(name.clone());
            }
        }
    }
    for name in &mine.connectors {
        let Some(config) = cluster.connectors.get(name) else {
            continue;
        };
        let target = cluster.target_state(name);
        if running.connectors.get(name) != Some(&(config.clone(), target)) {
            plan.start_connectors.push((name.clone(), config.clone(), target));
        }
    }
    // A task runs with its connector's config and its own; a stopped connector has none.
    let configs = |id: &TaskId| {
        let connector = cluster.connectors.get(&id.connector)?;
        let task = cluster.task_configs(&id.connector).get(id.task)?;
        (cluster.target_state(&id.connector) != TargetState::Stopped).then_some((connector, task))
    };
    for (id, task) in &running.tasks {
        let current = configs(id);
        if !mine.tasks.contains(id) || current.is_none() {
            plan.stop_tasks.push(id.clone());
            if current.is_some() {
                plan.unassign_tasks.push(id.clone());
            } else {
                plan.forget_tasks.push(id.clone());
            }
        } else if current != Some((&task.connector_config, &task.task_config)) {
            plan.stop_tasks.push(id.clone());
        }
    }
    for id in &mine.tasks {
        let Some((connector_config, task_config)) = configs(id) else {
            continue;
        };
        let target = cluster.target_state(&id.connector);
        match running.tasks.get(id) {
            Some(task) if task.connector_config == *connector_config && task.task_config == *task_config => {
                if task.target != target {
                    plan.retarget_tasks.push((id.clone(), target));
                }
            }
            _ => plan.start_tasks.push(TaskStart {
                id: id.clone(),
                connector_config: connector_config.clone(),
                task_config: task_config.clone(),
                target,
            }),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RunningTask;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// A cluster of one connector `c` with `tasks` task configs.
    fn cluster(config: &Props, tasks: usize) -> ClusterConfig {
        let mut cluster = ClusterConfig::default();
        cluster.connectors.insert("c".into(), config.clone());
        cluster.tasks.insert(
            "c".into(),
            (0..tasks).map(|i| props(&[("n", &i.to_string())])).collect(),
        );
        cluster
    }

    /// Every connector and task of the cluster.
    fn mine(cluster: &ClusterConfig) -> Assignment {
        Assignment {
            connectors: cluster.connectors.keys().cloned().collect(),
            tasks: cluster
                .tasks
                .iter()
                .flat_map(|(c, tasks)| (0..tasks.len()).map(move |n| TaskId::new(c.clone(), n)))
                .collect(),
        }
    }

    /// What runs after a plan is carried out.
    fn carried_out(cluster: &ClusterConfig, plan: &Plan, mut running: Running) -> Running {
        for name in &plan.stop_connectors {
            running.connectors.remove(name);
        }
        for (name, config, target) in &plan.start_connectors {
            running.connectors.insert(name.clone(), (config.clone(), *target));
        }
        for id in &plan.stop_tasks {
            running.tasks.remove(id);
        }
        for start in &plan.start_tasks {
            let task = RunningTask {
                connector_config: start.connector_config.clone(),
                task_config: start.task_config.clone(),
                target: start.target,
            };
            running.tasks.insert(start.id.clone(), task);
        }
        for (id, target) in &plan.retarget_tasks {
            if let Some(task) = running.tasks.get_mut(id) {
                task.target = *target;
            }
        }
        assert!(
            super::plan(cluster, &mine(cluster), &running).is_empty(),
            "a second plan is empty"
        );
        running
    }

    #[test]
    fn a_new_connector_and_its_tasks_start() {
        let config = props(&[("connector.class", "x")]);
        let cluster = cluster(&config, 2);
        let plan = plan(&cluster, &mine(&cluster), &Running::default());
        assert_eq!(plan.start_connectors, vec![("c".into(), config, TargetState::Started)]);
        assert_eq!(plan.start_tasks.len(), 2);
        assert!(plan.stop_tasks.is_empty());
        let running = carried_out(&cluster, &plan, Running::default());
        assert_eq!(running.tasks.len(), 2);
    }

    #[test]
    fn a_changed_config_restarts_the_connector_and_changed_tasks_only() {
        let old = props(&[("connector.class", "x")]);
        let before = cluster(&old, 2);
        let running = carried_out(
            &before,
            &plan(&before, &mine(&before), &Running::default()),
            Running::default(),
        );
        let mut after = before.clone();
        after.tasks.get_mut("c").unwrap()[1] = props(&[("n", "changed")]);
        let plan = plan(&after, &mine(&after), &running);
        assert!(
            plan.start_connectors.is_empty(),
            "the connector's config did not change"
        );
        assert_eq!(plan.stop_tasks, vec![TaskId::new("c", 1)]);
        assert!(plan.forget_tasks.is_empty());
        assert_eq!(
            plan.start_tasks.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
            vec![TaskId::new("c", 1)]
        );
        carried_out(&after, &plan, running);
    }

    #[test]
    fn pausing_retargets_and_stopping_removes_the_tasks() {
        let config = props(&[("connector.class", "x")]);
        let started = cluster(&config, 1);
        let running = carried_out(
            &started,
            &plan(&started, &mine(&started), &Running::default()),
            Running::default(),
        );
        let mut paused = started.clone();
        paused.target_states.insert("c".into(), TargetState::Paused);
        let plan_paused = plan(&paused, &mine(&paused), &running);
        assert_eq!(
            plan_paused.retarget_tasks,
            vec![(TaskId::new("c", 0), TargetState::Paused)]
        );
        assert_eq!(
            plan_paused.start_connectors.len(),
            1,
            "the connector restarts with its target"
        );
        let running = carried_out(&paused, &plan_paused, running);
        let mut stopped = paused.clone();
        stopped.target_states.insert("c".into(), TargetState::Stopped);
        let plan_stopped = plan(&stopped, &mine(&stopped), &running);
        assert_eq!(plan_stopped.stop_tasks, vec![TaskId::new("c", 0)]);
        assert_eq!(plan_stopped.forget_tasks, vec![TaskId::new("c", 0)]);
        carried_out(&stopped, &plan_stopped, running);
    }

    #[test]
    fn work_moved_elsewhere_stops_and_shows_unassigned() {
        let config = props(&[("connector.class", "x")]);
        let cluster = cluster(&config, 2);
        let running = carried_out(
            &cluster,
            &plan(&cluster, &mine(&cluster), &Running::default()),
            Running::default(),
        );
        let mut kept = mine(&cluster);
        kept.connectors.clear();
        kept.tasks.remove(&TaskId::new("c", 1));
        let plan = plan(&cluster, &kept, &running);
        assert_eq!(plan.stop_connectors, vec!["c".to_owned()]);
        assert_eq!(plan.unassign_connectors, vec!["c".to_owned()]);
        assert_eq!(plan.stop_tasks, vec![TaskId::new("c", 1)]);
        assert_eq!(plan.unassign_tasks, vec![TaskId::new("c", 1)]);
        assert!(plan.forget_tasks.is_empty() && plan.forget_connectors.is_empty());
    }

    #[test]
    fn a_deleted_connector_is_stopped_and_forgotten() {
        let config = props(&[("connector.class", "x")]);
        let before = cluster(&config, 1);
        let running = carried_out(
            &before,
            &plan(&before, &mine(&before), &Running::default()),
            Running::default(),
        );
        let after = ClusterConfig::default();
        let plan = plan(&after, &mine(&after), &running);
        assert_eq!(plan.stop_connectors, vec!["c".to_owned()]);
        assert_eq!(plan.forget_connectors, vec!["c".to_owned()]);
        assert_eq!(plan.forget_tasks, vec![TaskId::new("c", 0)]);
        let running = carried_out(&after, &plan, running);
        assert_eq!(running, Running::default());
    }

    #[test]
    fn a_deleted_connector_stops_before_the_group_revokes_it() {
        let config = props(&[("connector.class", "x")]);
        let before = cluster(&config, 1);
        let assigned = mine(&before);
        let running = carried_out(
            &before,
            &plan(&before, &assigned, &Running::default()),
            Running::default(),
        );
        let plan = plan(&ClusterConfig::default(), &assigned, &running);
        assert_eq!(plan.stop_connectors, vec!["c".to_owned()]);
        assert_eq!(plan.forget_connectors, vec!["c".to_owned()]);
        assert_eq!(plan.forget_tasks, vec![TaskId::new("c", 0)]);
    }
}
