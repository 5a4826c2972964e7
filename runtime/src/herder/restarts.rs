//! Restarts: asked through REST, carried out by the worker that runs the instance. A connector
//! restart is a record on the config topic, read by every worker; a task restart is carried out
//! by this worker's loop.

use tokio::sync::oneshot;

use super::{Command, Herder, HerderError};
use crate::model::{ConnectorStatus, RestartRequest, State, TaskId};

/// What a restart request restarts, from the current statuses.
struct RestartPlan {
    connector: bool,
    tasks: Vec<usize>,
}

impl RestartPlan {
    fn new(request: &RestartRequest, status: &ConnectorStatus) -> Self {
        let failed = |state: &State| *state == State::Failed;
        RestartPlan {
            connector: !request.only_failed || failed(&status.connector.state),
            tasks: status
                .tasks
                .iter()
                .filter(|t| request.include_tasks && (!request.only_failed || failed(&t.status.state)))
                .map(|t| t.id)
                .collect(),
        }
    }
}

impl Herder {
    /// Asks for a restart of a connector and, per the flags, its tasks. Returns the state with
    /// the instances to restart shown RESTARTING, unless both flags are false.
    pub async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStatus>, HerderError> {
        self.known(name, ":")?;
        let mut status = self.connector_status(name)?;
        self.leader_only("process restart requests")?;
        let request = RestartRequest {
            connector: name.to_owned(),
            include_tasks,
            only_failed,
        };
        let plan = RestartPlan::new(&request, &status);
        self.parts().configs.put_restart_request(&request).await?;
        if !include_tasks && !only_failed {
            return Ok(None);
        }
        if plan.connector {
            status.connector.state = State::Restarting;
        }
        for task in status.tasks.iter_mut().filter(|t| plan.tasks.contains(&t.id)) {
            task.status.state = State::Restarting;
        }
        Ok(Some(status))
    }

    /// Restarts one task, and answers once it runs again. The worker that runs it restarts it;
    /// another points at it (the leader knows who runs what) or at the leader.
    pub async fn restart_task(&self, name: &str, task: usize) -> Result<(), HerderError> {
        self.known(name, ":")?;
        self.task_status(name, task)
            .map_err(|_| HerderError::NotFound(format!("Unknown task: {name}-{task}")))?;
        let id = TaskId::new(name, task);
        let view = self.group_view();
        match view.as_deref() {
            Some(view) if view.held.tasks.contains(&id) => {}
            Some(view) if view.is_leader() => {
                return Err(HerderError::Elsewhere {
                    message: "Cannot restart task since it is not assigned to this member".into(),
                    url: view.task_owner(&id).map(str::to_owned),
                });
            }
            _ => {
                return Err(HerderError::Elsewhere {
                    message: "Cannot restart task since it is not assigned to this member".into(),
                    url: view.map(|v| v.leader_url.clone()),
                });
            }
        }
        let (done, started) = oneshot::channel();
        self.shared
            .commands
            .send(Command::RestartTask { id, done })
            .map_err(|_| HerderError::Conflict("The worker is shutting down".into()))?;
        let _ = started.await;
        Ok(())
    }

    /// Stops what a restart request read from the config topic restarts, of this worker's
    /// share, marking it RESTARTING; the next reconciliation starts it again.
    pub(super) async fn stop_for_restart(&self, request: &RestartRequest) {
        let Ok(status) = self.connector_status(&request.connector) else {
            return;
        };
        let plan = RestartPlan::new(request, &status);
        let worker = &self.parts().worker;
        if plan.connector && worker.runs_connector(&request.connector) {
            worker
                .statuses()
                .connector(&request.connector, State::Restarting, None)
                .await;
            worker.stop_connector(&request.connector).await;
        }
        for task in plan.tasks {
            self.stop_task_for_restart(&TaskId::new(&request.connector, task)).await;
        }
        tracing::info!(connector = %request.connector, include_tasks = request.include_tasks, only_failed = request.only_failed, "restarting");
    }

    /// Stops a task this worker runs, marking it RESTARTING, at a person's request: its
    /// automatic restarts start again from zero.
    pub(super) async fn stop_task_for_restart(&self, id: &TaskId) {
        self.parts().worker.reset_auto_restarts(id);
        self.stop_and_mark_restarting(id).await;
    }

    /// Stops a failed task whose automatic restart is due, marking it RESTARTING; the next
    /// reconciliation starts it again. Nothing happens if the task no longer runs here or is
    /// no longer FAILED (restarted by hand meanwhile). Returns whether it was stopped.
    pub(super) async fn stop_for_auto_restart(&self, id: &TaskId) -> bool {
        let parts = self.parts();
        let failed_here = parts
            .statuses
            .task(&id.connector, id.task)
            .is_some_and(|s| s.state == State::Failed && s.worker_id == parts.worker_id);
        if !failed_here || !parts.worker.runs_task(id) {
            return false;
        }
        tracing::info!(connector = %id.connector, task = id.task, "restarting a failed task (task.restart.policy)");
        parts.worker.count_auto_restart();
        self.stop_and_mark_restarting(id).await;
        true
    }

    async fn stop_and_mark_restarting(&self, id: &TaskId) {
        let worker = &self.parts().worker;
        if worker.runs_task(id) {
            worker.statuses().task(id, State::Restarting, None).await;
            worker.stop_task(id).await;
        }
    }
}
