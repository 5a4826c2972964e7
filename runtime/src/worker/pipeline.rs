//! The record pipeline both task runners share: what happens to a record between the task and
//! Kafka. Sources: poll → converters → producer; sinks: consumer → converters → put. A record
//! that fails says at which stage, for the error handler.

use std::sync::Arc;

use rdkafka::message::{Headers, Message, OwnedMessage};
use weir_connector_api::{Converter, Header, SinkRecord, SourceMap, SourceRecord};

use super::errors::{RecordFailure, Stage};

/// A converter and the class it was made from (failures name it).
#[derive(Clone)]
pub struct NamedConverter {
    /// The class.
    pub class: String,
    /// The converter.
    pub converter: Arc<dyn Converter>,
}

/// A record ready for the producer.
pub struct Outgoing {
    /// The topic.
    pub topic: String,
    /// The partition, if chosen.
    pub partition: Option<i32>,
    /// The timestamp, if set.
    pub timestamp: Option<i64>,
    /// The key's bytes.
    pub key: Option<Vec<u8>>,
    /// The value's bytes.
    pub value: Option<Vec<u8>>,
    /// The headers' bytes.
    pub headers: Vec<Header>,
}

/// What became of a source record.
pub enum SourceOutcome {
    /// It goes to Kafka.
    Send(Outgoing),
    /// It failed; `topic` is where the task sent it.
    Failed {
        /// Why.
        failure: RecordFailure,
        /// The record's topic as the task gave it.
        topic: String,
    },
}

/// A source record through the pipeline: where it comes from, and what became of it.
pub struct Processed {
    /// Its source partition.
    pub source_partition: SourceMap,
    /// Its source offset.
    pub source_offset: SourceMap,
    /// What became of it.
    pub outcome: SourceOutcome,
}

/// The pipeline of a source task.
pub struct SourcePipeline {
    key: NamedConverter,
    value: NamedConverter,
}

impl SourcePipeline {
    /// A pipeline converting keys and values with these converters.
    pub fn new(key: NamedConverter, value: NamedConverter) -> Self {
        SourcePipeline { key, value }
    }

    /// Takes a record the task polled to what the producer sends.
    pub fn process(&mut self, record: SourceRecord) -> Processed {
        let SourceRecord {
            source_partition,
            source_offset,
            topic,
            partition,
            key_schema,
            key,
            value_schema,
            value,
            timestamp,
            headers,
        } = record;
        let encoded = encode(&self.key, Stage::KeyConverter, &topic, key_schema.as_deref(), &key).and_then(|key| {
            let value = encode(
                &self.value,
                Stage::ValueConverter,
                &topic,
                value_schema.as_deref(),
                &value,
            )?;
            Ok((key, value))
        });
        let outcome = match encoded {
            Ok((key, value)) => SourceOutcome::Send(Outgoing {
                topic,
                partition,
                timestamp,
                key,
                value,
                headers,
            }),
            Err(failure) => SourceOutcome::Failed { failure, topic },
        };
        Processed {
            source_partition,
            source_offset,
            outcome,
        }
    }
}

/// Serializes a key or value.
fn encode(
    converter: &NamedConverter,
    stage: Stage,
    topic: &str,
    schema: Option<&weir_connector_api::Schema>,
    value: &weir_connector_api::Value,
) -> Result<Option<Vec<u8>>, RecordFailure> {
    converter
        .converter
        .encode(topic, schema, value)
        .map_err(|e| RecordFailure::new(stage, &converter.class, e))
}

/// The pipeline of a sink task.
pub struct SinkPipeline {
    key: NamedConverter,
    value: NamedConverter,
}

impl SinkPipeline {
    /// A pipeline converting keys and values with these converters.
    pub fn new(key: NamedConverter, value: NamedConverter) -> Self {
        SinkPipeline { key, value }
    }

    /// Takes a consumed message to what the task's `put` gets.
    pub fn process(&mut self, message: &OwnedMessage) -> Result<SinkRecord, RecordFailure> {
        let topic = message.topic();
        let (key_schema, key) = decode(&self.key, Stage::KeyConverter, topic, message.key())?;
        let (value_schema, value) = decode(&self.value, Stage::ValueConverter, topic, message.payload())?;
        let headers = message
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| Header {
                        key: h.key.to_owned(),
                        value: h.value.map(<[u8]>::to_vec),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(SinkRecord {
            topic: topic.to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            key_schema: key_schema.map(Arc::new),
            key,
            value_schema: value_schema.map(Arc::new),
            value,
            timestamp: message.timestamp().to_millis(),
            headers,
        })
    }
}

/// Deserializes a key or value.
fn decode(
    converter: &NamedConverter,
    stage: Stage,
    topic: &str,
    data: Option<&[u8]>,
) -> Result<(Option<weir_connector_api::Schema>, weir_connector_api::Value), RecordFailure> {
    converter
        .converter
        .decode(topic, data)
        .map_err(|e| RecordFailure::new(stage, &converter.class, e))
}
