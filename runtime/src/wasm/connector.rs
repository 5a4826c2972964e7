//! A component as a connector: its declared config, validation and task configs come from
//! calls into a short-lived instance; its tasks run in instances of their own.

use std::sync::Arc;

use async_trait::async_trait;
use weir_connector_api::{
    ConfigDef, ConfigValue, ConnectError, Connector, ConnectorKind, ConnectorPlugin, PluginDescriptor, Props,
    SinkConnector, SinkTask, SourceConnector, SourceTask,
};

use super::convert;
use super::plugin::LoadedPlugin;
use super::sandbox::{self, SandboxSettings};
use super::sink_task::WasmSinkTask;
use super::source_task::WasmSourceTask;
use crate::config::worker::WasmLimits;

/// The prefix of the sandbox keys, which only the user sets.
const SANDBOX_PREFIX: &str = "wasm.";

/// A component's connector.
pub struct WasmConnector {
    plugin: Arc<LoadedPlugin>,
}

impl WasmConnector {
    /// A loaded connector plugin as the runtime registers it: a source or sink connector of its
    /// name.
    pub fn descriptor(plugin: Arc<LoadedPlugin>, kind: ConnectorKind) -> PluginDescriptor {
        let connector = Arc::new(WasmConnector { plugin: plugin.clone() });
        PluginDescriptor {
            class: plugin.name.clone(),
            aliases: Vec::new(),
            // One component is connector and task alike.
            task_class: plugin.name.clone(),
            plugin: match kind {
                ConnectorKind::Source => ConnectorPlugin::Source(connector),
                ConnectorKind::Sink => ConnectorPlugin::Sink(connector),
            },
        }
    }
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
