//! The herder and the worker on in-memory logs, with no broker: configs written through the
//! handle become running tasks through the loop, and their statuses follow.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use weir_connector_api::{
    ConfigDef, ConnectError, Connector, ConnectorPlugin, PluginDescriptor, Props, SourceConnector, SourceRecord,
    SourceTask, SourceTaskContext,
};

use super::{Herder, HerderParts, LoopInputs};
use crate::config::WorkerConfig;
use crate::group::{WorkerClient, solo};
use crate::kafka::KafkaClients;
use crate::model::{ConnectorStatus, State, TargetState};
use crate::plugins::Plugins;
use crate::storage::{ConfigStore, MemoryLogs, OffsetStore, OffsetStores, StatusStore};
use crate::worker::{StatusWriter, Worker, WorkerContext};

/// A source whose tasks produce nothing: `tasks.max` of them, or `idle.tasks` if given (more
/// than it may, for the tests of `tasks.max.enforce`).
struct Idle;

#[async_trait]
impl Connector for Idle {
    fn version(&self) -> String {
        "1".into()
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    async fn task_configs(&self, props: &Props, max_tasks: usize) -> Result<Vec<Props>, ConnectError> {
        let count = props
            .get("idle.tasks")
            .and_then(|n| n.parse().ok())
            .unwrap_or(max_tasks);
        Ok(vec![props.clone(); count])
    }
}

impl SourceConnector for Idle {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(Idle)
    }
}

#[async_trait]
impl SourceTask for Idle {
    async fn start(&mut self, _props: &Props, _context: SourceTaskContext) -> Result<(), ConnectError> {
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(Vec::new())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

/// A herder over memory logs in a group of one (no broker is contacted: the idle tasks never
/// produce), with its loop running until the returned sender turns true.
async fn herder() -> (Herder, watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let logs = MemoryLogs::new();
    let config = WorkerConfig::from_yaml("bootstrap.servers: 127.0.0.1:1\ngroup.id: test\n").unwrap();
    let clients = KafkaClients::new(&config);
    let configs = ConfigStore::start(&logs, "configs").await.unwrap();
    let offsets = OffsetStore::start(&logs, "offsets").await.unwrap();
    let shape = crate::config::worker::InternalTopic {
        name: "offsets".into(),
        partitions: 1,
        replication_factor: 1,
    };
    let offsets = OffsetStores::new(offsets, Arc::new(logs.clone()), shape);
    let statuses = StatusStore::start(&logs, "statuses").await.unwrap();
    let notices = configs.read_to_end().await.unwrap();
    let plugins = Plugins::new(vec![PluginDescriptor {
        class: "idle".into(),
        aliases: Vec::new(),
        task_class: "IdleTask".into(),
        plugin: ConnectorPlugin::Source(Arc::new(Idle)),
    }]);
    let plugins = Arc::new(plugins.with_converters(weir_converters::builtin()));
    let (fences_tx, fences) = tokio::sync::mpsc::unbounded_channel();
    let (auto_restarts_tx, auto_restarts) = tokio::sync::mpsc::unbounded_channel();
    let context = WorkerContext {
        statuses: StatusWriter::new(statuses.clone(), &config),
        config: Arc::new(config),
        clients: clients.clone(),
        offsets: offsets.clone(),
        plugins: plugins.clone(),
        metrics: Default::default(),
        fences: fences_tx,
        auto_restarts: auto_restarts_tx,
    };
    let (generated_tx, generated) = tokio::sync::mpsc::unbounded_channel();
    let (group, group_events) = solo::start(configs.clone());
    let (herder, event_loop) = Herder::new(HerderParts {
        worker_id: context.config.worker_id.clone(),
        config: context.config.clone(),
        group: group.clone(),
        client: WorkerClient::new(None),
        configs,
        offsets,
        statuses,
        worker: Worker::new(Arc::new(context), generated_tx),
        plugins,
        clients,
        log_levels: crate::logging::LogLevels::detached(),
    });
    let (stop, stop_rx) = watch::channel(false);
    let running = tokio::spawn(event_loop.run(LoopInputs {
        notices,
        generated,
        fences,
        auto_restarts,
        group: group_events,
        shutdown: stop_rx,
    }));
    // As the daemon does: writes are the leader's, so none is taken before the group is joined.
    group.joined().await;
    (herder, stop, running)
}

/// Waits until the connector's status satisfies `done`.
async fn until(herder: &Herder, name: &str, done: impl Fn(&ConnectorStatus) -> bool) -> ConnectorStatus {
    for _ in 0..500 {
        if let Ok(status) = herder.connector_status(name)
            && done(&status)
        {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{name} never reached the state: {:?}", herder.connector_status(name));
}

fn all(state: State, tasks: usize) -> impl Fn(&ConnectorStatus) -> bool {
    move |s| {
        s.connector.state == state
            && s.tasks.len() == tasks
            && s.tasks.iter().all(|t| {
                t.status.state
                    == if state == State::Stopped {
                        State::Unassigned
                    } else {
                        state
                    }
            })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connector_runs_pauses_restarts_and_goes_without_a_broker() {
    let (herder, stop, running) = herder().await;
    let props = Props::from([
        ("connector.class".to_owned(), "idle".to_owned()),
        ("tasks.max".to_owned(), "2".to_owned()),
    ]);
    herder.create_connector("c", props, None, Vec::new()).await.unwrap();
    until(&herder, "c", all(State::Running, 2)).await;
    assert_eq!(herder.tasks("c").unwrap().len(), 2);

    herder.set_target_state("c", TargetState::Paused).await.unwrap();
    until(&herder, "c", all(State::Paused, 2)).await;
    herder.set_target_state("c", TargetState::Started).await.unwrap();
    until(&herder, "c", all(State::Running, 2)).await;

    herder.restart_task("c", 1).await.unwrap();
    until(&herder, "c", all(State::Running, 2)).await;

    herder.set_target_state("c", TargetState::Stopped).await.unwrap();
    let stopped = until(&herder, "c", |s| {
        s.connector.state == State::Stopped && s.tasks.is_empty()
    })
    .await;
    assert!(stopped.tasks.is_empty(), "a stopped connector has no tasks");

    herder.delete_connector("c").await.unwrap();
    assert!(herder.connectors().is_empty());
    assert!(
        herder.parts().statuses.connector("c").is_none(),
        "its status is gone: {:?}",
        herder.parts().statuses.connector("c")
    );

    stop.send_replace(true);
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn more_tasks_than_tasks_max_fail_the_connector_unless_enforcement_is_off() {
    let (herder, stop, running) = herder().await;
    let props = |enforce: &str| {
        Props::from([
            ("connector.class".to_owned(), "idle".to_owned()),
            ("tasks.max".to_owned(), "1".to_owned()),
            ("idle.tasks".to_owned(), "3".to_owned()),
            ("tasks.max.enforce".to_owned(), enforce.to_owned()),
        ])
    };
    herder
        .create_connector("strict", props("true"), None, Vec::new())
        .await
        .unwrap();
    let failed = until(&herder, "strict", |s| s.connector.state == State::Failed).await;
    let trace = failed.connector.trace.unwrap_or_default();
    assert!(
        trace.contains("has generated 3 tasks, which is greater than 1"),
        "{trace}"
    );
    assert!(herder.tasks("strict").unwrap().is_empty(), "no task config was written");

    herder
        .create_connector("lenient", props("false"), None, Vec::new())
        .await
        .unwrap();
    until(&herder, "lenient", all(State::Running, 3)).await;

    stop.send_replace(true);
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .unwrap()
        .unwrap();
}
