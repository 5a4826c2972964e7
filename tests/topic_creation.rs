//! Source connectors' topic creation (Kafka Connect's KIP-158) beside the reference Kafka
//! Connect of `scripts/dev-env`, on the same broker: the same `topic.creation.*` settings make
//! topics with the same partitions and configs on both; settings Kafka Connect fails the
//! connector for are refused by Weir when the connector is created.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use serde_json::{Value, json};
use support::reference::ReferenceConnector;
use support::{Worker, bootstrap_servers, eventually, numbered, topic_record_count, unique, write_lines};

/// The topic configs these tests set, and the partition count.
const CONFIGS: [&str; 2] = ["max.message.bytes", "retention.ms"];

/// A file source of `file` into `topic`, with a custom group `audit` for topics ending in
/// `-audit` and the default group for the rest.
fn source(file: &std::path::Path, topic: &str) -> Value {
    json!({
        "connector.class": "FileStreamSource", "file": file, "topic": topic,
        "topic.creation.groups": "audit",
        "topic.creation.audit.include": ".*-audit",
        "topic.creation.audit.partitions": "2",
        "topic.creation.audit.max.message.bytes": "500000",
        "topic.creation.default.replication.factor": "1",
        "topic.creation.default.partitions": "3",
        "topic.creation.default.retention.ms": "3600000",
    })
}

/// A topic's partition count and the values of [`CONFIGS`] as the broker describes them.
async fn described(topic: &str) -> (usize, BTreeMap<String, String>) {
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .create()
        .expect("admin client");
    let metadata = admin
        .inner()
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let partitions = metadata.topics().first().map_or(0, |t| t.partitions().len());
    let resources = admin
        .describe_configs(&[ResourceSpecifier::Topic(topic)], &AdminOptions::new())
        .await
        .expect("describe configs");
    let resource = resources
        .into_iter()
        .next()
        .expect("one resource")
        .expect("the topic's configs");
    let configs = resource
        .entries
        .into_iter()
        .filter(|e| CONFIGS.contains(&e.name.as_str()))
        .map(|e| (e.name, e.value.unwrap_or_default()))
        .collect();
    (partitions, configs)
}

#[tokio::test(flavor = "multi_thread")]
async fn topics_are_created_as_kafka_connect_creates_them() {
    let worker = Worker::start().await;
    let input = worker.dir.path().join("in.txt");
    write_lines(&input, numbered("line", 0..10));
    let (ours, theirs) = (unique("tc-weir"), unique("tc-kc"));
    let mut reference = Vec::new();
    for suffix in ["audit", "plain"] {
        let (weir_topic, kc_topic) = (format!("{ours}-{suffix}"), format!("{theirs}-{suffix}"));
        worker
            .create(&format!("source-{suffix}"), source(&input, &weir_topic))
            .await;
        reference.push(ReferenceConnector::create(&format!("{theirs}-{suffix}"), source(&input, &kc_topic)).await);
        for topic in [&weir_topic, &kc_topic] {
            eventually(&format!("10 records in {topic}"), Duration::from_secs(60), || async {
                (topic_record_count(topic) == 10).then_some(())
            })
            .await;
        }
        let (weir, kc) = (described(&weir_topic).await, described(&kc_topic).await);
        assert_eq!(weir, kc, "{suffix}: Weir's topic is made as Kafka Connect's");
    }
    let (audit, plain) = (
        described(&format!("{ours}-audit")).await,
        described(&format!("{ours}-plain")).await,
    );
    assert_eq!(audit.0, 2, "the audit group's partitions");
    assert_eq!(audit.1["max.message.bytes"], "500000", "the audit group's own config");
    assert_eq!(plain.0, 3, "the default group's partitions");
    assert_eq!(plain.1["retention.ms"], "3600000", "the default group's config");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_topic_creation_settings_are_refused_naming_the_keys() {
    let worker = Worker::start().await;
    let input = worker.dir.path().join("in.txt");
    let mut config = source(&input, &unique("tc-bad"));
    config["topic.creation.default.partitions"] = json!("0");
    config["topic.creation.audit.include"] = json!("(unclosed");
    config
        .as_object_mut()
        .expect("object")
        .remove("topic.creation.default.replication.factor");
    let (status, body) = worker
        .request("POST", "/connectors", Some(json!({"name": "bad", "config": config})))
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    for key in [
        "topic.creation.default.partitions",
        "topic.creation.default.replication.factor",
        "topic.creation.audit.include",
    ] {
        assert!(message.contains(key), "{key} is named: {message}");
    }
}
