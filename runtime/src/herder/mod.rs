//! The herder: turns requests into records on the config topic, and the config topic into
//! running connectors and tasks.
//!
//! Every change goes through the config topic and takes effect when read back, as in Kafka
//! Connect's distributed herder. The herder is a cheap handle ([`Herder`], which REST calls) and
//! one event loop ([`HerderLoop`], which owns what runs): the loop wakes on config-topic
//! changes, the group's rebalances, restart requests, the task configs connectors ask for, and
//! commands from the handle, the fencing exactly-once tasks ask for, and reconciles by carrying out a [`plan`] computed from the topic,
//! this worker's share of it ([`assignment`], from the group's leader) and what runs.
//!
//! Only the group's leader writes configs: a write that reaches another worker answers
//! [`HerderError::Elsewhere`] with the leader's URL, and the REST API forwards it there.
//!
//! - [`validate`]: checking configs; [`queries`]: what REST reads; [`restarts`]: restarts;
//!   [`offsets`]: reading and editing offsets; [`internal`]: the requests workers send each
//!   other, and the session key that signs them; [`fencing`]: fencing the older tasks of an
//!   exactly-once source before its new ones start.

pub mod assignment;
mod event_loop;
mod fencing;
mod health;
mod internal;
mod loggers;
mod offsets;
pub mod plan;
mod queries;
mod restarts;
mod sink_offsets;
mod validate;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use weir_connector_api::Props;

use crate::config::WorkerConfig;
use crate::group::{GroupHandle, GroupView, WorkerClient};
use crate::kafka::{KafkaClients, KafkaOpError};
use crate::logging::LogLevels;
use crate::model::{ConnectorInfo, PartitionOffset, TargetState, TaskId};
use crate::plugins::Plugins;
use crate::storage::{ConfigStore, OffsetStores, StatusStore, StorageError};
use crate::worker::Worker;
pub use event_loop::{HerderLoop, LoopInputs};
pub use internal::RequestSignature;

/// How long a write waits for this worker to have acted on it before answering.
const APPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// A request the herder refuses, or could not carry out.
#[derive(Debug, thiserror::Error)]
pub enum HerderError {
    /// No such connector, task or plugin.
    #[error("{0}")]
    NotFound(String),
    /// A connector of that name exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// The request is invalid.
    #[error("{0}")]
    BadRequest(String),
    /// The request cannot be applied now.
    #[error("{0}")]
    Conflict(String),
    /// The request is larger than the internal topics can take.
    #[error("{0}")]
    TooLarge(String),
    /// Another worker must take the request: the leader, or the worker running the instance
    /// (`None` while no leader is known, during a rebalance).
    #[error("{message}")]
    Elsewhere {
        /// Why.
        message: String,
        /// That worker's REST URL.
        url: Option<String>,
    },
    /// A request between workers is not signed with the session key.
    #[error("{0}")]
    Forbidden(String),
    /// The worker cannot take the request yet.
    #[error("{0}")]
    Unavailable(String),
    /// The config topic could not be written or read.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Kafka failed.
    #[error(transparent)]
    Kafka(#[from] KafkaOpError),
}

/// What the herder needs to run.
pub struct HerderParts {
    /// This worker's id.
    pub worker_id: String,
    /// The worker config.
    pub config: Arc<WorkerConfig>,
    /// This worker's membership in its group.
    pub group: GroupHandle,
    /// The client that reaches the other workers.
    pub client: WorkerClient,
    /// The config topic.
    pub configs: ConfigStore,
    /// The worker's offsets topic and the connectors' own.
    pub offsets: OffsetStores,
    /// The status topic, read.
    pub statuses: StatusStore,
    /// The worker that runs connectors and tasks (and writes their statuses).
    pub worker: Worker,
    /// Connector plugins.
    pub plugins: Arc<Plugins>,
    /// Kafka client settings.
    pub clients: KafkaClients,
    /// The process's log levels.
    pub log_levels: LogLevels,
}

/// What the handle asks of the loop.
enum Command {
    /// Restart one task running here; answer once it started again.
    RestartTask { id: TaskId, done: oneshot::Sender<()> },
    /// Answer at once: the loop is not stuck (the health check).
    Ping { done: oneshot::Sender<()> },
}

/// What the handle and the loop share.
struct Shared {
    parts: HerderParts,
    /// Serializes connector config writes with the checks they depend on (whether a connector
    /// of that name exists), so two creates of one name cannot both succeed.
    writes: tokio::sync::Mutex<()>,
    commands: mpsc::UnboundedSender<Command>,
    /// The config-topic offset the loop last reconciled.
    applied: watch::Receiver<i64>,
}

/// The herder's handle: cheap to clone, used by the REST API.
#[derive(Clone)]
pub struct Herder {
    shared: Arc<Shared>,
}

impl Herder {
    /// A herder over these parts, and the loop that must run for it to act.
    pub fn new(parts: HerderParts) -> (Herder, HerderLoop) {
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (applied_tx, applied) = watch::channel(-1);
        let shared = Arc::new(Shared {
            parts,
            writes: tokio::sync::Mutex::new(()),
            commands,
            applied,
        });
        let herder = Herder { shared };
        let event_loop = HerderLoop::new(herder.clone(), commands_rx, applied_tx);
        (herder, event_loop)
    }

    fn parts(&self) -> &HerderParts {
        &self.shared.parts
    }

    /// This worker's id: its advertised host and port.
    pub fn worker_id(&self) -> &str {
        &self.parts().worker_id
    }

    /// The group as of the last rebalance; `None` while this worker is not a member.
    pub fn group_view(&self) -> Option<Arc<GroupView>> {
        self.parts().group.view()
    }

    /// Fails with the leader's URL unless this worker leads the group: only the leader may
    /// `what`.
    fn leader_only(&self, what: &str) -> Result<(), HerderError> {
        leader_in(self.group_view().as_deref(), what)
    }

    /// Waits (a while at most) until this worker has acted on everything read from the config
    /// topic so far: a write answers once its effect has started here.
    async fn applied(&self) {
        let offset = self.parts().configs.snapshot().offset;
        let mut applied = self.shared.applied.clone();
        let _ = tokio::time::timeout(APPLY_TIMEOUT, applied.wait_for(|a| *a >= offset)).await;
    }

    /// Creates a connector; fails if one of that name exists. Validation (which may call the
    /// plugin) runs first; the existence check and the write run together, alone.
    pub async fn create_connector(
        &self,
        name: &str,
        props: Props,
        initial: Option<TargetState>,
        initial_offsets: Vec<PartitionOffset>,
    ) -> Result<ConnectorInfo, HerderError> {
        self.leader_only("set connector configs")?;
        let props = validate::named(name, props)?;
        let exists = || {
            if self.parts().configs.snapshot().connectors.contains_key(name) {
                Err(HerderError::AlreadyExists(format!("Connector {name} already exists")))
            } else {
                Ok(())
            }
        };
        exists()?;
        self.validated(&props).await?;
        {
            let _write = self.shared.writes.lock().await;
            exists()?;
            // Before the config, so that its first tasks start from them; first of all, so that
            // offsets refused leave nothing behind.
            self.write_initial_offsets(name, &props, initial_offsets).await?;
            if let Some(state) = initial.filter(|s| *s != TargetState::Started) {
                self.parts().configs.put_target_state(name, state).await?;
            }
            self.parts().configs.put_connector_config(name, &props).await?;
        }
        tracing::info!(connector = name, "connector created");
        self.applied().await;
        self.connector_info(name)
    }

    /// Creates or replaces a connector's config; returns whether it was created.
    pub async fn put_connector_config(&self, name: &str, props: Props) -> Result<(bool, ConnectorInfo), HerderError> {
        self.leader_only("set connector configs")?;
        let props = validate::named(name, props)?;
        self.validated(&props).await?;
        let created = {
            let _write = self.shared.writes.lock().await;
            let existing = self.parts().configs.snapshot().connectors.get(name).cloned();
            if existing.as_ref() != Some(&props) {
                self.parts().configs.put_connector_config(name, &props).await?;
                tracing::info!(
                    connector = name,
                    created = existing.is_none(),
                    "connector config written"
                );
            }
            existing.is_none()
        };
        self.applied().await;
        Ok((created, self.connector_info(name)?))
    }

    /// Changes some keys of a connector's config (`None` removes a key).
    pub async fn patch_connector_config(
        &self,
        name: &str,
        patch: Vec<(String, Option<String>)>,
    ) -> Result<ConnectorInfo, HerderError> {
        self.leader_only("set connector configs")?;
        let mut props = self.connector_config(name)?;
        for (key, value) in patch {
            match value {
                Some(v) => props.insert(key, v),
                None => props.remove(&key),
            };
        }
        Ok(self.put_connector_config(name, props).await?.1)
    }

    /// Deletes a connector (its offsets stay, as in Kafka Connect).
    pub async fn delete_connector(&self, name: &str) -> Result<(), HerderError> {
        self.connector_config(name)?;
        self.leader_only("delete connector configs")?;
        self.parts().configs.remove_connector(name).await?;
        tracing::info!(connector = name, "connector deleted");
        self.applied().await;
        Ok(())
    }

    /// Sets a connector's target state: any worker pauses and resumes, only the leader stops
    /// (a stopped connector's task configs are emptied).
    pub async fn set_target_state(&self, name: &str, state: TargetState) -> Result<(), HerderError> {
        self.known(name, "")?;
        if state == TargetState::Stopped {
            self.leader_only("transition connectors to the STOPPED state")?;
        }
        self.parts().configs.put_target_state(name, state).await?;
        tracing::info!(connector = name, state = state.as_str(), "target state written");
        self.applied().await;
        Ok(())
    }
}

/// Fails with where the leader is unless `view` says this worker leads.
fn leader_in(view: Option<&GroupView>, what: &str) -> Result<(), HerderError> {
    match view {
        Some(view) if view.is_leader() => Ok(()),
        _ => Err(HerderError::Elsewhere {
            message: format!("Only the leader can {what}."),
            url: view.map(|v| v.leader_url.clone()),
        }),
    }
}
