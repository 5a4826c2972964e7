//! Adopting a Kafka Connect cluster in place. The real Kafka Connect (distributed mode, its jars
//! and Debezium's from `scripts/dev-env`) runs a FileStreamSource and Debezium's Postgres
//! connector on a group and internal topics of this test's own, and stops. A Weir worker started
//! on the same group and topics continues both from Kafka Connect's offsets: nothing written while
//! Kafka Connect ran, or while neither ran, is lost, and the snapshot is not taken again. A
//! connector whose plugin Weir lacks is reported FAILED, saying so.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{Value, json};
use support::postgres::{cdc_config, cleanup, database, sql};
use support::reference;
use support::{Record, Worker, bootstrap_servers, eventually, free_port, numbered, read_to_end, unique, write_lines};

const WAIT: Duration = Duration::from_secs(120);

/// A Kafka Connect worker in distributed mode, alone in group `id`, on topics `<id>-configs`,
/// `<id>-offsets` and `<id>-status` (as `Worker::start_in` names them); killed when dropped.
struct KafkaConnect {
    child: Option<Child>,
    url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// The output of `scripts/dev-env classpath <what>` (the jars are fetched first if missing).
fn classpath(what: &str) -> String {
    let output = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/dev-env"))
        .args(["classpath", what])
        .stderr(Stdio::inherit())
        .output()
        .expect("scripts/dev-env classpath");
    assert!(output.status.success(), "scripts/dev-env classpath {what} failed");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

impl KafkaConnect {
    async fn start(id: &str) -> KafkaConnect {
        let dir = tempfile::tempdir().expect("dir");
        let port = free_port();
        // Debezium's classpath is `<plugin.path>/debezium-connector-postgres/*`.
        let debezium = classpath("debezium");
        let plugins = Path::new(debezium.trim_end_matches("/*"))
            .parent()
            .expect("Debezium's plugin directory")
            .to_owned();
        let props = dir.path().join("connect-distributed.properties");
        std::fs::write(
            &props,
            format!(
                "bootstrap.servers={}\nlisteners=http://127.0.0.1:{port}\ngroup.id={id}\n\
                 config.storage.topic={id}-configs\noffset.storage.topic={id}-offsets\nstatus.storage.topic={id}-status\n\
                 config.storage.replication.factor=1\noffset.storage.replication.factor=1\nstatus.storage.replication.factor=1\n\
                 offset.storage.partitions=5\nstatus.storage.partitions=2\n\
                 key.converter=org.apache.kafka.connect.storage.StringConverter\n\
                 value.converter=org.apache.kafka.connect.storage.StringConverter\n\
                 offset.flush.interval.ms=500\nscheduled.rebalance.max.delay.ms=0\n\
                 plugin.path={}\n",
                bootstrap_servers(),
                plugins.display()
            ),
        )
        .expect("properties");
        let log = dir.path().join("connect.log");
        let out = std::fs::File::create(&log).expect("log");
        let child = Command::new("java")
            .args(["-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-cp", &classpath("connect")])
            .arg("org.apache.kafka.connect.cli.ConnectDistributed")
            .arg(&props)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .spawn()
            .expect("java (Kafka Connect)");
        let connect = KafkaConnect {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        eventually("Kafka Connect to start", WAIT, || async {
            let health = reqwest::get(format!("{}/health", connect.url)).await.ok()?;
            health.status().is_success().then_some(())
        })
        .await;
        connect
    }

    async fn request(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        reference::request_to(&self.url, method, path, body).await
    }

    /// Creates a connector and waits until it and its task run.
    async fn create(&self, name: &str, config: Value) {
        reference::create_running(&self.url, name, config, WAIT).await;
    }

    /// Stops the worker as an operator would (SIGTERM: it commits its offsets and leaves).
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        panic!(
            "Kafka Connect did not stop in 60 s:\n{}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }
}

impl Drop for KafkaConnect {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The ids of the rows of the change events in `records` of operation `op`.
fn ids(records: &[Record], op: &str) -> Vec<i64> {
    records
        .iter()
        .filter_map(|r| {
            // The worker's default value converter is the StringConverter; the connector's own
            // is the JsonConverter, so the value is the JSON it wrote.
            let payload = &r.value.as_ref()?["payload"];
            (payload["op"] == op).then(|| payload["after"]["id"].as_i64())?
        })
        .collect()
}

/// Writes a connector config to the config topic as Kafka Connect does, for a connector whose
/// plugin Kafka Connect had and Weir lacks.
fn write_foreign_connector(config_topic: &str, name: &str) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .create()
        .expect("producer");
    let key = format!("connector-{name}");
    let value = json!({"properties": {
        "connector.class": "com.example.LegacyConnector", "name": name, "tasks.max": "1",
    }})
    .to_string();
    producer
        .send(BaseRecord::to(config_topic).key(&key).payload(&value))
        .map_err(|(e, _)| e)
        .expect("send");
    producer.flush(Duration::from_secs(10)).expect("flush");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kafka_connect_clusters_file_and_debezium_connectors_continue_on_weir() {
    let id = unique("adopt");
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!(
            "CREATE TABLE {schema}.items (id int PRIMARY KEY, v text);
             INSERT INTO {schema}.items SELECT n, 'before-' || n FROM generate_series(1, 20) n;"
        ),
    )
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let input = dir.path().join("in.txt");
    write_lines(&input, numbered("line", 0..100));
    let file_topic = unique("adopt-file");
    let cdc_topic = format!("{schema}.{schema}.items");

    // Kafka Connect runs both, and stops once it has written (and committed) what they read.
    let mut connect = KafkaConnect::start(&id).await;
    connect
        .create(
            "file",
            json!({"connector.class": "FileStreamSource", "file": input, "topic": file_topic}),
        )
        .await;
    connect
        .create(
            "cdc",
            cdc_config(&schema, &schema, &["items"], json!({"plugin.name": "pgoutput"})),
        )
        .await;
    sql(
        &mut conn,
        &format!("INSERT INTO {schema}.items SELECT n, 'streamed-' || n FROM generate_series(21, 25) n;"),
    )
    .await;
    eventually("Kafka Connect to write both topics and commit", WAIT, || async {
        let lines = read_to_end(&file_topic).len();
        let changes = read_to_end(&cdc_topic).len();
        let (_, offsets) = connect.request("GET", "/connectors/file/offsets", None).await;
        let position = offsets["offsets"][0]["offset"]["position"].as_u64().unwrap_or(0);
        let file_len = std::fs::metadata(&input).map(|m| m.len()).unwrap_or(0);
        (lines >= 100 && changes >= 25 && position == file_len).then_some(())
    })
    .await;
    connect.stop();

    // While nothing runs: more lines, more rows, and a connector Weir has no plugin for.
    write_lines(&input, numbered("line", 100..200));
    sql(
        &mut conn,
        &format!(
            "INSERT INTO {schema}.items SELECT n, 'later-' || n FROM generate_series(26, 40) n;
             UPDATE {schema}.items SET v = 'changed' WHERE id = 1;"
        ),
    )
    .await;
    write_foreign_connector(&format!("{id}-configs"), "legacy");

    let weir = Worker::start_in(&id, "").await;
    weir.wait_for_state("file", "RUNNING", 1).await;
    weir.wait_for_state("cdc", "RUNNING", 1).await;
    let legacy = eventually("the connector without a plugin to be FAILED", WAIT, || async {
        let status = weir.get("/connectors/legacy/status").await;
        (status["connector"]["state"] == "FAILED").then_some(status)
    })
    .await;
    let trace = legacy["connector"]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("com.example.LegacyConnector"),
        "the reason names the plugin: {trace}"
    );

    let expected: BTreeSet<String> = numbered("line", 0..200).collect();
    let lines = eventually("every line in the topic", WAIT, || async {
        let lines: Vec<String> = read_to_end(&file_topic)
            .into_iter()
            .filter_map(|r| r.value?.as_str().map(str::to_owned))
            .collect();
        let seen: BTreeSet<&String> = lines.iter().collect();
        expected.iter().all(|l| seen.contains(l)).then_some(lines)
    })
    .await;
    assert!(
        lines.len() < expected.len() + 100,
        "Weir resumed from Kafka Connect's offset, not from the start: {} records for {} lines",
        lines.len(),
        expected.len()
    );

    let changes = eventually("every change in the topic", WAIT, || async {
        let records = read_to_end(&cdc_topic);
        let created: BTreeSet<i64> = ids(&records, "c").into_iter().collect();
        let updated = ids(&records, "u");
        ((21..=40).all(|n| created.contains(&n)) && updated.contains(&1)).then_some(records)
    })
    .await;
    let snapshot = ids(&changes, "r");
    assert_eq!(
        snapshot.len(),
        20,
        "the snapshot Kafka Connect took is not taken again: {snapshot:?}"
    );

    for name in ["file", "cdc", "legacy"] {
        weir.request("DELETE", &format!("/connectors/{name}"), None).await;
    }
    drop(weir);
    cleanup(&mut conn, &schema, &[&schema]).await;
}
