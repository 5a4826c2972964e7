//! Converters backed by a schema registry (Confluent's wire format) against a real registry:
//! Apicurio Registry with Confluent's API, from `scripts/dev-env up`. What a connector writes
//! with `AvroConverter` is decoded here independently (the schema fetched by its id, the datum
//! read with the `apache-avro` crate) and compared with what the same connector writes with
//! JsonConverter; and Kafka Connect running Debezium with Apicurio's own AvroConverter (the
//! reference) and Weir read each other's records as the same Connect values.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::postgres::{self, database, sql};
use support::registry::{self, read_raw_async};
use support::{Worker, read_topic_async};

/// The converter keys of Avro keys and values against the dev registry.
fn avro_converters() -> Value {
    registry::avro_converters(&registry::url())
}

const TABLE: &str = "CREATE TABLE {s}.items (
    id integer PRIMARY KEY, name text NOT NULL, price numeric(10,2), born date, at timestamptz,
    flag boolean, small smallint, data bytea, score double precision, qty bigint)";

const ROWS: &str = "INSERT INTO {s}.items VALUES
    (1, 'one', 12.34, '2024-01-15', '2024-01-15 12:30:00+00', true, -3, '\\x00ff', 1.5, 9007199254740993),
    (2, 'two', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)";

#[tokio::test(flavor = "multi_thread")]
async fn cdc_with_avro_decodes_to_the_values_of_the_json_run() {
    let (mut conn, schema) = database().await;
    sql(&mut conn, &TABLE.replace("{s}", &schema)).await;
    sql(&mut conn, &ROWS.replace("{s}", &schema)).await;
    let worker = Worker::start().await;
    let avro = format!("{schema}_avro");
    let plain = format!("{schema}_json");
    let mut avro_config = postgres::cdc_config(&avro, &schema, &["items"], avro_converters());
    let json_config = postgres::cdc_config(
        &plain,
        &schema,
        &["items"],
        json!({"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"}),
    );
    postgres::merge(&mut avro_config, json!({"snapshot.mode": "initial"}));
    worker.create(&avro, avro_config).await;
    worker.create(&plain, json_config).await;
    worker.wait_for_state(&avro, "RUNNING", 1).await;
    worker.wait_for_state(&plain, "RUNNING", 1).await;

    // A snapshot of two rows, then an update and a delete (its tombstone too) streamed.
    let avro_topic = format!("{avro}.{schema}.items");
    let json_topic = format!("{plain}.{schema}.items");
    read_raw_async(&avro_topic, 2, Duration::from_secs(90)).await;
    read_topic_async(&json_topic, 2, Duration::from_secs(90)).await;
    sql(
        &mut conn,
        &format!("UPDATE {schema}.items SET name = 'uno', qty = -1 WHERE id = 1"),
    )
    .await;
    sql(&mut conn, &format!("DELETE FROM {schema}.items WHERE id = 2")).await;
    let avro_records = read_raw_async(&avro_topic, 5, Duration::from_secs(60)).await;
    let json_records = read_topic_async(&json_topic, 5, Duration::from_secs(60)).await;

    let mut ids = Vec::new();
    for (index, ((key, value), expected)) in avro_records.iter().zip(&json_records).enumerate() {
        let (key_id, key) = registry::decode(key.as_deref().expect("a key")).await;
        assert_eq!(Some(&key), expected.key.as_ref(), "key of record {index}");
        ids.push(key_id);
        let Some(value) = value else {
            assert_eq!(expected.value, None, "record {index} is a tombstone in one run only");
            continue;
        };
        let (value_id, value) = registry::decode(value).await;
        ids.push(value_id);
        let expected = expected.value.as_ref().expect("a value");
        for field in ["before", "after", "op"] {
            assert_eq!(value[field], expected[field], "{field} of record {index}");
        }
        // Each connector snapshots at its own slot's position; what they stream is one change.
        let streamed = expected["source"]["snapshot"] == "false";
        let positions: &[&str] = if streamed { &["lsn", "txId", "ts_ms"] } else { &[] };
        for field in ["db", "schema", "table", "snapshot"].iter().chain(positions) {
            assert_eq!(
                value["source"][field], expected["source"][field],
                "source.{field} of record {index}"
            );
        }
        assert_eq!(value["source"]["name"], json!(avro));
    }
    assert_eq!(avro_records[4].1, None, "the delete's tombstone");

    // The registered schemas are Debezium's, as Confluent's converter registers them.
    let (_, latest) = registry::get(&format!("/subjects/{avro_topic}-value/versions/latest")).await;
    let envelope: Value = serde_json::from_str(latest["schema"].as_str().expect("schema")).expect("JSON");
    assert_eq!(envelope["name"], "Envelope");
    assert_eq!(envelope["namespace"], json!(format!("{avro}.{schema}.items")));
    assert_eq!(
        envelope["connect.name"],
        json!(format!("{avro}.{schema}.items.Envelope"))
    );
    assert_eq!(envelope["connect.version"], json!(2));
    let fields = envelope["fields"].as_array().expect("fields");
    let row = &fields[0]["type"][1];
    assert_eq!(fields[0]["type"][0], "null");
    assert_eq!(row["connect.name"], json!(format!("{avro}.{schema}.items.Value")));
    assert_eq!(
        fields[1]["type"],
        json!(["null", "Value"]),
        "after names the record before defined"
    );
    let price = row["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "price")
        .unwrap();
    assert_eq!(
        price["type"][1],
        json!({"type": "bytes", "scale": 2, "precision": 10, "connect.version": 1,
               "connect.parameters": {"scale": "2", "connect.decimal.precision": "10"},
               "connect.name": "org.apache.kafka.connect.data.Decimal", "logicalType": "decimal"})
    );
    let source = &fields[2]["type"];
    assert_eq!(source["connect.name"], "io.debezium.connector.postgresql.Source");
    let (_, key_schema) = registry::get(&format!("/subjects/{avro_topic}-key/versions/latest")).await;
    assert!(
        key_schema["schema"]
            .as_str()
            .unwrap()
            .contains(&format!("\"connect.name\":\"{avro}.{schema}.items.Key\""))
    );
    // One schema per subject: a steady stream registers nothing more.
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 2, "one key and one value schema id: {ids:?}");

    drop(worker);
    registry::delete_subjects(&avro).await;
    postgres::cleanup(&mut conn, &schema, &[&avro, &plain]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_column_added_registers_a_new_version_and_a_refused_change_fails_the_task() {
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.t (id integer PRIMARY KEY, name text)"),
    )
    .await;
    sql(&mut conn, &format!("INSERT INTO {schema}.t VALUES (1, 'one')")).await;
    let worker = Worker::start().await;
    let name = format!("{schema}_evolve");
    worker
        .create(&name, postgres::cdc_config(&name, &schema, &["t"], avro_converters()))
        .await;
    worker.wait_for_state(&name, "RUNNING", 1).await;
    let topic = format!("{name}.{schema}.t");
    let subject = format!("{topic}-value");
    read_raw_async(&topic, 1, Duration::from_secs(90)).await;
    assert_eq!(registry::versions(&subject).await, [1]);
    registry::set_compatibility(&subject, "BACKWARD").await;

    // An optional column is a backward-compatible change: a second version.
    sql(&mut conn, &format!("ALTER TABLE {schema}.t ADD COLUMN note text")).await;
    sql(&mut conn, &format!("INSERT INTO {schema}.t VALUES (2, 'two', 'added')")).await;
    let records = read_raw_async(&topic, 2, Duration::from_secs(60)).await;
    let (id, value) = registry::decode(records[1].1.as_deref().expect("a value")).await;
    assert_eq!(value["after"], json!({"id": 2, "name": "two", "note": "added"}));
    assert_eq!(registry::versions(&subject).await, [1, 2]);
    let (_, second) = registry::get(&format!("/subjects/{subject}/versions/2")).await;
    assert_eq!(second["id"], json!(id));

    // A string column become an integer is not: the registry refuses, and the task fails
    // with its reason rather than writing what readers of the subject cannot read.
    sql(
        &mut conn,
        &format!("ALTER TABLE {schema}.t ALTER COLUMN name TYPE integer USING length(name)"),
    )
    .await;
    sql(&mut conn, &format!("INSERT INTO {schema}.t VALUES (3, 3, 'refused')")).await;
    let status = worker.wait_for_task(&name, 0, "FAILED").await;
    let trace = status["trace"].as_str().expect("a trace");
    assert!(
        trace.contains(&format!("refused to register a schema under subject {subject}")),
        "{trace}"
    );
    assert!(trace.contains("HTTP 409"), "{trace}");
    assert_eq!(registry::versions(&subject).await, [1, 2]);
    assert_eq!(read_raw_async(&topic, 2, Duration::from_secs(5)).await.len(), 2);

    drop(worker);
    registry::delete_subjects(&name).await;
    postgres::cleanup(&mut conn, &schema, &[&name]).await;
}

/// Registers an Avro schema under a subject; its id.
async fn register(subject: &str, schema: &Value) -> u32 {
    let response = reqwest::Client::new()
        .post(format!("{}/subjects/{subject}/versions", registry::url()))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(json!({"schema": schema.to_string()}).to_string())
        .send()
        .await
        .expect("registry");
    let body: Value = response.json().await.expect("JSON");
    u32::try_from(body["id"].as_u64().expect("an id")).expect("id")
}

#[tokio::test(flavor = "multi_thread")]
async fn avro_from_another_producer_lands_in_s3_as_parquet() {
    use apache_avro::types::Value as Avro;
    use support::s3::{self, Produce};

    // What a Java producer with Confluent's serializer writes: a plain Avro schema (no
    // connect.* properties), framed with its id.
    let topic = support::unique("people");
    s3::create_topic(&topic, 1).await;
    let schema = json!({"type": "record", "name": "Person", "namespace": "com.example", "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": ["null", "string"], "default": null},
        {"name": "born", "type": {"type": "int", "logicalType": "date"}},
        {"name": "score", "type": "double"},
    ]});
    let id = register(&format!("{topic}-value"), &schema).await;
    let avro = apache_avro::Schema::parse_str(&schema.to_string()).expect("schema");
    let writer = apache_avro::writer::datum::GenericDatumWriter::builder(&avro)
        .build()
        .expect("writer");
    let records = (0..3i64).map(|n| {
        let name = if n == 1 {
            Avro::Union(0, Box::new(Avro::Null))
        } else {
            Avro::Union(1, Box::new(Avro::String(format!("p{n}"))))
        };
        let datum = Avro::Record(vec![
            ("id".into(), Avro::Long(n)),
            ("name".into(), name),
            ("born".into(), Avro::Date(19_000 + i32::try_from(n).unwrap())),
            ("score".into(), Avro::Double(0.5 * n as f64)),
        ]);
        let mut value = vec![0];
        value.extend_from_slice(&id.to_be_bytes());
        value.extend(writer.write_value_to_vec(datum).expect("datum"));
        Produce {
            partition: 0,
            timestamp: None,
            value,
        }
    });
    s3::produce(&topic, records.collect::<Vec<_>>()).await;

    let worker = Worker::start().await;
    let bucket = s3::new_bucket("avro").await;
    let config = s3::sink_config(
        &bucket,
        &topic,
        json!({
            "flush.size": "3",
            "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
            "value.converter": "io.confluent.connect.avro.AvroConverter",
            "value.converter.schema.registry.url": registry::url(),
        }),
    );
    worker.create("people", config).await;
    let key = format!("topics/{topic}/partition=0/{topic}+0+0000000000.snappy.parquet");
    s3::wait_for_keys(&bucket, std::slice::from_ref(&key), Duration::from_secs(60)).await;

    let rows = s3::parquet_rows(s3::object(&bucket, &key).await);
    assert_eq!(
        rows,
        vec![
            json!({"id": 0, "name": "p0", "born": "date 19000", "score": 0.0}),
            json!({"id": 1, "name": null, "born": "date 19001", "score": 0.5}),
            json!({"id": 2, "name": "p2", "born": "date 19002", "score": 1.0}),
        ]
    );
    drop(worker);
    registry::delete_subjects(&topic).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_registry_is_retried_for_errors_retry_timeout_then_fails_the_task() {
    let (mut conn, schema) = database().await;
    sql(&mut conn, &format!("CREATE TABLE {schema}.t (id integer PRIMARY KEY)")).await;
    sql(&mut conn, &format!("CREATE TABLE {schema}.u (id integer PRIMARY KEY)")).await;
    sql(
        &mut conn,
        &format!("INSERT INTO {schema}.t VALUES (1), (2); INSERT INTO {schema}.u VALUES (1)"),
    )
    .await;
    let gate = registry::Gate::start(false).await;
    let mut through_gate = registry::avro_converters(&gate.url);
    postgres::merge(&mut through_gate, json!({"errors.retry.delay.max.ms": "1000"}));
    let worker = Worker::start().await;

    // Retried while the registry is down, for up to a minute: it comes back after a few
    // seconds, and every row is there.
    let waits = format!("{schema}_waits");
    let mut config = postgres::cdc_config(&waits, &schema, &["t"], through_gate.clone());
    postgres::merge(&mut config, json!({"errors.retry.timeout": "60000"}));
    worker.create(&waits, config).await;
    let retrying = support::eventually("the task to report its retries", Duration::from_secs(60), || async {
        let status = worker.get(&format!("/connectors/{waits}/status")).await;
        let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default().to_owned();
        (status["tasks"][0]["state"] == "RUNNING" && trace.contains("retrying")).then_some(trace)
    })
    .await;
    assert!(retrying.contains("Schema registry unavailable"), "{retrying}");
    gate.set_open(true);
    let records = read_raw_async(&format!("{waits}.{schema}.t"), 2, Duration::from_secs(60)).await;
    let mut ids = Vec::new();
    for (_, value) in &records {
        ids.push(registry::decode(value.as_deref().expect("a value")).await.1["after"]["id"].clone());
    }
    assert_eq!(ids, [json!(1), json!(2)]);
    let status = worker.get(&format!("/connectors/{waits}/status")).await;
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    assert_eq!(status["tasks"][0]["trace"], Value::Null, "recovered: {status}");

    // Not retried past errors.retry.timeout: the task fails, saying why.
    gate.set_open(false);
    let gives_up = format!("{schema}_gives_up");
    let mut config = postgres::cdc_config(&gives_up, &schema, &["u"], through_gate);
    postgres::merge(&mut config, json!({"errors.retry.timeout": "2000"}));
    worker.create(&gives_up, config).await;
    let status = worker.wait_for_task(&gives_up, 0, "FAILED").await;
    let trace = status["trace"].as_str().expect("a trace");
    assert!(
        trace.contains("Schema registry unavailable at http://127.0.0.1:"),
        "{trace}"
    );

    drop(worker);
    registry::delete_subjects(&waits).await;
    postgres::cleanup(&mut conn, &schema, &[&waits, &gives_up]).await;
}

/// The converter keys of Apicurio Registry's own AvroConverter, in Confluent's wire format (a
/// 4-byte content id after magic byte 0), against the dev registry's native API.
fn apicurio_converters() -> Value {
    let native = registry::url().replace("/apis/ccompat/v7", "/apis/registry/v2");
    let mut config = json!({});
    for side in ["key", "value"] {
        postgres::merge(
            &mut config,
            json!({
                format!("{side}.converter"): "io.apicurio.registry.utils.converter.AvroConverter",
                format!("{side}.converter.apicurio.registry.url"): native,
                format!("{side}.converter.apicurio.registry.auto-register"): "true",
                format!("{side}.converter.apicurio.registry.as-confluent"): "true",
                format!("{side}.converter.apicurio.registry.use-id"): "contentId",
                format!("{side}.converter.apicurio.registry.headers.enabled"): "false",
            }),
        );
    }
    config
}

/// A file sink of a topic's `after` rows, with these converters.
fn rows_to_file(topic: &str, file: &std::path::Path, converters: &Value) -> Value {
    let mut config = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "topics": topic, "file": file,
        "transforms": "after",
        "transforms.after.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
        "transforms.after.field": "after",
    });
    postgres::merge(&mut config, converters.clone());
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn apicurios_converter_and_weirs_read_each_others_avro_as_the_same_values() {
    use support::reference::ReferenceConnector;

    let (mut conn, schema) = database().await;
    sql(&mut conn, &TABLE.replace("{s}", &schema)).await;
    sql(&mut conn, &ROWS.replace("{s}", &schema)).await;
    let worker = Worker::start().await;
    let weir = format!("{schema}_weir");
    let dbz = format!("{schema}_dbz");
    // One capture after the other: two slots made at once by two servers on one database can
    // wait on each other's transactions.
    worker
        .create(
            &weir,
            postgres::cdc_config(&weir, &schema, &["items"], avro_converters()),
        )
        .await;
    worker.wait_for_state(&weir, "RUNNING", 1).await;
    let topics = [format!("{weir}.{schema}.items"), format!("{dbz}.{schema}.items")];
    let snapshot = tokio::time::timeout(
        Duration::from_secs(90),
        read_raw_async(&topics[0], 2, Duration::from_secs(600)),
    )
    .await;
    assert!(
        snapshot.is_ok(),
        "Weir's snapshot did not reach {}: {}",
        topics[0],
        worker.get(&format!("/connectors/{weir}/status")).await
    );
    let mut dbz_config = postgres::cdc_config(&dbz, &schema, &["items"], apicurio_converters());
    postgres::merge(
        &mut dbz_config,
        json!({"plugin.name": "pgoutput", "slot.drop.on.stop": "true"}),
    );
    let source = ReferenceConnector::create(&dbz, dbz_config).await;
    read_raw_async(&topics[1], 2, Duration::from_secs(90)).await;

    // Each topic read by each converter: Kafka Connect writes the Connect values Apicurio's
    // converter decodes (Java's toString), Weir the ones its converter decodes (as JSON).
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sinks = Vec::new();
    let mut files = Vec::new();
    for (index, topic) in topics.iter().enumerate() {
        let java = dir.path().join(format!("java-{index}.txt"));
        let ours = dir.path().join(format!("weir-{index}.txt"));
        let name = format!("{schema}_java_{index}");
        sinks.push(ReferenceConnector::create(&name, rows_to_file(topic, &java, &apicurio_converters())).await);
        worker
            .create(&format!("weir_{index}"), rows_to_file(topic, &ours, &avro_converters()))
            .await;
        files.push((java, ours));
    }
    let mut read = Vec::new();
    for (java, ours) in &files {
        let java = support::wait_for_lines(java, 2, Duration::from_secs(60)).await;
        let ours = support::wait_for_lines(ours, 2, Duration::from_secs(60)).await;
        read.push((java, ours));
    }
    assert!(
        read[0].0[0].starts_with("Struct{id=1,name=one,price=12.34,"),
        "{:?}",
        read[0].0
    );
    assert_eq!(
        read[0].0, read[1].0,
        "Apicurio's converter reads Weir's records as its own"
    );
    assert_eq!(
        read[0].1, read[1].1,
        "Weir's converter reads Apicurio's records as its own"
    );

    drop(sinks);
    drop(source);
    drop(worker);
    // Apicurio's converter registers Debezium's source block under a subject of its own name.
    for prefix in [&weir, &dbz, "io.debezium.connector.postgresql.Source"] {
        registry::delete_subjects(prefix).await;
    }
    postgres::cleanup(&mut conn, &schema, &[&weir, &dbz]).await;
}
