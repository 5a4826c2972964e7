//! A connector's config resolved once per change: its plugin, its typed common keys, its
//! converters and its chain of transforms, handed to the connector and to each of its tasks, so
//! nothing parses the config again. Each task makes its own instances from it.

use std::sync::Arc;

use weir_connector_api::{ConversionError, Converter, ConverterDescriptor, HeaderConverter, PluginDescriptor, Props};

use super::pipeline::{Converters, NamedConverter, NamedHeaderConverter};
use super::transform_chain::TransformChain;
use crate::config::transforms::{self, TransformSpec};
use crate::config::{ConnectorConfig, WorkerConfig, plugin_version};
use crate::plugins::Plugins;

/// What a converter converts for a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Key,
    Value,
    Header,
}

impl Role {
    /// The config key naming the class (`key.converter`, ...).
    fn key(self) -> &'static str {
        match self {
            Role::Key => "key.converter",
            Role::Value => "value.converter",
            Role::Header => "header.converter",
        }
    }

    /// The worker's converter of this role: its class and settings.
    fn worker_default(self, worker: &WorkerConfig) -> &(String, Props) {
        match self {
            Role::Key => &worker.key_converter,
            Role::Value => &worker.value_converter,
            Role::Header => &worker.header_converter,
        }
    }

    /// The installed class `class` names for this role, or the error to report on the key.
    fn find<'a>(self, plugins: &'a Plugins, class: &str) -> Result<&'a ConverterDescriptor, String> {
        plugins
            .converter(class)
            .filter(|d| match self {
                Role::Header => d.header_converter.is_some(),
                Role::Key | Role::Value => d.converter.is_some(),
            })
            .ok_or_else(|| {
                format!(
                    "Invalid value {class} for configuration {}: Class {class} could not be found.",
                    self.key()
                )
            })
    }
}

/// A converter class and the settings each task's instance is made with.
#[derive(Clone)]
struct ConverterSpec {
    role: Role,
    descriptor: ConverterDescriptor,
    props: Props,
}

impl ConverterSpec {
    /// The class a connector's `role` converter is: its own setting (with its own
    /// `<role>.converter.*` keys), else the worker's (with the worker's keys, then the
    /// connector's).
    fn resolve(role: Role, config: &ConnectorConfig, worker: &WorkerConfig, plugins: &Plugins) -> Result<Self, String> {
        let own = match role {
            Role::Key => &config.key_converter,
            Role::Value => &config.value_converter,
            Role::Header => &config.header_converter,
        };
        let defaults = role.worker_default(worker);
        let (class, mut props) = match own {
            Some(class) => (class.clone(), Props::new()),
            None => defaults.clone(),
        };
        props.extend(config.prefixed(&format!("{}.", role.key())));
        let descriptor = role.find(plugins, &class)?.clone();
        Ok(ConverterSpec {
            role,
            descriptor,
            props,
        })
    }

    fn converter(&self) -> Result<NamedConverter, ConversionError> {
        let plugin = self.descriptor.converter.as_ref().ok_or_else(|| {
            ConversionError::new(format!("{} does not convert keys and values", self.descriptor.class))
        })?;
        let converter: Arc<dyn Converter> = plugin.create(&self.props, self.role == Role::Key)?;
        Ok(NamedConverter {
            class: self.descriptor.class.clone(),
            converter,
        })
    }

    fn header_converter(&self) -> Result<NamedHeaderConverter, ConversionError> {
        let plugin = self
            .descriptor
            .header_converter
            .as_ref()
            .ok_or_else(|| ConversionError::new(format!("{} does not convert headers", self.descriptor.class)))?;
        let converter: Arc<dyn HeaderConverter> = plugin.create(&self.props)?;
        Ok(NamedHeaderConverter {
            class: self.descriptor.class.clone(),
            converter,
        })
    }
}

/// What a connector config names, found among the installed plugins.
#[derive(Clone)]
pub struct Resolved {
    /// The config with its `${provider:...}` references resolved: what the plugin is given.
    pub values: Props,
    /// The connector plugin.
    pub plugin: PluginDescriptor,
    /// The common keys, typed.
    pub config: ConnectorConfig,
    key: ConverterSpec,
    value: ConverterSpec,
    header: ConverterSpec,
    chain: Vec<TransformSpec>,
}

impl Resolved {
    /// One task's converters.
    pub fn converters(&self) -> Result<Converters, ConversionError> {
        Ok(Converters {
            key: self.key.converter()?,
            value: self.value.converter()?,
            header: self.header.header_converter()?,
        })
    }

    /// One task's chain of transforms.
    pub fn chain(&self) -> Result<TransformChain, weir_connector_api::ConnectError> {
        TransformChain::new(&self.chain)
    }
}

/// A connector's config and what it resolved to (or why it did not).
pub struct ConnectorSpec {
    /// The connector's name.
    pub name: String,
    /// Its config as written, references unresolved (as the config topic holds it).
    pub props: Props,
    resolved: Result<Resolved, String>,
}

impl ConnectorSpec {
    /// Resolves a connector config against the plugins installed now and the worker's defaults.
    pub fn resolve(name: &str, props: &Props, plugins: &Plugins, worker: &WorkerConfig) -> Self {
        let resolved = (|| {
            let values = worker
                .config_providers
                .resolve(props)
                .map_err(|e| format!("A config reference could not be resolved: {e}"))?;
            let class = values.get("connector.class").map(String::as_str).unwrap_or_default();
            let plugin = plugins.connector(class).ok_or_else(|| {
                format!("Failed to find any class that implements Connector and which name matches {class}")
            })?;
            let config = ConnectorConfig::parse(plugin.plugin.kind(), &values).map_err(|e| e.to_string())?;
            // Checked again here, not only when the config was written: the config topic may
            // hold configs another worker (or Kafka Connect) took under another policy.
            let mut refused: Vec<(String, String)> = worker.client_overrides.refused(plugin.plugin.kind(), props);
            refused.extend(version_errors(&plugin, plugins, worker, &values));
            if !refused.is_empty() {
                let lines: Vec<String> = refused.into_iter().map(|(key, why)| format!("{key}: {why}")).collect();
                return Err(lines.join("\n"));
            }
            Ok(Resolved {
                key: ConverterSpec::resolve(Role::Key, &config, worker, plugins)?,
                value: ConverterSpec::resolve(Role::Value, &config, worker, plugins)?,
                header: ConverterSpec::resolve(Role::Header, &config, worker, plugins)?,
                chain: transforms::chain(&values, plugins)?,
                plugin,
                config,
                values,
            })
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

/// The errors of a connector's plugin version keys (`connector.plugin.version` and the
/// converters' `<role>.converter.plugin.version`, for the connector's converter or else the
/// worker's): each asks for a version the installed plugin is not.
pub fn version_errors(
    plugin: &PluginDescriptor,
    plugins: &Plugins,
    worker: &WorkerConfig,
    props: &Props,
) -> Vec<(String, String)> {
    let spec_of = |key: &str| props.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut errors = Vec::new();
    if let Some(spec) = spec_of(plugin_version::CONNECTOR)
        && let Err(e) = plugin_version::check(&plugin.class, spec, &plugin.plugin.connector().version())
    {
        errors.push((plugin_version::CONNECTOR.to_owned(), e));
    }
    for role in [Role::Key, Role::Value, Role::Header] {
        let key = format!("{}.plugin.version", role.key());
        let Some(spec) = spec_of(&key) else {
            continue;
        };
        let class = match spec_of(role.key()) {
            Some(class) => class,
            None => role.worker_default(worker).0.as_str(),
        };
        // A class that is not installed is reported on its own key.
        let Ok(descriptor) = role.find(plugins, class) else {
            continue;
        };
        let version = match role {
            Role::Header => descriptor.header_converter.as_ref().map(|h| h.version()),
            Role::Key | Role::Value => descriptor.converter.as_ref().map(|c| c.version()),
        };
        if let Err(e) = plugin_version::check(&descriptor.class, spec, &version.unwrap_or_default()) {
            errors.push((key, e));
        }
    }
    errors
}

/// The errors of a connector's converter keys (`key.converter`, `value.converter`,
/// `header.converter`): each set to a class not installed as what the key wants.
pub fn converter_errors(plugins: &Plugins, props: &Props) -> Vec<(&'static str, String)> {
    [Role::Key, Role::Value, Role::Header]
        .into_iter()
        .filter_map(|role| {
            let class = props.get(role.key()).map(|c| c.trim()).filter(|c| !c.is_empty())?;
            role.find(plugins, class).err().map(|e| (role.key(), e))
        })
        .collect()
}
