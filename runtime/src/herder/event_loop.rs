//! The herder's one event loop: the only place that starts, stops and changes what runs on this
//! worker. It wakes on the group's rebalances, config-topic changes (and periodically, to retry
//! what failed and rotate the session key), restart requests read from the topic, the task
//! configs connectors ask for, and the handle's commands.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use weir_connector_api::Props;

use super::assignment::Assignment;
use super::plan::{Plan, plan};
use super::{Command, Herder};
use crate::group::{ConfigSnapshot, GroupEvent, GroupView};
use crate::model::{ClusterConfig, RestartRequest, State, TaskId};
use crate::storage::ConfigNotice;
use crate::worker::{ConnectorSpec, FenceRequest, TaskConfigsGenerated};

/// How often the loop reconciles even without a change, to retry what failed.
const RECONCILE_INTERVAL: Duration = Duration::from_secs(30);

/// What woke the loop.
enum Event {
    Stop,
    Reconcile,
    Tick,
    Group(GroupEvent),
    /// The membership ended without the worker stopping (it failed): nothing may run.
    GroupGone,
    Restart(RestartRequest),
    TaskConfigs(TaskConfigsGenerated),
    Fence(FenceRequest),
    AutoRestart(TaskId),
    LoggerLevel {
        namespace: String,
        level: String,
    },
    Command(Command),
}

/// What the loop listens to besides the handle: the worker's and the group's channels.
pub struct LoopInputs {
    /// Restart requests and cluster log levels read from the config topic.
    pub notices: mpsc::UnboundedReceiver<ConfigNotice>,
    /// The task configs connectors running here ask for.
    pub generated: mpsc::UnboundedReceiver<TaskConfigsGenerated>,
    /// The fencing exactly-once source tasks starting here ask for.
    pub fences: mpsc::UnboundedReceiver<FenceRequest>,
    /// Failed tasks whose automatic restart is due.
    pub auto_restarts: mpsc::UnboundedReceiver<TaskId>,
    /// The group's rebalances.
    pub group: mpsc::UnboundedReceiver<GroupEvent>,
    /// Turns true when the worker stops.
    pub shutdown: watch::Receiver<bool>,
}

/// The herder's event loop; [`HerderLoop::run`] it on a task of its own.
pub struct HerderLoop {
    herder: Herder,
    commands: mpsc::UnboundedReceiver<Command>,
    applied: watch::Sender<i64>,
    /// Each connector's config resolved, once per config: handed to the connector and its tasks.
    specs: HashMap<String, Arc<ConnectorSpec>>,
    /// What this worker runs, as the group last assigned it.
    mine: Assignment,
    /// The connectors and their task counts as of the last reconciliation: when they change,
    /// the group must rebalance to assign what is new and revoke what is gone.
    task_counts: Option<BTreeMap<String, usize>>,
}

impl HerderLoop {
    pub(super) fn new(herder: Herder, commands: mpsc::UnboundedReceiver<Command>, applied: watch::Sender<i64>) -> Self {
        HerderLoop {
            herder,
            commands,
            applied,
            specs: HashMap::new(),
            mine: Assignment::default(),
            task_counts: None,
        }
    }

    /// Reacts to every event until `inputs.shutdown` turns true; then stops every task.
    pub async fn run(mut self, mut inputs: LoopInputs) {
        let mut changes = self.herder.parts().configs.changes();
        let mut periodic = tokio::time::interval(RECONCILE_INTERVAL);
        periodic.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut in_group = true;
        loop {
            let event = tokio::select! {
                _ = inputs.shutdown.wait_for(|stop| *stop) => Event::Stop,
                event = inputs.group.recv(), if in_group => event.map_or(Event::GroupGone, Event::Group),
                _ = changes.changed() => Event::Reconcile,
                _ = periodic.tick() => Event::Tick,
                Some(notice) = inputs.notices.recv() => match notice {
                    ConfigNotice::Restart(request) => Event::Restart(request),
                    ConfigNotice::LoggerLevel { namespace, level } => Event::LoggerLevel { namespace, level },
                },
                Some(task_configs) = inputs.generated.recv() => Event::TaskConfigs(task_configs),
                Some(request) = inputs.fences.recv() => Event::Fence(request),
                Some(id) = inputs.auto_restarts.recv() => Event::AutoRestart(id),
                Some(command) = self.commands.recv() => Event::Command(command),
            };
            match event {
                Event::Stop => break,
                Event::Reconcile => self.reconcile().await,
                Event::Tick => {
                    if let Some(view) = self.herder.group_view() {
                        self.herder.rotate_session_key(&view).await;
                    }
                    self.reconcile().await;
                }
                Event::Group(GroupEvent::Assigned { view, revoked, done }) => {
                    self.mine.remove(&revoked);
                    self.reconcile().await;
                    let _ = done.send(());
                    self.assigned(view).await;
                }
                Event::Group(GroupEvent::Lost { reason, done }) => {
                    tracing::warn!(%reason, "stopping all work: this worker is no longer a member of its group");
                    self.mine = Assignment::default();
                    self.reconcile().await;
                    let _ = done.send(());
                }
                Event::GroupGone => {
                    tracing::error!("the group membership ended unexpectedly; stopping all work on this worker");
                    in_group = false;
                    self.mine = Assignment::default();
                    self.reconcile().await;
                }
                Event::Restart(request) => {
                    self.herder.stop_for_restart(&request).await;
                    self.reconcile().await;
                }
                Event::TaskConfigs(task_configs) => self.write_task_configs(task_configs).await,
                Event::Fence(FenceRequest { connector, done }) => {
                    // Fencing takes as long as the coordinators (or the leader) do: the loop goes
                    // on meanwhile.
                    let herder = self.herder.clone();
                    tokio::spawn(async move {
                        let _ = done.send(herder.ensure_fenced(&connector).await);
                    });
                }
                Event::LoggerLevel { namespace, level } => self.herder.apply_cluster_logger_level(&namespace, &level),
                Event::AutoRestart(id) => {
                    if self.herder.stop_for_auto_restart(&id).await {
                        self.reconcile().await;
                    }
                }
                Event::Command(Command::Ping { done }) => {
                    let _ = done.send(());
                }
                Event::Command(Command::RestartTask { id, done }) => {
                    self.herder.stop_task_for_restart(&id).await;
                    self.reconcile().await;
                    let _ = done.send(());
                }
            }
        }
        self.herder.parts().worker.stop_all().await;
    }

    /// Takes up a new assignment once the config topic is read as far as it was made at; a
    /// worker that cannot read that far in `worker.sync.timeout.ms` runs nothing and stays out
    /// of the group for `worker.unsync.backoff.ms`.
    async fn assigned(&mut self, view: Arc<GroupView>) {
        let herder = self.herder.clone();
        let parts = herder.parts();
        parts.statuses.set_generation(i64::from(view.generation));
        let settings = &parts.config.group;
        let caught_up = tokio::time::timeout(settings.sync_timeout, parts.configs.catch_up()).await;
        let read = ConfigSnapshot::from(&parts.configs.snapshot()).offset;
        if !matches!(caught_up, Ok(Ok(()))) || read < view.config_offset {
            tracing::warn!(
                assignment_offset = view.config_offset,
                read,
                backoff = ?settings.unsync_backoff,
                "could not read the config topic to the assignment's offset in worker.sync.timeout.ms; leaving the group for a while"
            );
            self.mine = Assignment::default();
            self.reconcile().await;
            parts.group.step_out(settings.unsync_backoff);
            return;
        }
        // While this worker read, the member may have moved on: stepped out or lost the group
        // (nothing may start), or joined a newer generation (whose event follows).
        match self.herder.group_view() {
            Some(current) if current.generation == view.generation && current.member_id == view.member_id => {}
            Some(_) => return,
            None => {
                self.mine = Assignment::default();
                self.reconcile().await;
                return;
            }
        }
        self.mine = Assignment::from(&view.held);
        self.herder.rotate_session_key(&view).await;
        self.reconcile().await;
    }

    /// Makes this worker run its share of what the config topic says, and asks the group to
    /// rebalance when the connectors or their task counts changed.
    async fn reconcile(&mut self) {
        let cluster = self.herder.parts().configs.snapshot();
        self.rebalance_on_new_work(&cluster);
        let plan = plan(&cluster, &self.mine, &self.herder.parts().worker.running());
        self.carry_out(plan).await;
        self.applied.send_replace(cluster.offset);
    }

    /// Asks for a rebalance when the connectors or their task counts differ from the last
    /// reconciliation's (a new connector has no worker yet; a task count change adds or
    /// removes tasks).
    fn rebalance_on_new_work(&mut self, cluster: &ClusterConfig) {
        let counts = ConfigSnapshot::from(cluster).task_counts;
        let view = self.herder.group_view();
        let new_work = match &self.task_counts {
            Some(before) => *before != counts,
            // The first reconciliation may come after configs written since the assignment was
            // made (at the view's config offset): what they add has no worker yet.
            None => view.as_ref().is_some_and(|view| cluster.offset > view.config_offset),
        };
        if new_work && view.is_some() {
            self.herder.parts().group.request_rejoin();
        }
        self.task_counts = Some(counts);
    }

    /// Carries a plan out: stops first, then starts.
    async fn carry_out(&mut self, plan: Plan) {
        let herder = self.herder.clone();
        let worker = &herder.parts().worker;
        let statuses = worker.statuses();
        for name in &plan.stop_connectors {
            worker.stop_connector(name).await;
        }
        for name in &plan.forget_connectors {
            self.specs.remove(name);
            statuses.forget_connector(name).await;
        }
        futures::future::join_all(plan.stop_tasks.iter().map(|id| worker.stop_task(id))).await;
        for id in &plan.forget_tasks {
            statuses.forget_task(id).await;
        }
        for name in &plan.unassign_connectors {
            statuses.connector(name, State::Unassigned, None).await;
        }
        for id in &plan.unassign_tasks {
            statuses.task(id, State::Unassigned, None).await;
        }
        for (name, config, target) in plan.start_connectors {
            let spec = self.spec(&name, &config);
            worker.start_connector(spec, target);
        }
        for start in plan.start_tasks {
            let spec = self.spec(&start.id.connector, &start.connector_config);
            worker
                .start_task(start.id, &spec, start.task_config, start.target)
                .await;
        }
        for (id, target) in &plan.retarget_tasks {
            worker.set_task_target(id, *target);
        }
    }

    /// A connector's resolved spec, resolved again only when its config changed (or when it
    /// failed to resolve: a plugin may have been installed since).
    fn spec(&mut self, name: &str, props: &Props) -> Arc<ConnectorSpec> {
        if let Some(spec) = self.specs.get(name)
            && spec.props == *props
        {
            return spec.clone();
        }
        let spec = Arc::new(self.herder.parts().worker.resolve(name, props));
        if spec.resolved().is_ok() {
            self.specs.insert(name.to_owned(), spec.clone());
        } else {
            self.specs.remove(name);
        }
        spec
    }

    /// Has the task configs a connector asked for written, when the connector still runs with
    /// the config it was asked under and they changed: by this worker when it leads, else by
    /// the leader, to which they are sent.
    async fn write_task_configs(&mut self, generated: TaskConfigsGenerated) {
        let parts = self.herder.parts();
        let name = &generated.connector;
        let running = parts.worker.running();
        let current = running
            .connectors
            .get(name)
            .is_some_and(|(config, _)| *config == generated.config);
        let snapshot = parts.configs.snapshot();
        let Some(view) = self.herder.group_view() else {
            return;
        };
        if !current || generated.task_configs == snapshot.task_configs(name) {
            return;
        }
        if !view.is_leader() {
            // Sending may take as long as the leader does; the loop goes on meanwhile.
            let herder = self.herder.clone();
            tokio::spawn(async move {
                let name = &generated.connector;
                if let Err(e) = herder.send_task_configs(&view, name, &generated.task_configs).await {
                    tracing::error!(connector = %name, error = %e, "could not send task configs to the leader; will retry");
                    herder.parts().worker.stop_connector(name).await;
                }
            });
            return;
        }
        tracing::info!(connector = %name, tasks = generated.task_configs.len(), "writing task configs");
        if let Err(e) = parts.configs.put_task_configs(name, &generated.task_configs).await {
            // Forget the start, so the next reconciliation asks again.
            tracing::error!(connector = %name, error = %e, "could not write task configs; will retry");
            parts.worker.stop_connector(name).await;
        }
    }
}
