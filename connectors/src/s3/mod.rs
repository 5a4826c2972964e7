//! S3 connectors: a sink that archives topics into objects, and a source that replays them.
//!
//! The sink answers to Confluent's class name and keys and writes the same object layout
//! (`<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<start offset>.<ext>`), so a
//! bucket written by either can be read back by the source.

mod format;
mod object_key;
mod partitioner;
mod path_format;
mod sink;
mod source;
mod store;

use std::sync::Arc;

use weir_connector_api::{ConnectorPlugin, PluginDescriptor};

pub use sink::{S3SinkConnector, S3SinkTask};
pub use source::{S3SourceConnector, S3SourceTask};

/// The version of the S3 connectors.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The S3 connectors' plugin descriptors.
pub fn plugins() -> Vec<PluginDescriptor> {
    vec![
        PluginDescriptor {
            class: "io.confluent.connect.s3.S3SinkConnector".into(),
            aliases: vec!["s3-sink".into(), "S3SinkConnector".into()],
            task_class: "io.confluent.connect.s3.S3SinkTask".into(),
            plugin: ConnectorPlugin::Sink(Arc::new(S3SinkConnector)),
        },
        PluginDescriptor {
            class: "io.confluent.connect.s3.source.S3SourceConnector".into(),
            aliases: vec!["s3-source".into(), "S3SourceConnector".into()],
            task_class: "io.confluent.connect.s3.source.S3SourceTask".into(),
            plugin: ConnectorPlugin::Source(Arc::new(S3SourceConnector)),
        },
    ]
}
