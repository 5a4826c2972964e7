//! Connector and task statuses on the status topic: keys `status-connector-<name>` and
//! `status-task-<name>-<n>`, values `{"state", "trace", "worker_id", "generation"}`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::{Log, LogRecord, Logs, StorageError};
use crate::model::Status;
use crate::sync::lock;

/// The status topic, read into memory; writes update memory at once and reach the topic after.
#[derive(Clone)]
pub struct StatusStore {
    log: Arc<dyn Log>,
    statuses: Arc<Mutex<BTreeMap<String, Status>>>,
}

fn connector_key(name: &str) -> String {
    format!("status-connector-{name}")
}

fn task_key(name: &str, task: usize) -> String {
    format!("status-task-{name}-{task}")
}

impl StatusStore {
    /// Starts reading the status topic.
    pub async fn start(logs: &dyn Logs, topic: &str) -> Result<Self, StorageError> {
        let statuses: Arc<Mutex<BTreeMap<String, Status>>> = Arc::default();
        let apply = {
            let statuses = statuses.clone();
            Box::new(move |record: LogRecord<'_>| {
                let Some(key) = record.key.and_then(|k| std::str::from_utf8(k).ok()) else {
                    return;
                };
                match record.value.and_then(|v| serde_json::from_slice::<Status>(v).ok()) {
                    Some(status) => lock(&statuses).insert(key.to_owned(), status),
                    None => lock(&statuses).remove(key),
                };
            })
        };
        let log = logs.open(topic, apply).await?;
        Ok(StatusStore { log, statuses })
    }

    /// Waits until every status written so far is read.
    pub async fn read_to_end(&self) -> Result<(), StorageError> {
        self.log.read_to_end().await
    }

    /// A connector's status.
    pub fn connector(&self, name: &str) -> Option<Status> {
        lock(&self.statuses).get(&connector_key(name)).cloned()
    }

    /// A task's status.
    pub fn task(&self, name: &str, task: usize) -> Option<Status> {
        lock(&self.statuses).get(&task_key(name, task)).cloned()
    }

    /// Records a connector's status.
    pub async fn put_connector(&self, name: &str, status: Status) {
        self.put(connector_key(name), Some(status)).await;
    }

    /// Records a task's status.
    pub async fn put_task(&self, name: &str, task: usize, status: Status) {
        self.put(task_key(name, task), Some(status)).await;
    }

    /// Forgets a connector's status.
    pub async fn remove_connector(&self, name: &str) {
        self.put(connector_key(name), None).await;
    }

    /// Forgets a task's status.
    pub async fn remove_task(&self, name: &str, task: usize) {
        self.put(task_key(name, task), None).await;
    }

    /// Statuses are best effort: a failed write is logged, and the next change writes again.
    async fn put(&self, key: String, status: Option<Status>) {
        let value = status.as_ref().and_then(|s| serde_json::to_vec(s).ok());
        match &status {
            Some(s) => lock(&self.statuses).insert(key.clone(), s.clone()),
            None => lock(&self.statuses).remove(&key),
        };
        if let Err(e) = self.log.append(&key, value.as_deref()).await {
            tracing::warn!(%key, error = %e, "could not write status");
        }
    }
}
