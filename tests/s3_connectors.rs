//! The S3 sink and source against the real broker and a real S3-compatible server.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use support::s3::{self, Produce};
use support::{Worker, eventually, unique};

const WAIT: Duration = Duration::from_secs(90);

/// The key of an object the sink writes.
fn key(topic: &str, folder: &str, partition: i32, start: i64, extension: &str) -> String {
    format!("topics/{topic}/{folder}/{topic}+{partition}+{start:010}{extension}")
}

/// The `n` fields of JSON lines.
fn numbers(lines: &[Value]) -> Vec<i64> {
    lines.iter().map(|l| l["n"].as_i64().expect("n")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_rotate_by_flush_size_and_by_schedule() {
    let worker = Worker::start().await;
    let bucket = s3::new_bucket("rotate").await;
    let topic = unique("rotate");
    s3::create_topic(&topic, 2).await;
    s3::produce(&topic, s3::numbered_json(0, 0, 250).chain(s3::numbered_json(1, 0, 120))).await;
    worker
        .create(
            "archive",
            s3::sink_config(
                &bucket,
                &topic,
                json!({"flush.size": "100", "rotate.schedule.interval.ms": "3000"}),
            ),
        )
        .await;

    let expected = [(0, 0), (0, 100), (0, 200), (1, 0), (1, 100)]
        .map(|(p, start)| key(&topic, &format!("partition={p}"), p, start, ".json"));
    s3::wait_for_keys(&bucket, &expected, WAIT).await;
    for (k, (partition, range)) in
        expected
            .iter()
            .zip([(0, 0..100), (0, 100..200), (0, 200..250), (1, 0..100), (1, 100..120)])
    {
        let lines = s3::json_lines(&bucket, k).await;
        assert_eq!(numbers(&lines), range.collect::<Vec<i64>>(), "{k}");
        assert!(lines.iter().all(|l| l["partition"] == partition), "{k}");
    }

    // Offsets are committed once the objects covering them are complete.
    eventually("the sink's offsets to be committed", WAIT, || async {
        let offsets = worker.get("/connectors/archive/offsets").await;
        let mut committed: Vec<(i64, i64)> = offsets["offsets"]
            .as_array()?
            .iter()
            .map(|o| {
                (
                    o["partition"]["kafka_partition"].as_i64().unwrap_or(-1),
                    o["offset"]["kafka_offset"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        committed.sort();
        (committed == vec![(0, 250), (1, 120)]).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_and_time_partitioners_name_folders_and_rotate_by_record_time() {
    let worker = Worker::start().await;
    let bucket = s3::new_bucket("partitioners").await;
    let (by_field, by_time) = (unique("by-field"), unique("by-time"));
    s3::create_topic(&by_field, 1).await;
    s3::create_topic(&by_time, 1).await;
    let region = |n: usize, every: usize| if n % every == 0 { "eu" } else { "us" };
    s3::produce(
        &by_field,
        s3::json_values(0, (0..8).map(|n| json!({"region": region(n, 2), "n": n}))),
    )
    .await;
    // 2026-01-01T10:00:00Z, then every 3 s; then one an hour later.
    let base = 1_767_261_600_000_i64;
    let times = [0, 3, 6, 9, 12, 15]
        .map(|s| base + s * 1000)
        .into_iter()
        .chain([base + 3_600_000]);
    s3::produce(
        &by_time,
        times.enumerate().map(|(n, ts)| Produce {
            partition: 0,
            timestamp: Some(ts),
            value: json!({"n": n}).to_string().into_bytes(),
        }),
    )
    .await;
    worker
        .create(
            "by-field",
            s3::sink_config(
                &bucket,
                &by_field,
                json!({
                    "flush.size": "4",
                    "partitioner.class": "io.confluent.connect.storage.partitioner.FieldPartitioner",
                    "partition.field.name": "region",
                }),
            ),
        )
        .await;
    worker
        .create(
            "by-time",
            s3::sink_config(
                &bucket,
                &by_time,
                json!({
                    "flush.size": "1000",
                    "rotate.interval.ms": "10000",
                    "partitioner.class": "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
                    "path.format": "'dt'=YYYY-MM-dd/'hour'=HH",
                    "partition.duration.ms": "3600000",
                    "locale": "en-US",
                    "timezone": "UTC",
                    "timestamp.extractor": "Record",
                }),
            ),
        )
        .await;

    // Field: every object of a window completes together, each named by its first offset.
    let field_keys = [("eu", 0), ("us", 1), ("eu", 4), ("us", 5)]
        .map(|(region, start)| key(&by_field, &format!("region={region}"), 0, start, ".json"));
    // Time: a window spans less than 10 s of record time; the last one stays open.
    let time_keys = [0, 4].map(|start| key(&by_time, "dt=2026-01-01/hour=10", 0, start, ".json"));
    let expected: Vec<String> = field_keys.iter().chain(&time_keys).cloned().collect();
    s3::wait_for_keys(&bucket, &expected, WAIT).await;
    for (k, ns) in field_keys.iter().zip([vec![0, 2], vec![1, 3], vec![4, 6], vec![5, 7]]) {
        assert_eq!(numbers(&s3::json_lines(&bucket, k).await), ns, "{k}");
    }
    for (k, ns) in time_keys.iter().zip([vec![0, 1, 2, 3], vec![4, 5]]) {
        assert_eq!(numbers(&s3::json_lines(&bucket, k).await), ns, "{k}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bytes_gzip_and_parquet_objects_are_readable_by_standard_readers() {
    use std::io::Read;

    let worker = Worker::start().await;
    let bucket = s3::new_bucket("formats").await;
    let (raw, rows) = (unique("raw"), unique("rows"));
    s3::create_topic(&raw, 1).await;
    s3::create_topic(&rows, 1).await;
    s3::produce(
        &raw,
        (0..5).map(|n| Produce {
            partition: 0,
            timestamp: None,
            value: format!("line {n}").into_bytes(),
        }),
    )
    .await;
    let schema = json!({"type": "struct", "name": "person", "optional": false, "fields": [
        {"field": "id", "type": "int64", "optional": false},
        {"field": "name", "type": "string", "optional": true},
        {"field": "born", "type": "int32", "optional": true, "name": "org.apache.kafka.connect.data.Date"},
    ]});
    s3::produce(
        &rows,
        (0..3).map(|n| Produce {
            partition: 0,
            timestamp: None,
            value: json!({"schema": schema, "payload": {"id": n, "name": if n == 1 { Value::Null } else { json!(format!("p{n}")) }, "born": 19000 + n}})
                .to_string()
                .into_bytes(),
        }),
    )
    .await;
    worker
        .create(
            "raw",
            s3::sink_config(
                &bucket,
                &raw,
                json!({
                    "flush.size": "5",
                    "format.class": "io.confluent.connect.s3.format.bytearray.ByteArrayFormat",
                    "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
                    "s3.compression.type": "gzip",
                }),
            ),
        )
        .await;
    worker
        .create(
            "rows",
            s3::sink_config(
                &bucket,
                &rows,
                json!({
                    "flush.size": "3",
                    "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
                    "value.converter.schemas.enable": "true",
                }),
            ),
        )
        .await;
    let raw_key = key(&raw, "partition=0", 0, 0, ".bin.gz");
    let rows_key = key(&rows, "partition=0", 0, 0, ".snappy.parquet");
    s3::wait_for_keys(&bucket, &[raw_key.clone(), rows_key.clone()], WAIT).await;

    let mut text = String::new();
    flate2::read::GzDecoder::new(s3::object(&bucket, &raw_key).await.as_slice())
        .read_to_string(&mut text)
        .expect("gzip");
    assert_eq!(text, "line 0\nline 1\nline 2\nline 3\nline 4\n");

    let read = s3::parquet_rows(s3::object(&bucket, &rows_key).await);
    assert_eq!(
        read,
        vec![
            json!({"id": 0, "name": "p0", "born": "date 19000"}),
            json!({"id": 1, "name": null, "born": "date 19001"}),
            json!({"id": 2, "name": "p2", "born": "date 19002"}),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_upload_leaves_every_record_exactly_once() {
    let mut worker = Worker::start().await;
    let bucket = s3::new_bucket("sigkill").await;
    let topic = unique("sigkill");
    s3::create_topic(&topic, 1).await;
    // 20,000 records of ~1.5 KB: objects of 4,000 records (~6 MB) go up in two parts.
    let padding = "x".repeat(1500);
    let total = 20_000;
    s3::produce(
        &topic,
        (0..total).map(|n| Produce {
            partition: 0,
            timestamp: None,
            value: json!({"n": n, "pad": padding}).to_string().into_bytes(),
        }),
    )
    .await;
    worker
        .create(
            "archive",
            s3::sink_config(
                &bucket,
                &topic,
                json!({"flush.size": "4000", "s3.part.size": "5242880"}),
            ),
        )
        .await;
    eventually("two objects in the bucket", WAIT, || async {
        (s3::keys(&bucket).await.len() >= 2).then_some(())
    })
    .await;
    worker.kill();
    let at_kill = s3::keys(&bucket).await.len();
    assert!(at_kill < 5, "the kill came mid-stream ({at_kill} of 5 objects)");
    worker.spawn().await;

    let expected: Vec<String> = (0..5)
        .map(|i| key(&topic, "partition=0", 0, i * 4000, ".json"))
        .collect();
    s3::wait_for_keys(&bucket, &expected, WAIT).await;
    let mut seen = Vec::new();
    for k in &expected {
        seen.extend(numbers(&s3::json_lines(&bucket, k).await));
    }
    assert_eq!(seen, (0..total).collect::<Vec<i64>>(), "every record once, in order");
}

#[tokio::test(flavor = "multi_thread")]
async fn round_trip_sink_bucket_source_reproduces_the_topic() {
    let mut worker = Worker::start().await;
    let bucket = s3::new_bucket("roundtrip").await;
    let topic = unique("orders");
    let restored = format!("restored-{topic}");
    s3::create_topic(&topic, 3).await;
    s3::create_topic(&restored, 3).await;
    let counts = [130, 75, 0];
    s3::produce(
        &topic,
        counts
            .iter()
            .enumerate()
            .flat_map(|(p, count)| s3::numbered_json(p as i32, 0, *count)),
    )
    .await;
    worker
        .create(
            "archive",
            s3::sink_config(
                &bucket,
                &topic,
                json!({"flush.size": "50", "rotate.schedule.interval.ms": "2000"}),
            ),
        )
        .await;
    let expected: Vec<String> = [(0, 0), (0, 50), (0, 100), (1, 0), (1, 50)]
        .map(|(p, start)| key(&topic, &format!("partition={p}"), p, start, ".json"))
        .to_vec();
    s3::wait_for_keys(&bucket, &expected, WAIT).await;

    let mut source = s3::bucket_config(&bucket);
    source.insert("connector.class".into(), "s3-source".into());
    source.insert("format.class".into(), "json".into());
    source.insert("topics".into(), topic.clone().into());
    source.insert("topic.rename.format".into(), "restored-${topic}".into());
    source.insert(
        "value.converter".into(),
        "org.apache.kafka.connect.json.JsonConverter".into(),
    );
    source.insert("value.converter.schemas.enable".into(), "false".into());
    worker.create("restore", Value::Object(source)).await;

    let total: usize = counts.iter().sum();
    let by_partition = read_partitions(&restored, total).await;
    for (p, count) in counts.iter().enumerate() {
        let values: Vec<Value> = (0..*count).map(|n| json!({"partition": p, "n": n})).collect();
        assert_eq!(
            by_partition.get(&(p as i32)).cloned().unwrap_or_default(),
            values,
            "partition {p}"
        );
    }

    // A restarted worker resumes after what it replayed: nothing twice.
    let status = worker.terminate();
    assert!(status.success());
    worker.spawn().await;
    worker.wait_for_state("restore", "RUNNING", 1).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(support::topic_record_count(&restored), total as i64);
}

/// Reads `count` records of a topic; answers their JSON values by partition, in order.
async fn read_partitions(topic: &str, count: usize) -> BTreeMap<i32, Vec<Value>> {
    use rdkafka::Message;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", support::bootstrap_servers())
            .set("group.id", unique("reader"))
            .set("auto.offset.reset", "earliest")
            .create()
            .expect("consumer");
        consumer.subscribe(&[&topic]).expect("subscribe");
        let deadline = std::time::Instant::now() + WAIT;
        let mut records: BTreeMap<i32, Vec<Value>> = BTreeMap::new();
        let mut read = 0;
        while read < count {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out reading {topic}: {read} of {count}"
            );
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
                let value = serde_json::from_slice(m.payload().unwrap_or_default()).expect("JSON value");
                records.entry(m.partition()).or_default().push(value);
                read += 1;
            }
        }
        records
    })
    .await
    .expect("reader")
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_of_field_partitioned_objects_restores_every_record() {
    let worker = Worker::start().await;
    let bucket = s3::new_bucket("fieldreplay").await;
    let topic = unique("regions");
    let restored = format!("back-{topic}");
    s3::create_topic(&topic, 1).await;
    s3::create_topic(&restored, 1).await;
    s3::produce(
        &topic,
        s3::json_values(
            0,
            (0..40).map(|n| json!({"region": if n % 3 == 0 { "eu" } else { "us" }, "n": n})),
        ),
    )
    .await;
    worker
        .create(
            "archive",
            s3::sink_config(
                &bucket,
                &topic,
                json!({
                    "flush.size": "10",
                    "partitioner.class": "field",
                    "partition.field.name": "region",
                }),
            ),
        )
        .await;
    eventually("8 objects", WAIT, || async {
        (s3::keys(&bucket).await.len() == 8).then_some(())
    })
    .await;

    let mut source = s3::bucket_config(&bucket);
    source.insert("connector.class".into(), "s3-source".into());
    source.insert("format.class".into(), "json".into());
    source.insert("topic.rename.format".into(), "back-${topic}".into());
    source.insert(
        "value.converter".into(),
        "org.apache.kafka.connect.json.JsonConverter".into(),
    );
    source.insert("value.converter.schemas.enable".into(), "false".into());
    worker.create("restore", Value::Object(source)).await;
    let values = read_partitions(&restored, 40).await.remove(&0).unwrap_or_default();
    let ns: Vec<i64> = values.iter().map(|v| v["n"].as_i64().expect("n")).collect();
    let mut all = ns.clone();
    all.sort();
    assert_eq!(all, (0..40).collect::<Vec<i64>>(), "every record once");
    // Objects hold no original offsets: order is kept per object and per folder.
    for region in ["eu", "us"] {
        let of_region: Vec<i64> = values
            .iter()
            .filter(|v| v["region"] == region)
            .map(|v| v["n"].as_i64().expect("n"))
            .collect();
        assert!(of_region.windows(2).all(|w| w[0] < w[1]), "{region}: {of_region:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rebalances_and_pauses_leave_every_record_exactly_once() {
    let worker = Worker::start().await;
    let bucket = s3::new_bucket("rebalance").await;
    let topic = unique("rebalance");
    s3::create_topic(&topic, 4).await;
    let per_partition = 5000;
    s3::produce(&topic, (0..4).flat_map(|p| s3::numbered_json(p, 0, per_partition))).await;
    // Two tasks join the group one after the other: the partitions move while records flow.
    worker
        .create(
            "archive",
            s3::sink_config(&bucket, &topic, json!({"flush.size": "500", "tasks.max": "2"})),
        )
        .await;
    eventually("a first object", WAIT, || async {
        (!s3::keys(&bucket).await.is_empty()).then_some(())
    })
    .await;
    let (code, _) = worker.request("PUT", "/connectors/archive/pause", None).await;
    assert_eq!(code, 202);
    worker.wait_for_state("archive", "PAUSED", 2).await;
    let (code, _) = worker.request("PUT", "/connectors/archive/resume", None).await;
    assert_eq!(code, 202);

    let expected: Vec<String> = (0..4)
        .flat_map(|p| (0..10).map(move |i| (p, i * 500)))
        .map(|(p, start)| key(&topic, &format!("partition={p}"), p, start as i64, ".json"))
        .collect();
    s3::wait_for_keys(&bucket, &expected, WAIT).await;
    for p in 0..4 {
        let mut seen = Vec::new();
        for i in 0..10 {
            let k = key(&topic, &format!("partition={p}"), p, i * 500, ".json");
            seen.extend(numbers(&s3::json_lines(&bucket, &k).await));
        }
        assert_eq!(seen, (0..per_partition as i64).collect::<Vec<i64>>(), "partition {p}");
    }
}
