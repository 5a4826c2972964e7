//! What the REST API reads: connectors, their configs, tasks and states, and the plugins.

use weir_connector_api::{ConfigKey, ConnectorKind, Props, TransformerPlugin};

use super::{Herder, HerderError};
use crate::model::{
    ConnectorInfo, ConnectorStatus, InstanceStatus, PluginKind, PluginSummary, State, Status, TaskConfig, TaskId,
    TaskStatus,
};

impl Herder {
    /// The names of all connectors.
    pub fn connectors(&self) -> Vec<String> {
        self.parts().configs.snapshot().connectors.keys().cloned().collect()
    }

    /// A connector's config.
    pub fn connector_config(&self, name: &str) -> Result<Props, HerderError> {
        self.parts()
            .configs
            .snapshot()
            .connectors
            .get(name)
            .cloned()
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))
    }

    pub(super) fn kind_of(&self, props: &Props) -> Option<ConnectorKind> {
        let class = props.get("connector.class")?;
        self.parts().plugins.connector(class).map(|p| p.plugin.kind())
    }

    /// A connector's config and tasks.
    pub fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        let snapshot = self.parts().configs.snapshot();
        let config = snapshot
            .connectors
            .get(name)
            .cloned()
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))?;
        let tasks = (0..snapshot.task_configs(name).len())
            .map(|task| TaskId::new(name, task))
            .collect();
        Ok(ConnectorInfo {
            name: name.to_owned(),
            kind: self.kind_of(&config),
            config,
            tasks,
        })
    }

    /// A connector's task configs.
    pub fn tasks(&self, name: &str) -> Result<Vec<TaskConfig>, HerderError> {
        let snapshot = self.parts().configs.snapshot();
        if !snapshot.connectors.contains_key(name) {
            return Err(HerderError::NotFound(format!("Connector {name} not found")));
        }
        Ok(snapshot
            .task_configs(name)
            .iter()
            .enumerate()
            .map(|(task, config)| TaskConfig {
                id: TaskId::new(name, task),
                config: config.clone(),
            })
            .collect())
    }

    fn instance_status(&self, status: Option<Status>, version: Option<String>) -> InstanceStatus {
        match status {
            Some(s) => InstanceStatus {
                state: s.state,
                worker_id: s.worker_id,
                trace: s.trace,
                version,
                auto_restart: s.auto_restart,
            },
            None => InstanceStatus {
                state: State::Unassigned,
                worker_id: self.parts().worker_id.clone(),
                trace: None,
                version,
                auto_restart: None,
            },
        }
    }

    /// A connector's state and its tasks'.
    pub fn connector_status(&self, name: &str) -> Result<ConnectorStatus, HerderError> {
        let snapshot = self.parts().configs.snapshot();
        let config = snapshot
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("No status found for connector {name}")))?;
        let statuses = &self.parts().statuses;
        // Kafka Connect (4.1+) shows the running plugin's version in each status.
        let version = config
            .get("connector.class")
            .and_then(|class| self.parts().plugins.connector(class))
            .map(|p| p.plugin.connector().version());
        let tasks = (0..snapshot.task_configs(name).len())
            .map(|id| TaskStatus {
                id,
                status: self.instance_status(statuses.task(name, id), version.clone()),
            })
            .collect();
        Ok(ConnectorStatus {
            name: name.to_owned(),
            connector: self.instance_status(statuses.connector(name), version),
            tasks,
            kind: self.kind_of(config),
        })
    }

    /// The topics a connector's tasks used. Kafka Connect answers for any name, known or not
    /// (an unknown one used none).
    pub fn active_topics(&self, name: &str) -> Result<Vec<String>, HerderError> {
        if !self.parts().config.topic_tracking {
            return Err(HerderError::Forbidden("Topic tracking is disabled.".into()));
        }
        Ok(self.parts().statuses.active_topics(name))
    }

    /// Forgets the topics a connector's tasks used; they are recorded again as tasks use them.
    pub async fn reset_active_topics(&self, name: &str) -> Result<(), HerderError> {
        let config = &self.parts().config;
        if !config.topic_tracking {
            return Err(HerderError::Forbidden("Topic tracking is disabled.".into()));
        }
        if !config.topic_tracking_reset {
            return Err(HerderError::Forbidden("Topic tracking reset is disabled.".into()));
        }
        self.parts().statuses.reset_topics(name).await;
        Ok(())
    }

    /// One task's state.
    pub fn task_status(&self, name: &str, task: usize) -> Result<TaskStatus, HerderError> {
        let missing = || HerderError::NotFound(format!("No status found for task {name}-{task}"));
        let status = self.connector_status(name).map_err(|_| missing())?;
        status.tasks.into_iter().nth(task).ok_or_else(missing)
    }

    /// Checks that a connector exists, with Kafka Connect's answer to the requests that act on
    /// one (`Unknown connector <name>` for pause, resume and stop, with a colon for restarts).
    pub(super) fn known(&self, name: &str, separator: &str) -> Result<Props, HerderError> {
        self.connector_config(name)
            .map_err(|_| HerderError::NotFound(format!("Unknown connector{separator} {name}")))
    }

    /// The installed plugins; converters too unless `connectors_only`.
    pub fn plugins(&self, connectors_only: bool) -> Vec<PluginSummary> {
        let mut plugins: Vec<PluginSummary> = self
            .parts()
            .plugins
            .connectors()
            .iter()
            .map(|p| PluginSummary {
                class: p.class.clone(),
                kind: p.plugin.kind().into(),
                version: p.plugin.connector().version(),
            })
            .collect();
        if connectors_only {
            return plugins;
        }
        let registry = &self.parts().plugins;
        plugins.extend(registry.transformers().into_iter().map(|t| PluginSummary {
            kind: match t.plugin {
                TransformerPlugin::Transformation(_) => PluginKind::Transformation,
                TransformerPlugin::Predicate(_) => PluginKind::Predicate,
            },
            version: t.plugin.version(),
            class: t.class,
        }));
        for converter in registry.converters() {
            let roles = [
                (converter.converter.as_ref().map(|c| c.version()), PluginKind::Converter),
                (
                    converter.header_converter.as_ref().map(|c| c.version()),
                    PluginKind::HeaderConverter,
                ),
            ];
            plugins.extend(roles.into_iter().filter_map(|(version, kind)| {
                Some(PluginSummary {
                    class: converter.class.clone(),
                    kind,
                    version: version?,
                })
            }));
        }
        plugins
    }

    /// Whether two class names or aliases name the same plugin.
    pub fn same_plugin(&self, a: &str, b: &str) -> bool {
        let plugins = &self.parts().plugins;
        matches!((plugins.connector(a), plugins.connector(b)), (Some(x), Some(y)) if x.class == y.class)
    }

    /// A plugin's own config keys: a connector's, a transform's or predicate's, or a
    /// converter's.
    pub fn plugin_config(&self, class: &str) -> Result<Vec<ConfigKey>, HerderError> {
        let plugins = &self.parts().plugins;
        let definition = if let Some(connector) = plugins.connector(class) {
            connector.plugin.connector().config_def()
        } else if let Some(transformer) = plugins.transformer(class) {
            transformer.plugin.config_def()
        } else if let Some(converter) = plugins.converter(class) {
            match (&converter.converter, &converter.header_converter) {
                (Some(c), _) => c.config_def(),
                (None, Some(h)) => h.config_def(),
                (None, None) => Default::default(),
            }
        } else {
            return Err(HerderError::NotFound(format!("Unknown plugin {class}.")));
        };
        Ok(definition.keys().to_vec())
    }
}
