//! The one writer of statuses: every state a connector or task reports goes through here, to the
//! status topic, stamped with this worker's id and the group generation it runs under.

use std::collections::HashSet;

use crate::config::WorkerConfig;
use crate::model::{AutoRestart, State, Status, TaskId};
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

    /// Records a task's failure, and where it stands in its automatic restarts.
    pub async fn failed_task(&self, id: &TaskId, trace: String, auto_restart: Option<AutoRestart>) {
        let status = Status {
            auto_restart,
            ..self.status(State::Failed, Some(trace))
        };
        self.store.put_task(&id.connector, id.task, status).await;
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
            topics_seen: HashSet::new(),
            last_topic: String::new(),
            topic_resets_seen: 0,
        }
    }
}

/// Writes one task's status.
#[derive(Clone)]
pub struct TaskStatusWriter {
    writer: StatusWriter,
    id: TaskId,
    /// The topics this task has recorded, so that each record costs no lock on the store.
    topics_seen: HashSet<String>,
    /// The topic of the last call, in `topics_seen`: most records go where the one before went.
    last_topic: String,
    /// The store's reset count when `topics_seen` was last valid: a reset empties it.
    topic_resets_seen: u64,
}

impl TaskStatusWriter {
    /// Records the task's state, with a trace for failures.
    pub async fn report(&self, state: State, trace: Option<String>) {
        self.writer.task(&self.id, state, trace).await;
    }

    /// Records the task's failure, and where it stands in its automatic restarts.
    pub async fn report_failure(&self, trace: String, auto_restart: Option<AutoRestart>) {
        self.writer.failed_task(&self.id, trace, auto_restart).await;
    }

    /// Records that the task produced to or consumed from `topic`, the first time it does
    /// (Kafka Connect's topic tracking), and again after a reset; a lookup in the task's own
    /// set otherwise.
    pub async fn used_topic(&mut self, topic: &str) {
        if !self.writer.topic_tracking {
            return;
        }
        let resets = self.writer.store.topic_resets();
        if resets != self.topic_resets_seen {
            self.topics_seen.clear();
            self.last_topic.clear();
            self.topic_resets_seen = resets;
        }
        if self.last_topic == topic {
            return;
        }
        if self.topics_seen.contains(topic) {
            topic.clone_into(&mut self.last_topic);
            return;
        }
        self.writer
            .store
            .record_topic(&self.id.connector, topic, self.id.task)
            .await;
        self.topics_seen.insert(topic.to_owned());
        topic.clone_into(&mut self.last_topic);
    }
}
