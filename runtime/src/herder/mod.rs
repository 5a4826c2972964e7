//! The herder: turns requests into records on the config topic, and the config topic into
//! running connectors and tasks.
//!
//! Every change goes through the config topic and takes effect when read back, as in Kafka
//! Connect's distributed herder: a request writes a record, and [`Herder::reconcile`] makes
//! this worker's connectors and tasks match what the topic says, for the share that
//! [`assignment`] gives this worker.

pub mod assignment;
mod sink_offsets;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use weir_connector_api::{ConfigKey, ConnectorKind, PluginDescriptor, Props};

use crate::config::ConnectorConfig;
use crate::config::connector::{common_definition, validate_common};
use crate::converter;
use crate::kafka::{KafkaClients, KafkaOpError};
use crate::model::{
    ClusterConfig, ConnectorInfo, ConnectorStatus, InstanceStatus, PartitionOffset, PluginKind, PluginSummary,
    RestartRequest, State, Status, TargetState, TaskConfig, TaskId, TaskStatus, Validation,
};
use crate::plugins::Plugins;
use crate::storage::{ConfigStore, OffsetStore, StatusStore, StorageError};
use crate::worker::{TaskConfigsGenerated, Worker};
use assignment::{Membership, assign};

/// The most bytes a connector config may take as a config-topic record: below the producer's
/// and the broker's default limit of 1 MiB, with room for the key and the record's framing.
const MAX_CONNECTOR_CONFIG_BYTES: usize = 1_000_000;

/// How often the herder reconciles even without a change, to retry what failed.
const RECONCILE_INTERVAL: Duration = Duration::from_secs(30);

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
    /// The config topic.
    pub configs: ConfigStore,
    /// The offsets topic.
    pub offsets: OffsetStore,
    /// The status topic.
    pub statuses: StatusStore,
    /// The worker that runs tasks.
    pub worker: Worker,
    /// Connector plugins.
    pub plugins: Arc<Plugins>,
    /// Kafka client settings.
    pub clients: KafkaClients,
}

/// The herder; cheap to clone.
#[derive(Clone)]
pub struct Herder {
    inner: Arc<Inner>,
}

struct Inner {
    parts: HerderParts,
    membership: Membership,
    /// Serializes reconciliations and restarts; holds `true` once the worker is shutting down,
    /// after which nothing is started any more.
    reconciling: tokio::sync::Mutex<bool>,
    /// Serializes connector config writes with the checks they depend on (whether a connector
    /// of that name exists), so two creates of one name cannot both succeed.
    writes: tokio::sync::Mutex<()>,
}

/// What a restart request restarts, from the current statuses.
struct RestartPlan {
    connector: bool,
    tasks: Vec<usize>,
}

impl Herder {
    /// A herder over these parts, for a group of one worker.
    pub fn new(parts: HerderParts) -> Self {
        let membership = Membership::single(&parts.worker_id);
        Herder {
            inner: Arc::new(Inner {
                parts,
                membership,
                reconciling: tokio::sync::Mutex::new(false),
                writes: tokio::sync::Mutex::new(()),
            }),
        }
    }

    fn parts(&self) -> &HerderParts {
        &self.inner.parts
    }

    fn is_leader(&self) -> bool {
        self.inner.membership.leader() == self.parts().worker_id
    }

    /// Reacts to config changes, restart requests and the task configs connectors ask for,
    /// until `shutdown` turns true; then stops every task.
    pub async fn run(
        self,
        mut restarts: mpsc::UnboundedReceiver<RestartRequest>,
        mut generated: mpsc::UnboundedReceiver<TaskConfigsGenerated>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut changes = self.parts().configs.changes();
        let mut periodic = tokio::time::interval(RECONCILE_INTERVAL);
        /// What woke the loop (acted on after `select!`, whose branches hold borrows).
        enum Event {
            Stop,
            Reconcile,
            Restart(RestartRequest),
            TaskConfigs(TaskConfigsGenerated),
        }
        loop {
            let event = tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => Event::Stop,
                _ = changes.changed() => Event::Reconcile,
                _ = periodic.tick() => Event::Reconcile,
                Some(request) = restarts.recv() => Event::Restart(request),
                Some(task_configs) = generated.recv() => Event::TaskConfigs(task_configs),
            };
            match event {
                Event::Stop => break,
                Event::Reconcile => self.reconcile_logged().await,
                Event::Restart(request) => self.execute_restart(&request).await,
                Event::TaskConfigs(task_configs) => self.write_task_configs(task_configs).await,
            }
        }
        let mut shutting_down = self.inner.reconciling.lock().await;
        *shutting_down = true;
        self.parts().worker.stop_all().await;
    }

    async fn reconcile_logged(&self) {
        if let Err(e) = self.reconcile().await {
            tracing::error!(error = %e, "could not apply the config topic; will retry");
        }
    }

    /// Makes this worker run what the config topic assigns it. No plugin code runs here: a
    /// connector asks for its task configs on its own, and [`Herder::write_task_configs`]
    /// writes them when they come.
    pub async fn reconcile(&self) -> Result<(), HerderError> {
        let shutting_down = self.inner.reconciling.lock().await;
        if *shutting_down {
            return Ok(());
        }
        let snapshot = self.parts().configs.snapshot();
        let mine = assign(&snapshot, &self.inner.membership, &self.parts().worker_id);
        self.reconcile_connectors(&snapshot, &mine.connectors).await;
        self.reconcile_tasks(&snapshot, &mine.tasks).await;
        Ok(())
    }

    /// Starts, restarts and forgets connectors.
    async fn reconcile_connectors(&self, snapshot: &ClusterConfig, mine: &BTreeSet<String>) {
        let parts = self.parts();
        for name in parts.worker.connector_names() {
            if !mine.contains(&name) {
                parts.worker.stop_connector(&name);
                if !snapshot.connectors.contains_key(&name) {
                    parts.statuses.remove_connector(&name).await;
                }
            }
        }
        for name in mine {
            let (Some(config), target) = (snapshot.connectors.get(name), snapshot.target_state(name)) else {
                continue;
            };
            if parts
                .worker
                .connector(name)
                .is_some_and(|(c, t)| c == *config && t == target)
            {
                continue;
            }
            parts.worker.start_connector(name, config, target);
        }
    }

    /// Writes the task configs a connector asked for, when this worker writes configs, the
    /// connector still runs with the config it was asked under, and they changed.
    async fn write_task_configs(&self, generated: TaskConfigsGenerated) {
        let parts = self.parts();
        let name = &generated.connector;
        let current = parts
            .worker
            .connector(name)
            .is_some_and(|(config, _)| config == generated.config);
        let snapshot = parts.configs.snapshot();
        if !self.is_leader() || !current || generated.task_configs == snapshot.task_configs(name) {
            return;
        }
        tracing::info!(connector = %name, tasks = generated.task_configs.len(), "writing task configs");
        if let Err(e) = parts.configs.put_task_configs(name, &generated.task_configs).await {
            // Forget the start, so the next reconciliation asks again.
            tracing::error!(connector = %name, error = %e, "could not write task configs; will retry");
            parts.worker.stop_connector(name);
        }
    }

    /// Starts, restarts, pauses, resumes and stops tasks. Every task that goes away or changes
    /// is stopped before any is started, so old and new tasks of a connector never overlap.
    async fn reconcile_tasks(&self, snapshot: &ClusterConfig, mine: &BTreeSet<TaskId>) {
        let worker = &self.parts().worker;
        let configs = |id: &TaskId| {
            let connector = snapshot.connectors.get(&id.connector)?;
            let task = snapshot.task_configs(&id.connector).get(id.task)?;
            Some((connector, task))
        };
        let (removed, changed): (Vec<TaskId>, Vec<TaskId>) = worker
            .task_ids()
            .into_iter()
            .filter(|id| {
                !mine.contains(id) || configs(id).is_none_or(|(c, t)| worker.task_matches(id, c, t) != Some(true))
            })
            .partition(|id| !mine.contains(id));
        futures::future::join_all(removed.iter().chain(&changed).map(|id| worker.stop_task(id))).await;
        for id in &removed {
            self.parts().statuses.remove_task(&id.connector, id.task).await;
        }
        for id in mine {
            let Some((connector_config, task_config)) = configs(id) else {
                continue;
            };
            let target = snapshot.target_state(&id.connector);
            match worker.task_matches(id, connector_config, task_config) {
                Some(_) => worker.set_task_target(id, target),
                None => {
                    worker
                        .start_task(id.clone(), connector_config.clone(), task_config.clone(), target)
                        .await
                }
            }
        }
    }

    fn plugin(&self, class: &str) -> Result<PluginDescriptor, HerderError> {
        self.parts().plugins.connector(class).ok_or_else(|| {
            let all = self.parts().plugins.connectors();
            let known: Vec<_> = all.iter().map(|p| p.class.as_str()).collect();
            HerderError::BadRequest(format!(
                "Failed to find any class that implements Connector and which name matches {class}, available connectors are: {}",
                known.join(", ")
            ))
        })
    }

    /// Validates a connector config against its plugin's definition and the common keys.
    pub async fn validate(&self, props: &Props) -> Result<Validation, HerderError> {
        let class = props
            .get("connector.class")
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                HerderError::BadRequest(format!(
                    "Connector config {} contains no connector type",
                    serde_json::to_string(props).unwrap_or_default()
                ))
            })?;
        let plugin = self.plugin(class)?;
        let kind = plugin.plugin.kind();
        let common = common_definition(kind);
        let own = plugin.plugin.connector().config_def();
        let mut values = common.validate(props);
        validate_common(kind, props, &mut values);
        let mut own_values = own.validate(props);
        plugin.plugin.connector().validate(props, &mut own_values).await;
        values.extend(own_values);
        let mut groups = common.groups();
        groups.extend(
            own.groups()
                .into_iter()
                .filter(|g| !groups.contains(g))
                .collect::<Vec<_>>(),
        );
        let definition = common.merge(own);
        Ok(Validation {
            class: plugin.class.clone(),
            groups,
            keys: definition.keys().to_vec(),
            values,
        })
    }

    /// Refuses a config larger than one record of the config topic can be, naming its largest
    /// value (the broker would refuse the write).
    fn check_size(props: &Props) -> Result<(), HerderError> {
        let size = serde_json::to_vec(&serde_json::json!({ "properties": props }))
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if size <= MAX_CONNECTOR_CONFIG_BYTES {
            return Ok(());
        }
        let (key, value) = props
            .iter()
            .max_by_key(|(k, v)| k.len() + v.len())
            .map(|(k, v)| (k.as_str(), v.len()))
            .unwrap_or_default();
        Err(HerderError::TooLarge(format!(
            "Connector configuration is {size} bytes; a config can be at most {MAX_CONNECTOR_CONFIG_BYTES} bytes (the largest value, of '{key}', is {value} bytes)"
        )))
    }

    async fn validated(&self, props: &Props) -> Result<(), HerderError> {
        Self::check_size(props)?;
        let infos = self.validate(props).await?;
        let error_count = infos.error_count();
        if error_count == 0 {
            return Ok(());
        }
        let class = props.get("connector.class").cloned().unwrap_or_default();
        Err(HerderError::BadRequest(format!(
            "Connector configuration is invalid and contains the following {} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{class}/config/validate`",
            error_count,
            infos.errors().join("\n")
        )))
    }

    /// Refuses names a URL cannot reach (`.`, `..`, `/`) and names that could mislead a reader
    /// (control characters, and the bidirectional formatting ones that reorder text).
    fn check_name(name: &str) -> Result<(), HerderError> {
        const BIDI: [char; 12] = [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
            '\u{2067}', '\u{2068}', '\u{2069}',
        ];
        if name.trim().is_empty() {
            return Err(HerderError::BadRequest("Connector name is required".into()));
        }
        if name == "." || name == ".." || name.contains('/') {
            return Err(HerderError::BadRequest(format!(
                "Connector name '{name}' cannot be used in a URL path"
            )));
        }
        if name.chars().any(|c| c.is_control() || BIDI.contains(&c)) {
            return Err(HerderError::BadRequest(format!(
                "Connector name '{}' contains control or bidirectional formatting characters",
                name.escape_default()
            )));
        }
        Ok(())
    }

    /// Puts `name` into the config, refusing a different `name` already there.
    fn named(name: &str, mut props: Props) -> Result<Props, HerderError> {
        Self::check_name(name)?;
        match props.get("name") {
            Some(given) if given != name => {
                return Err(HerderError::BadRequest(format!(
                    "Connector name configuration ({given}) doesn't match connector name in the URL ({name})"
                )));
            }
            _ => props.insert("name".into(), name.to_owned()),
        };
        Ok(props)
    }

    /// Creates a connector; fails if one of that name exists. Validation (which may call the
    /// plugin) runs first; the existence check and the write run together, alone.
    pub async fn create_connector(
        &self,
        name: &str,
        props: Props,
        initial: Option<TargetState>,
    ) -> Result<ConnectorInfo, HerderError> {
        let props = Self::named(name, props)?;
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
            let _write = self.inner.writes.lock().await;
            exists()?;
            if let Some(state) = initial.filter(|s| *s != TargetState::Started) {
                self.parts().configs.put_target_state(name, state).await?;
            }
            self.parts().configs.put_connector_config(name, &props).await?;
        }
        tracing::info!(connector = name, "connector created");
        self.reconcile().await?;
        self.connector_info(name)
    }

    /// Creates or replaces a connector's config; returns whether it was created.
    pub async fn put_connector_config(&self, name: &str, props: Props) -> Result<(bool, ConnectorInfo), HerderError> {
        let props = Self::named(name, props)?;
        self.validated(&props).await?;
        let created = {
            let _write = self.inner.writes.lock().await;
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
        self.reconcile().await?;
        Ok((created, self.connector_info(name)?))
    }

    /// Changes some keys of a connector's config (`None` removes a key).
    pub async fn patch_connector_config(
        &self,
        name: &str,
        patch: Vec<(String, Option<String>)>,
    ) -> Result<ConnectorInfo, HerderError> {
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
        self.parts().configs.remove_connector(name).await?;
        tracing::info!(connector = name, "connector deleted");
        self.reconcile().await
    }

    /// Sets a connector's target state.
    pub async fn set_target_state(&self, name: &str, state: TargetState) -> Result<(), HerderError> {
        self.connector_config(name)?;
        self.parts().configs.put_target_state(name, state).await?;
        tracing::info!(connector = name, state = state.as_str(), "target state written");
        self.reconcile().await
    }

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

    fn kind_of(&self, props: &Props) -> Option<ConnectorKind> {
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

    fn instance_status(&self, status: Option<Status>) -> InstanceStatus {
        match status {
            Some(s) => InstanceStatus {
                state: s.state,
                worker_id: s.worker_id,
                trace: s.trace,
            },
            None => InstanceStatus {
                state: State::Unassigned,
                worker_id: self.parts().worker_id.clone(),
                trace: None,
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
        let tasks = (0..snapshot.task_configs(name).len())
            .map(|id| TaskStatus {
                id,
                status: self.instance_status(statuses.task(name, id)),
            })
            .collect();
        Ok(ConnectorStatus {
            name: name.to_owned(),
            connector: self.instance_status(statuses.connector(name)),
            tasks,
            kind: self.kind_of(config),
        })
    }

    /// One task's state.
    pub fn task_status(&self, name: &str, task: usize) -> Result<TaskStatus, HerderError> {
        let status = self.connector_status(name)?;
        status
            .tasks
            .into_iter()
            .nth(task)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown task {name}-{task}")))
    }

    fn restart_plan(&self, request: &RestartRequest, status: &ConnectorStatus) -> RestartPlan {
        let failed = |state: &State| *state == State::Failed;
        RestartPlan {
            connector: !request.only_failed || failed(&status.connector.state),
            tasks: status
                .tasks
                .iter()
                .filter(|t| request.include_tasks && (!request.only_failed || failed(&t.status.state)))
                .map(|t| t.id)
                .collect(),
        }
    }

    /// Asks for a restart of a connector and, per the flags, its tasks. Returns the state with
    /// the instances to restart shown RESTARTING, unless both flags are false.
    pub async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStatus>, HerderError> {
        let mut status = self.connector_status(name)?;
        let request = RestartRequest {
            connector: name.to_owned(),
            include_tasks,
            only_failed,
        };
        let plan = self.restart_plan(&request, &status);
        self.parts().configs.put_restart_request(&request).await?;
        if !include_tasks && !only_failed {
            return Ok(None);
        }
        if plan.connector {
            status.connector.state = State::Restarting;
        }
        for task in status.tasks.iter_mut().filter(|t| plan.tasks.contains(&t.id)) {
            task.status.state = State::Restarting;
        }
        Ok(Some(status))
    }

    /// Carries out a restart request read from the config topic, for this worker's share.
    async fn execute_restart(&self, request: &RestartRequest) {
        let Ok(status) = self.connector_status(&request.connector) else {
            return;
        };
        let plan = self.restart_plan(request, &status);
        {
            let _guard = self.inner.reconciling.lock().await;
            let parts = self.parts();
            if plan.connector && parts.worker.connector(&request.connector).is_some() {
                parts
                    .statuses
                    .put_connector(&request.connector, self.status(State::Restarting))
                    .await;
                parts.worker.stop_connector(&request.connector);
            }
            for task in plan.tasks {
                self.stop_for_restart(&TaskId::new(&request.connector, task)).await;
            }
        }
        tracing::info!(connector = %request.connector, include_tasks = request.include_tasks, only_failed = request.only_failed, "restarting");
        self.reconcile_logged().await;
    }

    fn status(&self, state: State) -> Status {
        Status::new(state, None, &self.parts().worker_id)
    }

    async fn stop_for_restart(&self, id: &TaskId) {
        let parts = self.parts();
        if parts.worker.task_ids().contains(id) {
            parts
                .statuses
                .put_task(&id.connector, id.task, self.status(State::Restarting))
                .await;
            parts.worker.stop_task(id).await;
        }
    }

    /// Restarts one task.
    pub async fn restart_task(&self, name: &str, task: usize) -> Result<(), HerderError> {
        self.task_status(name, task)?;
        {
            let _guard = self.inner.reconciling.lock().await;
            self.stop_for_restart(&TaskId::new(name, task)).await;
        }
        self.reconcile().await
    }

    /// A connector's offsets: source offsets from the offsets topic, sink offsets from its
    /// consumer group.
    pub async fn offsets(&self, name: &str) -> Result<Vec<PartitionOffset>, HerderError> {
        let props = self.connector_config(name)?;
        let offsets = match self.kind_of(&props) {
            Some(ConnectorKind::Sink) => {
                let config = ConnectorConfig::parse(ConnectorKind::Sink, &props)
                    .map_err(|e| HerderError::BadRequest(e.to_string()))?;
                sink_offsets::read(&self.parts().clients, &config).await?
            }
            _ => self
                .parts()
                .offsets
                .connector_offsets(name)
                .into_iter()
                .map(|(partition, offset)| PartitionOffset {
                    partition,
                    offset: Some(offset),
                })
                .collect(),
        };
        Ok(offsets)
    }

    /// Checks that a connector exists and is stopped, with no task left running; returns its kind.
    fn stopped_kind(&self, name: &str) -> Result<Option<ConnectorKind>, HerderError> {
        let props = self.connector_config(name)?;
        let snapshot = self.parts().configs.snapshot();
        let running = self.parts().worker.task_ids().iter().any(|t| t.connector == name);
        if snapshot.target_state(name) != TargetState::Stopped || running || !snapshot.task_configs(name).is_empty() {
            return Err(HerderError::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(self.kind_of(&props))
    }

    /// Replaces some of a stopped connector's offsets.
    pub async fn alter_offsets(&self, name: &str, offsets: Vec<PartitionOffset>) -> Result<String, HerderError> {
        if offsets.is_empty() {
            return Err(HerderError::BadRequest(
                "Partitions / offsets need to be provided for an alter offsets request".into(),
            ));
        }
        match self.stopped_kind(name)? {
            Some(ConnectorKind::Sink) => sink_offsets::alter(&self.parts().clients, name, &offsets).await?,
            _ => {
                let entries: Vec<_> = offsets.into_iter().map(|e| (e.partition, e.offset)).collect();
                self.parts().offsets.put(name, &entries).await?;
            }
        }
        Ok("The offsets for this connector have been altered successfully".into())
    }

    /// Forgets all of a stopped connector's offsets.
    pub async fn reset_offsets(&self, name: &str) -> Result<String, HerderError> {
        match self.stopped_kind(name)? {
            Some(ConnectorKind::Sink) => sink_offsets::reset(&self.parts().clients, name).await?,
            _ => {
                let entries: Vec<_> = self
                    .parts()
                    .offsets
                    .connector_offsets(name)
                    .into_iter()
                    .map(|(p, _)| (p, None))
                    .collect();
                self.parts().offsets.put(name, &entries).await?;
            }
        }
        Ok("The offsets for this connector have been reset successfully".into())
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
        if !connectors_only {
            plugins.extend(converter::classes().map(|class| PluginSummary {
                class: class.into(),
                kind: PluginKind::Converter,
                version: env!("CARGO_PKG_VERSION").into(),
            }));
        }
        plugins
    }

    /// Whether two class names or aliases name the same plugin.
    pub fn same_plugin(&self, a: &str, b: &str) -> bool {
        let plugins = &self.parts().plugins;
        matches!((plugins.connector(a), plugins.connector(b)), (Some(x), Some(y)) if x.class == y.class)
    }

    /// A connector plugin's own config keys.
    pub fn plugin_config(&self, class: &str) -> Result<Vec<ConfigKey>, HerderError> {
        let plugin = self
            .parts()
            .plugins
            .connector(class)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown plugin {class}.")))?;
        Ok(plugin.plugin.connector().config_def().keys().to_vec())
    }
}
