//! The connector plugins this worker can run, found by class name or alias.

use weir_connector_api::PluginDescriptor;

/// The registry of connector plugins.
pub struct Plugins {
    connectors: Vec<PluginDescriptor>,
}

impl Plugins {
    /// The built-in connectors.
    pub fn builtin() -> Self {
        Self::new(weir_connectors::builtin_plugins())
    }

    /// A registry of these plugins.
    pub fn new(connectors: Vec<PluginDescriptor>) -> Self {
        Plugins { connectors }
    }

    /// Every connector plugin.
    pub fn connectors(&self) -> &[PluginDescriptor] {
        &self.connectors
    }

    /// The plugin a `connector.class` value names.
    pub fn connector(&self, class: &str) -> Option<&PluginDescriptor> {
        let class = class.trim();
        self.connectors.iter().find(|p| p.answers_to(class))
    }
}
