//! The worker: runs the connectors and tasks the herder assigns to it, and reports their status.
//!
//! Each task runs in its own tokio task under a supervisor: an error or a panic fails that task
//! (FAILED, with the error as its trace) and nothing else. A connector's task configs are asked
//! of its plugin on a tokio task of its own, so no plugin call holds the herder.

mod auto_restart;
mod dead_letter;
mod errors;
mod pipeline;
mod retry;
mod sink_task;
mod source_task;
mod spec;
mod status;
mod task_io;
mod transform_chain;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{AbortHandle, JoinHandle};
use tracing::Instrument;
use weir_connector_api::{ConnectError, ConnectorPlugin, Props};

use crate::config::WorkerConfig;
use crate::config::providers::ConfigProviders;
use crate::kafka::{KafkaClients, KafkaOpError};
use crate::metrics::MetricsRegistry;
use crate::model::{Running, RunningTask, State, TargetState, TaskId};
use crate::plugins::Plugins;
use crate::storage::OffsetStores;
use crate::sync::lock;
use auto_restart::RestartCounts;
use retry::Backoff;
pub use sink_task::consumer_group;
pub use spec::{ConnectorSpec, Resolved, converter_errors, version_errors};
pub use status::StatusWriter;
use task_io::{Directive, TaskIo};
use weir_connector_api::ConversionError;

/// Why a task stopped with a failure.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// The connector's code failed.
    #[error(transparent)]
    Connector(#[from] ConnectError),
    /// A record failed in a converter or transform and `errors.tolerance` is `none`.
    #[error("Tolerance exceeded in error handler: {0}")]
    Tolerance(errors::RecordFailure),
    /// A converter could not be set up.
    #[error("{0}")]
    Converter(#[from] ConversionError),
    /// Kafka failed.
    #[error(transparent)]
    Kafka(#[from] KafkaOpError),
    /// The task could not be set up.
    #[error("{0}")]
    Setup(String),
}

/// What every task runner needs from the worker.
pub struct WorkerContext {
    /// The worker config.
    pub config: Arc<WorkerConfig>,
    /// Kafka client settings.
    pub clients: KafkaClients,
    /// Source offsets: the worker's offsets topic and the connectors' own.
    pub offsets: OffsetStores,
    /// Where statuses go.
    pub statuses: StatusWriter,
    /// Connector plugins.
    pub plugins: Arc<Plugins>,
    /// The tasks' figures.
    pub metrics: MetricsRegistry,
    /// Where an exactly-once source task asks, before it starts, for its connector's older
    /// tasks to be fenced.
    pub fences: mpsc::UnboundedSender<FenceRequest>,
    /// Where a failed task goes, once its automatic restart is due, for the herder to restart.
    pub auto_restarts: mpsc::UnboundedSender<TaskId>,
}

/// A running (or finished) task.
struct TaskHandle {
    connector_config: Props,
    task_config: Props,
    target: TargetState,
    directive: watch::Sender<Directive>,
    runner: AbortHandle,
    supervisor: JoinHandle<()>,
}

/// A started connector: what it was started with, and its task-config request in flight.
struct ConnectorHandle {
    config: Props,
    target: TargetState,
    /// Counts starts, so that the answer to an earlier start is told apart.
    generation: u64,
    request: JoinHandle<()>,
}

/// The task configs a started connector asked for, for the herder to write.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskConfigsGenerated {
    /// The connector.
    pub connector: String,
    /// The config it was started with.
    pub config: Props,
    /// What it asked for (none when stopped).
    pub task_configs: Vec<Props>,
}

/// An exactly-once source task's request, before it starts, for the producers of its
/// connector's older tasks to be fenced (Kafka Connect's zombie fencing); answered once they
/// are, or with why not.
pub struct FenceRequest {
    /// The connector.
    pub connector: String,
    /// Where the answer goes.
    pub done: oneshot::Sender<Result<(), String>>,
}

/// The connectors started on this worker.
type Connectors = Arc<Mutex<BTreeMap<String, ConnectorHandle>>>;

/// The connectors and tasks running on this worker.
pub struct Worker {
    context: Arc<WorkerContext>,
    connectors: Connectors,
    starts: AtomicU64,
    generated: mpsc::UnboundedSender<TaskConfigsGenerated>,
    tasks: Mutex<HashMap<TaskId, TaskHandle>>,
    restart_counts: Arc<RestartCounts>,
}

impl Worker {
    /// A worker with nothing running. The task configs its connectors ask for are sent to
    /// `generated`.
    pub fn new(context: Arc<WorkerContext>, generated: mpsc::UnboundedSender<TaskConfigsGenerated>) -> Self {
        Worker {
            context,
            connectors: Connectors::default(),
            starts: AtomicU64::new(0),
            generated,
            tasks: Mutex::default(),
            restart_counts: Arc::default(),
        }
    }

    /// A connector's config resolved against this worker's plugins and defaults.
    pub fn resolve(&self, name: &str, props: &Props) -> ConnectorSpec {
        ConnectorSpec::resolve(name, props, &self.context.plugins, &self.context.config)
    }

    /// Where this worker's statuses go.
    pub fn statuses(&self) -> &StatusWriter {
        &self.context.statuses
    }

    /// Starts (or restarts) a connector with this spec and target. Asking the connector for
    /// its task configs is a plugin call, which may take long: it runs on its own, records the
    /// connector's status (FAILED with the reason, if it fails), and sends what the connector
    /// asked for to the herder. Nothing waits for it.
    pub fn start_connector(&self, spec: Arc<ConnectorSpec>, target: TargetState) {
        let generation = self.starts.fetch_add(1, Ordering::Relaxed);
        // The request checks its generation against this map when it ends, so the handle is
        // in it before the request can run.
        let mut connectors = lock(&self.connectors);
        let name = spec.name.clone();
        let config = spec.props.clone();
        let request = tokio::spawn(
            ask_task_configs(
                self.context.clone(),
                self.connectors.clone(),
                self.generated.clone(),
                (spec, target, generation),
            )
            .instrument(tracing::info_span!("connector", connector = %name)),
        );
        let handle = ConnectorHandle {
            config,
            target,
            generation,
            request,
        };
        if let Some(earlier) = connectors.insert(name, handle) {
            earlier.request.abort();
        }
    }

    /// Forgets a connector, and ends any task-config request of it in flight (its tasks are
    /// stopped separately). Once this returns, the request writes no status: one written after
    /// the connector's status was forgotten would bring it back.
    pub async fn stop_connector(&self, name: &str) {
        let Some(connector) = lock(&self.connectors).remove(name) else {
            return;
        };
        connector.request.abort();
        let _ = connector.request.await;
    }

    /// What runs on this worker now.
    pub fn running(&self) -> Running {
        let connectors = lock(&self.connectors)
            .iter()
            .map(|(name, c)| (name.clone(), (c.config.clone(), c.target)))
            .collect();
        let tasks = lock(&self.tasks)
            .iter()
            .map(|(id, t)| {
                let task = RunningTask {
                    connector_config: t.connector_config.clone(),
                    task_config: t.task_config.clone(),
                    target: t.target,
                };
                (id.clone(), task)
            })
            .collect();
        Running { connectors, tasks }
    }

    /// Whether this task runs on this worker.
    pub fn runs_task(&self, id: &TaskId) -> bool {
        lock(&self.tasks).contains_key(id)
    }

    /// Whether any task of this connector runs on this worker.
    pub fn runs_tasks_of(&self, connector: &str) -> bool {
        lock(&self.tasks).keys().any(|id| id.connector == connector)
    }

    /// Whether this connector runs on this worker.
    pub fn runs_connector(&self, name: &str) -> bool {
        lock(&self.connectors).contains_key(name)
    }

    /// Moves a running task to a new target state.
    pub fn set_task_target(&self, id: &TaskId, target: TargetState) {
        if let Some(task) = lock(&self.tasks).get_mut(id)
            && task.target != target
        {
            task.target = target;
            let _ = task.directive.send(target.into());
        }
    }

    /// Starts a task of a connector's spec. Setup failures are recorded as FAILED, as are later
    /// errors and panics.
    pub async fn start_task(&self, id: TaskId, spec: &ConnectorSpec, task_config: Props, target: TargetState) {
        let reporter = self.context.statuses.for_task(id.clone());
        let (directive, directive_rx) = watch::channel(Directive::from(target));
        // Resolved at each start, so that a restart reads a rotated secret.
        let (values, unresolved) = match self.context.config.config_providers.resolve(&task_config) {
            Ok(values) => (values, None),
            Err(e) => (
                task_config.clone(),
                Some(format!("A config reference could not be resolved: {e}")),
            ),
        };
        let span = tracing::info_span!("task", connector = %id.connector, task = id.task);
        let io = TaskIo {
            id: id.clone(),
            task_config: values,
            status: reporter.clone(),
            directive: directive_rx,
            metrics: self.context.metrics.register(&id),
            retries: 0,
        };
        let runner = match unresolved.map_or_else(|| self.build_runner(spec, io), |e| Err(TaskError::Setup(e))) {
            Ok(runner) => runner,
            Err(e) => {
                tracing::error!(parent: &span, error = %e, "task could not be set up");
                reporter.report(State::Failed, Some(e.to_string())).await;
                futures::future::ready(Ok(())).boxed()
            }
        };
        let runner = tokio::spawn(runner.instrument(span.clone()));
        let abort = runner.abort_handle();
        let policy = self.context.config.restart.overridden_by(&spec.props);
        let counts = self.restart_counts.clone();
        let due = self.context.auto_restarts.clone();
        let mut directives = directive.subscribe();
        let started = std::time::Instant::now();
        let failed = id.clone();
        let supervisor = tokio::spawn(
            async move {
                let trace = match runner.await {
                    Ok(Ok(())) => return,
                    Ok(Err(e)) => e.to_string(),
                    Err(join) if join.is_panic() => format!("task panicked: {}", panic_message(join.into_panic())),
                    Err(_) => return,
                };
                let decision = counts.failed(&failed, started.elapsed(), &policy);
                tracing::error!(error = %trace, restart_in = ?decision.wait, "task failed");
                reporter.report_failure(trace, decision.status).await;
                let Some(wait) = decision.wait else {
                    return;
                };
                // Told to stop meanwhile (deleted, reassigned, restarted by hand): no restart.
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {
                        let _ = due.send(failed);
                    }
                    _ = directives.wait_for(|d| *d == Directive::Stop) => {}
                }
            }
            .instrument(span),
        );
        let handle = TaskHandle {
            connector_config: spec.props.clone(),
            task_config,
            target,
            directive,
            runner: abort,
            supervisor,
        };
        lock(&self.tasks).insert(id, handle);
    }

    fn build_runner(
        &self,
        spec: &ConnectorSpec,
        io: TaskIo,
    ) -> Result<futures::future::BoxFuture<'static, Result<(), TaskError>>, TaskError> {
        let resolved = spec.resolved().map_err(|e| TaskError::Setup(e.to_owned()))?;
        let (converters, chain) = (resolved.converters()?, resolved.chain()?);
        let config = &resolved.config;
        Ok(match &resolved.plugin.plugin {
            ConnectorPlugin::Source(connector) => {
                let pipeline = pipeline::SourcePipeline::new(chain, converters);
                let (task, context, config) = (connector.create_task(), self.context.clone(), config.clone());
                async move {
                    let offsets = context
                        .offsets
                        .connector(config.offsets_topic.as_deref())
                        .await
                        .map_err(|e| TaskError::Setup(format!("opening the connector's offsets topic: {e}")))?;
                    source_task::SourceTaskRunner::new(io, task, pipeline, &context, &config, offsets)?
                        .run()
                        .await
                }
                .boxed()
            }
            ConnectorPlugin::Sink(connector) => {
                let pipeline = pipeline::SinkPipeline::new(chain, converters);
                sink_task::SinkTaskRunner::new(io, connector.create_task(), pipeline, &self.context, config)
                    .run()
                    .boxed()
            }
        })
    }

    /// Stops a task: it commits what it can and stops; one that does not stop within
    /// `task.shutdown.graceful.timeout.ms` is abandoned.
    pub async fn stop_task(&self, id: &TaskId) {
        let Some(task) = lock(&self.tasks).remove(id) else {
            return;
        };
        let _ = task.directive.send(Directive::Stop);
        let timeout = self.context.config.task_shutdown_timeout + self.context.config.offset_flush_timeout;
        if tokio::time::timeout(timeout, task.supervisor).await.is_err() {
            tracing::error!(task = %id, "task did not stop in time; abandoning it");
            task.runner.abort();
        }
        self.context.metrics.remove(id);
    }

    /// Gives a task its automatic restarts back: a person restarted it.
    pub fn reset_auto_restarts(&self, id: &TaskId) {
        self.restart_counts.reset(id);
    }

    /// Counts an automatic restart in the worker's figures.
    pub fn count_auto_restart(&self) {
        self.context.metrics.count_auto_restart();
    }

    /// Stops every task, all at once, and marks them and the connectors UNASSIGNED.
    pub async fn stop_all(&self) {
        let ids: Vec<TaskId> = lock(&self.tasks).keys().cloned().collect();
        futures::future::join_all(ids.iter().map(|id| self.stop_task(id))).await;
        let statuses = &self.context.statuses;
        for id in &ids {
            statuses.task(id, State::Unassigned, None).await;
        }
        let names: Vec<String> = lock(&self.connectors).keys().cloned().collect();
        for name in names {
            self.stop_connector(&name).await;
            statuses.connector(&name, State::Unassigned, None).await;
        }
    }
}

/// Asks a started connector for its task configs, records its status, and sends them to the
/// herder; an answer superseded by a newer start (or a stop) is dropped.
async fn ask_task_configs(
    context: Arc<WorkerContext>,
    connectors: Connectors,
    generated: mpsc::UnboundedSender<TaskConfigsGenerated>,
    (spec, target, generation): (Arc<ConnectorSpec>, TargetState, u64),
) {
    let result = task_configs(&spec, target).await;
    let name = &spec.name;
    let current = || lock(&connectors).get(name).is_some_and(|c| c.generation == generation);
    if !current() {
        return;
    }
    let state = match (&result, target) {
        (Err(e), _) => {
            tracing::error!(error = %e, "connector failed");
            State::Failed
        }
        (Ok(_), TargetState::Started) => State::Running,
        (Ok(_), TargetState::Paused) => State::Paused,
        (Ok(_), TargetState::Stopped) => State::Stopped,
    };
    let trace = result.as_ref().err().cloned();
    context.statuses.connector(name, state, trace).await;
    if let Ok(task_configs) = result
        && current()
    {
        let _ = generated.send(TaskConfigsGenerated {
            connector: name.clone(),
            config: spec.props.clone(),
            task_configs,
        });
    }
}

/// The task configs a connector asks for under its spec and target (none when stopped). As in
/// Kafka Connect, each names the task class (`task.class`) and carries the connector's `topics`
/// and `topics.regex`, whatever the connector put in it.
async fn task_configs(spec: &ConnectorSpec, target: TargetState) -> Result<Vec<Props>, String> {
    let Resolved {
        plugin, config, values, ..
    } = spec.resolved().map_err(str::to_owned)?;
    if target == TargetState::Stopped {
        return Ok(Vec::new());
    }
    let mut task_configs = plugin
        .plugin
        .connector()
        .task_configs(values, config.tasks_max)
        .await
        .map_err(|e| e.to_string())?;
    if task_configs.len() > config.tasks_max {
        let (generated, max) = (task_configs.len(), config.tasks_max);
        if config.tasks_max_enforce {
            return Err(format!(
                "The connector {} has generated {generated} tasks, which is greater than {max}, the maximum number of tasks it is configured to create. This behaviour should be considered a bug and is disallowed. If necessary, it can be permitted by reconfiguring the connector with 'tasks.max.enforce' set to false; however, this option will be removed in a future release of Kafka Connect.",
                spec.name
            ));
        }
        tracing::warn!(connector = %spec.name, generated, max, "the connector generated more tasks than tasks.max; tasks.max.enforce is false, so they run");
    }
    for task in &mut task_configs {
        // The config topic keeps references, never what they resolve to (Kafka Connect's
        // reverse transform): a key the connector's config holds a reference in is written as
        // that reference, and resolved again when the task starts.
        for (key, raw) in &spec.props {
            if task.contains_key(key) && ConfigProviders::has_reference(raw) {
                task.insert(key.clone(), raw.clone());
            }
        }
        task.insert("task.class".into(), plugin.task_class.clone());
        for key in ["topics", "topics.regex"] {
            if let Some(value) = spec.props.get(key) {
                task.insert(key.into(), value.clone());
            }
        }
    }
    Ok(task_configs)
}

/// The text of a panic's payload.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
