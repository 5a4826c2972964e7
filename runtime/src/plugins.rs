//! The connector plugins this worker can run, found by class name or alias: the built-in
//! connectors the binary hands over, then those found at run time (the WebAssembly components
//! in `plugin.path`).

use std::sync::Arc;

use weir_connector_api::PluginDescriptor;

/// Plugins that come and go while the worker runs (the components of `plugin.path`).
pub trait PluginSource: Send + Sync {
    /// The connector plugins found now.
    fn connectors(&self) -> Vec<PluginDescriptor>;
}

/// The registry of connector plugins.
pub struct Plugins {
    builtin: Vec<PluginDescriptor>,
    found: Vec<Arc<dyn PluginSource>>,
}

impl Plugins {
    /// A registry of these built-in plugins.
    pub fn new(connectors: Vec<PluginDescriptor>) -> Self {
        Plugins {
            builtin: connectors,
            found: Vec::new(),
        }
    }

    /// Also the plugins of `source`, as they come and go; a built-in's name wins.
    pub fn with_source(mut self, source: Arc<dyn PluginSource>) -> Self {
        self.found.push(source);
        self
    }

    /// Every connector plugin: one named like a built-in one is left out.
    pub fn connectors(&self) -> Vec<PluginDescriptor> {
        let mut all = self.builtin.clone();
        for plugin in self.found.iter().flat_map(|s| s.connectors()) {
            if !all.iter().any(|p| p.answers_to(&plugin.class)) {
                all.push(plugin);
            }
        }
        all
    }

    /// The plugin a `connector.class` value names.
    pub fn connector(&self, class: &str) -> Option<PluginDescriptor> {
        let class = class.trim();
        if let Some(plugin) = self.builtin.iter().find(|p| p.answers_to(class)) {
            return Some(plugin.clone());
        }
        self.found
            .iter()
            .flat_map(|s| s.connectors())
            .find(|p| p.answers_to(class))
    }
}
