//! File connectors: a source that follows a file line by line, and a sink that appends lines.
//!
//! They answer to Kafka Connect's class names and keys (`file`, `topic`, `topics`, `batch.size`),
//! and store the same source offsets (`{"filename"}` / `{"position"}`), so a FileStream connector
//! moves to Weir unchanged.

mod sink;
mod source;

use std::sync::Arc;

use weir_connector_api::{ConfigKey, ConfigType, ConnectorPlugin, Importance, PluginDescriptor, Validator};

pub use sink::{FileSinkConnector, FileSinkTask};
pub use source::{FileSourceConnector, FileSourceTask};

/// The version of the file connectors.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `file` key, shared by source and sink.
fn file_key(documentation: &str) -> ConfigKey {
    ConfigKey::new("file", ConfigType::String, Importance::High, documentation).validator(Validator::NonEmpty)
}

/// The file connectors' plugin descriptors.
pub fn plugins() -> Vec<PluginDescriptor> {
    vec![
        PluginDescriptor {
            class: "org.apache.kafka.connect.file.FileStreamSourceConnector".into(),
            aliases: vec![
                "file-source".into(),
                "FileStreamSourceConnector".into(),
                "FileStreamSource".into(),
            ],
            task_class: "org.apache.kafka.connect.file.FileStreamSourceTask".into(),
            plugin: ConnectorPlugin::Source(Arc::new(FileSourceConnector)),
        },
        PluginDescriptor {
            class: "org.apache.kafka.connect.file.FileStreamSinkConnector".into(),
            aliases: vec![
                "file-sink".into(),
                "FileStreamSinkConnector".into(),
                "FileStreamSink".into(),
            ],
            task_class: "org.apache.kafka.connect.file.FileStreamSinkTask".into(),
            plugin: ConnectorPlugin::Sink(Arc::new(FileSinkConnector)),
        },
    ]
}
