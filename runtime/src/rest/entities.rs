//! The JSON shapes of Kafka Connect's REST API, field for field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use weir_connector_api::{ConfigKey, ConfigType, ConfigValue, Props};

use crate::storage::State;

/// `GET /`.
#[derive(Clone, Debug, Serialize)]
pub struct ServerInfo {
    /// The worker's version.
    pub version: String,
    /// The source commit it was built from.
    pub commit: String,
    /// The Kafka cluster it works with.
    pub kafka_cluster_id: Option<String>,
}

/// A task's identity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectorTaskId {
    /// The connector.
    pub connector: String,
    /// The task number.
    pub task: usize,
}

/// A connector's config and tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectorInfo {
    /// The name.
    pub name: String,
    /// The config.
    pub config: Props,
    /// The tasks.
    pub tasks: Vec<ConnectorTaskId>,
    /// `source`, `sink` or `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The state of a connector or task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceState {
    /// The task number (tasks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<usize>,
    /// The state.
    pub state: State,
    /// The worker running it.
    pub worker_id: String,
    /// The error of a failed instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// `GET /connectors/{c}/status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectorStateInfo {
    /// The name.
    pub name: String,
    /// The connector's state.
    pub connector: InstanceState,
    /// Its tasks' states.
    pub tasks: Vec<InstanceState>,
    /// `source` or `sink`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A task's config.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskInfo {
    /// Its identity.
    pub id: ConnectorTaskId,
    /// Its config.
    pub config: Props,
}

/// One partition's offset: `partition` and `offset` maps (`offset` null to reset).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartitionOffset {
    /// The partition.
    pub partition: serde_json::Map<String, serde_json::Value>,
    /// The offset; `null` resets the partition.
    pub offset: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `GET /connectors/{c}/offsets`, and the body of `PATCH`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffsets {
    /// One entry per partition.
    pub offsets: Vec<PartitionOffset>,
}

/// A `{"message"}` answer.
#[derive(Clone, Debug, Serialize)]
pub struct Message {
    /// The message.
    pub message: String,
}

/// `GET /connector-plugins`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PluginInfo {
    /// The class name.
    pub class: String,
    /// `source`, `sink`, `converter`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The version.
    pub version: String,
}

/// One config key's definition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigKeyInfo {
    /// The key.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether it has no default.
    pub required: bool,
    /// Its default.
    pub default_value: Option<String>,
    /// `HIGH`, `MEDIUM` or `LOW`.
    pub importance: String,
    /// What it does.
    pub documentation: String,
    /// Its group.
    pub group: Option<String>,
    /// Its order within the group.
    pub order: i32,
    /// Display width.
    pub width: String,
    /// Human name.
    pub display_name: String,
    /// Keys that depend on it.
    pub dependents: Vec<String>,
}

impl From<&ConfigKey> for ConfigKeyInfo {
    fn from(key: &ConfigKey) -> Self {
        ConfigKeyInfo {
            name: key.name.clone(),
            kind: key.kind.to_string(),
            required: key.required(),
            default_value: key.default.clone(),
            importance: key.importance.to_string(),
            documentation: key.documentation.clone(),
            group: key.group.clone(),
            order: key.order,
            width: key.width.to_string(),
            display_name: key.display_name.clone(),
            dependents: Vec::new(),
        }
    }
}

/// One key's validation result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigValueInfo {
    /// The key.
    pub name: String,
    /// The value (passwords hidden).
    pub value: Option<String>,
    /// Values a tool may offer.
    pub recommended_values: Vec<String>,
    /// What is wrong.
    pub errors: Vec<String>,
    /// Whether to show it.
    pub visible: bool,
}

/// A key's definition and validation result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigInfo {
    /// The definition.
    pub definition: ConfigKeyInfo,
    /// The result.
    pub value: ConfigValueInfo,
}

/// `PUT /connector-plugins/{p}/config/validate`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigInfos {
    /// The connector class.
    pub name: String,
    /// How many errors in all.
    pub error_count: usize,
    /// The groups, in order.
    pub groups: Vec<String>,
    /// One entry per key.
    pub configs: Vec<ConfigInfo>,
}

impl ConfigInfos {
    /// Pairs definitions with their validation results.
    pub fn new(class: &str, groups: Vec<String>, keys: &[ConfigKey], values: Vec<ConfigValue>) -> Self {
        let by_name: BTreeMap<&str, &ConfigKey> = keys.iter().map(|k| (k.name.as_str(), k)).collect();
        let configs: Vec<ConfigInfo> = values
            .into_iter()
            .filter_map(|v| {
                let key = by_name.get(v.name.as_str())?;
                let value = if key.kind == ConfigType::Password && v.value.is_some() {
                    Some("[hidden]".to_owned())
                } else {
                    v.value
                };
                Some(ConfigInfo {
                    definition: ConfigKeyInfo::from(*key),
                    value: ConfigValueInfo {
                        name: v.name,
                        value,
                        recommended_values: v.recommended_values,
                        errors: v.errors,
                        visible: v.visible,
                    },
                })
            })
            .collect();
        ConfigInfos {
            name: class.to_owned(),
            error_count: configs.iter().map(|c| c.value.errors.len()).sum(),
            groups,
            configs,
        }
    }

    /// Every error, prefixed by its key.
    pub fn errors(&self) -> Vec<String> {
        self.configs
            .iter()
            .flat_map(|c| c.value.errors.iter().map(move |e| format!("{}: {e}", c.value.name)))
            .collect()
    }
}
