//! Exactly-once sources (Kafka Connect's KIP-618) on a real broker, with workers as real
//! processes: validation as Kafka Connect answers it, and each record once in Kafka for a
//! `read_committed` consumer however often the worker is killed.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::reference;
use support::{Worker, config_errors, numbered, read_isolated, unique, write_lines};

/// The worker setting that turns exactly-once on.
const EXACTLY_ONCE: &str = "exactly.once.source.support: enabled\n";

/// A small random number generator, seeded from the clock (the seed is printed, to replay).
struct Random(u64);

impl Random {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64 | 1);
        eprintln!("random seed {seed}");
        Random(seed)
    }

    /// A number in `range`.
    fn within(&mut self, range: std::ops::Range<u64>) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        range.start + self.0 % (range.end - range.start)
    }
}

/// The values a `read_committed` consumer reads from `topic`, as text.
async fn committed_values(topic: &str) -> Vec<String> {
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || read_isolated(&topic, "read_committed"))
        .await
        .expect("reader")
        .into_iter()
        .map(|r| match r.value {
            Some(Value::String(s)) => s,
            other => format!("{other:?}"),
        })
        .collect()
}

/// Waits until a `read_committed` consumer reads as many values from `topic` as `expected`
/// holds (or `timeout` passes), then asserts that they are `expected`: each once, in order.
async fn wait_for_committed(topic: &str, expected: &[String], timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let read = committed_values(topic).await;
        if read.len() >= expected.len() || Instant::now() > deadline {
            assert_eq!(read.len(), expected.len(), "every line once");
            assert!(read == expected, "the lines in order, each once");
            return;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A plugin directory holding the datagen WebAssembly source, and the worker config lines (with
/// exactly-once on) that use it.
fn with_datagen() -> (tempfile::TempDir, String) {
    let plugins = tempfile::tempdir().expect("plugin dir");
    std::fs::copy(support::built_plugin("datagen"), plugins.path().join("datagen.wasm")).expect("copy plugin");
    let extra = format!(
        "{EXACTLY_ONCE}plugin.path: {}\nplugin.cache.dir: {}\n",
        plugins.path().display(),
        support::plugin_cache().display()
    );
    (plugins, extra)
}

/// Creating connector `name` with `config` is refused with a 400 whose message says `why`.
async fn refused(worker: &Worker, name: &str, config: Value, why: &str) {
    let (status, body) = worker
        .request("POST", "/connectors", Some(json!({"name": name, "config": config})))
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(why), "{why} in {message}");
}

/// The exactly-once keys' errors for a config, from the validate endpoint at `base`.
async fn exactly_once_errors(base: &str, config: &Value) -> Vec<(String, Vec<String>)> {
    let (status, infos) = reference::request_to(
        base,
        "PUT",
        "/connector-plugins/FileStreamSourceConnector/config/validate",
        Some(config.clone()),
    )
    .await;
    assert_eq!(status, 200, "{infos}");
    [
        "exactly.once.support",
        "transaction.boundary",
        "transaction.boundary.interval.ms",
    ]
    .into_iter()
    .map(|key| (key.to_owned(), config_errors(&infos, key)))
    .collect()
}

/// Kafka Connect (whose reference worker runs with exactly-once disabled) and a Weir worker
/// with the same setting give the same errors for the exactly-once keys.
#[tokio::test(flavor = "multi_thread")]
async fn validation_is_kafka_connects() {
    let worker = Worker::start().await;
    let base = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "name": "eos", "file": "/tmp/in.txt", "topic": "t",
    });
    let cases = [
        json!({"exactly.once.support": "required"}),
        json!({"exactly.once.support": "REQUESTED", "transaction.boundary": "Poll"}),
        json!({"exactly.once.support": "sometimes", "transaction.boundary": "never"}),
        json!({"transaction.boundary": "connector"}),
        json!({"transaction.boundary": "interval", "transaction.boundary.interval.ms": "-1"}),
        json!({"transaction.boundary": "interval", "transaction.boundary.interval.ms": "250"}),
    ];
    for case in cases {
        let mut config = base.clone();
        support::postgres::merge(&mut config, case.clone());
        let theirs = exactly_once_errors(&reference::url(), &config).await;
        let ours = exactly_once_errors(&worker.url, &config).await;
        assert_eq!(ours, theirs, "for {case}");
    }
}

/// `required` is refused with a 400 naming the key where the worker or the connector cannot
/// give it, and taken where they can; a connector boundary on a connector that cannot set one is
/// refused too, and so is a connector's own offsets topic.
#[tokio::test(flavor = "multi_thread")]
async fn required_is_refused_unless_the_worker_and_the_connector_can_give_it() {
    let config = |extra: Value| {
        let mut config = json!({"connector.class": "FileStreamSource", "file": "/tmp/in.txt", "topic": "t"});
        support::postgres::merge(&mut config, extra);
        config
    };
    let plain = Worker::start().await;
    let required = config(json!({"exactly.once.support": "required"}));
    refused(
        &plain,
        "eos",
        required.clone(),
        "does not have exactly-once source support enabled",
    )
    .await;
    refused(&plain, "eos", required.clone(), "exactly.once.support").await;

    let (_plugins, extra) = with_datagen();
    let enabled = Worker::start_with(&extra).await;
    enabled.create("eos", required).await;
    // A connector that does not say whether it can (a WebAssembly source) is refused under
    // required, and runs under requested.
    let datagen = |support: &str| json!({"connector.class": "datagen", "kafka.topic": unique("datagen"), "exactly.once.support": support});
    refused(
        &enabled,
        "silent",
        datagen("required"),
        "does not implement the API required for preflight validation",
    )
    .await;
    enabled.create("silent", datagen("requested")).await;
    enabled.wait_for_state("silent", "RUNNING", 1).await;
    let bounded = config(json!({"transaction.boundary": "connector"}));
    refused(
        &enabled,
        "bounded",
        bounded,
        "does not support connector-defined transaction boundaries",
    )
    .await;
}

/// A file source under `exactly.once.support=required`, its worker SIGKILLed again and again
/// while lines are appended: a `read_committed` consumer reads every line once, in order.
#[tokio::test(flavor = "multi_thread")]
async fn file_source_killed_again_and_again_writes_each_line_once() {
    let mut worker = Worker::start_with(EXACTLY_ONCE).await;
    let input = worker.dir.path().join("in.txt");
    let topic = unique("eos-file");
    let total = 40_000;
    worker
        .create(
            "source",
            json!({"connector.class": "FileStreamSource", "file": input, "topic": topic, "batch.size": 300,
                   "exactly.once.support": "required"}),
        )
        .await;
    let writer = {
        let input = input.clone();
        std::thread::spawn(move || {
            for chunk in 0..total / 500 - 1 {
                write_lines(&input, numbered("line", chunk * 500..(chunk + 1) * 500));
                std::thread::sleep(Duration::from_millis(60));
            }
        })
    };
    let mut random = Random::new();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(random.within(400..1500))).await;
        worker.kill();
        worker.spawn().await;
    }
    writer.join().expect("writer");
    // The last lines come once the killing is over, so the last worker commits a transaction
    // of its own (the metric below is its), even when the writer finished before it started.
    write_lines(&input, numbered("line", total - 500..total));

    let expected: Vec<String> = numbered("line", 0..total).collect();
    wait_for_committed(&topic, &expected, Duration::from_secs(120)).await;
    let committed = worker.metric("source_transactions_committed_total", "source", 0).await;
    assert!(
        committed.is_some_and(|n| n > 0.0),
        "transactions are counted: {committed:?}"
    );
}

/// Postgres CDC under `exactly.once.support=required` with `transaction.boundary=connector`,
/// its worker SIGKILLed again and again while transactions are written: a `read_committed`
/// consumer reads every change once, in commit order, and every Kafka transaction holds whole
/// Postgres transactions.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_cdc_killed_again_and_again_writes_each_change_once() {
    let (mut conn, schema) = support::postgres::database().await;
    support::postgres::sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.events (id integer PRIMARY KEY, v text)"),
    )
    .await;
    let mut worker = Worker::start_with(EXACTLY_ONCE).await;
    let (rows, transactions) = (200, 60);
    worker
        .create(
            "cdc",
            support::postgres::cdc_config(
                &schema,
                &schema,
                &["events"],
                json!({"snapshot.mode": "no_data", "exactly.once.support": "required",
                       "transaction.boundary": "connector"}),
            ),
        )
        .await;
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    let writer = support::postgres::insert_events(&schema, transactions, rows, Duration::from_millis(80));
    let mut random = Random::new();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(random.within(300..1500))).await;
        worker.kill();
        worker.spawn().await;
    }
    writer.await.expect("writer");
    // One transaction larger than a poll's batch, read by the last worker: one Kafka
    // transaction still holds it whole.
    let (from, to) = (rows * transactions + 1, rows * transactions + 5000);
    support::postgres::sql(
        &mut conn,
        &format!("INSERT INTO {schema}.events SELECT g, 'v' || g FROM generate_series({from}, {to}) g"),
    )
    .await;

    let topic = format!("{schema}.{schema}.events");
    let expected: Vec<i64> = (1..=to as i64).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let read = {
            let topic = topic.clone();
            tokio::task::spawn_blocking(move || read_isolated(&topic, "read_committed"))
                .await
                .expect("reader")
        };
        let ids: Vec<i64> = read
            .iter()
            .filter_map(|r| r.value.as_ref()?["payload"]["after"]["id"].as_i64())
            .collect();
        if ids.len() >= expected.len() || Instant::now() > deadline {
            let first_difference = ids.iter().zip(&expected).position(|(a, b)| a != b);
            assert!(
                ids.len() == expected.len() && first_difference.is_none(),
                "every change once, in commit order: {} changes, first difference at {first_difference:?}",
                ids.len()
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let size = |gauge: &'static str| {
        let worker = &worker;
        async move { worker.metric(gauge, "cdc", 0).await.unwrap_or_default() as usize }
    };
    let (smallest, largest) = (
        size("source_transaction_size_min").await,
        size("source_transaction_size_max").await,
    );
    assert!(
        smallest > 0 && smallest % rows == 0 && largest >= 5000 && largest % rows == 0,
        "whole Postgres transactions in each Kafka transaction: {smallest} to {largest} records"
    );
    drop(worker);
    support::postgres::cleanup(&mut conn, &schema, &[&schema]).await;
}

/// `transaction.boundary=poll` commits each batch (a `read_committed` consumer sees the lines
/// at once, in transactions no larger than a batch); `interval` holds them in one transaction
/// until the interval passes or the task stops or pauses.
#[tokio::test(flavor = "multi_thread")]
async fn poll_and_interval_boundaries() {
    let worker = Worker::start_with(EXACTLY_ONCE).await;
    let source = |name: &str, extra: Value| {
        let mut config = json!({"connector.class": "FileStreamSource", "file": worker.dir.path().join(format!("{name}.txt")),
                                "topic": format!("{name}-{}", worker.url.rsplit(':').next().unwrap_or_default()),
                                "batch.size": 10});
        support::postgres::merge(&mut config, extra);
        config
    };
    let lines: Vec<String> = numbered("line", 0..200).collect();

    let polled = source("polled", json!({"transaction.boundary": "poll"}));
    write_lines(&worker.dir.path().join("polled.txt"), lines.iter().cloned());
    worker.create("polled", polled.clone()).await;
    let topic = polled["topic"].as_str().unwrap_or_default().to_owned();
    support::eventually("the polled lines to be committed", Duration::from_secs(60), || async {
        (committed_values(&topic).await == lines).then_some(())
    })
    .await;
    let largest = worker.metric("source_transaction_size_max", "polled", 0).await;
    assert!(
        largest.is_some_and(|n| n <= 10.0),
        "one batch per transaction: {largest:?}"
    );

    let held = source(
        "held",
        json!({"transaction.boundary": "interval", "transaction.boundary.interval.ms": "600000"}),
    );
    write_lines(&worker.dir.path().join("held.txt"), lines.iter().cloned());
    worker.create("held", held.clone()).await;
    let topic = held["topic"].as_str().unwrap_or_default().to_owned();
    support::eventually("the held lines to be sent", Duration::from_secs(60), || async {
        let topic = topic.clone();
        let sent = tokio::task::spawn_blocking(move || read_isolated(&topic, "read_uncommitted"))
            .await
            .expect("reader");
        (sent.len() == lines.len()).then_some(())
    })
    .await;
    assert!(
        committed_values(&topic).await.is_empty(),
        "nothing committed before the interval"
    );
    let (status, body) = worker.request("PUT", "/connectors/held/pause", None).await;
    assert_eq!(status, 202, "{body}");
    support::eventually("pausing to commit the held lines", Duration::from_secs(60), || async {
        (committed_values(&topic).await == lines).then_some(())
    })
    .await;
}

/// Three workers with exactly-once on, one file source among them. The worker running its task
/// is SIGSTOPped past its session timeout, the task moves, and the paused worker is resumed: its
/// producer was fenced, so nothing it still held reaches a `read_committed` consumer twice, and
/// the task keeps running on its new worker.
#[tokio::test(flavor = "multi_thread")]
async fn a_zombie_worker_is_fenced() {
    let id = unique("eos-group");
    let extra = format!(
        "{EXACTLY_ONCE}session.timeout.ms: 6000\nheartbeat.interval.ms: 1000\nscheduled.rebalance.max.delay.ms: 2000\n"
    );
    let mut workers = Vec::new();
    for _ in 0..3 {
        workers.push(Worker::start_in(&id, &extra).await);
    }
    let input = workers[0].dir.path().join("in.txt");
    let topic = unique("eos-zombie");
    let total = 30_000;
    workers[0]
        .create(
            "source",
            json!({"connector.class": "FileStreamSource", "file": input, "topic": topic, "batch.size": 200,
                   "exactly.once.support": "required"}),
        )
        .await;
    let runner = |status: &Value| status["tasks"][0]["worker_id"].as_str().map(str::to_owned);
    let owner = support::eventually("the task to run", Duration::from_secs(90), || async {
        let status = workers[0].get("/connectors/source/status").await;
        (status["tasks"][0]["state"] == "RUNNING")
            .then(|| runner(&status))
            .flatten()
    })
    .await;
    let zombie = workers
        .iter()
        .position(|w| w.url.ends_with(&owner))
        .expect("the task's worker");
    let writer = {
        let input = input.clone();
        std::thread::spawn(move || {
            for chunk in 0..total / 500 {
                write_lines(&input, numbered("line", chunk * 500..(chunk + 1) * 500));
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    workers[zombie].signal("STOP");
    let asker = &workers[(zombie + 1) % 3];
    let new_owner = support::eventually("the task to move", Duration::from_secs(90), || async {
        let status = asker.get("/connectors/source/status").await;
        let worker = runner(&status)?;
        (status["tasks"][0]["state"] == "RUNNING" && worker != owner).then_some(worker)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    workers[zombie].signal("CONT");
    writer.join().expect("writer");

    let expected: Vec<String> = numbered("line", 0..total).collect();
    support::eventually("every line once, in order", Duration::from_secs(120), || async {
        let read = committed_values(&topic).await;
        assert!(read.len() <= expected.len(), "{} lines: some twice", read.len());
        (read == expected).then_some(())
    })
    .await;
    let status = asker.get("/connectors/source/status").await;
    assert_eq!(
        (status["tasks"][0]["state"].as_str(), runner(&status)),
        (Some("RUNNING"), Some(new_owner)),
        "the fenced zombie did not take the task's status: {status}"
    );
}

/// A task whose transactional id another producer takes over is fenced: its next commit fails,
/// the task is FAILED with the broker's reason, the worker goes on, and nothing of the
/// transaction it had open reaches a `read_committed` consumer.
#[tokio::test(flavor = "multi_thread")]
async fn a_fenced_task_fails_with_the_reason() {
    use rdkafka::ClientConfig;
    use rdkafka::producer::{BaseProducer, Producer};
    let worker = Worker::start_with(EXACTLY_ONCE).await;
    let input = worker.dir.path().join("in.txt");
    let topic = unique("eos-fenced");
    write_lines(&input, numbered("line", 0..100));
    worker
        .create(
            "source",
            json!({"connector.class": "FileStreamSource", "file": input, "topic": topic,
                   "transaction.boundary": "interval", "transaction.boundary.interval.ms": "600000"}),
        )
        .await;
    // The 100 lines are sent in a transaction held open for the interval.
    support::eventually("the lines to be sent", Duration::from_secs(60), || async {
        let topic = topic.clone();
        let sent = tokio::task::spawn_blocking(move || read_isolated(&topic, "read_uncommitted"))
            .await
            .expect("reader");
        (sent.len() == 100).then_some(())
    })
    .await;
    let config = std::fs::read_to_string(worker.dir.path().join("worker.yaml")).expect("worker config");
    let group = config
        .lines()
        .find_map(|l| l.strip_prefix("group.id: "))
        .expect("the worker's group.id")
        .to_owned();
    let usurper: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap_servers())
        .set("transactional.id", format!("{group}-source-0"))
        .create()
        .expect("producer");
    tokio::task::spawn_blocking(move || usurper.init_transactions(Duration::from_secs(60)))
        .await
        .expect("fencing")
        .expect("fencing the task's producer");
    let (status, body) = worker.request("PUT", "/connectors/source/pause", None).await;
    assert_eq!(status, 202, "{body}");
    let task = worker.wait_for_task("source", 0, "FAILED").await;
    let trace = task["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("committing a transaction") && trace.to_lowercase().contains("fenced"),
        "{trace}"
    );
    assert!(
        committed_values(&topic).await.is_empty(),
        "the fenced transaction was aborted"
    );
    assert_eq!(worker.get("/health").await["status"], "healthy", "the worker goes on");
}

/// When a connector's task count shrinks, the leader fences the producers of every task id of
/// the generation before, before the new tasks start, and records the new count as Kafka
/// Connect does (`tasks-fencing-<name>`): a zombie still holding a dropped id cannot commit.
#[tokio::test(flavor = "multi_thread")]
async fn a_smaller_generation_fences_the_task_ids_it_drops() {
    use rdkafka::ClientConfig;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let id = unique("eos-fence");
    let (_plugins, extra) = with_datagen();
    let workers = [Worker::start_in(&id, &extra).await, Worker::start_in(&id, &extra).await];
    let config = |tasks: usize| {
        json!({"connector.class": "datagen", "kafka.topic": format!("{id}-data"), "tasks.max": tasks.to_string(),
               "records.per.second": "50"})
    };
    workers[0].create("dg", config(2)).await;
    workers[0].wait_for_state("dg", "RUNNING", 2).await;
    let task_count = || async {
        let topic = format!("{id}-configs");
        let records = tokio::task::spawn_blocking(move || support::read_to_end(&topic))
            .await
            .expect("reader");
        records
            .iter()
            .rev()
            .find(|r| r.key == Some(Value::String("tasks-fencing-dg".into())))
            .and_then(|r| r.value.clone())
    };
    support::eventually("the task count record of 2", Duration::from_secs(60), || async {
        (task_count().await == Some(json!({"task-count": 2}))).then_some(())
    })
    .await;

    // A zombie of task 1: a producer of its transactional id, with a transaction open.
    let zombie_topic = format!("{id}-zombie");
    let zombie: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap_servers())
        .set("transactional.id", format!("{id}-dg-1"))
        .create()
        .expect("producer");
    let zombie = tokio::task::spawn_blocking(move || {
        zombie.init_transactions(Duration::from_secs(60)).expect("init");
        zombie.begin_transaction().expect("begin");
        zombie
            .send(BaseRecord::<str, str>::to(&zombie_topic).payload("from a zombie"))
            .map_err(|(e, _)| e)
            .expect("send");
        zombie.flush(Duration::from_secs(30)).expect("flush");
        zombie
    })
    .await
    .expect("zombie");

    let (status, body) = workers[1]
        .request("PUT", "/connectors/dg/config", Some(config(1)))
        .await;
    assert_eq!(status, 200, "{body}");
    support::eventually("the task count record of 1", Duration::from_secs(60), || async {
        (task_count().await == Some(json!({"task-count": 1}))).then_some(())
    })
    .await;
    workers[0].wait_for_state("dg", "RUNNING", 1).await;
    let committed = tokio::task::spawn_blocking(move || zombie.commit_transaction(Duration::from_secs(30)))
        .await
        .expect("commit");
    assert!(committed.is_err(), "the zombie of a dropped task id was fenced");
    assert!(
        committed_values(&format!("{id}-zombie")).await.is_empty(),
        "nothing of the zombie's transaction is visible"
    );
}

/// A running exactly-once file source is given a topic of its own (`offsets.storage.topic`):
/// it resumes from the worker's topic, then commits its offsets to its own topic in its
/// transactions, resumes from there after a SIGKILL, and the offsets endpoint reads them there.
#[tokio::test(flavor = "multi_thread")]
async fn a_connectors_own_offsets_topic_takes_over_from_the_workers() {
    let mut worker = Worker::start_with(EXACTLY_ONCE).await;
    let input = worker.dir.path().join("in.txt");
    let (topic, own) = (unique("eos-own"), unique("eos-own-offsets"));
    let mut config = json!({"connector.class": "FileStreamSource", "file": input, "topic": topic,
                            "exactly.once.support": "required"});
    write_lines(&input, numbered("line", 0..100));
    worker.create("source", config.clone()).await;
    wait_for_committed(
        &topic,
        &numbered("line", 0..100).collect::<Vec<_>>(),
        Duration::from_secs(60),
    )
    .await;

    config["offsets.storage.topic"] = json!(own);
    let (status, body) = worker.request("PUT", "/connectors/source/config", Some(config)).await;
    assert_eq!(status, 200, "{body}");
    write_lines(&input, numbered("line", 100..200));
    wait_for_committed(
        &topic,
        &numbered("line", 0..200).collect::<Vec<_>>(),
        Duration::from_secs(60),
    )
    .await;
    worker.kill();
    worker.spawn().await;
    write_lines(&input, numbered("line", 200..300));
    wait_for_committed(
        &topic,
        &numbered("line", 0..300).collect::<Vec<_>>(),
        Duration::from_secs(60),
    )
    .await;

    let size = std::fs::metadata(&input).expect("input").len();
    let key = json!(["source", {"filename": input}]);
    let positions: Vec<Value> = read_isolated(&own, "read_committed")
        .into_iter()
        .filter(|r| r.key.as_ref() == Some(&key))
        .filter_map(|r| r.value.map(|v| v["position"].clone()))
        .collect();
    assert_eq!(
        positions.last(),
        Some(&json!(size)),
        "its own topic holds its offsets, the last at the end of the file: {positions:?}"
    );
    let offsets = worker.get("/connectors/source/offsets").await;
    assert_eq!(offsets["offsets"][0]["offset"]["position"], json!(size), "{offsets}");
}
