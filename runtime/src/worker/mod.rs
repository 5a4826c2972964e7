//! The worker: runs the connectors and tasks the herder assigns to it, and reports their status.
//!
//! Each task runs in its own tokio task under a supervisor: an error or a panic fails that task
//! (FAILED, with the error as its trace) and nothing else.

mod dead_letter;
mod errors;
mod pipeline;
mod retry;
mod sink_task;

pub use sink_task::consumer_group;
mod source_task;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use tokio::sync::{mpsc, watch};
use tokio::task::{AbortHandle, JoinHandle};
use tracing::Instrument;
use weir_connector_api::{ConnectError, ConnectorPlugin, Props, TaskMetrics};

use crate::config::{ConnectorConfig, WorkerConfig};
use crate::converter::{self, ConversionError};
use crate::kafka::{KafkaClients, KafkaOpError};
use crate::metrics::MetricsRegistry;
use crate::model::{State, Status, TargetState, TaskId};
use crate::plugins::Plugins;
use crate::storage::{OffsetStore, StatusStore};
use crate::sync::lock;

pub use retry::Backoff;

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

/// What the herder wants a running task to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Directive {
    /// Move data.
    Run,
    /// Hold still, keeping resources.
    Pause,
    /// Commit and stop.
    Stop,
}

impl From<TargetState> for Directive {
    fn from(target: TargetState) -> Self {
        match target {
            TargetState::Started => Directive::Run,
            TargetState::Paused => Directive::Pause,
            TargetState::Stopped => Directive::Stop,
        }
    }
}

/// Writes one instance's status records.
#[derive(Clone)]
pub struct StatusReporter {
    statuses: StatusStore,
    worker_id: String,
    id: TaskId,
}

impl StatusReporter {
    /// Records a state, with a trace for failures.
    pub async fn report(&self, state: State, trace: Option<String>) {
        let status = Status::new(state, trace, &self.worker_id);
        self.statuses.put_task(&self.id.connector, self.id.task, status).await;
    }
}

/// What both kinds of task runner are given: who they are, their config, where to report, and
/// the herder's directives.
pub(crate) struct TaskIo {
    id: TaskId,
    task_config: Props,
    status: StatusReporter,
    directive: watch::Receiver<Directive>,
    metrics: TaskMetrics,
    /// Retriable failures in a row, shown in the task's status until a call passes.
    retries: u64,
}

impl TaskIo {
    /// Waits for the next directive that differs from `current`; a vanished herder means stop.
    async fn next_directive(&mut self, current: Directive) -> Directive {
        match self.directive.wait_for(|d| *d != current).await {
            Ok(d) => *d,
            Err(_) => Directive::Stop,
        }
    }

    /// The current directive.
    fn directive(&mut self) -> Directive {
        *self.directive.borrow_and_update()
    }

    /// Counts a retriable failure of `what` (`put`, `flush`, `poll`) and says it in the task's
    /// status, which stays RUNNING: a call that keeps failing is visible, not silent.
    async fn retrying(&mut self, what: &str, error: &ConnectError) {
        self.retries += 1;
        self.metrics.add(
            "task_retries_total",
            "Retriable failures of put, flush or poll, retried.",
            1,
        );
        let trace = format!("{what} failed {} time(s) in a row, retrying: {error}", self.retries);
        self.status.report(State::Running, Some(trace)).await;
    }

    /// Clears the trace of earlier retries once a call passes.
    async fn recovered(&mut self) {
        if self.retries > 0 {
            self.retries = 0;
            self.status.report(State::Running, None).await;
        }
    }

    /// Sleeps for `delay`, or less if a new directive comes.
    async fn sleep_unless_directed(&mut self, delay: std::time::Duration) {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = self.directive.changed() => {}
        }
    }
}

/// What every task runner needs from the worker.
pub struct WorkerContext {
    /// The worker config.
    pub config: Arc<WorkerConfig>,
    /// Kafka client settings.
    pub clients: KafkaClients,
    /// Source offsets.
    pub offsets: OffsetStore,
    /// Statuses.
    pub statuses: StatusStore,
    /// Connector plugins.
    pub plugins: Arc<Plugins>,
    /// The tasks' figures.
    pub metrics: MetricsRegistry,
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
    request: AbortHandle,
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

/// The connectors started on this worker.
type Connectors = Arc<Mutex<BTreeMap<String, ConnectorHandle>>>;

/// The connectors and tasks running on this worker.
pub struct Worker {
    context: Arc<WorkerContext>,
    connectors: Connectors,
    starts: AtomicU64,
    generated: mpsc::UnboundedSender<TaskConfigsGenerated>,
    tasks: Mutex<HashMap<TaskId, TaskHandle>>,
}

/// The converter a connector uses for keys or values: its own setting, else the worker's.
fn converter_for(
    worker: &(String, Props),
    connector: &ConnectorConfig,
    which: &str,
) -> Result<pipeline::NamedConverter, ConversionError> {
    let own = if which == "key" {
        &connector.key_converter
    } else {
        &connector.value_converter
    };
    let (class, mut props) = match own {
        Some(class) => (class.clone(), Props::new()),
        None => worker.clone(),
    };
    props.extend(connector.prefixed(&format!("{which}.converter.")));
    Ok(pipeline::NamedConverter {
        converter: converter::build(&class, &props)?,
        class: converter::canonical_class(&class).unwrap_or(&class).to_owned(),
    })
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
        }
    }

    /// This worker's id.
    pub fn id(&self) -> &str {
        &self.context.config.worker_id
    }

    fn connector_status(&self, state: State, trace: Option<String>) -> Status {
        Status::new(state, trace, self.id())
    }

    /// Starts (or restarts) a connector with this config and target. Asking the connector for
    /// its task configs is a plugin call, which may take long: it runs on its own, records the
    /// connector's status (FAILED with the reason, if it fails), and sends what the connector
    /// asked for to the herder. Nothing waits for it.
    pub fn start_connector(&self, name: &str, config: &Props, target: TargetState) {
        let generation = self.starts.fetch_add(1, Ordering::Relaxed);
        // The request checks its generation against this map when it ends, so the handle is
        // in it before the request can run.
        let mut connectors = lock(&self.connectors);
        let request = tokio::spawn(
            ask_task_configs(
                self.context.clone(),
                self.connectors.clone(),
                self.generated.clone(),
                (name.to_owned(), config.clone(), target, generation),
            )
            .instrument(tracing::info_span!("connector", connector = %name)),
        )
        .abort_handle();
        let handle = ConnectorHandle {
            config: config.clone(),
            target,
            generation,
            request,
        };
        if let Some(earlier) = connectors.insert(name.to_owned(), handle) {
            earlier.request.abort();
        }
    }

    /// The config and target a connector was started with.
    pub fn connector(&self, name: &str) -> Option<(Props, TargetState)> {
        lock(&self.connectors).get(name).map(|c| (c.config.clone(), c.target))
    }

    /// The connectors started on this worker.
    pub fn connector_names(&self) -> Vec<String> {
        lock(&self.connectors).keys().cloned().collect()
    }

    /// Forgets a connector, and any task-config request of it in flight (its tasks are stopped
    /// separately).
    pub fn stop_connector(&self, name: &str) {
        if let Some(connector) = lock(&self.connectors).remove(name) {
            connector.request.abort();
        }
    }

    /// The tasks on this worker.
    pub fn task_ids(&self) -> Vec<TaskId> {
        lock(&self.tasks).keys().cloned().collect()
    }

    /// Whether a task runs with these configs.
    pub fn task_matches(&self, id: &TaskId, connector_config: &Props, task_config: &Props) -> Option<bool> {
        lock(&self.tasks)
            .get(id)
            .map(|t| t.connector_config == *connector_config && t.task_config == *task_config)
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

    /// Starts a task. Setup failures are recorded as FAILED, as are later errors and panics.
    pub async fn start_task(&self, id: TaskId, connector_config: Props, task_config: Props, target: TargetState) {
        let reporter = StatusReporter {
            statuses: self.context.statuses.clone(),
            worker_id: self.id().to_owned(),
            id: id.clone(),
        };
        let (directive, directive_rx) = watch::channel(Directive::from(target));
        let span = tracing::info_span!("task", connector = %id.connector, task = id.task);
        let runner = match self.build_runner(&id, &connector_config, &task_config, directive_rx, reporter.clone()) {
            Ok(runner) => runner,
            Err(e) => {
                tracing::error!(parent: &span, error = %e, "task could not be set up");
                reporter.report(State::Failed, Some(e.to_string())).await;
                futures::future::ready(Ok(())).boxed()
            }
        };
        let runner = tokio::spawn(runner.instrument(span.clone()));
        let abort = runner.abort_handle();
        let supervisor = tokio::spawn(
            async move {
                let trace = match runner.await {
                    Ok(Ok(())) => return,
                    Ok(Err(e)) => e.to_string(),
                    Err(join) if join.is_panic() => format!("task panicked: {}", panic_message(join.into_panic())),
                    Err(_) => return,
                };
                tracing::error!(error = %trace, "task failed");
                reporter.report(State::Failed, Some(trace)).await;
            }
            .instrument(span),
        );
        let handle = TaskHandle {
            connector_config,
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
        id: &TaskId,
        connector_config: &Props,
        task_config: &Props,
        directive: watch::Receiver<Directive>,
        reporter: StatusReporter,
    ) -> Result<futures::future::BoxFuture<'static, Result<(), TaskError>>, TaskError> {
        let class = connector_config
            .get("connector.class")
            .map(String::as_str)
            .unwrap_or_default();
        let plugin = self
            .context
            .plugins
            .connector(class)
            .ok_or_else(|| TaskError::Setup(format!("no connector plugin named {class}")))?;
        let common = ConnectorConfig::parse(plugin.plugin.kind(), connector_config)?;
        let worker = &self.context.config;
        let key_converter = converter_for(&worker.key_converter, &common, "key")?;
        let value_converter = converter_for(&worker.value_converter, &common, "value")?;
        let io = TaskIo {
            id: id.clone(),
            task_config: task_config.clone(),
            status: reporter,
            directive,
            metrics: self.context.metrics.register(id),
            retries: 0,
        };
        Ok(match &plugin.plugin {
            ConnectorPlugin::Source(connector) => {
                let pipeline = pipeline::SourcePipeline::new(key_converter, value_converter);
                source_task::SourceTaskRunner::new(io, connector.create_task(), pipeline, &self.context, &common)?
                    .run()
                    .boxed()
            }
            ConnectorPlugin::Sink(connector) => {
                let pipeline = pipeline::SinkPipeline::new(key_converter, value_converter);
                sink_task::SinkTaskRunner::new(io, connector.create_task(), pipeline, &self.context, &common)
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

    /// Stops every task, all at once, and marks them and the connectors UNASSIGNED.
    pub async fn stop_all(&self) {
        let ids = self.task_ids();
        futures::future::join_all(ids.iter().map(|id| self.stop_task(id))).await;
        for id in &ids {
            let status = Status::new(State::Unassigned, None, self.id());
            self.context.statuses.put_task(&id.connector, id.task, status).await;
        }
        for name in self.connector_names() {
            self.stop_connector(&name);
            self.context
                .statuses
                .put_connector(&name, self.connector_status(State::Unassigned, None))
                .await;
        }
    }
}

/// Asks a started connector for its task configs, records its status, and sends them to the
/// herder; an answer superseded by a newer start (or a stop) is dropped.
async fn ask_task_configs(
    context: Arc<WorkerContext>,
    connectors: Connectors,
    generated: mpsc::UnboundedSender<TaskConfigsGenerated>,
    (name, config, target, generation): (String, Props, TargetState, u64),
) {
    let result = task_configs(&context, &config, target).await;
    let current = || lock(&connectors).get(&name).is_some_and(|c| c.generation == generation);
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
    let status = Status::new(state, trace, &context.config.worker_id);
    context.statuses.put_connector(&name, status).await;
    if let Ok(task_configs) = result
        && current()
    {
        let _ = generated.send(TaskConfigsGenerated {
            connector: name,
            config,
            task_configs,
        });
    }
}

/// The task configs a connector asks for under this config and target (none when stopped).
async fn task_configs(context: &WorkerContext, config: &Props, target: TargetState) -> Result<Vec<Props>, String> {
    let class = config.get("connector.class").map(String::as_str).unwrap_or_default();
    let plugin = context
        .plugins
        .connector(class)
        .ok_or_else(|| format!("Failed to find any class that implements Connector and which name matches {class}"))?;
    let common = ConnectorConfig::parse(plugin.plugin.kind(), config).map_err(|e| e.to_string())?;
    if target == TargetState::Stopped {
        return Ok(Vec::new());
    }
    plugin
        .plugin
        .connector()
        .task_configs(config, common.tasks_max)
        .await
        .map_err(|e| e.to_string())
}

/// The text of a panic's payload.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
