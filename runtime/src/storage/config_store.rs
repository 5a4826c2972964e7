//! Connector configs, task configs, target states, the session key and exactly-once fencing on
//! the config topic, in Kafka Connect's record format (`connector-<name>`, `task-<name>-<n>`,
//! `commit-<name>`, `target-state-<name>`, `restart-connector-<name>`, `session-key`,
//! `tasks-fencing-<name>`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value as Json, json};
use tokio::sync::{mpsc, watch};
use weir_connector_api::Props;

use super::{Log, LogRecord, Logs, StorageError};
use crate::model::{ClusterConfig, RestartRequest, SessionKey, TargetState};
use crate::sync::lock;

/// The config topic as read so far: the cluster's config, and task configs written but not
/// yet committed (they take effect when their `commit-<name>` record is read).
#[derive(Default)]
struct Reader {
    config: ClusterConfig,
    pending_tasks: BTreeMap<String, BTreeMap<usize, Props>>,
}

impl Reader {
    /// Reads one record of the config topic into the state; returns the notice it carries, if
    /// any. A record whose key is not text is skipped (but still read).
    fn read(&mut self, record: LogRecord<'_>) -> Option<ConfigNotice> {
        self.config.offset = record.offset;
        let key = record.key.and_then(|k| std::str::from_utf8(k).ok())?;
        let value: Option<Json> = record.value.and_then(|v| serde_json::from_slice(v).ok());
        self.apply(key, value.as_ref())
    }

    /// Applies one record of the config topic; returns the notice it carries, if any.
    fn apply(&mut self, key: &str, value: Option<&Json>) -> Option<ConfigNotice> {
        let config = &mut self.config;
        let props = |v: Option<&Json>| -> Option<Props> {
            let map = v?.get("properties")?.as_object()?;
            Some(
                map.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                    .collect(),
            )
        };
        if let Some(name) = key.strip_prefix("connector-") {
            match props(value) {
                Some(p) => {
                    config.connectors.insert(name.to_owned(), p);
                }
                None => {
                    config.connectors.remove(name);
                    config.tasks.remove(name);
                    self.pending_tasks.remove(name);
                }
            }
        } else if let Some(name) = key.strip_prefix("target-state-") {
            let state = value
                .and_then(|v| v.get("state.v2").or_else(|| v.get("state")))
                .and_then(Json::as_str)
                .and_then(TargetState::parse);
            match state {
                Some(state) => config.target_states.insert(name.to_owned(), state),
                None => config.target_states.remove(name),
            };
        } else if let Some(rest) = key.strip_prefix("task-") {
            let (name, index) = rest.rsplit_once('-')?;
            let index: usize = index.parse().ok()?;
            if let Some(p) = props(value) {
                self.pending_tasks.entry(name.to_owned()).or_default().insert(index, p);
            }
        } else if let Some(name) = key.strip_prefix("commit-") {
            let count = value.and_then(|v| v.get("tasks")).and_then(Json::as_u64)? as usize;
            let mut pending = self.pending_tasks.remove(name).unwrap_or_default();
            let configs: Option<Vec<Props>> = (0..count).map(|i| pending.remove(&i)).collect();
            match configs {
                Some(configs) => {
                    config.tasks.insert(name.to_owned(), configs);
                    config.pending_fencing.insert(name.to_owned());
                }
                None => tracing::warn!(
                    connector = name,
                    count,
                    "task configs commit refers to task configs never written; ignored"
                ),
            }
        } else if let Some(name) = key.strip_prefix(TASK_COUNT_PREFIX) {
            if let Some(count) = value.and_then(|v| v.get("task-count")).and_then(Json::as_u64) {
                config.task_counts.insert(name.to_owned(), count as usize);
                config.pending_fencing.remove(name);
            }
        } else if key == SESSION_KEY {
            match value.map(session_key) {
                Some(Some(session_key)) => config.session_key = Some(session_key),
                Some(None) => tracing::warn!("a session key record is malformed; ignored"),
                None => {}
            }
        } else if let Some(name) = key.strip_prefix("restart-connector-") {
            let flag = |k: &str| value.and_then(|v| v.get(k)).and_then(Json::as_bool).unwrap_or(false);
            return Some(ConfigNotice::Restart(RestartRequest {
                connector: name.to_owned(),
                include_tasks: flag("include-tasks"),
                only_failed: flag("only-failed"),
            }));
        } else if let Some(namespace) = key.strip_prefix(LOGGER_PREFIX) {
            match value.and_then(|v| v.get("level")).and_then(Json::as_str) {
                Some(level) => {
                    return Some(ConfigNotice::LoggerLevel {
                        namespace: namespace.to_owned(),
                        level: level.to_owned(),
                    });
                }
                None => tracing::error!(%namespace, "ignoring a cluster log level record without a level"),
            }
        }
        None
    }
}

/// What a record of the config topic asks of the workers that read it once they have started
/// (read before, it is history).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigNotice {
    /// Restart a connector and, per the flags, its tasks.
    Restart(RestartRequest),
    /// Set a logger's level on every worker (Kafka Connect's `?scope=cluster`).
    LoggerLevel {
        /// The logger.
        namespace: String,
        /// The level, as given.
        level: String,
    },
}

/// The key prefix of a cluster-wide log level record.
const LOGGER_PREFIX: &str = "logger-cluster-";

/// The key prefix of a connector's task count record, written once its older exactly-once
/// tasks are fenced.
const TASK_COUNT_PREFIX: &str = "tasks-fencing-";

/// The key of the session key's record.
const SESSION_KEY: &str = "session-key";

/// A session key record's value: `{"key" (base64), "algorithm", "creation-timestamp"}`.
fn session_key(value: &Json) -> Option<SessionKey> {
    let key = BASE64.decode(value.get("key")?.as_str()?).ok()?;
    Some(SessionKey {
        key,
        algorithm: value.get("algorithm")?.as_str()?.to_owned(),
        created_ms: value.get("creation-timestamp")?.as_i64()?,
    })
}

/// The shared state the reader applies records to.
struct Shared {
    reader: Mutex<Reader>,
    /// Forwards notices once the initial read is done (older ones are history).
    notices: Mutex<Option<mpsc::UnboundedSender<ConfigNotice>>>,
}

/// The config topic: read into a [`ClusterConfig`], written one record per change. Clones share
/// one reader.
#[derive(Clone)]
pub struct ConfigStore {
    log: Arc<dyn Log>,
    shared: Arc<Shared>,
    changed: watch::Receiver<u64>,
}

impl ConfigStore {
    /// Starts reading the config topic.
    pub async fn start(logs: &dyn Logs, topic: &str) -> Result<Self, StorageError> {
        let shared = Arc::new(Shared {
            reader: Mutex::default(),
            notices: Mutex::new(None),
        });
        let (changed_tx, changed) = watch::channel(0u64);
        let apply = {
            let shared = shared.clone();
            Box::new(move |record: LogRecord<'_>| {
                let notice = lock(&shared.reader).read(record);
                if let (Some(notice), Some(tx)) = (notice, lock(&shared.notices).as_ref()) {
                    let _ = tx.send(notice);
                }
                changed_tx.send_modify(|v| *v += 1);
            })
        };
        let log = logs.open(topic, apply).await?;
        Ok(ConfigStore { log, shared, changed })
    }

    /// Reads the topic to its end, then starts forwarding the notices read to the returned
    /// receiver.
    pub async fn read_to_end(&self) -> Result<mpsc::UnboundedReceiver<ConfigNotice>, StorageError> {
        self.catch_up().await?;
        let (tx, rx) = mpsc::unbounded_channel();
        *lock(&self.shared.notices) = Some(tx);
        Ok(rx)
    }

    /// Waits until every record written so far is read.
    pub async fn catch_up(&self) -> Result<(), StorageError> {
        self.log.read_to_end().await
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> ClusterConfig {
        lock(&self.shared.reader).config.clone()
    }

    /// A receiver that changes whenever a record is applied.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changed.clone()
    }

    /// Writes a connector's config.
    pub async fn put_connector_config(&self, name: &str, props: &Props) -> Result<(), StorageError> {
        self.write(&format!("connector-{name}"), Some(json!({ "properties": props })))
            .await
    }

    /// Deletes a connector: tombstones for its config and target state.
    pub async fn remove_connector(&self, name: &str) -> Result<(), StorageError> {
        self.write(&format!("connector-{name}"), None).await?;
        self.write(&format!("target-state-{name}"), None).await
    }

    /// Writes a connector's task configs, then the commit record that makes them take effect.
    pub async fn put_task_configs(&self, name: &str, configs: &[Props]) -> Result<(), StorageError> {
        for (i, props) in configs.iter().enumerate() {
            self.log
                .append(
                    &format!("task-{name}-{i}"),
                    Some(&to_bytes(&json!({ "properties": props }))),
                )
                .await?;
        }
        self.write(&format!("commit-{name}"), Some(json!({ "tasks": configs.len() })))
            .await
    }

    /// Writes a connector's target state (`state` stays `PAUSED` for `STOPPED`, for older readers).
    pub async fn put_target_state(&self, name: &str, state: TargetState) -> Result<(), StorageError> {
        let legacy = if state == TargetState::Started {
            "STARTED"
        } else {
            "PAUSED"
        };
        self.write(
            &format!("target-state-{name}"),
            Some(json!({ "state": legacy, "state.v2": state.as_str() })),
        )
        .await
    }

    /// Writes a new session key, and returns once it is read back.
    pub async fn put_session_key(&self, key: &SessionKey) -> Result<(), StorageError> {
        let value = json!({
            "key": BASE64.encode(&key.key),
            "algorithm": key.algorithm,
            "creation-timestamp": key.created_ms,
        });
        self.write(SESSION_KEY, Some(value)).await
    }

    /// Writes a connector's task count record (`{"task-count": n}`): its tasks' producers
    /// before this generation are fenced.
    pub async fn put_task_count(&self, name: &str, count: usize) -> Result<(), StorageError> {
        self.write(
            &format!("{TASK_COUNT_PREFIX}{name}"),
            Some(json!({ "task-count": count })),
        )
        .await
    }

    /// Writes a restart request.
    pub async fn put_restart_request(&self, request: &RestartRequest) -> Result<(), StorageError> {
        let value = json!({ "include-tasks": request.include_tasks, "only-failed": request.only_failed });
        self.write(&format!("restart-connector-{}", request.connector), Some(value))
            .await
    }

    /// Writes a logger's level for every worker of the cluster.
    pub async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), StorageError> {
        self.write(&format!("{LOGGER_PREFIX}{namespace}"), Some(json!({ "level": level })))
            .await
    }

    async fn write(&self, key: &str, value: Option<Json>) -> Result<(), StorageError> {
        self.log.send(key, value.map(|v| to_bytes(&v)).as_deref()).await
    }
}

fn to_bytes(value: &Json) -> Vec<u8> {
    value.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(reader: &mut Reader, key: &str, value: Json) -> Option<ConfigNotice> {
        reader.apply(key, (!value.is_null()).then_some(&value))
    }

    #[test]
    fn task_configs_take_effect_on_commit() {
        let mut reader = Reader::default();
        apply(
            &mut reader,
            "connector-my-conn",
            json!({"properties": {"tasks.max": "2"}}),
        );
        apply(&mut reader, "task-my-conn-0", json!({"properties": {"file": "a"}}));
        apply(&mut reader, "task-my-conn-1", json!({"properties": {"file": "b"}}));
        assert!(reader.config.task_configs("my-conn").is_empty());
        apply(&mut reader, "commit-my-conn", json!({"tasks": 2}));
        assert_eq!(
            reader.config.task_configs("my-conn")[1].get("file").map(String::as_str),
            Some("b")
        );
        apply(&mut reader, "commit-my-conn", json!({"tasks": 0}));
        assert!(reader.config.task_configs("my-conn").is_empty());
    }

    #[test]
    fn task_configs_await_fencing_until_a_task_count_record() {
        let mut reader = Reader::default();
        apply(&mut reader, "task-c-0", json!({"properties": {}}));
        apply(&mut reader, "commit-c", json!({"tasks": 1}));
        assert!(reader.config.pending_fencing.contains("c"));
        apply(&mut reader, "tasks-fencing-c", json!({"task-count": 1}));
        assert!(!reader.config.pending_fencing.contains("c"));
        assert_eq!(reader.config.task_counts.get("c"), Some(&1));
        apply(&mut reader, "commit-c", json!({"tasks": 0}));
        assert!(
            reader.config.pending_fencing.contains("c"),
            "a new generation awaits fencing again"
        );
    }

    #[test]
    fn the_state_knows_the_offset_it_was_read_at() {
        let mut reader = Reader::default();
        assert_eq!(reader.config.offset, -1);
        let value = br#"{"properties": {"tasks.max": "1"}}"#;
        for (offset, key) in [(0, &b"connector-a"[..]), (1, &[0xff][..]), (2, &b"connector-b"[..])] {
            reader.read(LogRecord {
                partition: 0,
                offset,
                key: Some(key),
                value: Some(value),
            });
        }
        assert_eq!(reader.config.offset, 2);
        assert_eq!(reader.config.connectors.len(), 2);
    }

    #[tokio::test]
    async fn a_second_store_on_the_same_log_reads_what_the_first_wrote() {
        let logs = crate::storage::MemoryLogs::new();
        let first = ConfigStore::start(&logs, "configs").await.unwrap();
        let props = Props::from([("tasks.max".to_owned(), "2".to_owned())]);
        first.put_connector_config("c", &props).await.unwrap();
        first
            .put_task_configs("c", &[Props::new(), Props::new()])
            .await
            .unwrap();
        first.put_target_state("c", TargetState::Paused).await.unwrap();
        let second = ConfigStore::start(&logs, "configs").await.unwrap();
        let _restarts = second.read_to_end().await.unwrap();
        let seen = second.snapshot();
        assert_eq!(seen, first.snapshot());
        assert_eq!(seen.task_configs("c").len(), 2);
        assert_eq!(seen.target_state("c"), TargetState::Paused);
        assert_eq!(seen.offset, logs.len("configs") as i64 - 1);
    }

    #[test]
    fn the_session_key_is_read_as_kafka_connect_writes_it() {
        let mut reader = Reader::default();
        apply(
            &mut reader,
            "session-key",
            json!({"key": "AAEC", "algorithm": "HmacSHA256", "creation-timestamp": 1700000000000i64}),
        );
        assert_eq!(
            reader.config.session_key,
            Some(SessionKey {
                key: vec![0, 1, 2],
                algorithm: "HmacSHA256".into(),
                created_ms: 1_700_000_000_000,
            })
        );
        apply(&mut reader, "session-key", json!({"key": "not base64!"}));
        assert_eq!(
            reader.config.session_key.as_ref().map(|k| k.key.len()),
            Some(3),
            "a bad record keeps the last key"
        );
    }

    #[test]
    fn target_state_prefers_v2() {
        let mut reader = Reader::default();
        apply(
            &mut reader,
            "target-state-c",
            json!({"state": "PAUSED", "state.v2": "STOPPED"}),
        );
        assert_eq!(reader.config.target_state("c"), TargetState::Stopped);
        apply(&mut reader, "target-state-c", json!({"state": "PAUSED"}));
        assert_eq!(reader.config.target_state("c"), TargetState::Paused);
        apply(&mut reader, "target-state-c", Json::Null);
        assert_eq!(reader.config.target_state("c"), TargetState::Started);
    }

    #[test]
    fn tombstone_deletes_connector_and_restart_is_reported() {
        let mut reader = Reader::default();
        apply(&mut reader, "connector-c", json!({"properties": {}}));
        apply(&mut reader, "connector-c", Json::Null);
        assert!(reader.config.connectors.is_empty());
        let restart = apply(
            &mut reader,
            "restart-connector-c",
            json!({"include-tasks": true, "only-failed": false}),
        );
        assert_eq!(
            restart,
            Some(ConfigNotice::Restart(RestartRequest {
                connector: "c".into(),
                include_tasks: true,
                only_failed: false
            }))
        );
        assert_eq!(
            apply(
                &mut reader,
                "logger-cluster-org.apache.kafka.connect",
                json!({"level": "DEBUG"})
            ),
            Some(ConfigNotice::LoggerLevel {
                namespace: "org.apache.kafka.connect".into(),
                level: "DEBUG".into()
            })
        );
        assert_eq!(apply(&mut reader, "logger-cluster-x", json!({"level": 3})), None);
    }
}
