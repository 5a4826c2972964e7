//! Single message transforms and predicates: what a record looks like to them, and the traits
//! they implement (Kafka Connect's `Transformation` and `Predicate`).
//!
//! A transform sees the parts of a record that sources and sinks share ([`ConnectRecord`]); the
//! runtime takes a [`crate::SourceRecord`] or a consumed Kafka record apart for it, and puts the
//! result back together. One instance serves one task, so it may keep caches.

use std::sync::Arc;

use crate::config::{ConfigDef, Props};
use crate::data::{Schema, Value};
use crate::error::ConnectError;

/// A header of a record: its key and its value in the Connect data model.
///
/// Headers a connector wrote as bytes reach a transform as they were: no schema and
/// [`Value::Bytes`] (or [`Value::Null`]). The runtime writes such a header back unchanged;
/// headers with a schema (those transforms add) go through the header converter.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectHeader {
    /// The header key.
    pub key: String,
    /// The value's schema, if it has one.
    pub schema: Option<Arc<Schema>>,
    /// The value; [`Value::Null`] for a null header.
    pub value: Value,
}

impl ConnectHeader {
    /// A header with a value and its schema.
    pub fn new(key: impl Into<String>, schema: Option<Arc<Schema>>, value: Value) -> Self {
        ConnectHeader {
            key: key.into(),
            schema,
            value,
        }
    }
}

/// A record as a transform sees it, as Kafka Connect's `ConnectRecord`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectRecord {
    /// The topic.
    pub topic: String,
    /// The Kafka partition, if chosen.
    pub partition: Option<i32>,
    /// The key's schema, if it has one.
    pub key_schema: Option<Arc<Schema>>,
    /// The key.
    pub key: Value,
    /// The value's schema, if it has one.
    pub value_schema: Option<Arc<Schema>>,
    /// The value; [`Value::Null`] is a tombstone.
    pub value: Value,
    /// The timestamp in milliseconds since the epoch.
    pub timestamp: Option<i64>,
    /// Headers, in order.
    pub headers: Vec<ConnectHeader>,
    /// The record's offset in its Kafka partition: set for records a sink consumed, `None` for
    /// records a source produced (Kafka Connect's `SinkRecord` and `SourceRecord`).
    pub offset: Option<i64>,
}

impl ConnectRecord {
    /// Whether the record was consumed by a sink (it has a Kafka offset).
    pub fn is_sink_record(&self) -> bool {
        self.offset.is_some()
    }
}

/// A single message transform: one record in, one record (or none: dropped) out.
pub trait Transformation: Send {
    /// Transforms a record; `None` drops it. An error follows the connector's
    /// `errors.tolerance`, as stage `TRANSFORMATION`.
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError>;
}

/// A condition on records, which decides whether a transform applies.
pub trait Predicate: Send {
    /// Whether the record matches.
    fn test(&mut self, record: &ConnectRecord) -> Result<bool, ConnectError>;
}

/// A transform class: its config keys, and instances made from a config.
pub trait TransformationPlugin: Send + Sync {
    /// The plugin's version.
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").into()
    }

    /// Its config keys.
    fn config_def(&self) -> ConfigDef;

    /// An instance configured with `props` (the keys after `transforms.<alias>.`); a bad config
    /// is [`ConnectError::Config`].
    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError>;
}

/// A predicate class: its config keys, and instances made from a config.
pub trait PredicatePlugin: Send + Sync {
    /// The plugin's version.
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").into()
    }

    /// Its config keys.
    fn config_def(&self) -> ConfigDef;

    /// An instance configured with `props` (the keys after `predicates.<alias>.`); a bad config
    /// is [`ConnectError::Config`].
    fn create(&self, props: &Props) -> Result<Box<dyn Predicate>, ConnectError>;
}

/// A transform or predicate class, of either kind.
#[derive(Clone)]
pub enum TransformerPlugin {
    /// A transform (`transformation` in the REST API).
    Transformation(Arc<dyn TransformationPlugin>),
    /// A predicate (`predicate`).
    Predicate(Arc<dyn PredicatePlugin>),
}

impl TransformerPlugin {
    /// The REST API's name of the kind: `transformation` or `predicate`.
    pub fn kind(&self) -> &'static str {
        match self {
            TransformerPlugin::Transformation(_) => "transformation",
            TransformerPlugin::Predicate(_) => "predicate",
        }
    }

    /// The plugin's config keys.
    pub fn config_def(&self) -> ConfigDef {
        match self {
            TransformerPlugin::Transformation(p) => p.config_def(),
            TransformerPlugin::Predicate(p) => p.config_def(),
        }
    }

    /// The plugin's version.
    pub fn version(&self) -> String {
        match self {
            TransformerPlugin::Transformation(p) => p.version(),
            TransformerPlugin::Predicate(p) => p.version(),
        }
    }
}

/// A transform or predicate class as the runtime registers it.
#[derive(Clone)]
pub struct TransformerDescriptor {
    /// The class name, e.g. `org.apache.kafka.connect.transforms.Cast$Value`.
    pub class: String,
    /// Other names it answers to (short names).
    pub aliases: Vec<String>,
    /// The class.
    pub plugin: TransformerPlugin,
}

impl TransformerDescriptor {
    /// Whether `name` is this class's name or one of its aliases.
    pub fn answers_to(&self, name: &str) -> bool {
        self.class == name || self.aliases.iter().any(|a| a == name)
    }
}
