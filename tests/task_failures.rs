//! A task that panics or fails is FAILED with the reason in its trace, and nothing else stops:
//! a worker runs test connectors next to each other against the real broker.

mod support;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use weir_connector_api::{
    ConfigDef, ConnectError, Connector, ConnectorPlugin, PluginDescriptor, Props, Schema, SourceConnector, SourceMap,
    SourceRecord, SourceTask, SourceTaskContext, Value,
};
use weir_runtime::config::WorkerConfig;
use weir_runtime::kafka::{KafkaClients, ensure_internal_topic};
use weir_runtime::model::{State, TargetState, TaskId};
use weir_runtime::plugins::Plugins;
use weir_runtime::storage::{KafkaLogs, OffsetStore, OffsetStores, StatusStore};
use weir_runtime::worker::{StatusWriter, Worker, WorkerContext};

/// How a test task behaves when polled.
#[derive(Clone, Copy)]
enum Behaviour {
    Panic,
    Fail,
    Steady,
}

struct TestConnector(Behaviour);

#[async_trait]
impl Connector for TestConnector {
    fn version(&self) -> String {
        "test".into()
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    async fn task_configs(&self, props: &Props, _max_tasks: usize) -> Result<Vec<Props>, ConnectError> {
        Ok(vec![props.clone()])
    }
}

impl SourceConnector for TestConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(TestTask {
            behaviour: self.0,
            topic: String::new(),
            sent: 0,
        })
    }
}

struct TestTask {
    behaviour: Behaviour,
    topic: String,
    sent: u64,
}

#[async_trait]
impl SourceTask for TestTask {
    async fn start(&mut self, props: &Props, _context: SourceTaskContext) -> Result<(), ConnectError> {
        self.topic = props.get("topic").cloned().unwrap_or_default();
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        tokio::time::sleep(Duration::from_millis(50)).await;
        match self.behaviour {
            Behaviour::Panic => panic!("boom at poll"),
            Behaviour::Fail => Err(ConnectError::Fatal("the upstream system refused us".into())),
            Behaviour::Steady => {
                self.sent += 1;
                let partition = SourceMap::from_iter([("p".to_owned(), "steady".into())]);
                let offset = SourceMap::from_iter([("n".to_owned(), self.sent.into())]);
                Ok(vec![SourceRecord::new(
                    partition,
                    offset,
                    &self.topic,
                    Some(Arc::new(Schema::string())),
                    Value::from("tick"),
                )])
            }
        }
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

fn plugin(class: &str, behaviour: Behaviour) -> PluginDescriptor {
    PluginDescriptor {
        class: class.into(),
        aliases: Vec::new(),
        task_class: format!("{class}Task"),
        plugin: ConnectorPlugin::Source(Arc::new(TestConnector(behaviour))),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_or_failing_task_fails_alone() {
    let id = support::unique("failures");
    let config = WorkerConfig::from_yaml(&format!(
        "bootstrap.servers: {}\ngroup.id: {id}\noffset.storage.topic: {id}-offsets\nstatus.storage.topic: {id}-status\n\
         offset.storage.replication.factor: 1\nstatus.storage.replication.factor: 1\noffset.flush.interval.ms: 200\n\
         value.converter: StringConverter\nkey.converter: StringConverter\n",
        support::bootstrap_servers()
    ))
    .expect("worker config");
    let clients = KafkaClients::new(&config);
    ensure_internal_topic(&clients, &config.offset_topic, false)
        .await
        .expect("offsets topic");
    ensure_internal_topic(&clients, &config.status_topic, false)
        .await
        .expect("status topic");
    let logs = Arc::new(KafkaLogs::new(clients.clone()));
    let offsets = OffsetStore::start(logs.as_ref(), &config.offset_topic.name)
        .await
        .expect("offset store");
    let offsets = OffsetStores::new(offsets, logs.clone(), config.offset_topic.clone());
    let statuses = StatusStore::start(logs.as_ref(), &config.status_topic.name)
        .await
        .expect("status store");
    let plugins = Plugins::new(vec![
        plugin("panicking", Behaviour::Panic),
        plugin("failing", Behaviour::Fail),
        plugin("steady", Behaviour::Steady),
    ]);
    let plugins = Arc::new(plugins.with_converters(weir_converters::builtin()));
    let worker = Worker::new(
        Arc::new(WorkerContext {
            statuses: StatusWriter::new(statuses.clone(), &config),
            config: Arc::new(config),
            clients,
            offsets: offsets.clone(),
            plugins: plugins.clone(),
            metrics: Default::default(),
            fences: tokio::sync::mpsc::unbounded_channel().0,
            auto_restarts: tokio::sync::mpsc::unbounded_channel().0,
        }),
        tokio::sync::mpsc::unbounded_channel().0,
    );

    let topic = support::unique("steady");
    for class in ["steady", "panicking", "failing"] {
        let props = Props::from([
            ("connector.class".to_owned(), class.to_owned()),
            ("name".to_owned(), class.to_owned()),
            ("topic".to_owned(), topic.clone()),
        ]);
        let spec = worker.resolve(class, &props);
        worker
            .start_task(TaskId::new(class, 0), &spec, props, TargetState::Started)
            .await;
    }

    let trace_of = |name: &'static str| {
        let statuses = statuses.clone();
        move || {
            let status = statuses.task(name, 0).filter(|s| s.state == State::Failed);
            async move { status.and_then(|s| s.trace) }
        }
    };
    let panicked = support::eventually(
        "the panicking task to fail",
        Duration::from_secs(30),
        trace_of("panicking"),
    )
    .await;
    assert!(panicked.contains("task panicked: boom at poll"), "{panicked}");
    let failed = support::eventually("the failing task to fail", Duration::from_secs(30), trace_of("failing")).await;
    assert!(failed.contains("the upstream system refused us"), "{failed}");

    // The steady task goes on producing and committing.
    let before = support::topic_record_count(&topic);
    support::eventually("the steady task to keep producing", Duration::from_secs(30), || async {
        (support::topic_record_count(&topic) > before + 5).then_some(())
    })
    .await;
    assert_eq!(statuses.task("steady", 0).map(|s| s.state), Some(State::Running));
    support::eventually(
        "the steady task's offsets to be committed",
        Duration::from_secs(30),
        || async { (!offsets.worker().connector_offsets("steady").is_empty()).then_some(()) },
    )
    .await;
    worker.stop_all().await;
    assert_eq!(statuses.task("steady", 0).map(|s| s.state), Some(State::Unassigned));
}
