//! Kafka Connect's `Requirements`: what a transform demands of a value, and the errors it gives
//! when a value is not that (with the Java class name Kafka Connect names), and the value itself,
//! borrowed or taken out.

use weir_connector_api::java::names::class_name;
use weir_connector_api::{ConnectError, ConnectRecord, Value};

/// The schema (a `Schema` or an `Arc` of one), or `Schema required for [purpose]`.
pub(crate) fn require_schema<'a, S>(schema: Option<&'a S>, purpose: &str) -> Result<&'a S, ConnectError> {
    schema.ok_or_else(|| ConnectError::Data(format!("Schema required for [{purpose}]")))
}

/// The entries of a schemaless map, or `Only Map objects supported in absence of schema`.
pub(crate) fn require_map<'a>(value: &'a Value, purpose: &str) -> Result<&'a [(Value, Value)], ConnectError> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(ConnectError::Data(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            class_name(other)
        ))),
    }
}

/// The fields of a struct, or `Only Struct objects supported`.
pub(crate) fn require_struct<'a>(value: &'a Value, purpose: &str) -> Result<&'a [(String, Value)], ConnectError> {
    match value {
        Value::Struct(fields) => Ok(fields),
        other => Err(ConnectError::Data(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            class_name(other)
        ))),
    }
}

/// The entries of a schemaless map, taken out of the value, or the error of [`require_map`].
pub(crate) fn take_map(value: Value, purpose: &str) -> Result<Vec<(Value, Value)>, ConnectError> {
    match value {
        Value::Map(entries) => Ok(entries),
        // Always the error: `other` is no map.
        other => require_map(&other, purpose).map(|_| Vec::new()),
    }
}

/// The fields of a struct, taken out of the value, or the error of [`require_struct`].
pub(crate) fn take_struct(value: Value, purpose: &str) -> Result<Vec<(String, Value)>, ConnectError> {
    match value {
        Value::Struct(fields) => Ok(fields),
        // Always the error: `other` is no struct.
        other => require_struct(&other, purpose).map(|_| Vec::new()),
    }
}

/// The record's Kafka offset, or `Only SinkRecord supported` for a record a source produced.
pub(crate) fn require_sink_record(record: &ConnectRecord, purpose: &str) -> Result<i64, ConnectError> {
    record.offset.ok_or_else(|| {
        ConnectError::Data(format!(
            "Only SinkRecord supported for [{purpose}], found: org.apache.kafka.connect.source.SourceRecord"
        ))
    })
}

/// A schemaless map's value for a string key.
pub(crate) fn map_get<'a>(entries: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
}
