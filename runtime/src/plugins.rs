//! The connector plugins this worker can run, found by class name or alias: the built-in
//! connectors, then the WebAssembly components found in `plugin.path`.

use std::sync::Arc;

use weir_connector_api::PluginDescriptor;

use crate::wasm::WasmPlugins;

/// The registry of connector plugins.
pub struct Plugins {
    builtin: Vec<PluginDescriptor>,
    wasm: Option<Arc<WasmPlugins>>,
}

impl Plugins {
    /// The built-in connectors.
    pub fn builtin() -> Self {
        Self::new(weir_connectors::builtin_plugins())
    }

    /// A registry of these plugins.
    pub fn new(connectors: Vec<PluginDescriptor>) -> Self {
        Plugins {
            builtin: connectors,
            wasm: None,
        }
    }

    /// Also the components found in `plugin.path`, as they come and go.
    pub fn with_wasm(mut self, wasm: Arc<WasmPlugins>) -> Self {
        self.wasm = Some(wasm);
        self
    }

    /// Every connector plugin: a component named like a built-in one is left out.
    pub fn connectors(&self) -> Vec<PluginDescriptor> {
        let mut all = self.builtin.clone();
        for plugin in self.wasm.iter().flat_map(|w| w.descriptors()) {
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
        self.wasm
            .as_ref()?
            .descriptors()
            .into_iter()
            .find(|p| p.answers_to(class))
    }
}
