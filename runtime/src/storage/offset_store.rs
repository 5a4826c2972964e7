//! Source offsets on the offsets topic: key `["<connector>", {partition}]`, value the offset map
//! (a tombstone forgets the partition), as Kafka Connect writes them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;
use weir_connector_api::SourceMap;

use super::{Log, LogRecord, Logs, StorageError};
use crate::sync::lock;

/// Offsets by connector, then by the partition's JSON text.
type Offsets = BTreeMap<String, BTreeMap<String, (SourceMap, SourceMap)>>;

/// The offsets topic, read into memory and written as tasks commit.
#[derive(Clone)]
pub struct OffsetStore {
    topic: Arc<str>,
    log: Arc<dyn Log>,
    offsets: Arc<Mutex<Offsets>>,
}

/// The offsets-topic key of a connector's source partition, with the partition's fields sorted
/// by name at every depth: the same partition always has the same key (hence the same record to
/// compact and the same offsets-topic partition), whatever order a connector or a REST client
/// wrote its fields in.
fn key(connector: &str, partition: &SourceMap) -> String {
    Json::Array(vec![connector.into(), canonical(&Json::Object(partition.clone()))]).to_string()
}

/// A source partition's identity in memory: its canonical JSON text.
pub(super) fn partition_id(partition: &SourceMap) -> String {
    canonical(&Json::Object(partition.clone())).to_string()
}

/// The same JSON with every object's fields in name order.
fn canonical(json: &Json) -> Json {
    match json {
        Json::Object(fields) => {
            let sorted: BTreeMap<&String, &Json> = fields.iter().collect();
            Json::Object(sorted.into_iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        }
        Json::Array(items) => Json::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

impl OffsetStore {
    /// Starts reading the offsets topic.
    pub async fn start(logs: &dyn Logs, topic: &str) -> Result<Self, StorageError> {
        let offsets: Arc<Mutex<Offsets>> = Arc::default();
        let apply = {
            let offsets = offsets.clone();
            Box::new(move |record: LogRecord<'_>| {
                let Some(Ok(Json::Array(parts))) = record.key.map(serde_json::from_slice::<Json>) else {
                    return;
                };
                let [Json::String(connector), Json::Object(partition)] = parts.as_slice() else {
                    return;
                };
                let offset = record.value.and_then(|v| serde_json::from_slice::<SourceMap>(v).ok());
                apply(&mut lock(&offsets), connector, partition, offset);
            })
        };
        let log = logs.open(topic, apply).await?;
        Ok(OffsetStore {
            topic: topic.into(),
            log,
            offsets,
        })
    }

    /// Waits until every offset written so far is read.
    pub async fn read_to_end(&self) -> Result<(), StorageError> {
        self.log.read_to_end().await
    }

    /// Every partition and offset stored for a connector.
    pub fn connector_offsets(&self, connector: &str) -> Vec<(SourceMap, SourceMap)> {
        lock(&self.offsets)
            .get(connector)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Writes offsets (`None` forgets the partition) and returns once the broker acknowledged
    /// every one of them.
    pub async fn put(&self, connector: &str, offsets: &[(SourceMap, Option<SourceMap>)]) -> Result<(), StorageError> {
        let writes = offsets.iter().map(|(partition, offset)| {
            let (key, value) = Self::record(connector, partition, offset.as_ref());
            async move { self.log.append(&key, value.as_deref()).await }
        });
        futures::future::try_join_all(writes).await?;
        let mut all = lock(&self.offsets);
        for (partition, offset) in offsets {
            apply(&mut all, connector, partition, offset.clone());
        }
        Ok(())
    }

    /// The offsets-topic record of a source partition's offset: its key, and its value (`None`,
    /// a tombstone, forgets the partition).
    pub fn record(connector: &str, partition: &SourceMap, offset: Option<&SourceMap>) -> (String, Option<Vec<u8>>) {
        let value = offset.map(|o| Json::Object(o.clone()).to_string().into_bytes());
        (key(connector, partition), value)
    }

    /// The offsets topic's name, for a source task that writes its offsets in its own
    /// transactions (with [`OffsetStore::record`]).
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Takes offsets that a source task's transaction wrote and Kafka committed, before the
    /// topic's reader gets to them.
    pub fn committed(&self, connector: &str, offsets: &[(SourceMap, SourceMap)]) {
        let mut all = lock(&self.offsets);
        for (partition, offset) in offsets {
            apply(&mut all, connector, partition, Some(offset.clone()));
        }
    }

    /// The committed offset of one of a connector's partitions.
    pub fn offset(&self, connector: &str, partition: &SourceMap) -> Option<SourceMap> {
        lock(&self.offsets)
            .get(connector)?
            .get(&partition_id(partition))
            .map(|(_, offset)| offset.clone())
    }
}

fn apply(all: &mut Offsets, connector: &str, partition: &SourceMap, offset: Option<SourceMap>) {
    let id = partition_id(partition);
    match offset {
        Some(offset) => {
            all.entry(connector.to_owned())
                .or_default()
                .insert(id, (partition.clone(), offset));
        }
        None => {
            if let Some(partitions) = all.get_mut(connector) {
                partitions.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_kafka_connect() {
        let partition = SourceMap::from_iter([("filename".to_owned(), Json::from("/tmp/in.txt"))]);
        assert_eq!(
            key("local-file-source", &partition),
            r#"["local-file-source",{"filename":"/tmp/in.txt"}]"#
        );
    }

    #[test]
    fn keys_sort_fields_at_every_depth_whatever_the_order_written() {
        let written: SourceMap =
            serde_json::from_str(r#"{"topic": "t", "bucket": "b", "at": {"z": 1, "a": 2}}"#).unwrap();
        assert_eq!(
            key("c", &written),
            r#"["c",{"at":{"a":2,"z":1},"bucket":"b","topic":"t"}]"#
        );
    }

    #[test]
    fn partitions_are_the_same_whatever_their_field_order() {
        let ab: SourceMap = serde_json::from_str(r#"{"a": 1, "b": "x"}"#).unwrap();
        let ba: SourceMap = serde_json::from_str(r#"{"b": "x", "a": 1}"#).unwrap();
        assert_eq!(partition_id(&ab), partition_id(&ba));
        let mut all = Offsets::new();
        let offset = SourceMap::from_iter([("position".to_owned(), Json::from(5))]);
        apply(&mut all, "c", &ab, Some(offset));
        apply(&mut all, "c", &ba, None);
        assert!(all["c"].is_empty());
    }

    #[test]
    fn tombstones_forget_partitions() {
        let mut all = Offsets::new();
        let partition = SourceMap::from_iter([("f".to_owned(), Json::from("a"))]);
        let offset = SourceMap::from_iter([("position".to_owned(), Json::from(5))]);
        apply(&mut all, "c", &partition, Some(offset));
        assert_eq!(all["c"].len(), 1);
        apply(&mut all, "c", &partition, None);
        assert!(all["c"].is_empty());
    }
}
