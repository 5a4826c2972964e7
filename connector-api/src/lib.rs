//! The connector API of Weir.
//!
//! Everything a connector implements or touches, and nothing of the runtime that runs it: the
//! [`Connector`] traits and their tasks, the records they exchange, the Connect data model
//! ([`Schema`], [`Value`]), the [`ConfigDef`] that the REST API's validate endpoint reads, the
//! [`TaskMetrics`] a task publishes, what a source declares about [`exactly_once`] delivery, the [`Converter`]s between data and bytes, and the
//! [`Transformation`] and [`Predicate`] traits of single message transforms, Kafka Connect's
//! [`values`] (strings to typed values and back), and the [`java`] behaviour that Kafka Connect's
//! output depends on.
//! Built-in connectors and WebAssembly connectors are both implementations of this API.

pub mod config;
pub mod connector;
pub mod converter;
pub mod data;
pub mod error;
pub mod exactly_once;
pub mod java;
pub mod metrics;
pub mod record;
pub mod task;
pub mod transform;
pub mod values;

pub use config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Props, Validator, Width};
pub use connector::{Connector, ConnectorKind, ConnectorPlugin, PluginDescriptor, SinkConnector, SourceConnector};
pub use converter::{
    ConversionError, Converter, ConverterDescriptor, ConverterPlugin, HeaderConverter, HeaderConverterPlugin,
};
pub use data::{Field, Schema, SchemaType, Value};
pub use error::ConnectError;
pub use exactly_once::{ExactlyOnceSupport, TransactionBoundaries, TransactionContext, TransactionRequest};
pub use metrics::{Metric, MetricKind, TaskMetrics};
pub use record::{Header, SinkRecord, SourceMap, SourceRecord, TopicPartition};
pub use task::{OffsetReader, SinkTask, SourceTask, SourceTaskContext};
pub use transform::{
    ConnectHeader, ConnectRecord, Predicate, PredicatePlugin, Transformation, TransformationPlugin,
    TransformerDescriptor, TransformerPlugin,
};
