//! The plugins this worker can run, found by class name or alias: connectors, transforms and
//! predicates, and converters. The binary hands over the built-in ones; more are found at run
//! time (the WebAssembly components in `plugin.path`).

use std::sync::Arc;

use weir_connector_api::{ConverterDescriptor, PluginDescriptor, TransformerDescriptor};

/// Plugins that come and go while the worker runs (the components of `plugin.path`).
pub trait PluginSource: Send + Sync {
    /// The connector plugins found now.
    fn connectors(&self) -> Vec<PluginDescriptor>;

    /// The transforms and predicates found now.
    fn transformers(&self) -> Vec<TransformerDescriptor> {
        Vec::new()
    }
}

/// The registry of plugins.
pub struct Plugins {
    builtin: Vec<PluginDescriptor>,
    transformers: Vec<TransformerDescriptor>,
    converters: Vec<ConverterDescriptor>,
    found: Vec<Arc<dyn PluginSource>>,
}

impl Plugins {
    /// A registry of these built-in connectors.
    pub fn new(connectors: Vec<PluginDescriptor>) -> Self {
        Plugins {
            builtin: connectors,
            transformers: Vec::new(),
            converters: Vec::new(),
            found: Vec::new(),
        }
    }

    /// Also these built-in transforms and predicates.
    pub fn with_transformers(mut self, transformers: Vec<TransformerDescriptor>) -> Self {
        self.transformers.extend(transformers);
        self
    }

    /// Also these built-in converters.
    pub fn with_converters(mut self, converters: Vec<ConverterDescriptor>) -> Self {
        self.converters.extend(converters);
        self
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

    /// Every transform and predicate: one named like a built-in one is left out.
    pub fn transformers(&self) -> Vec<TransformerDescriptor> {
        let mut all = self.transformers.clone();
        for plugin in self.found.iter().flat_map(|s| s.transformers()) {
            if !all.iter().any(|p| p.answers_to(&plugin.class)) {
                all.push(plugin);
            }
        }
        all
    }

    /// The transform or predicate a `type` value names.
    pub fn transformer(&self, class: &str) -> Option<TransformerDescriptor> {
        let class = class.trim();
        if let Some(plugin) = self.transformers.iter().find(|p| p.answers_to(class)) {
            return Some(plugin.clone());
        }
        self.found
            .iter()
            .flat_map(|s| s.transformers())
            .find(|p| p.answers_to(class))
    }

    /// Every converter class.
    pub fn converters(&self) -> &[ConverterDescriptor] {
        &self.converters
    }

    /// The converter class a `*.converter` value names.
    pub fn converter(&self, class: &str) -> Option<&ConverterDescriptor> {
        let class = class.trim();
        self.converters.iter().find(|c| c.answers_to(class))
    }
}
