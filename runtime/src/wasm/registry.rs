//! The components in `plugin.path`: found at start, and again every few seconds, so a plugin
//! dropped into the directory becomes usable without a restart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use weir_connector_api::{PluginDescriptor, TransformerDescriptor};

use super::connector::WasmConnector;
use super::host::WasmHost;
use super::plugin::LoadedPlugin;
use super::transform::WasmTransformPlugin;
use crate::plugins::PluginSource;

/// How often `plugin.path` is looked at again.
const RESCAN_INTERVAL: Duration = Duration::from_secs(2);

/// A file as last seen: when it changed and how long it was.
type Stamp = (SystemTime, u64);

/// What a component file registers.
enum Registered {
    /// A source or sink connector.
    Connector(PluginDescriptor),
    /// A transform.
    Transformer(TransformerDescriptor),
}

/// A component file and what loading it gave.
struct Found {
    stamp: Stamp,
    /// `None` when it could not be loaded (the reason was logged).
    plugin: Option<Registered>,
}

/// The components found in `plugin.path`.
pub struct WasmPlugins {
    host: Arc<WasmHost>,
    dirs: Vec<PathBuf>,
    found: RwLock<BTreeMap<PathBuf, Found>>,
}

impl WasmPlugins {
    /// A registry over these directories; nothing is loaded until [`WasmPlugins::refresh`].
    pub fn new(host: Arc<WasmHost>, dirs: Vec<PathBuf>) -> Arc<WasmPlugins> {
        Arc::new(WasmPlugins {
            host,
            dirs,
            found: RwLock::new(BTreeMap::new()),
        })
    }

    /// Looks at the directories: loads new and changed components, forgets removed ones.
    /// Tasks already running keep the component they started with.
    pub async fn refresh(&self) {
        let files = component_files(&self.dirs);
        let stale: Vec<PathBuf> = {
            let found = self.found.read().unwrap_or_else(|e| e.into_inner());
            found
                .keys()
                .filter(|path| !files.contains_key(*path))
                .cloned()
                .collect()
        };
        for path in stale {
            tracing::info!(file = %path.display(), "plugin removed");
            self.found.write().unwrap_or_else(|e| e.into_inner()).remove(&path);
        }
        for (path, stamp) in files {
            let known = {
                let found = self.found.read().unwrap_or_else(|e| e.into_inner());
                found.get(&path).map(|f| f.stamp)
            };
            if known == Some(stamp) {
                continue;
            }
            let plugin = match LoadedPlugin::load(self.host.clone(), path.clone()).await {
                Ok(loaded) => {
                    tracing::info!(file = %path.display(), plugin = %loaded.name, version = %loaded.version, kind = loaded.kind.as_str(), "plugin loaded");
                    let loaded = Arc::new(loaded);
                    Some(match loaded.kind.connector() {
                        Some(kind) => Registered::Connector(WasmConnector::descriptor(loaded, kind)),
                        None => Registered::Transformer(WasmTransformPlugin::descriptor(loaded)),
                    })
                }
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "not a usable plugin; left out");
                    None
                }
            };
            self.found
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(path, Found { stamp, plugin });
        }
    }

    /// Refreshes now and then, for as long as the worker runs.
    pub fn watch(self: &Arc<Self>) {
        let plugins = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RESCAN_INTERVAL).await;
                let Some(plugins) = plugins.upgrade() else { break };
                plugins.refresh().await;
            }
        });
    }
}

/// The `.wasm` files directly in the directories, with their stamps.
fn component_files(dirs: &[PathBuf]) -> BTreeMap<PathBuf, Stamp> {
    let mut files = BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("wasm") {
                continue;
            }
            if let Some(stamp) = stamp(&path) {
                files.insert(path, stamp);
            }
        }
    }
    files
}

/// When a regular file changed and how long it is; `None` for anything else (FIFOs, devices,
/// directories: reading them could block or never end).
fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        tracing::debug!(file = %path.display(), "not a regular file; left out");
        return None;
    }
    Some((meta.modified().ok()?, meta.len()))
}

impl PluginSource for WasmPlugins {
    fn connectors(&self) -> Vec<PluginDescriptor> {
        let found = self.found.read().unwrap_or_else(|e| e.into_inner());
        found
            .values()
            .filter_map(|f| match &f.plugin {
                Some(Registered::Connector(descriptor)) => Some(descriptor.clone()),
                _ => None,
            })
            .collect()
    }

    fn transformers(&self) -> Vec<TransformerDescriptor> {
        let found = self.found.read().unwrap_or_else(|e| e.into_inner());
        found
            .values()
            .filter_map(|f| match &f.plugin {
                Some(Registered::Transformer(descriptor)) => Some(descriptor.clone()),
                _ => None,
            })
            .collect()
    }
}
