//! The one writer of statuses: every state a connector or task reports goes through here, to the
//! status topic, stamped with this worker's id and the group generation it runs under.

use crate::config::WorkerConfig;
use crate::model::{State, Status, TaskId};
use crate::storage::StatusStore;

/// Writes the statuses of the connectors and tasks this worker runs, and the topics they use.
#[derive(Clone)]
pub struct StatusWriter {
    store: StatusStore,
    worker_id: String,
    /// Whether the topics tasks use are recorded (`topic.tracking.enable`).
    topic_tracking: bool,
}

impl StatusWriter {
    /// A writer to `store` for the worker `config` describes.
    pub fn new(store: StatusStore, config: &WorkerConfig) -> Self {
        StatusWriter {
            store,
            worker_id: config.worker_id.clone(),
            topic_tracking: config.topic_tracking,
        }
    }

    fn status(&self, state: State, trace: Option<String>) -> Status {
        Status {
            generation: self.store.generation().max(0),
            ..Status::new(state, trace, &self.worker_id)
        }
    }

    /// Records a connector's state, with a trace for failures.
    pub async fn connector(&self, name: &str, state: State, trace: Option<String>) {
        self.store.put_connector(name, self.status(state, trace)).await;
    }

    /// Records a task's state, with a trace for failures.
    pub async fn task(&self, id: &TaskId, state: State, trace: Option<String>) {
        self.store
            .put_task(&id.connector, id.task, self.status(state, trace))
            .await;
    }

    /// Forgets a deleted connector's status, and the topics it used (as Kafka Connect does).
    pub async fn forget_connector(&self, name: &str) {
        self.store.remove_connector(name).await;
        self.store.reset_topics(name).await;
    }

    /// Forgets a removed task's status.
    pub async fn forget_task(&self, id: &TaskId) {
        self.store.remove_task(&id.connector, id.task).await;
    }

    /// A writer of one task's status, for its runner.
    pub fn for_task(&self, id: TaskId) -> TaskStatusWriter {
        TaskStatusWriter {
            writer: self.clone(),
            id,
        }
    }
}

/// Writes one task's status.
#[derive(Clone)]
pub struct TaskStatusWriter {
    writer: StatusWriter,
    id: TaskId,
}

impl TaskStatusWriter {
    /// Records the task's state, with a trace for failures.
    pub async fn report(&self, state: State, trace: Option<String>) {
        self.writer.task(&self.id, state, trace).await;
    }

    /// Records that the task produced to or consumed from `topic`, the first time it does
    /// (Kafka Connect's topic tracking); a lookup in memory after that.
    pub async fn used_topic(&self, topic: &str) {
        if self.writer.topic_tracking {
            self.writer
                .store
                .record_topic(&self.id.connector, topic, self.id.task)
                .await;
        }
    }
}
