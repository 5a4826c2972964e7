//! What a task runner is given: who it is, its config, where it reports, its figures, and the
//! herder's directives.

use tokio::sync::watch;
use weir_connector_api::{Props, TaskMetrics};

use super::status::TaskStatusWriter;
use crate::model::{State, TargetState, TaskId};

/// What the herder wants a running task to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Directive {
    /// Move data.
    Run,
    /// Hold still, keeping resources.
    Pause,
    /// Commit and stop.
    Stop,
}

impl From<TargetState> for Directive {
    fn from(target: TargetState) -> Self {
        match target {
            TargetState::Started => Directive::Run,
            TargetState::Paused => Directive::Pause,
            TargetState::Stopped => Directive::Stop,
        }
    }
}

/// What both kinds of task runner are given: who they are, their config, where to report, and
/// the herder's directives.
pub(crate) struct TaskIo {
    /// The task.
    pub(super) id: TaskId,
    /// Its config.
    pub(super) task_config: Props,
    /// Where its status goes.
    pub(super) status: TaskStatusWriter,
    /// What the herder wants it to do.
    pub(super) directive: watch::Receiver<Directive>,
    /// Its figures.
    pub(super) metrics: TaskMetrics,
    /// Retriable failures in a row, shown in the task's status until a call passes.
    pub(super) retries: u64,
}

impl TaskIo {
    /// Waits for the next directive that differs from `current`; a vanished herder means stop.
    pub(super) async fn next_directive(&mut self, current: Directive) -> Directive {
        match self.directive.wait_for(|d| *d != current).await {
            Ok(d) => *d,
            Err(_) => Directive::Stop,
        }
    }

    /// The current directive.
    pub(super) fn directive(&mut self) -> Directive {
        *self.directive.borrow_and_update()
    }

    /// Counts a retriable failure of `what` (`put`, `flush`, `poll`) and says it in the task's
    /// status, which stays RUNNING: a call that keeps failing is visible, not silent.
    pub(super) async fn retrying(&mut self, what: &str, error: &(dyn std::fmt::Display + Sync)) {
        self.retries += 1;
        self.metrics.add(
            "task_retries_total",
            "Retriable failures of put, flush or poll, retried.",
            1,
        );
        let trace = format!("{what} failed {} time(s) in a row, retrying: {error}", self.retries);
        self.status.report(State::Running, Some(trace)).await;
    }

    /// Clears the trace of earlier retries once a call passes.
    pub(super) async fn recovered(&mut self) {
        if self.retries > 0 {
            self.retries = 0;
            self.status.report(State::Running, None).await;
        }
    }

    /// Sleeps for `delay`, or less if a new directive comes.
    pub(super) async fn sleep_unless_directed(&mut self, delay: std::time::Duration) {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = self.directive.changed() => {}
        }
    }
}
