//! Records that cannot be converted follow `errors.tolerance`: the task fails (none), or the
//! record is skipped (all) and, for sinks, sent to the dead letter queue with its context.

mod support;

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use serde_json::json;
use support::{
    Worker, bootstrap_servers, eventually, numbered, read_lines, topic_record_count, unique, wait_for_lines,
    write_lines,
};

const BYTES: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

#[tokio::test(flavor = "multi_thread")]
async fn source_conversion_failures_fail_the_task_or_are_skipped() {
    let worker = Worker::start().await;
    let input = worker.dir.path().join("in.txt");
    write_lines(&input, numbered("text", 0..20));
    let (strict_topic, tolerant_topic) = (unique("strict"), unique("tolerant"));

    // A string value cannot go through ByteArrayConverter.
    worker
        .create("strict", json!({"connector.class": "FileStreamSource", "file": input, "topic": strict_topic, "value.converter": BYTES}))
        .await;
    let failed = worker.wait_for_task("strict", 0, "FAILED").await;
    let trace = failed["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("Tolerance exceeded") && trace.contains("ByteArrayConverter"),
        "{trace}"
    );
    assert_eq!(
        worker.get("/connectors/strict/offsets").await,
        json!({"offsets": []}),
        "nothing committed"
    );

    worker
        .create(
            "tolerant",
            json!({"connector.class": "FileStreamSource", "file": input, "topic": tolerant_topic, "value.converter": BYTES,
                   "errors.tolerance": "all", "errors.log.enable": true}),
        )
        .await;
    worker.wait_for_state("tolerant", "RUNNING", 1).await;
    let size = std::fs::metadata(&input).unwrap().len();
    eventually(
        "the skipped records' offsets to be committed",
        Duration::from_secs(60),
        || async {
            let offsets = worker.get("/connectors/tolerant/offsets").await;
            (offsets["offsets"][0]["offset"]["position"] == json!(size)).then_some(())
        },
    )
    .await;
    assert_eq!(topic_record_count(&tolerant_topic), 0);
    assert!(
        worker
            .log()
            .contains("a record that failed was left out (errors.tolerance=all)")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sink_conversion_failures_go_to_the_dead_letter_queue() {
    let worker = Worker::start().await;
    let (topic, dlq) = (unique("mixed"), unique("dlq"));
    let (input, good_out, strict_out) = (
        worker.dir.path().join("in.txt"),
        worker.dir.path().join("good.txt"),
        worker.dir.path().join("strict.txt"),
    );
    // Every third line is not JSON.
    let lines: Vec<String> = (0..30)
        .map(|i| {
            if i % 3 == 2 {
                format!("not json {i}")
            } else {
                format!("{{\"n\":{i}}}")
            }
        })
        .collect();
    write_lines(&input, lines.iter().cloned());
    worker
        .create(
            "source",
            json!({"connector.class": "FileStreamSource", "file": input, "topic": topic}),
        )
        .await;
    let json_sink = |file: &std::path::Path| {
        json!({"connector.class": "FileStreamSink", "file": file, "topics": topic,
               "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false"})
    };

    let mut tolerant = json_sink(&good_out);
    tolerant["errors.tolerance"] = json!("all");
    tolerant["errors.deadletterqueue.topic.name"] = json!(dlq);
    tolerant["errors.deadletterqueue.topic.replication.factor"] = json!(1);
    tolerant["errors.deadletterqueue.context.headers.enable"] = json!(true);
    worker.create("tolerant", tolerant).await;
    let written = wait_for_lines(&good_out, 20, Duration::from_secs(60)).await;
    let expected: Vec<String> = lines.iter().filter(|l| l.starts_with('{')).cloned().collect();
    assert_eq!(written, expected);
    eventually(
        "10 records in the dead letter queue",
        Duration::from_secs(60),
        || async { (topic_record_count(&dlq) == 10).then_some(()) },
    )
    .await;
    assert_eq!(
        worker.metric("sink_records_dead_lettered_total", "tolerant", 0).await,
        Some(10.0),
        "each dead letter counted"
    );

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("group.id", unique("dlq-reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[&dlq]).unwrap();
    let message = (0..100)
        .find_map(|_| consumer.poll(Duration::from_millis(500)).and_then(Result::ok))
        .expect("a dead letter");
    assert_eq!(message.payload(), Some(&b"not json 2"[..]), "the original bytes");
    let headers = message.headers().expect("context headers");
    let header = |key: &str| {
        headers
            .iter()
            .find(|h| h.key == key)
            .and_then(|h| h.value)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    assert_eq!(header("__connect.errors.topic").as_deref(), Some(topic.as_str()));
    assert_eq!(header("__connect.errors.offset").as_deref(), Some("2"));
    assert_eq!(header("__connect.errors.connector.name").as_deref(), Some("tolerant"));
    assert_eq!(header("__connect.errors.stage").as_deref(), Some("VALUE_CONVERTER"));
    assert_eq!(
        header("__connect.errors.class.name").as_deref(),
        Some("org.apache.kafka.connect.json.JsonConverter")
    );
    assert!(header("__connect.errors.exception.message").is_some_and(|m| !m.is_empty()));

    // With errors.tolerance=none the task fails at the first bad record, and commits nothing past it.
    worker.create("strict", json_sink(&strict_out)).await;
    let failed = worker.wait_for_task("strict", 0, "FAILED").await;
    assert!(
        failed["trace"]
            .as_str()
            .is_some_and(|t| t.contains("Tolerance exceeded")),
        "{failed}"
    );
    let offsets = worker.get("/connectors/strict/offsets").await;
    let committed = offsets["offsets"][0]["offset"]["kafka_offset"].as_i64().unwrap_or(0);
    assert!(committed <= 2, "no offset past the bad record is committed: {offsets}");
    assert!(read_lines(&strict_out).len() <= 2);
}
