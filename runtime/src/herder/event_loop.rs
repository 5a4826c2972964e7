//! The herder's one event loop: the only place that starts, stops and changes what runs on this
//! worker. It wakes on config-topic changes (and periodically, to retry what failed), restart
//! requests read from the topic, the task configs connectors ask for, and the handle's commands.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use weir_connector_api::Props;

use super::assignment::assign;
use super::plan::{Plan, plan};
use super::{Command, Herder};
use crate::model::RestartRequest;
use crate::worker::{ConnectorSpec, TaskConfigsGenerated};

/// How often the loop reconciles even without a change, to retry what failed.
const RECONCILE_INTERVAL: Duration = Duration::from_secs(30);

/// What woke the loop.
enum Event {
    Stop,
    Reconcile,
    Restart(RestartRequest),
    TaskConfigs(TaskConfigsGenerated),
    Command(Command),
}

/// The herder's event loop; [`HerderLoop::run`] it on a task of its own.
pub struct HerderLoop {
    herder: Herder,
    commands: mpsc::UnboundedReceiver<Command>,
    applied: watch::Sender<i64>,
    /// Each connector's config resolved, once per config: handed to the connector and its tasks.
    specs: HashMap<String, Arc<ConnectorSpec>>,
}

impl HerderLoop {
    pub(super) fn new(herder: Herder, commands: mpsc::UnboundedReceiver<Command>, applied: watch::Sender<i64>) -> Self {
        HerderLoop {
            herder,
            commands,
            applied,
            specs: HashMap::new(),
        }
    }

    /// Reacts to every event until `shutdown` turns true; then stops every task.
    pub async fn run(
        mut self,
        mut restarts: mpsc::UnboundedReceiver<RestartRequest>,
        mut generated: mpsc::UnboundedReceiver<TaskConfigsGenerated>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut changes = self.herder.parts().configs.changes();
        let mut periodic = tokio::time::interval(RECONCILE_INTERVAL);
        loop {
            let event = tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => Event::Stop,
                _ = changes.changed() => Event::Reconcile,
                _ = periodic.tick() => Event::Reconcile,
                Some(request) = restarts.recv() => Event::Restart(request),
                Some(task_configs) = generated.recv() => Event::TaskConfigs(task_configs),
                Some(command) = self.commands.recv() => Event::Command(command),
            };
            match event {
                Event::Stop => break,
                Event::Reconcile => self.reconcile().await,
                Event::Restart(request) => {
                    self.herder.stop_for_restart(&request).await;
                    self.reconcile().await;
                }
                Event::TaskConfigs(task_configs) => self.write_task_configs(task_configs).await,
                Event::Command(Command::RestartTask { id, done }) => {
                    self.herder.stop_task_for_restart(&id).await;
                    self.reconcile().await;
                    let _ = done.send(());
                }
            }
        }
        self.herder.parts().worker.stop_all().await;
    }

    /// Makes this worker run its share of what the config topic says.
    async fn reconcile(&mut self) {
        let parts = self.herder.parts();
        let cluster = parts.configs.snapshot();
        let mine = assign(&cluster, &self.herder.shared.membership, &parts.worker_id);
        let plan = plan(&cluster, &mine, &parts.worker.running());
        self.carry_out(plan).await;
        self.applied.send_replace(cluster.offset);
    }

    /// Carries a plan out: stops first, then starts.
    async fn carry_out(&mut self, plan: Plan) {
        let herder = self.herder.clone();
        let worker = &herder.parts().worker;
        for name in &plan.stop_connectors {
            worker.stop_connector(name);
        }
        for name in &plan.forget_connectors {
            self.specs.remove(name);
            worker.statuses().forget_connector(name).await;
        }
        futures::future::join_all(plan.stop_tasks.iter().map(|id| worker.stop_task(id))).await;
        for id in &plan.forget_tasks {
            worker.statuses().forget_task(id).await;
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

    /// Writes the task configs a connector asked for, when this worker writes configs, the
    /// connector still runs with the config it was asked under, and they changed.
    async fn write_task_configs(&mut self, generated: TaskConfigsGenerated) {
        let parts = self.herder.parts();
        let name = &generated.connector;
        let running = parts.worker.running();
        let current = running
            .connectors
            .get(name)
            .is_some_and(|(config, _)| *config == generated.config);
        let snapshot = parts.configs.snapshot();
        if !self.herder.is_leader() || !current || generated.task_configs == snapshot.task_configs(name) {
            return;
        }
        tracing::info!(connector = %name, tasks = generated.task_configs.len(), "writing task configs");
        if let Err(e) = parts.configs.put_task_configs(name, &generated.task_configs).await {
            // Forget the start, so the next reconciliation asks again.
            tracing::error!(connector = %name, error = %e, "could not write task configs; will retry");
            parts.worker.stop_connector(name);
        }
    }
}
