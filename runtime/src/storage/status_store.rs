//! Connector and task statuses on the status topic: keys `status-connector-<name>` and
//! `status-task-<name>-<n>`, values `{"state", "trace", "worker_id", "generation"}`.
//!
//! A status read from another worker of an older generation than the one held is stale (a
//! worker that ran the instance before a rebalance, or a zombie) and is ignored, unless the held
//! one is newer than the group itself (the group was recreated and counts from 1 again).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use super::{Log, LogRecord, Logs, StorageError};
use crate::model::Status;
use crate::sync::lock;

/// The status topic, read into memory; writes update memory at once and reach the topic after.
#[derive(Clone)]
pub struct StatusStore {
    log: Arc<dyn Log>,
    statuses: Arc<Mutex<BTreeMap<String, Status>>>,
    /// The group generation this worker last joined (-1 before).
    generation: Arc<AtomicI64>,
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
        let generation = Arc::new(AtomicI64::new(-1));
        let apply = {
            let statuses = statuses.clone();
            let generation = generation.clone();
            Box::new(move |record: LogRecord<'_>| {
                let Some(key) = record.key.and_then(|k| std::str::from_utf8(k).ok()) else {
                    return;
                };
                let mut statuses = lock(&statuses);
                match record.value.and_then(|v| serde_json::from_slice::<Status>(v).ok()) {
                    Some(status) => {
                        let group = generation.load(Ordering::Relaxed);
                        match statuses.get(key) {
                            Some(held) if is_stale(&status, held, group) => {
                                tracing::debug!(%key, worker = %status.worker_id, generation = status.generation, "ignoring a stale status");
                            }
                            _ => {
                                statuses.insert(key.to_owned(), status);
                            }
                        }
                    }
                    None => {
                        statuses.remove(key);
                    }
                }
            })
        };
        let log = logs.open(topic, apply).await?;
        Ok(StatusStore {
            log,
            statuses,
            generation,
        })
    }

    /// The group generation this worker last joined (-1 before), which its statuses carry.
    pub fn generation(&self) -> i64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Records the group generation this worker joined.
    pub fn set_generation(&self, generation: i64) {
        self.generation.store(generation, Ordering::Relaxed);
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

/// Whether `read` must not replace `held`: it comes from another worker, of an older generation,
/// while `held` is of a generation the group (at `group`) has reached.
fn is_stale(read: &Status, held: &Status, group: i64) -> bool {
    read.worker_id != held.worker_id && read.generation < held.generation && held.generation <= group
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::State;
    use crate::storage::MemoryLogs;

    fn status(state: State, worker: &str, generation: i64) -> Status {
        Status {
            generation,
            ..Status::new(state, None, worker)
        }
    }

    #[tokio::test]
    async fn a_stale_workers_status_never_overwrites_a_newer_one() {
        let logs = MemoryLogs::new();
        let writer = StatusStore::start(&logs, "statuses").await.unwrap();
        let reader = StatusStore::start(&logs, "statuses").await.unwrap();
        reader.set_generation(8);
        writer.put_task("c", 0, status(State::Running, "b:8083", 8)).await;
        writer.put_task("c", 0, status(State::Running, "a:8083", 5)).await;
        reader.read_to_end().await.unwrap();
        assert_eq!(
            reader.task("c", 0).map(|s| s.worker_id),
            Some("b:8083".into()),
            "the zombie's is ignored"
        );

        writer.put_task("c", 0, status(State::Failed, "b:8083", 7)).await;
        reader.read_to_end().await.unwrap();
        assert_eq!(
            reader.task("c", 0).map(|s| s.state),
            Some(State::Failed),
            "the same worker's always counts"
        );

        writer.put_task("c", 1, status(State::Running, "b:8083", 40)).await;
        writer.put_task("c", 1, status(State::Running, "a:8083", 2)).await;
        reader.read_to_end().await.unwrap();
        assert_eq!(
            reader.task("c", 1).map(|s| s.worker_id),
            Some("a:8083".into()),
            "a generation beyond the group's is of a group that was recreated"
        );
    }
}
