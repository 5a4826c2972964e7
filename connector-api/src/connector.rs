//! Connectors: the plugins a user names in `connector.class`.
//!
//! A connector validates its config and splits it into task configs; its tasks move the data.
//! A connector holds no per-instance state: the runtime may ask it for task configs again at any
//! time (on restart, on a config change) and expects the same answer for the same config.

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{ConfigDef, ConfigValue, Props};
use crate::error::ConnectError;
use crate::exactly_once::{ExactlyOnceSupport, TransactionBoundaries};
use crate::task::{SinkTask, SourceTask};

/// Whether a connector moves data into Kafka or out of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectorKind {
    /// External system to Kafka.
    Source,
    /// Kafka to external system.
    Sink,
}

impl ConnectorKind {
    /// `source` or `sink`, as the REST API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorKind::Source => "source",
            ConnectorKind::Sink => "sink",
        }
    }
}

/// What every connector, source or sink, provides.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The connector's version, shown by `GET /connector-plugins`.
    fn version(&self) -> String;

    /// The keys the connector declares (beyond the runtime's common ones).
    fn config_def(&self) -> ConfigDef;

    /// Checks beyond the declared keys: values that depend on each other, or on the external
    /// system. `reports` holds one entry per declared key; add errors to them.
    async fn validate(&self, _props: &Props, _reports: &mut Vec<ConfigValue>) {}

    /// Splits a valid connector config into at most `max_tasks` task configs.
    async fn task_configs(&self, props: &Props, max_tasks: usize) -> Result<Vec<Props>, ConnectError>;
}

/// A connector whose tasks read an external system into Kafka.
pub trait SourceConnector: Connector {
    /// A new, unstarted task.
    fn create_task(&self) -> Box<dyn SourceTask>;

    /// Whether the connector, with this config, can deliver exactly once; `None` (the default)
    /// when it does not say, which `exactly.once.support=required` refuses.
    fn exactly_once_support(&self, _props: &Props) -> Option<ExactlyOnceSupport> {
        None
    }

    /// Whether the connector's tasks, with this config, end their own transactions, as
    /// `transaction.boundary=connector` needs.
    fn transaction_boundaries(&self, _props: &Props) -> TransactionBoundaries {
        TransactionBoundaries::Unsupported
    }
}

/// A connector whose tasks write Kafka records to an external system.
pub trait SinkConnector: Connector {
    /// A new, unstarted task.
    fn create_task(&self) -> Box<dyn SinkTask>;
}

/// A connector plugin, of either kind.
#[derive(Clone)]
pub enum ConnectorPlugin {
    /// A source connector.
    Source(Arc<dyn SourceConnector>),
    /// A sink connector.
    Sink(Arc<dyn SinkConnector>),
}

impl ConnectorPlugin {
    /// The plugin's kind.
    pub fn kind(&self) -> ConnectorKind {
        match self {
            ConnectorPlugin::Source(_) => ConnectorKind::Source,
            ConnectorPlugin::Sink(_) => ConnectorKind::Sink,
        }
    }

    /// The plugin as a plain connector.
    pub fn connector(&self) -> &dyn Connector {
        match self {
            ConnectorPlugin::Source(c) => c.as_ref(),
            ConnectorPlugin::Sink(c) => c.as_ref(),
        }
    }
}

/// A plugin as the runtime registers it: its class name, the other names it answers to, its
/// task class, and the connector itself.
#[derive(Clone)]
pub struct PluginDescriptor {
    /// The canonical class name, as `GET /connector-plugins` lists it.
    pub class: String,
    /// Other names accepted in `connector.class` (Weir's short names, the bare class name).
    pub aliases: Vec<String>,
    /// The task class, which task configs carry as `task.class` (Kafka Connect's
    /// `Connector.taskClass()`).
    pub task_class: String,
    /// The connector.
    pub plugin: ConnectorPlugin,
}

impl PluginDescriptor {
    /// Whether `name` is this plugin's class name or one of its aliases.
    pub fn answers_to(&self, name: &str) -> bool {
        self.class == name || self.aliases.iter().any(|a| a == name)
    }
}
