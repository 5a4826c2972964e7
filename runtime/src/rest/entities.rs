//! The JSON shapes of Kafka Connect's REST API, field for field, each made from the herder's
//! answer (`crate::model`).

use serde::{Deserialize, Serialize};
use weir_connector_api::{ConfigKey, ConfigType, ConnectorKind, Props};

use crate::model::{self, State, TaskId};

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

/// This worker's place in its group, as `GET /` shows it (Weir's addition to Kafka Connect's
/// server info).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// This worker's id (its advertised host and port).
    pub worker_id: String,
    /// Whether this worker leads the group.
    pub leader: bool,
    /// The leader's REST URL; null while none is known.
    pub leader_url: Option<String>,
    /// The generation this worker last joined; null while it is not a member.
    pub generation: Option<i32>,
    /// Every member's REST URL.
    pub members: Vec<String>,
}

impl GroupInfo {
    /// The info of worker `worker_id` with this view of its group.
    pub fn new(worker_id: &str, view: Option<&crate::group::GroupView>) -> Self {
        GroupInfo {
            worker_id: worker_id.to_owned(),
            leader: view.is_some_and(|v| v.is_leader()),
            leader_url: view.map(|v| v.leader_url.clone()),
            generation: view.map(|v| v.generation),
            members: view.map(|v| v.members.clone()).unwrap_or_default(),
        }
    }
}

/// A connector's config and tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectorInfo {
    /// The name.
    pub name: String,
    /// The config.
    pub config: Props,
    /// The tasks.
    pub tasks: Vec<TaskId>,
    /// `source`, `sink` or `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// Kafka Connect's name of a connector's kind: `source`, `sink`, or `unknown` without a plugin.
fn kind_name(kind: Option<ConnectorKind>) -> String {
    kind.map_or("unknown", ConnectorKind::as_str).to_owned()
}

impl From<model::ConnectorInfo> for ConnectorInfo {
    fn from(info: model::ConnectorInfo) -> Self {
        ConnectorInfo {
            name: info.name,
            config: info.config,
            tasks: info.tasks,
            kind: kind_name(info.kind),
        }
    }
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
    /// The version of the plugin running it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The error of a failed instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Weir's: where a failed task stands in its automatic restarts (`task.restart.policy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_restart: Option<model::AutoRestart>,
}

impl InstanceState {
    fn new(id: Option<usize>, status: model::InstanceStatus) -> Self {
        InstanceState {
            id,
            state: status.state,
            worker_id: status.worker_id,
            version: status.version,
            trace: status.trace,
            auto_restart: status.auto_restart,
        }
    }
}

impl From<model::TaskStatus> for InstanceState {
    fn from(task: model::TaskStatus) -> Self {
        InstanceState::new(Some(task.id), task.status)
    }
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

impl From<model::ConnectorStatus> for ConnectorStateInfo {
    fn from(status: model::ConnectorStatus) -> Self {
        ConnectorStateInfo {
            name: status.name,
            connector: InstanceState::new(None, status.connector),
            tasks: status.tasks.into_iter().map(InstanceState::from).collect(),
            kind: kind_name(status.kind),
        }
    }
}

/// `GET /connectors/{c}/topics`: the topics a connector's tasks used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActiveTopicsInfo {
    /// Their names.
    pub topics: Vec<String>,
}

/// A task's config.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskInfo {
    /// Its identity.
    pub id: TaskId,
    /// Its config.
    pub config: Props,
}

impl From<model::TaskConfig> for TaskInfo {
    fn from(task: model::TaskConfig) -> Self {
        TaskInfo {
            id: task.id,
            config: task.config,
        }
    }
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

impl From<Vec<model::PartitionOffset>> for ConnectorOffsets {
    fn from(offsets: Vec<model::PartitionOffset>) -> Self {
        ConnectorOffsets {
            offsets: offsets
                .into_iter()
                .map(|o| PartitionOffset {
                    partition: o.partition,
                    offset: o.offset,
                })
                .collect(),
        }
    }
}

impl From<ConnectorOffsets> for Vec<model::PartitionOffset> {
    fn from(offsets: ConnectorOffsets) -> Self {
        offsets
            .offsets
            .into_iter()
            .map(|o| model::PartitionOffset {
                partition: o.partition,
                offset: o.offset,
            })
            .collect()
    }
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

impl From<model::PluginSummary> for PluginInfo {
    fn from(plugin: model::PluginSummary) -> Self {
        PluginInfo {
            class: plugin.class,
            kind: plugin.kind.as_str().to_owned(),
            version: plugin.version,
        }
    }
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
    /// Its position within the group.
    pub order_in_group: i32,
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
            order_in_group: key.order,
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

impl From<model::Validation> for ConfigInfos {
    fn from(validation: model::Validation) -> Self {
        let configs: Vec<ConfigInfo> = validation
            .entries()
            .map(|(key, v)| {
                let value = if key.kind == ConfigType::Password && v.value.is_some() {
                    Some("[hidden]".to_owned())
                } else {
                    v.value.clone()
                };
                ConfigInfo {
                    definition: ConfigKeyInfo::from(key),
                    value: ConfigValueInfo {
                        name: v.name.clone(),
                        value,
                        recommended_values: v.recommended_values.clone(),
                        errors: v.errors.clone(),
                        visible: v.visible,
                    },
                }
            })
            .collect();
        ConfigInfos {
            name: validation.class,
            error_count: configs.iter().map(|c| c.value.errors.len()).sum(),
            groups: validation.groups,
            configs,
        }
    }
}
