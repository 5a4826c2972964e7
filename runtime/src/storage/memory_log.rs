//! Logs in memory, for tests of the stores, the herder and the task runners without a broker.
//! Topics are shared by name, so several stores (or several workers' stores) opened on one
//! [`MemoryLogs`] see each other's writes, as they would on one Kafka cluster.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::StorageError;
use super::log::{Apply, Log, LogRecord, Logs, Position};
use crate::config::worker::InternalTopic;
use crate::sync::lock;

/// A record as kept.
type Stored = (Option<Vec<u8>>, Option<Vec<u8>>);

/// One topic of one partition: its records and the readers applying them.
#[derive(Default)]
struct Topic {
    records: Vec<Stored>,
    readers: Vec<Apply>,
}

impl Topic {
    /// Applies the record at `offset` to one reader.
    fn deliver(reader: &mut Apply, offset: usize, (key, value): &Stored) {
        reader(LogRecord {
            partition: 0,
            offset: offset as i64,
            key: key.as_deref(),
            value: value.as_deref(),
        });
    }
}

/// Topics in memory, by name: every write is applied to every reader before it is acknowledged.
#[derive(Clone, Default)]
pub struct MemoryLogs {
    topics: Arc<Mutex<HashMap<String, Arc<Mutex<Topic>>>>>,
}

impl MemoryLogs {
    /// No topics yet.
    pub fn new() -> Self {
        MemoryLogs::default()
    }

    fn topic(&self, name: &str) -> Arc<Mutex<Topic>> {
        lock(&self.topics).entry(name.to_owned()).or_default().clone()
    }

    /// How many records a topic holds (tombstones included).
    pub fn len(&self, topic: &str) -> usize {
        lock(&self.topic(topic)).records.len()
    }

    /// Whether a topic holds no record.
    pub fn is_empty(&self, topic: &str) -> bool {
        self.len(topic) == 0
    }
}

/// A reader's handle on a memory topic.
struct MemoryLog {
    topic: Arc<Mutex<Topic>>,
}

#[async_trait]
impl Logs for MemoryLogs {
    async fn open(&self, topic: &str, mut apply: Apply) -> Result<Arc<dyn Log>, StorageError> {
        let shared = self.topic(topic);
        {
            let mut topic = lock(&shared);
            for (offset, record) in topic.records.iter().enumerate() {
                Topic::deliver(&mut apply, offset, record);
            }
            topic.readers.push(apply);
        }
        Ok(Arc::new(MemoryLog { topic: shared }))
    }

    /// Memory topics exist once named.
    async fn create(&self, _topic: &InternalTopic) -> Result<(), StorageError> {
        Ok(())
    }
}

#[async_trait]
impl Log for MemoryLog {
    async fn append(&self, key: &str, value: Option<&[u8]>) -> Result<Position, StorageError> {
        let mut topic = lock(&self.topic);
        let record = (Some(key.as_bytes().to_vec()), value.map(<[u8]>::to_vec));
        let offset = topic.records.len();
        let Topic { records, readers } = &mut *topic;
        for reader in readers.iter_mut() {
            Topic::deliver(reader, offset, &record);
        }
        records.push(record);
        Ok((0, offset as i64))
    }

    async fn applied(&self, _position: Position) -> Result<(), StorageError> {
        Ok(())
    }

    async fn read_to_end(&self) -> Result<(), StorageError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a test reader saw: offsets and values.
    type Seen = Arc<Mutex<Vec<(i64, Option<Vec<u8>>)>>>;

    #[tokio::test]
    async fn readers_see_earlier_and_later_records_in_order() {
        let logs = MemoryLogs::new();
        let seen = Seen::default();
        let reader = |seen: Seen| -> Apply {
            Box::new(move |r: LogRecord<'_>| lock(&seen).push((r.offset, r.value.map(<[u8]>::to_vec))))
        };
        let first = logs.open("t", reader(seen.clone())).await.unwrap();
        first.send("k", Some(b"a")).await.unwrap();
        let late = Seen::default();
        let second = logs.open("t", reader(late.clone())).await.unwrap();
        assert_eq!(second.append("k", None).await.unwrap(), (0, 1));
        let expected = vec![(0, Some(b"a".to_vec())), (1, None)];
        assert_eq!(*lock(&seen), expected);
        assert_eq!(*lock(&late), expected);
        assert_eq!(logs.len("t"), 2);
    }
}
