//! The connector API of Weir.
//!
//! Everything a connector implements or touches, and nothing of the runtime that runs it: the
//! [`Connector`] traits and their tasks, the records they exchange, the Connect data model
//! ([`Schema`], [`Value`]), the [`ConfigDef`] that the REST API's validate endpoint reads, and the
//! [`TaskMetrics`] a task publishes.
//! Built-in connectors and WebAssembly connectors are both implementations of this API.

pub mod config;
pub mod connector;
pub mod data;
pub mod error;
pub mod metrics;
pub mod record;
pub mod task;

pub use config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Props, Validator};
pub use connector::{Connector, ConnectorKind, ConnectorPlugin, PluginDescriptor, SinkConnector, SourceConnector};
pub use data::{Field, Schema, SchemaType, Value};
pub use error::ConnectError;
pub use metrics::{Metric, MetricKind, TaskMetrics};
pub use record::{Header, SinkRecord, SourceMap, SourceRecord, TopicPartition};
pub use task::{OffsetReader, SinkTask, SourceTask, SourceTaskContext};
