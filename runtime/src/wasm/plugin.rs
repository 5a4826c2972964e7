//! A loaded component: compiled once, asked what it is, and instantiated in a store of its own
//! for each call of the connector (`validate`, `task-configs`), each task, and each task's
//! instance of a transform.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::Component;
use weir_connector_api::{ConfigDef, ConnectError, ConnectorKind, OffsetReader, Props};

use super::bindings::v0_1::{sink, source, transform, types as wit};
use super::convert;
use super::host::WasmHost;
use super::sandbox::{self, InstanceState, SandboxSettings};

/// Which world a component implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComponentKind {
    /// A source connector.
    Source,
    /// A sink connector.
    Sink,
    /// A record transform.
    Transform,
}

impl ComponentKind {
    /// The kind's name, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Source => "source",
            ComponentKind::Sink => "sink",
            ComponentKind::Transform => "transform",
        }
    }

    /// The kind of connector, for a connector component.
    pub fn connector(self) -> Option<ConnectorKind> {
        match self {
            ComponentKind::Source => Some(ConnectorKind::Source),
            ComponentKind::Sink => Some(ConnectorKind::Sink),
            ComponentKind::Transform => None,
        }
    }
}

/// A loaded component and what it declared.
pub struct LoadedPlugin {
    /// The engine it was compiled for.
    pub host: Arc<WasmHost>,
    /// The compiled component.
    pub component: Component,
    /// Its kind.
    pub kind: ComponentKind,
    /// Its name (`connector.class`, or a transform's `type`).
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its declared config keys (the sandbox keys aside).
    pub config_def: ConfigDef,
}

/// An instance of a component, of any world.
pub enum Guest {
    /// A source plugin.
    Source(source::Source),
    /// A sink plugin.
    Sink(sink::Sink),
    /// A transform plugin.
    Transform(transform::RecordTransform),
}

impl Guest {
    /// Instantiates a component of `kind` in `store`.
    pub async fn instantiate(
        host: &WasmHost,
        kind: ComponentKind,
        component: &Component,
        store: &mut Store<InstanceState>,
        budget: Duration,
    ) -> Result<Guest, ConnectError> {
        // Instantiating runs the component's start functions: the call budget bounds them too.
        sandbox::call_guest(store, budget, "instantiate", async |store| {
            let instantiated = match kind {
                ComponentKind::Source => source::Source::instantiate_async(store, component, host.linker())
                    .await
                    .map(Guest::Source),
                ComponentKind::Sink => sink::Sink::instantiate_async(store, component, host.linker())
                    .await
                    .map(Guest::Sink),
                ComponentKind::Transform => {
                    transform::RecordTransform::instantiate_async(store, component, host.linker())
                        .await
                        .map(Guest::Transform)
                }
            };
            instantiated.map(Ok)
        })
        .await
    }

    /// Asks the plugin what it is.
    pub async fn describe(&self, store: &mut Store<InstanceState>) -> wasmtime::Result<wit::PluginInfo> {
        match self {
            Guest::Source(g) => g.weir_connector_source_connector().call_describe(store).await,
            Guest::Sink(g) => g.weir_connector_sink_connector().call_describe(store).await,
            Guest::Transform(g) => g.weir_connector_transform().call_describe(store).await,
        }
    }

    /// Asks the plugin to check a config.
    pub async fn validate(
        &self,
        store: &mut Store<InstanceState>,
        config: &Vec<(String, String)>,
    ) -> wasmtime::Result<Vec<wit::ConfigError>> {
        match self {
            Guest::Source(g) => g.weir_connector_source_connector().call_validate(store, config).await,
            Guest::Sink(g) => g.weir_connector_sink_connector().call_validate(store, config).await,
            Guest::Transform(_) => Ok(Vec::new()),
        }
    }

    /// Asks the plugin to split a config into task configs.
    pub async fn task_configs(
        &self,
        store: &mut Store<InstanceState>,
        config: &Vec<(String, String)>,
        max_tasks: u32,
    ) -> wasmtime::Result<Result<Vec<Vec<(String, String)>>, wit::Error>> {
        match self {
            Guest::Source(g) => {
                g.weir_connector_source_connector()
                    .call_task_configs(store, config, max_tasks)
                    .await
            }
            Guest::Sink(g) => {
                g.weir_connector_sink_connector()
                    .call_task_configs(store, config, max_tasks)
                    .await
            }
            Guest::Transform(_) => Ok(Err(wit::Error::Fatal("a transform has no task configs".into()))),
        }
    }
}

impl LoadedPlugin {
    /// Compiles (or loads from the cache) a component and asks it what it is.
    pub async fn load(host: Arc<WasmHost>, file: PathBuf) -> Result<LoadedPlugin, ConnectError> {
        let compiled = {
            let (host, file) = (host.clone(), file.clone());
            tokio::task::spawn_blocking(move || {
                let component = host.compile(&file)?;
                let kind = host.kind(&file, &component)?;
                Ok::<_, super::WasmError>((component, kind))
            })
            .await
            .map_err(|e| ConnectError::Fatal(e.to_string()))?
        };
        let (component, kind) = compiled.map_err(|e| ConnectError::Fatal(e.to_string()))?;
        let label = file.display().to_string();
        let settings = SandboxSettings::default();
        let mut store = sandbox::new_store(host.engine(), &label, &settings, None)?;
        let guest = Guest::instantiate(&host, kind, &component, &mut store, settings.call_timeout).await?;
        let info = sandbox::call_guest(&mut store, settings.call_timeout, "describe", async |store| {
            guest.describe(store).await.map(Ok)
        })
        .await?;
        Ok(LoadedPlugin {
            host,
            component,
            kind,
            name: info.name,
            version: info.version,
            config_def: convert::config_def(info.config),
        })
    }

    /// A store and an instance, sandboxed by the config; a source task's sees its offsets.
    pub async fn instance(
        &self,
        props: &Props,
        offsets: Option<Arc<dyn OffsetReader>>,
    ) -> Result<(Store<InstanceState>, Guest, SandboxSettings), ConnectError> {
        let settings = SandboxSettings::from_props(props, self.host.limits())?;
        let mut store = sandbox::new_store(self.host.engine(), &self.name, &settings, offsets)?;
        let guest = Guest::instantiate(
            &self.host,
            self.kind,
            &self.component,
            &mut store,
            settings.call_timeout,
        )
        .await?;
        Ok((store, guest, settings))
    }
}
