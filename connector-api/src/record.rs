//! The records that cross between connectors and the runtime. Schemas are shared (`Arc`): a
//! connector builds one per table or topic, not one per record.

use std::sync::Arc;

use crate::data::{Schema, Value};

/// A source partition or offset: a JSON map of primitive values, as Kafka Connect stores them.
pub type SourceMap = serde_json::Map<String, serde_json::Value>;

/// A Kafka topic partition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
}

/// A record header. Values are raw bytes; `None` is a null header value.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// The header key.
    pub key: String,
    /// The header value.
    pub value: Option<Vec<u8>>,
}

/// A record produced by a source task, bound for Kafka.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceRecord {
    /// Where in the external system the record comes from, e.g. `{"filename": ...}`.
    pub source_partition: SourceMap,
    /// How far into that source partition this record is, e.g. `{"position": 42}`.
    pub source_offset: SourceMap,
    /// The destination topic.
    pub topic: String,
    /// The destination partition; `None` lets the producer choose from the key.
    pub partition: Option<i32>,
    /// The key's schema, if it has one.
    pub key_schema: Option<Arc<Schema>>,
    /// The key.
    pub key: Value,
    /// The value's schema, if it has one.
    pub value_schema: Option<Arc<Schema>>,
    /// The value; [`Value::Null`] is a tombstone.
    pub value: Value,
    /// The timestamp in milliseconds since the epoch; `None` lets the producer stamp it.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Vec<Header>,
}

impl SourceRecord {
    /// A record with a value and no key.
    pub fn new(
        source_partition: SourceMap,
        source_offset: SourceMap,
        topic: impl Into<String>,
        value_schema: Option<Arc<Schema>>,
        value: Value,
    ) -> Self {
        SourceRecord {
            source_partition,
            source_offset,
            topic: topic.into(),
            partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema,
            value,
            timestamp: None,
            headers: Vec::new(),
        }
    }

    /// The same record, with a key.
    pub fn with_key(mut self, key_schema: Option<Arc<Schema>>, key: Value) -> Self {
        self.key_schema = key_schema;
        self.key = key;
        self
    }
}

/// A record consumed from Kafka, handed to a sink task.
#[derive(Clone, Debug, PartialEq)]
pub struct SinkRecord {
    /// The topic it was read from.
    pub topic: String,
    /// The partition it was read from.
    pub partition: i32,
    /// Its offset in that partition.
    pub offset: i64,
    /// The key's schema, if the converter found one.
    pub key_schema: Option<Arc<Schema>>,
    /// The key.
    pub key: Value,
    /// The value's schema, if the converter found one.
    pub value_schema: Option<Arc<Schema>>,
    /// The value; [`Value::Null`] is a tombstone.
    pub value: Value,
    /// The timestamp in milliseconds since the epoch.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Vec<Header>,
}
