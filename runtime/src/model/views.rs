//! What the herder answers about connectors, tasks, offsets and plugins; the REST API turns
//! each into Kafka Connect's wire shape.

use weir_connector_api::{ConfigKey, ConfigValue, ConnectorKind, Props, SourceMap};

use super::{AutoRestart, State, TaskId};

/// A connector's config and tasks.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectorInfo {
    /// The name.
    pub name: String,
    /// The config.
    pub config: Props,
    /// The tasks.
    pub tasks: Vec<TaskId>,
    /// Source or sink; `None` when no plugin of its class is installed.
    pub kind: Option<ConnectorKind>,
}

/// The state of a connector or of one task.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceStatus {
    /// The state.
    pub state: State,
    /// The worker running it.
    pub worker_id: String,
    /// The error of a failed instance.
    pub trace: Option<String>,
    /// The version of the connector's plugin on this worker (`None` when none is installed).
    pub version: Option<String>,
    /// Where a failed task stands in its automatic restarts.
    pub auto_restart: Option<AutoRestart>,
}

/// The state of one task.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskStatus {
    /// The task number.
    pub id: usize,
    /// Its state.
    pub status: InstanceStatus,
}

/// A connector's state and its tasks'.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectorStatus {
    /// The name.
    pub name: String,
    /// Source or sink; `None` when no plugin of its class is installed.
    pub kind: Option<ConnectorKind>,
    /// The connector's own state.
    pub connector: InstanceStatus,
    /// Its tasks' states.
    pub tasks: Vec<TaskStatus>,
}

/// One task's config.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskConfig {
    /// The task.
    pub id: TaskId,
    /// Its config.
    pub config: Props,
}

/// One source partition's offset (for sinks, a Kafka partition's); `None` resets it.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionOffset {
    /// The partition.
    pub partition: SourceMap,
    /// The offset.
    pub offset: Option<SourceMap>,
}

/// How far a sink's consumer group is behind the end of one partition it reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionLag {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The group's committed offset; `None` before its first commit.
    pub committed: Option<i64>,
    /// The partition's end offset (of committed records).
    pub end: i64,
}

/// What a plugin is, as `GET /connector-plugins` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PluginKind {
    /// A source connector.
    Source,
    /// A sink connector.
    Sink,
    /// A key and value converter.
    Converter,
    /// A header converter.
    HeaderConverter,
    /// A single message transform.
    Transformation,
    /// A predicate of transforms.
    Predicate,
}

impl PluginKind {
    /// Kafka Connect's name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Source => "source",
            PluginKind::Sink => "sink",
            PluginKind::Converter => "converter",
            PluginKind::HeaderConverter => "header_converter",
            PluginKind::Transformation => "transformation",
            PluginKind::Predicate => "predicate",
        }
    }
}

impl From<ConnectorKind> for PluginKind {
    fn from(kind: ConnectorKind) -> Self {
        match kind {
            ConnectorKind::Source => PluginKind::Source,
            ConnectorKind::Sink => PluginKind::Sink,
        }
    }
}

/// One installed plugin.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginSummary {
    /// Its class name.
    pub class: String,
    /// What it is.
    pub kind: PluginKind,
    /// Its version.
    pub version: String,
}

/// A config checked against its plugin's definition and the common keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Validation {
    /// The connector class.
    pub class: String,
    /// The groups of the keys, in order.
    pub groups: Vec<String>,
    /// Every key's definition.
    pub keys: Vec<ConfigKey>,
    /// Every key's value and errors, in the order of `keys`.
    pub values: Vec<ConfigValue>,
}

impl Validation {
    /// Pairs each value with its key's definition; values of undeclared keys are left out.
    pub fn entries(&self) -> impl Iterator<Item = (&ConfigKey, &ConfigValue)> {
        self.values
            .iter()
            .filter_map(|v| self.keys.iter().find(|k| k.name == v.name).map(|k| (k, v)))
    }

    /// How many errors in all.
    pub fn error_count(&self) -> usize {
        self.entries().map(|(_, v)| v.errors.len()).sum()
    }

    /// Every error, prefixed by its key.
    pub fn errors(&self) -> Vec<String> {
        self.entries()
            .flat_map(|(_, v)| v.errors.iter().map(move |e| format!("{}: {e}", v.name)))
            .collect()
    }
}
