//! Converters backed by a schema registry (Confluent's wire format) against a real registry:
//! Apicurio Registry with Confluent's API, from `scripts/dev-env up`. What a connector writes
//! with `AvroConverter` is decoded here independently (the schema fetched by its id, the datum
//! read with the `apache-avro` crate) and compared with what the same connector writes with
//! JsonConverter.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::postgres::{self, database, sql};
use support::registry::{self, read_raw_async};
use support::{Worker, read_topic_async};

/// The converter keys of Avro keys and values against the dev registry.
fn avro_converters() -> Value {
    json!({
        "key.converter": "io.confluent.connect.avro.AvroConverter",
        "key.converter.schema.registry.url": registry::url(),
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": registry::url(),
    })
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
