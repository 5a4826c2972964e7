//! The S3-compatible server of `scripts/dev-env up` (s3s-fs), and Kafka producing helpers for
//! the S3 tests.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{Value, json};

use super::{bootstrap_servers, unique};

/// An environment variable that `scripts/dev-env env` exports.
fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: start the services with `scripts/dev-env up` and `eval \"$(scripts/dev-env env)\"`")
    })
}

/// The server's endpoint.
pub fn endpoint() -> String {
    env("S3_ENDPOINT")
}

/// A client for the server.
pub fn client() -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(env("AWS_REGION")))
        .credentials_provider(Credentials::new(
            env("AWS_ACCESS_KEY_ID"),
            env("AWS_SECRET_ACCESS_KEY"),
            None,
            None,
            "test",
        ))
        .endpoint_url(endpoint())
        .force_path_style(true)
        .build();
    Client::from_conf(config)
}

/// The rows of a Parquet object as JSON objects of their columns: integers and doubles as
/// numbers, strings, nulls, and a date as `"date <days>"`.
pub fn parquet_rows(object: Vec<u8>) -> Vec<Value> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    let reader = SerializedFileReader::new(bytes::Bytes::from(object)).expect("parquet");
    reader
        .get_row_iter(None)
        .expect("rows")
        .map(|row| {
            row.expect("row")
                .get_column_iter()
                .map(|(name, field)| {
                    let value = match field {
                        Field::Long(i) => json!(i),
                        Field::Str(s) => json!(s),
                        Field::Date(days) => json!(format!("date {days}")),
                        Field::Double(d) => json!(d),
                        Field::Null => Value::Null,
                        other => panic!("unexpected {other:?}"),
                    };
                    (name.clone(), value)
                })
                .collect()
        })
        .collect()
}

/// Creates a bucket with a unique name; the server must answer.
pub async fn new_bucket(prefix: &str) -> String {
    let bucket = unique(prefix).to_ascii_lowercase();
    client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "creating bucket {bucket} at {}: {e:?}; start the server with `scripts/dev-env up`",
                endpoint()
            )
        });
    bucket
}

/// The keys of every object in a bucket, in order.
pub async fn keys(bucket: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let page = client()
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token)
            .send()
            .await
            .expect("list objects");
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
        match page.next_continuation_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    keys.sort();
    keys
}

/// An object's bytes.
pub async fn object(bucket: &str, key: &str) -> Vec<u8> {
    let object = client()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("reading {key}: {e:?}"));
    object.body.collect().await.expect("object body").into_bytes().to_vec()
}

/// The JSON lines of an object.
pub async fn json_lines(bucket: &str, key: &str) -> Vec<Value> {
    let bytes = object(bucket, key).await;
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("a JSON line"))
        .collect()
}

/// Waits until the bucket holds exactly `expected` keys (and no others), or panics.
pub async fn wait_for_keys(bucket: &str, expected: &[String], timeout: Duration) {
    let mut expected = expected.to_vec();
    expected.sort();
    super::eventually(&format!("bucket {bucket} to hold {expected:?}"), timeout, || {
        let expected = expected.clone();
        async move { (keys(bucket).await == expected).then_some(()) }
    })
    .await;
}

/// Creates a topic.
pub async fn create_topic(topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .create()
        .expect("admin client");
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let results = admin
        .create_topics([&new], &AdminOptions::new())
        .await
        .expect("create topic");
    for result in results {
        result.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
}

/// A record to produce: partition, timestamp (ms, or now) and value.
pub struct Produce {
    pub partition: i32,
    pub timestamp: Option<i64>,
    pub value: Vec<u8>,
}

/// Produces records and waits for every acknowledgement.
pub async fn produce(topic: &str, records: impl IntoIterator<Item = Produce>) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    let mut acks = Vec::new();
    for record in records {
        let mut message = FutureRecord::<(), [u8]>::to(topic)
            .partition(record.partition)
            .payload(&record.value);
        if let Some(ts) = record.timestamp {
            message = message.timestamp(ts);
        }
        acks.push(
            producer
                .send_result(message)
                .unwrap_or_else(|(e, _)| panic!("queueing a record: {e}")),
        );
        if acks.len() >= 10_000 {
            for ack in acks.drain(..) {
                ack.await
                    .expect("delivery")
                    .unwrap_or_else(|(e, _)| panic!("producing: {e}"));
            }
        }
    }
    for ack in acks {
        ack.await
            .expect("delivery")
            .unwrap_or_else(|(e, _)| panic!("producing: {e}"));
    }
}

/// JSON values into one partition, stamped now.
pub fn json_values(partition: i32, values: impl IntoIterator<Item = Value>) -> impl Iterator<Item = Produce> {
    values.into_iter().map(move |value| Produce {
        partition,
        timestamp: None,
        value: value.to_string().into_bytes(),
    })
}

/// `count` JSON values `{"n": i, ...}` into one partition, starting at `first`.
pub fn numbered_json(partition: i32, first: usize, count: usize) -> impl Iterator<Item = Produce> {
    json_values(
        partition,
        (first..first + count).map(move |n| json!({"partition": partition, "n": n})),
    )
}

/// The connection part of an S3 connector config for a bucket.
pub fn bucket_config(bucket: &str) -> serde_json::Map<String, Value> {
    let config = json!({
        "s3.bucket.name": bucket,
        "s3.region": env("AWS_REGION"),
        "store.url": endpoint(),
        "aws.access.key.id": env("AWS_ACCESS_KEY_ID"),
        "aws.secret.access.key": env("AWS_SECRET_ACCESS_KEY"),
    });
    config.as_object().cloned().unwrap_or_default()
}

/// A sink config: the bucket's connection, then `extra` keys.
pub fn sink_config(bucket: &str, topic: &str, extra: Value) -> Value {
    let mut config = bucket_config(bucket);
    config.insert(
        "connector.class".into(),
        "io.confluent.connect.s3.S3SinkConnector".into(),
    );
    config.insert("topics".into(), topic.into());
    config.insert(
        "format.class".into(),
        "io.confluent.connect.s3.format.json.JsonFormat".into(),
    );
    config.insert(
        "value.converter".into(),
        "org.apache.kafka.connect.json.JsonConverter".into(),
    );
    config.insert("value.converter.schemas.enable".into(), "false".into());
    config.insert("errors.retry.delay.max.ms".into(), "2000".into());
    if let Value::Object(extra) = extra {
        config.extend(extra);
    }
    Value::Object(config)
}

/// A source config replaying `topics` (all when empty) of a bucket's JSON objects into
/// `rename` (with `${topic}`).
pub fn source_config(bucket: &str, topics: &str, rename: &str) -> Value {
    let mut config = bucket_config(bucket);
    config.insert("connector.class".into(), "s3-source".into());
    config.insert("format.class".into(), "json".into());
    config.insert("topics".into(), topics.into());
    config.insert("topic.rename.format".into(), rename.into());
    config.insert(
        "value.converter".into(),
        "org.apache.kafka.connect.json.JsonConverter".into(),
    );
    config.insert("value.converter.schemas.enable".into(), "false".into());
    Value::Object(config)
}
