//! The schema registry hanging for 20 s while a CDC connector streams with AvroConverter:
//! nothing is lost and the task never stops, since a steady stream's schemas are cached (by
//! the converter and its registry client) and no record waits on the registry. Its own test
//! binary: it freezes the registry every test shares.

mod support;

use std::time::Duration;

use serde_json::json;
use support::Worker;
use support::postgres::{self, database, sql};
use support::registry::{self, read_raw_async};

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_that_hangs_for_20_seconds_loses_nothing() {
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.events (id integer PRIMARY KEY, v text)"),
    )
    .await;
    let worker = Worker::start().await;
    let mut config = postgres::cdc_config(
        &schema,
        &schema,
        &["events"],
        registry::avro_converters(&registry::url()),
    );
    postgres::merge(&mut config, json!({"snapshot.mode": "no_data"}));
    worker.create("cdc", config).await;
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // 60 transactions of 50 rows over about 30 s; the registry hangs for 20 s of them.
    let topic = format!("{schema}.{schema}.events");
    let writer = postgres::insert_events(&schema, 60, 50, Duration::from_millis(500));
    read_raw_async(&topic, 50, Duration::from_secs(60)).await;
    let frozen = registry::freeze();
    tokio::time::sleep(Duration::from_secs(20)).await;
    let status = worker.get("/connectors/cdc/status").await;
    drop(frozen);
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    writer.await.expect("writer");

    let records = read_raw_async(&topic, 3000, Duration::from_secs(90)).await;
    let mut ids = Vec::new();
    for (_, value) in &records {
        let (_, value) = registry::decode(value.as_deref().expect("a value")).await;
        ids.push(value["after"]["id"].as_i64().expect("an id"));
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids, (1..=3000).collect::<Vec<_>>(), "every row, once or more");
    let status = worker.get("/connectors/cdc/status").await;
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");

    drop(worker);
    registry::delete_subjects(&schema).await;
    postgres::cleanup(&mut conn, &schema, &[&schema]).await;
}
