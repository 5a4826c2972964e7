//! Which offsets topics a source connector uses (Kafka Connect's `ConnectorOffsetBackingStore`):
//! the worker's `offset.storage.topic`, or the connector's own `offsets.storage.topic` (KIP-618)
//! with the worker's as a fallback.
//!
//! With a topic of its own, a connector's offsets are read from both, its own winning, and
//! written to its own first, then to the worker's; tombstones go to the worker's first, so that
//! a partition forgotten in the connector's topic is not found again in the worker's.

use std::collections::BTreeMap;
use std::sync::Arc;

use weir_connector_api::{OffsetReader, SourceMap};

use super::offset_store::partition_id;
use super::{Logs, OffsetStore, StorageError};
use crate::config::worker::InternalTopic;

/// The worker's offsets topic and the connectors' own ones it has opened, each read once and
/// shared by every task and request that needs it.
#[derive(Clone)]
pub struct OffsetStores {
    worker: OffsetStore,
    logs: Arc<dyn Logs>,
    /// The worker's offsets topic: a connector's own is created with its partitions and
    /// replication factor, as Kafka Connect does.
    shape: InternalTopic,
    opened: Arc<tokio::sync::Mutex<BTreeMap<String, OffsetStore>>>,
}

impl OffsetStores {
    /// The worker's offsets topic (already started, shaped as `shape` says), and `logs` to open
    /// the connectors' own.
    pub fn new(worker: OffsetStore, logs: Arc<dyn Logs>, shape: InternalTopic) -> Self {
        OffsetStores {
            worker,
            logs,
            shape,
            opened: Arc::default(),
        }
    }

    /// The worker's own offsets topic.
    pub fn worker(&self) -> &OffsetStore {
        &self.worker
    }

    /// The offsets of a connector whose `offsets.storage.topic` is `own` (`None` or the
    /// worker's topic: the worker's alone). A topic of its own is created if missing and read to
    /// its end the first time.
    pub async fn connector(&self, own: Option<&str>) -> Result<ConnectorOffsets, StorageError> {
        let own = own
            .map(str::trim)
            .filter(|t| !t.is_empty() && *t != self.worker.topic());
        let Some(topic) = own else {
            return Ok(ConnectorOffsets {
                primary: self.worker.clone(),
                fallback: None,
            });
        };
        let mut opened = self.opened.lock().await;
        let store = match opened.get(topic) {
            Some(store) => store.clone(),
            None => {
                let shape = InternalTopic {
                    name: topic.to_owned(),
                    ..self.shape.clone()
                };
                self.logs.create(&shape).await?;
                let store = OffsetStore::start(self.logs.as_ref(), topic).await?;
                store.read_to_end().await?;
                tracing::info!(topic, "reading a connector's own offsets topic");
                opened.insert(topic.to_owned(), store.clone());
                store
            }
        };
        Ok(ConnectorOffsets {
            primary: store,
            fallback: Some(self.worker.clone()),
        })
    }
}

/// One connector's offsets topics: where its offsets are written first and read first, and the
/// worker's topic behind it when the connector has its own.
#[derive(Clone)]
pub struct ConnectorOffsets {
    primary: OffsetStore,
    fallback: Option<OffsetStore>,
}

impl ConnectorOffsets {
    /// The topic the connector's offsets are written to first (in an exactly-once task's
    /// transactions).
    pub fn topic(&self) -> &str {
        self.primary.topic()
    }

    /// Waits until every offset written so far to either topic is read.
    pub async fn read_to_end(&self) -> Result<(), StorageError> {
        self.primary.read_to_end().await?;
        match &self.fallback {
            Some(worker) => worker.read_to_end().await,
            None => Ok(()),
        }
    }

    /// Every partition and offset stored for `connector`, its own topic's winning.
    pub fn connector_offsets(&self, connector: &str) -> Vec<(SourceMap, SourceMap)> {
        let mut merged: BTreeMap<String, (SourceMap, SourceMap)> = BTreeMap::new();
        for store in self.fallback.iter().chain([&self.primary]) {
            for (partition, offset) in store.connector_offsets(connector) {
                merged.insert(partition_id(&partition), (partition, offset));
            }
        }
        merged.into_values().collect()
    }

    /// Writes offsets (`None` forgets the partition), returning once the primary topic has
    /// acknowledged them. With a topic of its own, tombstones reach the worker's topic before
    /// anything is written to the connector's, and the other offsets are copied to the worker's
    /// topic afterwards; a failure of that copy is only logged, as in Kafka Connect.
    pub async fn put(&self, connector: &str, offsets: &[(SourceMap, Option<SourceMap>)]) -> Result<(), StorageError> {
        let Some(worker) = &self.fallback else {
            return self.primary.put(connector, offsets).await;
        };
        let (tombstones, regular): (Vec<_>, Vec<_>) = offsets.iter().cloned().partition(|(_, o)| o.is_none());
        if !tombstones.is_empty() {
            worker.put(connector, &tombstones).await?;
        }
        self.primary.put(connector, offsets).await?;
        copy_to_worker(worker.clone(), connector, regular);
        Ok(())
    }

    /// Takes offsets that a source task's transaction wrote to [`topic`](Self::topic) and Kafka
    /// committed, and copies them to the worker's topic when the connector has its own.
    pub fn committed(&self, connector: &str, offsets: &[(SourceMap, SourceMap)]) {
        self.primary.committed(connector, offsets);
        if let Some(worker) = &self.fallback {
            let regular = offsets.iter().map(|(p, o)| (p.clone(), Some(o.clone()))).collect();
            copy_to_worker(worker.clone(), connector, regular);
        }
    }

    /// A reader of one connector's offsets, for its tasks.
    pub fn reader(&self, connector: &str) -> ConnectorOffsetReader {
        ConnectorOffsetReader {
            offsets: self.clone(),
            connector: connector.to_owned(),
        }
    }
}

/// Writes a connector's offsets to the worker's topic in the background: the secondary copy
/// that a worker without the connector's topic would read.
fn copy_to_worker(worker: OffsetStore, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>) {
    if offsets.is_empty() {
        return;
    }
    let connector = connector.to_owned();
    tokio::spawn(async move {
        if let Err(e) = worker.put(&connector, &offsets).await {
            tracing::warn!(connector, error = %e, "could not copy offsets to the worker's offsets topic");
        }
    });
}

/// One connector's committed offsets, as its tasks see them: its own topic's, else the worker's.
pub struct ConnectorOffsetReader {
    offsets: ConnectorOffsets,
    connector: String,
}

impl OffsetReader for ConnectorOffsetReader {
    fn offset(&self, partition: &SourceMap) -> Option<SourceMap> {
        let stores = [Some(&self.offsets.primary), self.offsets.fallback.as_ref()];
        stores
            .into_iter()
            .flatten()
            .find_map(|store| store.offset(&self.connector, partition))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value as Json;

    use super::*;
    use crate::storage::MemoryLogs;

    fn map(json: &str) -> SourceMap {
        serde_json::from_str(json).unwrap()
    }

    async fn stores(logs: &MemoryLogs) -> OffsetStores {
        let worker = OffsetStore::start(logs, "worker-offsets").await.unwrap();
        let shape = InternalTopic {
            name: "worker-offsets".into(),
            partitions: 25,
            replication_factor: 1,
        };
        OffsetStores::new(worker, Arc::new(logs.clone()), shape)
    }

    #[tokio::test]
    async fn without_a_topic_of_its_own_a_connector_uses_the_workers() {
        let logs = MemoryLogs::new();
        let stores = stores(&logs).await;
        for own in [None, Some(""), Some("worker-offsets")] {
            let offsets = stores.connector(own).await.unwrap();
            assert_eq!(offsets.topic(), "worker-offsets");
        }
    }

    #[tokio::test]
    async fn its_own_topic_wins_and_the_workers_is_the_fallback() {
        let logs = MemoryLogs::new();
        let stores = stores(&logs).await;
        let worker = stores.connector(None).await.unwrap();
        let (a, b) = (map(r#"{"file": "a"}"#), map(r#"{"file": "b"}"#));
        worker
            .put(
                "c",
                &[
                    (a.clone(), Some(map(r#"{"line": 1}"#))),
                    (b.clone(), Some(map(r#"{"line": 7}"#))),
                ],
            )
            .await
            .unwrap();

        let own = stores.connector(Some("c-offsets")).await.unwrap();
        assert_eq!(own.topic(), "c-offsets");
        own.put("c", &[(a.clone(), Some(map(r#"{"line": 2}"#)))]).await.unwrap();
        let reader = own.reader("c");
        assert_eq!(reader.offset(&a), Some(map(r#"{"line": 2}"#)));
        assert_eq!(
            reader.offset(&b),
            Some(map(r#"{"line": 7}"#)),
            "read from the worker's topic"
        );
        let all: Vec<Json> = own
            .connector_offsets("c")
            .into_iter()
            .map(|(_, o)| Json::Object(o))
            .collect();
        assert_eq!(
            all,
            vec![serde_json::json!({"line": 2}), serde_json::json!({"line": 7})]
        );
    }

    #[tokio::test]
    async fn a_tombstone_forgets_the_partition_in_both_topics() {
        let logs = MemoryLogs::new();
        let stores = stores(&logs).await;
        let a = map(r#"{"file": "a"}"#);
        let own = stores.connector(Some("c-offsets")).await.unwrap();
        own.put("c", &[(a.clone(), Some(map(r#"{"line": 2}"#)))]).await.unwrap();
        // The copy to the worker's topic runs in the background.
        let worker = stores.connector(None).await.unwrap();
        for _ in 0..100 {
            if !worker.connector_offsets("c").is_empty() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(
            worker.reader("c").offset(&a),
            Some(map(r#"{"line": 2}"#)),
            "copied to the worker's"
        );
        own.put("c", &[(a.clone(), None)]).await.unwrap();
        assert_eq!(own.reader("c").offset(&a), None);
        assert!(own.connector_offsets("c").is_empty());
    }

    #[tokio::test]
    async fn a_topic_of_its_own_is_opened_once() {
        let logs = MemoryLogs::new();
        let stores = stores(&logs).await;
        let first = stores.connector(Some("c-offsets")).await.unwrap();
        first
            .put("c", &[(map(r#"{"f": 1}"#), Some(map(r#"{"n": 1}"#)))])
            .await
            .unwrap();
        let second = stores.connector(Some(" c-offsets ")).await.unwrap();
        assert_eq!(second.connector_offsets("c").len(), 1);
        assert_eq!(stores.opened.lock().await.len(), 1);
    }
}
