//! The record pipeline both task runners share: what happens to a record between the task and
//! Kafka, in Kafka Connect's order. Sources: poll → transforms → converters → producer; sinks:
//! consumer → converters → transforms → put. A record that fails says at which stage, for the
//! error handler.
//!
//! Headers a connector (or Kafka) gave as bytes reach the transforms as bytes without a schema,
//! and leave unchanged; the headers transforms add go through the header converter. Without
//! transforms, records skip the chain and headers are not touched.

use std::sync::Arc;

use rdkafka::message::{Headers, Message, OwnedMessage};
use weir_connector_api::{
    ConnectHeader, ConnectRecord, Converter, Header, HeaderConverter, Schema, SinkRecord, SourceMap, SourceRecord,
    Value,
};

use super::errors::{RecordFailure, Stage};
use super::transform_chain::TransformChain;

/// The figure counting the records a transform dropped: name and help.
pub const DROPPED_METRIC: (&str, &str) = ("records_dropped_total", "Records a transform dropped (Filter, say).");

/// A converter and the class it was made from (failures name it).
#[derive(Clone)]
pub struct NamedConverter {
    /// The class.
    pub class: String,
    /// The converter.
    pub converter: Arc<dyn Converter>,
}

/// A header converter and the class it was made from.
#[derive(Clone)]
pub struct NamedHeaderConverter {
    /// The class.
    pub class: String,
    /// The converter.
    pub converter: Arc<dyn HeaderConverter>,
}

/// The converters of one task.
#[derive(Clone)]
pub struct Converters {
    /// Keys.
    pub key: NamedConverter,
    /// Values.
    pub value: NamedConverter,
    /// Headers that transforms add.
    pub header: NamedHeaderConverter,
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
    /// A transform dropped it.
    Dropped,
    /// It failed; `topic` is where the task sent it.
    Failed {
        /// Why.
        failure: RecordFailure,
        /// The record's topic as the task gave it.
        topic: String,
        /// The record as it reached the converter that failed, when that one may pass if
        /// tried again ([`SourcePipeline::retry`]).
        retry: Option<Box<Pending>>,
    },
}

/// A transformed source record whose conversion failed for now, to try again.
pub struct Pending {
    record: ConnectRecord,
    headers: Vec<Header>,
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
    chain: TransformChain,
    converters: Converters,
}

impl SourcePipeline {
    /// A pipeline through these transforms and converters.
    pub fn new(chain: TransformChain, converters: Converters) -> Self {
        SourcePipeline { chain, converters }
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
        let record = ConnectRecord {
            topic,
            partition,
            key_schema,
            key,
            value_schema,
            value,
            timestamp,
            headers: Vec::new(),
            offset: None,
        };
        let outcome = if self.chain.is_empty() {
            self.encode(record, headers)
        } else {
            let original_topic = record.topic.clone();
            let record = ConnectRecord {
                headers: headers.into_iter().map(raw_header).collect(),
                ..record
            };
            match self.chain.apply(record) {
                Ok(Some(mut record)) => {
                    match encode_headers(&self.converters.header, &record.topic, &mut record.headers) {
                        Ok(headers) => self.encode(record, headers),
                        Err(failure) => SourceOutcome::Failed {
                            failure,
                            topic: original_topic,
                            retry: None,
                        },
                    }
                }
                Ok(None) => SourceOutcome::Dropped,
                Err(failure) => SourceOutcome::Failed {
                    failure,
                    topic: original_topic,
                    retry: None,
                },
            }
        };
        Processed {
            source_partition,
            source_offset,
            outcome,
        }
    }

    /// Serializes a record's key and value.
    fn encode(&self, record: ConnectRecord, headers: Vec<Header>) -> SourceOutcome {
        let converters = &self.converters;
        let topic = &record.topic;
        let encoded = encode(
            &converters.key,
            Stage::KeyConverter,
            topic,
            record.key_schema.as_deref(),
            &record.key,
        )
        .and_then(|key| {
            let value = encode(
                &converters.value,
                Stage::ValueConverter,
                topic,
                record.value_schema.as_deref(),
                &record.value,
            )?;
            Ok((key, value))
        });
        match encoded {
            Ok((key, value)) => SourceOutcome::Send(Outgoing {
                topic: record.topic,
                partition: record.partition,
                timestamp: record.timestamp,
                key,
                value,
                headers,
            }),
            Err(failure) => SourceOutcome::Failed {
                topic: record.topic.clone(),
                retry: failure.retriable.then(|| Box::new(Pending { record, headers })),
                failure,
            },
        }
    }

    /// Converts again a record whose conversion failed for now.
    pub fn retry(&self, pending: Pending) -> SourceOutcome {
        self.encode(pending.record, pending.headers)
    }
}

/// A header as bytes, as a transform sees it: no schema, the bytes (or null).
fn raw_header(header: Header) -> ConnectHeader {
    let value = header.value.map_or(Value::Null, Value::Bytes);
    ConnectHeader::new(header.key, None, value)
}

/// The headers as bytes: those without a schema as they are, the others through the header
/// converter.
fn encode_headers(
    converter: &NamedHeaderConverter,
    topic: &str,
    headers: &mut Vec<ConnectHeader>,
) -> Result<Vec<Header>, RecordFailure> {
    headers
        .drain(..)
        .map(|header| {
            let value = match (&header.schema, header.value) {
                (None, Value::Bytes(bytes)) => Some(bytes),
                (None, Value::Null) => None,
                (schema, value) => converter
                    .converter
                    .encode_header(topic, &header.key, schema.as_deref(), &value)
                    .map_err(|e| RecordFailure::conversion(Stage::HeaderConverter, &converter.class, e))?,
            };
            Ok(Header { key: header.key, value })
        })
        .collect()
}

/// Serializes a key or value.
fn encode(
    converter: &NamedConverter,
    stage: Stage,
    topic: &str,
    schema: Option<&Schema>,
    value: &Value,
) -> Result<Option<Vec<u8>>, RecordFailure> {
    converter
        .converter
        .encode(topic, schema, value)
        .map_err(|e| RecordFailure::conversion(stage, &converter.class, e))
}

/// The pipeline of a sink task.
pub struct SinkPipeline {
    chain: TransformChain,
    converters: Converters,
}

impl SinkPipeline {
    /// A pipeline through these converters and transforms.
    pub fn new(chain: TransformChain, converters: Converters) -> Self {
        SinkPipeline { chain, converters }
    }

    /// Takes a consumed message to what the task's `put` gets; `None` when a transform dropped
    /// it.
    pub fn process(&mut self, message: &OwnedMessage) -> Result<Option<SinkRecord>, RecordFailure> {
        let topic = message.topic();
        let converters = &self.converters;
        let (key_schema, key) = decode(&converters.key, Stage::KeyConverter, topic, message.key())?;
        let (value_schema, value) = decode(&converters.value, Stage::ValueConverter, topic, message.payload())?;
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
        let record = SinkRecord {
            topic: topic.to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            key_schema: key_schema.map(Arc::new),
            key,
            value_schema: value_schema.map(Arc::new),
            value,
            timestamp: message.timestamp().to_millis(),
            headers,
        };
        if self.chain.is_empty() {
            return Ok(Some(record));
        }
        let (partition, offset) = (record.partition, record.offset);
        let transformed = self.chain.apply(ConnectRecord {
            topic: record.topic,
            partition: Some(partition),
            key_schema: record.key_schema,
            key: record.key,
            value_schema: record.value_schema,
            value: record.value,
            timestamp: record.timestamp,
            headers: record.headers.into_iter().map(raw_header).collect(),
            offset: Some(offset),
        })?;
        let Some(mut record) = transformed else {
            return Ok(None);
        };
        let headers = encode_headers(&converters.header, &record.topic, &mut record.headers)?;
        Ok(Some(SinkRecord {
            topic: record.topic,
            partition: record.partition.unwrap_or(partition),
            offset,
            key_schema: record.key_schema,
            key: record.key,
            value_schema: record.value_schema,
            value: record.value,
            timestamp: record.timestamp,
            headers,
        }))
    }
}

/// Deserializes a key or value.
fn decode(
    converter: &NamedConverter,
    stage: Stage,
    topic: &str,
    data: Option<&[u8]>,
) -> Result<(Option<Schema>, Value), RecordFailure> {
    converter
        .converter
        .decode(topic, data)
        .map_err(|e| RecordFailure::conversion(stage, &converter.class, e))
}
