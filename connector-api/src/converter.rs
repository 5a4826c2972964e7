//! Converters: between the Connect data model and the bytes of Kafka record keys, values and
//! headers (Kafka Connect's `Converter` and `HeaderConverter`).
//!
//! A converter class is registered as a [`ConverterDescriptor`]; the runtime makes one instance
//! per task and role (key, value or headers) from the connector's settings, or the worker's.

use std::sync::Arc;

use crate::config::{ConfigDef, Props};
use crate::data::{Schema, Value};

/// A value that cannot be converted, or a conversion that could not be made now (a schema
/// registry out of reach: Kafka Connect's `RetriableException`), which the runtime retries
/// for up to `errors.retry.timeout`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ConversionError {
    /// What went wrong.
    pub message: String,
    /// Whether trying again later may succeed.
    pub retriable: bool,
}

impl ConversionError {
    /// A conversion that cannot succeed.
    pub fn new(message: impl Into<String>) -> Self {
        ConversionError {
            message: message.into(),
            retriable: false,
        }
    }

    /// A conversion that may succeed if tried again later.
    pub fn retriable(message: impl Into<String>) -> Self {
        ConversionError {
            message: message.into(),
            retriable: true,
        }
    }
}

/// Converts record keys or values between the Connect data model and bytes.
pub trait Converter: Send + Sync {
    /// Serializes a value bound for `topic`; `None` is a null (tombstone) payload.
    fn encode(&self, topic: &str, schema: Option<&Schema>, value: &Value) -> Result<Option<Vec<u8>>, ConversionError>;

    /// Deserializes a payload read from `topic`.
    fn decode(&self, topic: &str, data: Option<&[u8]>) -> Result<(Option<Schema>, Value), ConversionError>;
}

/// Converts record headers between the Connect data model and bytes.
pub trait HeaderConverter: Send + Sync {
    /// Serializes the value of header `key` of a record bound for `topic`; `None` is a null
    /// header value.
    fn encode_header(
        &self,
        topic: &str,
        key: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConversionError>;

    /// Deserializes the value of header `key` of a record read from `topic`.
    fn decode_header(
        &self,
        topic: &str,
        key: &str,
        data: Option<&[u8]>,
    ) -> Result<(Option<Schema>, Value), ConversionError>;
}

/// A class of key and value converters: its config keys, and instances made from a config.
pub trait ConverterPlugin: Send + Sync {
    /// The plugin's version.
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").into()
    }

    /// Its config keys.
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    /// A converter of keys (`is_key`) or values, configured with `props` (the keys after
    /// `key.converter.` or `value.converter.`).
    fn create(&self, props: &Props, is_key: bool) -> Result<Arc<dyn Converter>, ConversionError>;
}

/// A class of header converters: its config keys, and instances made from a config.
pub trait HeaderConverterPlugin: Send + Sync {
    /// The plugin's version.
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").into()
    }

    /// Its config keys.
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    /// A header converter configured with `props` (the keys after `header.converter.`).
    fn create(&self, props: &Props) -> Result<Arc<dyn HeaderConverter>, ConversionError>;
}

/// A converter class as the runtime registers it: a class may convert keys and values, headers,
/// or both (as Kafka Connect's `StringConverter` does), and is listed once for each.
#[derive(Clone)]
pub struct ConverterDescriptor {
    /// The class name, e.g. `org.apache.kafka.connect.json.JsonConverter`.
    pub class: String,
    /// Other names it answers to (short names).
    pub aliases: Vec<String>,
    /// Its key and value converters, if it has them.
    pub converter: Option<Arc<dyn ConverterPlugin>>,
    /// Its header converters, if it has them.
    pub header_converter: Option<Arc<dyn HeaderConverterPlugin>>,
}

impl ConverterDescriptor {
    /// Whether `name` is this class's name or one of its aliases.
    pub fn answers_to(&self, name: &str) -> bool {
        self.class == name || self.aliases.iter().any(|a| a == name)
    }
}
