//! The `weir` command line: help, worker config errors, and connectors given as files.

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::json;
use support::{Worker, numbered, unique, wait_for_lines, write_lines};

fn weir(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(args)
        .output()
        .expect("run weir")
}

/// Starts a worker whose config (on top of the broker, a group and a free port) must stop it at
/// start; returns what it printed.
fn failed_start(extra: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("worker.yaml");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "bootstrap.servers: {}\ngroup.id: g\nlisteners: http://127.0.0.1:{port}\n{extra}",
        support::bootstrap_servers()
    );
    std::fs::write(&config, text).unwrap();
    let output = weir(&["worker", "--config", config.to_str().unwrap()]);
    assert!(!output.status.success(), "the worker must refuse to start");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_explains_every_flag() {
    let top = String::from_utf8_lossy(&weir(&["--help"]).stdout).into_owned();
    for needle in ["worker", "--log-format", "--log"] {
        assert!(top.contains(needle), "{needle} in {top}");
    }
    let worker = String::from_utf8_lossy(&weir(&["worker", "--help"]).stdout).into_owned();
    for needle in ["--config", "--connector"] {
        assert!(worker.contains(needle), "{needle} in {worker}");
    }
}

#[test]
fn a_bad_worker_config_stops_the_worker_naming_every_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("worker.yaml");
    std::fs::write(
        &config,
        "bootstrap.servers: 127.0.0.1:9092\ngroup.id: g\nofset.flush.interval.ms: 5\nstatus.storage.partitions: none\n",
    )
    .unwrap();
    let output = weir(&["worker", "--config", config.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ofset.flush.interval.ms: unknown key"), "{stderr}");
    assert!(stderr.contains("status.storage.partitions"), "{stderr}");

    let missing = weir(&["worker", "--config", dir.path().join("nope.yaml").to_str().unwrap()]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.yaml"));
}

#[test]
fn a_bad_client_setting_stops_the_worker_naming_the_key() {
    let stderr = failed_start("producer.no.such.setting: 1\n");
    assert!(stderr.contains("no.such.setting"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn connector_files_are_created_then_updated_at_start() {
    let mut worker = Worker::start().await;
    let topic = unique("files");
    let (input, output) = (worker.dir.path().join("in.txt"), worker.dir.path().join("out.txt"));
    write_lines(&input, numbered("f", 0..30));
    let source = worker.dir.path().join("source.yaml");
    std::fs::write(
        &source,
        format!(
            "name: from-file\nconfig:\n  connector.class: FileStreamSource\n  file: {}\n  topic: {topic}\n",
            input.display()
        ),
    )
    .unwrap();
    let sink = worker.dir.path().join("sink.json");
    std::fs::write(
        &sink,
        json!({"name": "sink-from-file", "connector.class": "FileStreamSink", "file": output, "topics": topic})
            .to_string(),
    )
    .unwrap();

    worker.terminate();
    worker.set_args(&[
        "--connector",
        source.to_str().unwrap(),
        "--connector",
        sink.to_str().unwrap(),
    ]);
    worker.spawn().await;
    worker.wait_for_state("from-file", "RUNNING", 1).await;
    worker.wait_for_state("sink-from-file", "RUNNING", 1).await;
    wait_for_lines(&output, 30, Duration::from_secs(60)).await;

    // Restarted with a changed file: the connector is updated.
    worker.terminate();
    std::fs::write(&source, format!("name: from-file\nconfig:\n  connector.class: FileStreamSource\n  file: {}\n  topic: {topic}\n  batch.size: 7\n", input.display())).unwrap();
    worker.spawn().await;
    assert_eq!(worker.get("/connectors/from-file/config").await["batch.size"], "7");
    worker.wait_for_state("from-file", "RUNNING", 1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_internal_topic_that_is_not_compacted_stops_the_worker() {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;

    let topic = unique("not-compacted");
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap_servers())
        .create()
        .unwrap();
    let new = NewTopic::new(&topic, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "delete");
    admin.create_topics([&new], &AdminOptions::new()).await.unwrap();

    let stderr = failed_start(&format!(
        "config.storage.topic: {topic}\nconfig.storage.replication.factor: 1\n"
    ));
    assert!(stderr.contains(&topic) && stderr.contains("compact"), "{stderr}");
}
