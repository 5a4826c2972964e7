//! A component as a connector plugin: its declared config, validation and task configs come
//! from calls into a short-lived instance; its tasks run in instances of their own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use wasmtime::Store;
use wasmtime::component::Component;
use weir_connector_api::{
    ConfigDef, ConfigValue, ConnectError, Connector, ConnectorKind, ConnectorPlugin, OffsetReader, PluginDescriptor,
    Props, SinkConnector, SinkTask, SourceConnector, SourceTask,
};

use super::bindings::v0_1::{sink, source, types as wit};
use super::convert;
use super::host::WasmHost;
use super::sandbox::{self, InstanceState, SandboxSettings};
use super::sink_task::WasmSinkTask;
use super::source_task::WasmSourceTask;
use crate::config::worker::WasmLimits;

/// The prefix of the sandbox keys, which only the user sets.
const SANDBOX_PREFIX: &str = "wasm.";

/// A loaded component and what it declared.
pub struct LoadedPlugin {
    /// The engine it was compiled for.
    pub host: Arc<WasmHost>,
    /// The compiled component.
    pub component: Component,
    /// Its kind.
    pub kind: ConnectorKind,
    /// Its name (`connector.class`).
    pub name: String,
    /// Its version.
    pub version: String,
    config_def: ConfigDef,
}

/// An instance of a component, of either world.
pub enum Guest {
    /// A source plugin.
    Source(source::Source),
    /// A sink plugin.
    Sink(sink::Sink),
}

impl Guest {
    /// Instantiates a component of `kind` in `store`.
    pub async fn instantiate(
        host: &WasmHost,
        kind: ConnectorKind,
        component: &Component,
        store: &mut Store<InstanceState>,
        budget: Duration,
    ) -> Result<Guest, ConnectError> {
        // Instantiating runs the component's start functions: the call budget bounds them too.
        sandbox::call_guest(store, budget, "instantiate", async |store| {
            let instantiated = match kind {
                ConnectorKind::Source => source::Source::instantiate_async(store, component, host.linker())
                    .await
                    .map(Guest::Source),
                ConnectorKind::Sink => sink::Sink::instantiate_async(store, component, host.linker())
                    .await
                    .map(Guest::Sink),
            };
            instantiated.map(Ok)
        })
        .await
    }

    async fn describe(&self, store: &mut Store<InstanceState>) -> wasmtime::Result<wit::PluginInfo> {
        match self {
            Guest::Source(g) => g.weir_connector_source_connector().call_describe(store).await,
            Guest::Sink(g) => g.weir_connector_sink_connector().call_describe(store).await,
        }
    }

    async fn validate(
        &self,
        store: &mut Store<InstanceState>,
        config: &Vec<(String, String)>,
    ) -> wasmtime::Result<Vec<wit::ConfigError>> {
        match self {
            Guest::Source(g) => g.weir_connector_source_connector().call_validate(store, config).await,
            Guest::Sink(g) => g.weir_connector_sink_connector().call_validate(store, config).await,
        }
    }

    async fn task_configs(
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

    /// The plugin as the runtime registers it.
    pub fn descriptor(self: Arc<Self>) -> PluginDescriptor {
        let connector = Arc::new(WasmConnector { plugin: self.clone() });
        PluginDescriptor {
            class: self.name.clone(),
            aliases: Vec::new(),
            plugin: match self.kind {
                ConnectorKind::Source => ConnectorPlugin::Source(connector),
                ConnectorKind::Sink => ConnectorPlugin::Sink(connector),
            },
        }
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

/// A task's started instance: its store, the guest of its world, and the budget of each call.
pub struct Running<G> {
    /// The store.
    pub store: Store<InstanceState>,
    /// The instance.
    pub guest: G,
    /// The time budget of one call.
    pub budget: Duration,
}

/// A task's instance, once started.
pub struct TaskInstance<G> {
    /// The plugin.
    pub plugin: Arc<LoadedPlugin>,
    running: Option<Running<G>>,
}

impl<G> TaskInstance<G> {
    /// Not started yet.
    pub fn new(plugin: Arc<LoadedPlugin>) -> Self {
        TaskInstance { plugin, running: None }
    }

    /// Keeps a started instance.
    pub fn started(&mut self, running: Running<G>) {
        self.running = Some(running);
    }

    /// The started instance.
    pub fn running(&mut self) -> Result<&mut Running<G>, ConnectError> {
        self.running
            .as_mut()
            .ok_or_else(|| ConnectError::Fatal("the task is not started".into()))
    }

    /// The started instance, given up (to close it).
    pub fn take(&mut self) -> Option<Running<G>> {
        self.running.take()
    }
}

/// A component's connector.
pub struct WasmConnector {
    plugin: Arc<LoadedPlugin>,
}

#[async_trait]
impl Connector for WasmConnector {
    fn version(&self) -> String {
        self.plugin.version.clone()
    }

    fn config_def(&self) -> ConfigDef {
        self.plugin.config_def.clone().merge(sandbox::definition())
    }

    async fn validate(&self, props: &Props, reports: &mut Vec<ConfigValue>) {
        if reports.iter().any(|r| !r.errors.is_empty()) {
            return;
        }
        if let Ok(settings) = SandboxSettings::from_props(props, &WasmLimits::UNBOUNDED) {
            let over = settings.over_limits(self.plugin.host.limits());
            for (key, error) in &over {
                if let Some(report) = reports.iter_mut().find(|r| r.name == *key) {
                    report.errors.push(error.clone());
                }
            }
            if !over.is_empty() {
                return;
            }
        }
        let errors = match self.plugin.instance(props, None).await {
            Ok((mut store, guest, settings)) => {
                let config = convert::pairs(props);
                sandbox::call_guest(&mut store, settings.call_timeout, "validate", async |store| {
                    guest.validate(store, &config).await.map(Ok)
                })
                .await
                .map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        match errors {
            Ok(errors) => {
                for error in errors {
                    if let Some(report) = reports.iter_mut().find(|r| r.name == error.key) {
                        report.errors.push(error.message);
                    }
                }
            }
            Err(e) => {
                if let Some(report) = reports.first_mut() {
                    report.errors.push(e);
                }
            }
        }
    }

    async fn task_configs(&self, props: &Props, max_tasks: usize) -> Result<Vec<Props>, ConnectError> {
        let (mut store, guest, settings) = self.plugin.instance(props, None).await?;
        let max = u32::try_from(max_tasks).unwrap_or(u32::MAX);
        let config = convert::pairs(props);
        let configs = sandbox::call_guest(&mut store, settings.call_timeout, "task-configs", async |store| {
            guest.task_configs(store, &config, max).await
        })
        .await?;
        if configs.len() > max_tasks {
            return Err(ConnectError::Fatal(format!(
                "plugin {} answered {} task configs; tasks.max is {max_tasks}",
                self.plugin.name,
                configs.len()
            )));
        }
        // Every task has the connector's sandbox, whatever the plugin answered: a plugin cannot
        // grant itself more.
        Ok(configs
            .into_iter()
            .map(|pairs| {
                let mut task = convert::props(pairs);
                task.retain(|key, _| !key.starts_with(SANDBOX_PREFIX));
                for (key, value) in props.iter().filter(|(k, _)| k.starts_with(SANDBOX_PREFIX)) {
                    task.insert(key.clone(), value.clone());
                }
                task
            })
            .collect())
    }
}

impl SourceConnector for WasmConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(WasmSourceTask::new(self.plugin.clone()))
    }
}

impl SinkConnector for WasmConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(WasmSinkTask::new(self.plugin.clone()))
    }
}
