//! Transforms and predicates in running pipelines, against a real worker and broker: a sink
//! chain with a predicate, a source chain that routes, a failing transform under both
//! `errors.tolerance` settings, and configs that name what is not installed. (Each transform's
//! own output is checked against Kafka Connect's classes in `transforms/tests/fixtures.rs`; the
//! Debezium unwrap and route against Debezium itself in `cdc_debezium.rs`.)

mod support;

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{Value, json};
use support::{Worker, bootstrap_servers, config_errors, eventually, read_lines, read_topic_async, unique};

/// Produces values (`None`: a tombstone) to a topic, keyed `k<n>`, and waits for each.
async fn produce(topic: &str, values: &[Option<&str>]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .create()
        .expect("producer");
    for (i, value) in values.iter().enumerate() {
        let key = format!("k{i}");
        let mut record = FutureRecord::<str, str>::to(topic).key(&key);
        if let Some(value) = value {
            record = record.payload(value);
        }
        producer
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(e, _)| e)
            .expect("produce");
    }
}

/// A file sink reading `topic` as schemaless JSON, with more keys.
fn json_sink(topic: &str, file: &std::path::Path, more: Value) -> Value {
    let mut config = json!({"connector.class": "FileStreamSink", "topics": topic, "file": file,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false"});
    if let (Some(config), Some(more)) = (config.as_object_mut(), more.as_object()) {
        config.extend(more.clone());
    }
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sink_chain_drops_tombstones_masks_and_renames() {
    let worker = Worker::start().await;
    let topic = unique("sink-chain");
    produce(
        &topic,
        &[
            Some(r#"{"id": 1, "name": "ann", "card": "1234"}"#),
            None,
            Some(r#"{"id": 2, "name": "bob", "card": "5678"}"#),
        ],
    )
    .await;
    let output = worker.dir.path().join("out.txt");
    let chain = json!({
        "transforms": "dropTombstones,mask,rename",
        "transforms.dropTombstones.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.dropTombstones.predicate": "isTombstone",
        "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value",
        "transforms.mask.fields": "card",
        "transforms.rename.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
        "transforms.rename.renames": "name:title",
        "predicates": "isTombstone",
        "predicates.isTombstone.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
    });
    worker.create("chain", json_sink(&topic, &output, chain)).await;
    let lines = support::wait_for_lines(&output, 2, Duration::from_secs(60)).await;
    let rows: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(
        rows,
        vec![
            json!({"id": 1, "title": "ann", "card": ""}),
            json!({"id": 2, "title": "bob", "card": ""})
        ]
    );
    // The dropped tombstone's offset is committed with the others.
    eventually(
        "the sink's offsets to pass every record",
        Duration::from_secs(60),
        || async {
            let offsets = worker.get("/connectors/chain/offsets").await;
            (offsets["offsets"][0]["offset"]["kafka_offset"] == json!(3)).then_some(())
        },
    )
    .await;
    let dropped = worker.metric("records_dropped_total", "chain", 0).await;
    assert_eq!(dropped, Some(1.0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_source_chain_shapes_headers_and_routes() {
    let worker = Worker::start().await;
    let input = worker.dir.path().join("in.txt");
    support::write_lines(&input, ["a", "b"].into_iter().map(str::to_owned));
    let topic = unique("source-chain");
    let routed = format!("{topic}-routed");
    worker
        .create(
            "lines",
            json!({"connector.class": "FileStreamSource", "file": input, "topic": topic,
                   "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                   "value.converter.schemas.enable": "false",
                   "transforms": "hoist,tag,header,route",
                   "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                   "transforms.hoist.field": "line",
                   "transforms.tag.type": "org.apache.kafka.connect.transforms.InsertField$Value",
                   "transforms.tag.static.field": "origin",
                   "transforms.tag.static.value": "file",
                   "transforms.header.type": "org.apache.kafka.connect.transforms.InsertHeader",
                   "transforms.header.header": "source",
                   "transforms.header.value.literal": "42",
                   "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
                   "transforms.route.regex": "(.*)",
                   "transforms.route.replacement": "$1-routed"}),
        )
        .await;
    let records = read_topic_async(&routed, 2, Duration::from_secs(60)).await;
    let values: Vec<Value> = records.iter().map(|r| r.value.clone().unwrap_or(Value::Null)).collect();
    assert_eq!(
        values,
        vec![
            json!({"line": "a", "origin": "file"}),
            json!({"line": "b", "origin": "file"})
        ]
    );
    assert_eq!(
        support::topic_record_count(&topic),
        0,
        "nothing went to the original topic"
    );
    // The header InsertHeader added is written by the SimpleHeaderConverter: its text.
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("group.id", unique("headers"))
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    consumer.subscribe(&[&routed]).expect("subscribe");
    let message = (0..100)
        .find_map(|_| consumer.poll(Duration::from_millis(300)).and_then(Result::ok))
        .expect("a record");
    let headers = message.headers().expect("headers");
    let header = headers.iter().find(|h| h.key == "source").expect("the inserted header");
    assert_eq!(header.value, Some(&b"42"[..]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_transform_is_dead_lettered_or_fails_the_task() {
    let worker = Worker::start().await;
    let topic = unique("cast");
    produce(
        &topic,
        &[
            Some(r#"{"id": "1"}"#),
            Some(r#"{"id": "not a number"}"#),
            Some(r#"{"id": "3"}"#),
        ],
    )
    .await;
    let cast = json!({"transforms": "cast",
                      "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
                      "transforms.cast.spec": "id:int32"});
    let dlq = unique("cast-dlq");
    let mut tolerant = cast.clone();
    if let Some(config) = tolerant.as_object_mut() {
        config.extend(
            json!({"errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
                   "errors.deadletterqueue.topic.replication.factor": "1",
                   "errors.deadletterqueue.context.headers.enable": "true"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
    }
    let good = worker.dir.path().join("good.txt");
    worker.create("tolerant", json_sink(&topic, &good, tolerant)).await;
    let lines = support::wait_for_lines(&good, 2, Duration::from_secs(60)).await;
    assert_eq!(lines, vec![r#"{"id":1}"#, r#"{"id":3}"#]);

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("group.id", unique("dlq"))
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    consumer.subscribe(&[&dlq]).expect("subscribe");
    let message = (0..200)
        .find_map(|_| consumer.poll(Duration::from_millis(300)).and_then(Result::ok))
        .expect("a dead letter");
    assert_eq!(
        message.payload(),
        Some(&br#"{"id": "not a number"}"#[..]),
        "the original bytes"
    );
    let headers = message.headers().expect("context headers");
    let header = |key: &str| {
        headers
            .iter()
            .find(|h| h.key == key)
            .and_then(|h| h.value)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    assert_eq!(header("__connect.errors.stage").as_deref(), Some("TRANSFORMATION"));
    assert_eq!(
        header("__connect.errors.class.name").as_deref(),
        Some("org.apache.kafka.connect.transforms.Cast$Value")
    );

    let strict = worker.dir.path().join("strict.txt");
    worker.create("strict", json_sink(&topic, &strict, cast)).await;
    let failed = worker.wait_for_task("strict", 0, "FAILED").await;
    let trace = failed["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("Tolerance exceeded") && trace.contains("TRANSFORMATION"),
        "{trace}"
    );
    assert!(
        !read_lines(&strict).iter().any(|l| l == r#"{"id":3}"#),
        "nothing past the bad record"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn configs_naming_what_is_not_installed_are_refused_per_key() {
    let worker = Worker::start().await;
    let config = json!({"connector.class": "FileStreamSink", "topics": unique("t"), "file": "/tmp/x",
                        "transforms": "a,b", "transforms.a.type": "com.example.Nope",
                        "transforms.b.type": "org.apache.kafka.connect.transforms.MaskField$Value",
                        "transforms.b.predicate": "p", "header.converter": "com.example.NoConverter"});
    let (status, body) = worker
        .request("POST", "/connectors", Some(json!({"name": "bad", "config": config})))
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    for named in [
        "com.example.Nope",
        "transforms.b.fields",
        "transforms.b.predicate",
        "com.example.NoConverter",
    ] {
        assert!(message.contains(named), "{named} in {message}");
    }
    let (status, infos) = worker
        .request(
            "PUT",
            "/connector-plugins/FileStreamSink/config/validate",
            Some(config.clone()),
        )
        .await;
    assert_eq!(status, 200, "{infos}");
    let groups = infos["groups"].as_array().cloned().unwrap_or_default();
    assert!(
        groups.contains(&json!("Transforms: a")) && groups.contains(&json!("Transforms: b")),
        "{groups:?}"
    );
    assert!(!config_errors(&infos, "transforms.a.type").is_empty());
    assert!(
        !config_errors(&infos, "transforms.b.fields").is_empty(),
        "MaskField's own key is required"
    );

    let plugins = worker.get("/connector-plugins?connectorsOnly=false").await;
    let kinds = |class: &str| -> Vec<String> {
        plugins
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["class"] == class)
            .filter_map(|p| p["type"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        kinds("org.apache.kafka.connect.transforms.Cast$Value"),
        vec!["transformation"]
    );
    assert_eq!(
        kinds("org.apache.kafka.connect.transforms.predicates.HasHeaderKey"),
        vec!["predicate"]
    );
    assert_eq!(
        kinds("org.apache.kafka.connect.storage.StringConverter"),
        vec!["converter", "header_converter"]
    );
    assert_eq!(
        kinds("org.apache.kafka.connect.storage.SimpleHeaderConverter"),
        vec!["header_converter"]
    );
    let keys = worker
        .get("/connector-plugins/org.apache.kafka.connect.transforms.RegexRouter/config")
        .await;
    let names: Vec<&str> = keys
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["name"].as_str())
        .collect();
    assert_eq!(names, vec!["regex", "replacement"]);
}
