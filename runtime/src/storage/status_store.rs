//! Connector and task statuses on the status topic: keys `status-connector-<name>` and
//! `status-task-<name>-<n>`, values `{"state", "trace", "worker_id", "generation"}`. The topics
//! each connector's tasks used (Kafka Connect's topic tracking, KIP-558) are there too: keys
//! `status-topic-<topic>:connector-<name>`, values
//! `{"topic": {"name", "connector", "task", "discoverTimestamp"}}`.
//!
//! A status read from another worker of an older generation than the one held is stale (a
//! worker that ran the instance before a rebalance, or a zombie) and is ignored, unless the held
//! one is newer than the group itself (the group was recreated and counts from 1 again).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::{Log, LogRecord, Logs, StorageError};
use crate::model::Status;
use crate::sync::lock;

/// The topics each connector's tasks used: connector, then topic.
type ActiveTopics = BTreeMap<String, BTreeMap<String, TopicStatus>>;

/// A topic a connector's task used, as the status topic records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicStatus {
    /// The topic.
    pub name: String,
    /// The connector.
    pub connector: String,
    /// The task that used it first.
    pub task: i64,
    /// When, in ms since the epoch.
    #[serde(rename = "discoverTimestamp")]
    pub discover_timestamp: i64,
}

/// A topic status record's value.
#[derive(Serialize, Deserialize)]
struct TopicRecord {
    topic: TopicStatus,
}

const TOPIC_PREFIX: &str = "status-topic-";
const TOPIC_SEPARATOR: &str = ":connector-";

fn topic_key(connector: &str, topic: &str) -> String {
    format!("{TOPIC_PREFIX}{topic}{TOPIC_SEPARATOR}{connector}")
}

/// The topic and connector a topic status key names (topic names cannot hold a colon).
fn parse_topic_key(key: &str) -> Option<(&str, &str)> {
    key.strip_prefix(TOPIC_PREFIX)?.split_once(TOPIC_SEPARATOR)
}

/// The status topic, read into memory; writes update memory at once and reach the topic after.
#[derive(Clone)]
pub struct StatusStore {
    log: Arc<dyn Log>,
    statuses: Arc<Mutex<BTreeMap<String, Status>>>,
    topics: Arc<Mutex<ActiveTopics>>,
    /// How many times a recorded topic was forgotten (reset here, or a tombstone read).
    topic_resets: Arc<AtomicU64>,
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
        let topics: Arc<Mutex<ActiveTopics>> = Arc::default();
        let topic_resets: Arc<AtomicU64> = Arc::default();
        let generation = Arc::new(AtomicI64::new(-1));
        let apply = {
            let statuses = statuses.clone();
            let topics = topics.clone();
            let topic_resets = topic_resets.clone();
            let generation = generation.clone();
            Box::new(move |record: LogRecord<'_>| {
                let Some(key) = record.key.and_then(|k| std::str::from_utf8(k).ok()) else {
                    return;
                };
                if let Some((topic, connector)) = parse_topic_key(key) {
                    let mut topics = lock(&topics);
                    match record.value.and_then(|v| serde_json::from_slice::<TopicRecord>(v).ok()) {
                        Some(record) => {
                            topics
                                .entry(connector.to_owned())
                                .or_default()
                                .insert(topic.to_owned(), record.topic);
                        }
                        None => {
                            if let Some(used) = topics.get_mut(connector) {
                                used.remove(topic);
                            }
                            topic_resets.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    return;
                }
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
            topics,
            topic_resets,
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

    /// The topics a connector's tasks used, by name.
    pub fn active_topics(&self, connector: &str) -> Vec<String> {
        lock(&self.topics)
            .get(connector)
            .map(|used| used.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Records that a task of `connector` used `topic`, unless that is known already.
    pub async fn record_topic(&self, connector: &str, topic: &str, task: usize) {
        let status = {
            let mut topics = lock(&self.topics);
            if topics.get(connector).is_some_and(|used| used.contains_key(topic)) {
                return;
            }
            let used = topics.entry(connector.to_owned()).or_default();
            let status = TopicStatus {
                name: topic.to_owned(),
                connector: connector.to_owned(),
                task: i64::try_from(task).unwrap_or(i64::MAX),
                discover_timestamp: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            };
            used.insert(topic.to_owned(), status.clone());
            status
        };
        let value = serde_json::to_vec(&TopicRecord { topic: status }).ok();
        self.append(&topic_key(connector, topic), value.as_deref()).await;
    }

    /// How many times a recorded topic was forgotten: a task's own record of the topics it
    /// used holds while this stays the same.
    pub fn topic_resets(&self) -> u64 {
        self.topic_resets.load(Ordering::Relaxed)
    }

    /// Forgets the topics a connector's tasks used (tombstones on the topic).
    pub async fn reset_topics(&self, connector: &str) {
        let used = lock(&self.topics).remove(connector).unwrap_or_default();
        self.topic_resets.fetch_add(1, Ordering::Relaxed);
        for topic in used.keys() {
            self.append(&topic_key(connector, topic), None).await;
        }
    }

    /// Statuses are best effort: a failed write is logged, and the next change writes again.
    async fn put(&self, key: String, status: Option<Status>) {
        let value = status.as_ref().and_then(|s| serde_json::to_vec(s).ok());
        match &status {
            Some(s) => lock(&self.statuses).insert(key.clone(), s.clone()),
            None => lock(&self.statuses).remove(&key),
        };
        self.append(&key, value.as_deref()).await;
    }

    async fn append(&self, key: &str, value: Option<&[u8]>) {
        if let Err(e) = self.log.append(key, value).await {
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

    #[tokio::test]
    async fn topics_are_recorded_in_kafka_connects_format_and_reset() {
        let logs = MemoryLogs::new();
        let writer = StatusStore::start(&logs, "statuses").await.unwrap();
        let reader = StatusStore::start(&logs, "statuses").await.unwrap();
        writer.record_topic("c", "orders", 1).await;
        writer.record_topic("c", "orders", 0).await;
        writer.record_topic("c", "a.b-c_d", 0).await;
        writer.record_topic("other", "orders", 0).await;
        reader.read_to_end().await.unwrap();
        assert_eq!(reader.active_topics("c"), vec!["a.b-c_d", "orders"]);
        let first = lock(&reader.topics)["c"]["orders"].clone();
        assert_eq!(
            (first.task, first.connector.as_str()),
            (1, "c"),
            "the first use is kept"
        );
        assert_eq!(
            parse_topic_key("status-topic-orders:connector-my:connector"),
            Some(("orders", "my:connector"))
        );

        writer.reset_topics("c").await;
        reader.read_to_end().await.unwrap();
        assert!(reader.active_topics("c").is_empty());
        assert_eq!(reader.active_topics("other"), vec!["orders"]);
    }
}
