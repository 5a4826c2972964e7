//! A connector's config resolved once per change: its plugin and its typed common keys, handed
//! to the connector and to each of its tasks, so nothing parses the config again.

use weir_connector_api::{PluginDescriptor, Props};

use crate::config::ConnectorConfig;
use crate::plugins::Plugins;

/// What a connector config names, found among the installed plugins.
#[derive(Clone)]
pub struct Resolved {
    /// The connector plugin.
    pub plugin: PluginDescriptor,
    /// The common keys, typed.
    pub config: ConnectorConfig,
}

/// A connector's config and what it resolved to (or why it did not).
pub struct ConnectorSpec {
    /// The connector's name.
    pub name: String,
    /// Its config as written.
    pub props: Props,
    resolved: Result<Resolved, String>,
}

impl ConnectorSpec {
    /// Resolves a connector config against the plugins installed now.
    pub fn resolve(name: &str, props: &Props, plugins: &Plugins) -> Self {
        let resolved = (|| {
            let class = props.get("connector.class").map(String::as_str).unwrap_or_default();
            let plugin = plugins.connector(class).ok_or_else(|| {
                format!("Failed to find any class that implements Connector and which name matches {class}")
            })?;
            let config = ConnectorConfig::parse(plugin.plugin.kind(), props).map_err(|e| e.to_string())?;
            Ok(Resolved { plugin, config })
        })();
        ConnectorSpec {
            name: name.to_owned(),
            props: props.clone(),
            resolved,
        }
    }

    /// The plugin and typed config, or why the config could not be resolved.
    pub fn resolved(&self) -> Result<&Resolved, &str> {
        self.resolved.as_ref().map_err(String::as_str)
    }
}
