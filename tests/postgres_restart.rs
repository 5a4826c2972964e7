//! PostgreSQL restarted under load: the postgres-cdc task waits, reconnects, and loses nothing.
//! (Its own test binary: it restarts the shared server, so nothing else may run beside it.)

mod support;

use std::time::Duration;

use serde_json::json;
use sqlx::{Connection, PgConnection};
use support::{Worker, dev_env, pg_url, postgres, read_topic, unique};

#[tokio::test(flavor = "multi_thread")]
async fn postgres_restart_under_load_loses_nothing() {
    let mut conn = PgConnection::connect(&pg_url()).await.expect("connect");
    support::drop_leftover_slots(&mut conn).await;
    let schema = unique("restart").replace('-', "_");
    for statement in [
        format!("CREATE SCHEMA {schema}"),
        format!("CREATE TABLE {schema}.t (id integer PRIMARY KEY)"),
    ] {
        sqlx::query(&statement)
            .persistent(false)
            .execute(&mut conn)
            .await
            .expect("setup");
    }
    drop(conn);
    let url = pg_url();

    let worker = Worker::start().await;
    let mut config = postgres::database_keys();
    postgres::merge(
        &mut config,
        json!({"connector.class": "postgres-cdc", "topic.prefix": schema, "slot.name": schema, "publication.name": schema,
               "publication.autocreate.mode": "filtered", "table.include.list": format!("{schema}\\.t"),
               "snapshot.mode": "no_data", "errors.retry.delay.max.ms": 2000,
               "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false"}),
    );
    worker.create("cdc", config).await;
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // 30 transactions of 200 rows; the writer retries through the restart (idempotently).
    let writer = {
        let (schema, url) = (schema.clone(), url.clone());
        tokio::spawn(async move {
            for t in 0..30 {
                let insert = format!(
                    "INSERT INTO {schema}.t SELECT g FROM generate_series({}, {}) g ON CONFLICT DO NOTHING",
                    t * 200 + 1,
                    t * 200 + 200
                );
                loop {
                    let done = match PgConnection::connect(&url).await {
                        Ok(mut conn) => sqlx::query(&insert).persistent(false).execute(&mut conn).await.is_ok(),
                        Err(_) => false,
                    };
                    if done {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(1200)).await;
    dev_env(&["down", "postgres"]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    dev_env(&["up", "postgres"]);
    writer.await.expect("writer");

    let topic = format!("{schema}.{schema}.t");
    let ids = tokio::task::spawn_blocking(move || {
        let mut wanted = 6_000;
        loop {
            let records = read_topic(&topic, wanted, Duration::from_secs(120));
            let mut seen = std::collections::BTreeSet::new();
            let ids: Vec<i64> = records
                .iter()
                .filter_map(|r| r.value.as_ref()?["after"]["id"].as_i64())
                .filter(|id| seen.insert(*id))
                .collect();
            if ids.len() >= 6_000 {
                return ids;
            }
            wanted += 6_000 - ids.len();
        }
    })
    .await
    .expect("reader");
    let expected: Vec<i64> = (1..=6_000).collect();
    assert!(
        ids == expected,
        "every change in commit order; {} distinct ids",
        ids.len()
    );
    assert_eq!(
        worker.get("/connectors/cdc/status").await["tasks"][0]["state"],
        "RUNNING"
    );

    drop(worker);
    let mut conn = PgConnection::connect(&pg_url()).await.expect("connect");
    let _ = sqlx::query("SELECT pg_drop_replication_slot($1)")
        .bind(&schema)
        .execute(&mut conn)
        .await;
    let _ = sqlx::raw_sql(&format!(
        "DROP PUBLICATION IF EXISTS {schema}; DROP SCHEMA {schema} CASCADE"
    ))
    .execute(&mut conn)
    .await;
}
