//! The postgres-cdc source against real PostgreSQL and Kafka: delivery (crashes, restarts,
//! snapshot modes, slots) and validation. What its events hold is compared with Debezium's own
//! in `cdc_debezium.rs`.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use support::postgres::{self, database, sql};
use support::{Record, Worker, pg_url, read_topic, read_topic_async};

/// A connector config capturing `tables` of `schema`, named after the schema.
fn cdc_config(schema: &str, tables: &[&str], extra: Value) -> Value {
    postgres::cdc_config(schema, schema, tables, extra)
}

async fn cleanup(conn: &mut PgConnection, schema: &str) {
    postgres::cleanup(conn, schema, &[schema]).await;
}

/// Waits until connector `cdc` has committed the offset of a streamed change.
async fn wait_for_a_committed_change(worker: &Worker) {
    support::eventually("a change's offset to be committed", Duration::from_secs(30), || async {
        let offsets = worker.get("/connectors/cdc/offsets").await;
        offsets["offsets"][0]["offset"]["lsn_commit"].as_i64().map(|_| ())
    })
    .await;
}

fn payload(record: &Record) -> &Value {
    &record.value.as_ref().expect("a value")["payload"]
}

#[tokio::test(flavor = "multi_thread")]
async fn large_transactions_tables_without_keys_and_toast() {
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.bulk (id integer PRIMARY KEY, v text)"),
    )
    .await;
    sql(&mut conn, &format!("CREATE TABLE {schema}.nokey (a integer, b text)")).await;
    sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.toasty (id integer PRIMARY KEY, big text, small integer)"),
    )
    .await;
    let worker = Worker::start().await;
    worker
        .create(
            "cdc",
            cdc_config(
                &schema,
                &["bulk", "nokey", "toasty"],
                json!({"snapshot.mode": "no_data"}),
            ),
        )
        .await;
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    // Let the stream start before changing anything.
    tokio::time::sleep(Duration::from_secs(2)).await;

    sql(
        &mut conn,
        &format!("INSERT INTO {schema}.bulk SELECT g, 'row ' || g FROM generate_series(1, 50000) g"),
    )
    .await;
    sql(&mut conn, &format!("INSERT INTO {schema}.nokey VALUES (1, 'x')")).await;
    sql(
        &mut conn,
        &format!(
            "INSERT INTO {schema}.toasty SELECT 1, string_agg(md5(random()::text), '') FROM generate_series(1, 400)"
        ),
    )
    .await;
    sql(&mut conn, &format!("UPDATE {schema}.toasty SET small = 5 WHERE id = 1")).await;

    let bulk = format!("{schema}.{schema}.bulk");
    let records = read_topic_async(&bulk, 50_000, Duration::from_secs(120)).await;
    let ids: Vec<i64> = records
        .iter()
        .map(|r| payload(r)["after"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        (1..=50_000).collect::<Vec<_>>(),
        "every row of the transaction, in order"
    );
    let tx: std::collections::BTreeSet<i64> = records
        .iter()
        .map(|r| payload(r)["source"]["txId"].as_i64().unwrap())
        .collect();
    assert_eq!(tx.len(), 1, "one transaction");

    let nokey = format!("{schema}.{schema}.nokey");
    let records = read_topic_async(&nokey, 1, Duration::from_secs(60)).await;
    assert!(records[0].key.is_none(), "no primary key, no key");
    assert_eq!(payload(&records[0])["after"], json!({"a": 1, "b": "x"}));

    let toasty = format!("{schema}.{schema}.toasty");
    let records = read_topic_async(&toasty, 2, Duration::from_secs(60)).await;
    assert_eq!(
        payload(&records[0])["after"]["big"].as_str().map(str::len),
        Some(12_800)
    );
    assert_eq!(payload(&records[1])["after"]["big"], "__debezium_unavailable_value");
    assert_eq!(payload(&records[1])["after"]["small"], 5);

    drop(worker);
    cleanup(&mut conn, &schema).await;
}

/// The slot's confirmed flush LSN.
async fn slot_lsn(conn: &mut PgConnection, slot: &str) -> Option<i64> {
    sqlx::query_scalar(
        "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::int8 FROM pg_replication_slots WHERE slot_name = $1",
    )
    .bind(slot)
    .fetch_optional(&mut *conn)
    .await
    .expect("read slot")
    .flatten()
}

/// Ids of `after` rows, first occurrence order.
fn distinct_ids(records: &[Record]) -> Vec<i64> {
    let mut seen = std::collections::BTreeSet::new();
    records
        .iter()
        .filter_map(|r| r.value.as_ref()?["payload"]["after"]["id"].as_i64())
        .filter(|id| seen.insert(*id))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_stream_loses_nothing_and_the_slot_never_passes_the_offsets() {
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.events (id integer PRIMARY KEY, v text)"),
    )
    .await;
    let mut worker = Worker::start().await;
    worker
        .create(
            "cdc",
            cdc_config(&schema, &["events"], json!({"snapshot.mode": "no_data"})),
        )
        .await;
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // 40 transactions of 500 rows, written while the worker is killed and restarted.
    let writer = postgres::insert_events(&schema, 40, 500, Duration::from_millis(100));
    let mut checks = 0;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        // The slot never moves past the committed offset.
        let offsets = worker.get("/connectors/cdc/offsets").await;
        let committed = offsets["offsets"][0]["offset"]["lsn_commit"].as_i64();
        if let (Some(slot), Some(committed)) = (slot_lsn(&mut conn, &schema).await, committed) {
            assert!(
                slot <= committed + 4096,
                "slot at {slot}, committed offset at {committed}"
            );
            checks += 1;
        }
    }
    assert!(checks > 0, "the offsets and slot were compared at least once");
    worker.kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    worker.spawn().await;
    writer.await.unwrap();

    let topic = format!("{schema}.{schema}.events");
    let ids = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let mut wanted = 20_000;
        loop {
            let ids = distinct_ids(&read_topic(&topic, wanted, Duration::from_secs(120)));
            if ids.len() >= 20_000 || std::time::Instant::now() > deadline {
                return ids;
            }
            wanted += 20_000 - ids.len();
        }
    })
    .await
    .unwrap();
    let expected: Vec<i64> = (1..=20_000).collect();
    let first_difference = ids.iter().zip(&expected).position(|(a, b)| a != b);
    assert!(
        ids.len() == expected.len() && first_difference.is_none(),
        "every change, in commit order: {} distinct ids, first difference at {first_difference:?} ({:?})",
        ids.len(),
        first_difference.map(|i| &ids[i.saturating_sub(2)..(i + 3).min(ids.len())])
    );

    drop(worker);
    cleanup(&mut conn, &schema).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_checks_the_server_and_a_dropped_slot_fails_clearly() {
    let (mut conn, schema) = database().await;
    sql(&mut conn, &format!("CREATE TABLE {schema}.t (id integer PRIMARY KEY)")).await;
    let worker = Worker::start().await;

    let mut bad = cdc_config(&schema, &["t"], json!({}));
    bad["database.password"] = json!("wrong");
    bad["name"] = json!("v");
    let (status, infos) = worker
        .request("PUT", "/connector-plugins/postgres-cdc/config/validate", Some(bad))
        .await;
    assert_eq!(status, 200);
    assert!(
        support::config_errors(&infos, "database.password")
            .iter()
            .any(|e| e.contains("password")),
        "{infos}"
    );

    let mut missing = cdc_config(&schema, &["no_such_table"], json!({}));
    missing["name"] = json!("v");
    let (_, infos) = worker
        .request("PUT", "/connector-plugins/postgres-cdc/config/validate", Some(missing))
        .await;
    assert!(
        !support::config_errors(&infos, "table.include.list").is_empty(),
        "{infos}"
    );

    let mut good = cdc_config(&schema, &["t"], json!({}));
    good["name"] = json!("v");
    let (_, infos) = worker
        .request("PUT", "/connector-plugins/postgres-cdc/config/validate", Some(good))
        .await;
    assert_eq!(infos["error_count"], 0, "{infos}");

    // Streaming, then the slot is dropped while the connector is stopped: it fails and says why.
    worker.create("cdc", cdc_config(&schema, &["t"], json!({}))).await;
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    sql(&mut conn, &format!("INSERT INTO {schema}.t VALUES (1)")).await;
    let topic = format!("{schema}.{schema}.t");
    read_topic_async(&topic, 1, Duration::from_secs(60)).await;
    wait_for_a_committed_change(&worker).await;
    assert_eq!(worker.request("PUT", "/connectors/cdc/pause", None).await.0, 202);
    assert_eq!(worker.request("PUT", "/connectors/cdc/stop", None).await.0, 204);
    worker.wait_for_state("cdc", "STOPPED", 0).await;
    support::eventually("the slot to be released", Duration::from_secs(30), || {
        let schema = schema.clone();
        async move {
            let mut conn = PgConnection::connect(&pg_url()).await.ok()?;
            sqlx::query("SELECT pg_drop_replication_slot($1)")
                .bind(&schema)
                .execute(&mut conn)
                .await
                .ok()
                .map(|_| ())
        }
    })
    .await;
    assert_eq!(worker.request("PUT", "/connectors/cdc/resume", None).await.0, 202);
    let failed = worker.wait_for_task("cdc", 0, "FAILED").await;
    assert!(
        failed["trace"].as_str().is_some_and(|t| t.contains("does not exist")),
        "{failed}"
    );

    // With snapshot.mode=when_needed the lost slot is a reason to start over: a new slot and a
    // new snapshot of what the table holds now.
    sql(&mut conn, &format!("INSERT INTO {schema}.t VALUES (2)")).await;
    let (status, body) = worker
        .request(
            "PUT",
            "/connectors/cdc/config",
            Some(cdc_config(&schema, &["t"], json!({"snapshot.mode": "when_needed"}))),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    let records = read_topic_async(&topic, 3, Duration::from_secs(60)).await;
    let ops: Vec<(Value, Value)> = records[1..]
        .iter()
        .map(|r| (payload(r)["op"].clone(), payload(r)["after"]["id"].clone()))
        .collect();
    assert_eq!(ops, vec![(json!("r"), json!(1)), (json!("r"), json!(2))]);

    drop(worker);
    cleanup(&mut conn, &schema).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn column_changes_and_heartbeats() {
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.captured (id integer PRIMARY KEY)"),
    )
    .await;
    sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.other (id serial PRIMARY KEY)"),
    )
    .await;
    let worker = Worker::start().await;
    let config = cdc_config(
        &schema,
        &["captured"],
        json!({"snapshot.mode": "no_data", "heartbeat.interval.ms": 300}),
    );
    worker.create("cdc", config).await;
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // A column added while streaming shows up in the next events.
    sql(&mut conn, &format!("INSERT INTO {schema}.captured VALUES (1)")).await;
    sql(
        &mut conn,
        &format!("ALTER TABLE {schema}.captured ADD COLUMN note text"),
    )
    .await;
    sql(&mut conn, &format!("INSERT INTO {schema}.captured VALUES (2, 'added')")).await;
    sql(&mut conn, &format!("ALTER TABLE {schema}.captured DROP COLUMN note")).await;
    sql(&mut conn, &format!("INSERT INTO {schema}.captured VALUES (3)")).await;
    let topic = format!("{schema}.{schema}.captured");
    let records = read_topic_async(&topic, 3, Duration::from_secs(60)).await;
    assert_eq!(payload(&records[0])["after"], json!({"id": 1}));
    assert_eq!(payload(&records[1])["after"], json!({"id": 2, "note": "added"}));
    assert_eq!(payload(&records[2])["after"], json!({"id": 3}));

    // Changes to tables not captured: heartbeats still move the slot on.
    let start = slot_lsn(&mut conn, &schema).await.expect("slot");
    for _ in 0..20 {
        sql(&mut conn, &format!("INSERT INTO {schema}.other DEFAULT VALUES")).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let moved = support::eventually("the slot to move on", Duration::from_secs(30), || {
        let schema = schema.clone();
        async move {
            let mut conn = PgConnection::connect(&pg_url()).await.ok()?;
            slot_lsn(&mut conn, &schema).await.filter(|lsn| *lsn > start)
        }
    })
    .await;
    assert!(moved > start);
    let heartbeats = format!("__debezium-heartbeat.{schema}");
    let beats = read_topic_async(&heartbeats, 1, Duration::from_secs(30)).await;
    assert_eq!(beats[0].key.as_ref().unwrap()["payload"], json!({"serverName": schema}));

    drop(worker);
    cleanup(&mut conn, &schema).await;
}

/// The ops and ids of a topic's change events (tombstones and heartbeats have none).
fn ops_and_ids(records: &[Record]) -> Vec<(String, i64)> {
    records
        .iter()
        .filter_map(|r| {
            let p = &r.value.as_ref()?["payload"];
            let row = if p["after"].is_null() {
                &p["before"]
            } else {
                &p["after"]
            };
            Some((p["op"].as_str()?.to_owned(), row["id"].as_i64()?))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn initial_only_snapshots_then_stops_and_publishes_its_progress() {
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!(
            "CREATE TABLE {schema}.a (id integer PRIMARY KEY); CREATE TABLE {schema}.b (id integer PRIMARY KEY);
                  INSERT INTO {schema}.a SELECT generate_series(1, 2500); INSERT INTO {schema}.b VALUES (1)"
        ),
    )
    .await;
    let worker = Worker::start().await;
    let config = cdc_config(
        &schema,
        &["a", "b"],
        json!({"snapshot.mode": "initial_only", "snapshot.fetch.size": "1000"}),
    );
    worker.create("cdc", config).await;
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    let a = format!("{schema}.{schema}.a");
    assert_eq!(read_topic_async(&a, 2500, Duration::from_secs(60)).await.len(), 2500);

    support::eventually("the snapshot's figures", Duration::from_secs(30), || async {
        let figure = |name: &'static str| worker.metric(name, "cdc", 0);
        let figures = (
            figure("postgres_snapshot_completed").await,
            figure("postgres_snapshot_running").await,
            figure("postgres_snapshot_rows_scanned").await,
            figure("postgres_snapshot_tables_total").await,
            figure("postgres_snapshot_tables_remaining").await,
        );
        (figures == (Some(1.0), Some(0.0), Some(2501.0), Some(2.0), Some(0.0))).then_some(())
    })
    .await;

    // Nothing is streamed after the snapshot.
    sql(&mut conn, &format!("INSERT INTO {schema}.b VALUES (2)")).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let b = format!("{schema}.{schema}.b");
    assert_eq!(
        ops_and_ids(&read_topic_async(&b, 1, Duration::from_secs(30)).await),
        vec![("r".to_owned(), 1)]
    );
    assert_eq!(support::topic_record_count(&b), 1, "initial_only streams nothing");

    drop(worker);
    cleanup(&mut conn, &schema).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn always_takes_a_new_snapshot_at_each_start() {
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.t (id integer PRIMARY KEY); INSERT INTO {schema}.t VALUES (1), (2)"),
    )
    .await;
    let worker = Worker::start().await;
    worker
        .create("cdc", cdc_config(&schema, &["t"], json!({"snapshot.mode": "always"})))
        .await;
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    let topic = format!("{schema}.{schema}.t");
    read_topic_async(&topic, 2, Duration::from_secs(60)).await;
    sql(&mut conn, &format!("INSERT INTO {schema}.t VALUES (3)")).await;
    read_topic_async(&topic, 3, Duration::from_secs(60)).await;
    wait_for_a_committed_change(&worker).await;

    let (status, _) = worker
        .request("POST", "/connectors/cdc/restart?includeTasks=true", None)
        .await;
    assert!(status == 202 || status == 204, "restart: {status}");
    // The restart is carried out after the request returns: wait for the second snapshot (three
    // more snapshot events) before the next insert.
    let read_all = || {
        let topic = topic.clone();
        async move {
            let count = support::topic_record_count(&topic) as usize;
            ops_and_ids(&read_topic_async(&topic, count, Duration::from_secs(30)).await)
        }
    };
    let snapshot_events = |records: &[(String, i64)]| -> Vec<i64> {
        let mut ids: Vec<i64> = records.iter().filter(|(op, _)| op == "r").map(|(_, id)| *id).collect();
        ids.sort();
        ids
    };
    support::eventually("the second snapshot", Duration::from_secs(60), || async {
        (snapshot_events(&read_all().await).len() >= 5).then_some(())
    })
    .await;
    sql(&mut conn, &format!("INSERT INTO {schema}.t VALUES (4)")).await;
    let records = support::eventually("the next insert", Duration::from_secs(60), || async {
        let records = read_all().await;
        records.contains(&("c".to_owned(), 4)).then_some(records)
    })
    .await;
    assert_eq!(
        &records[..3],
        &[("r".to_owned(), 1), ("r".to_owned(), 2), ("c".to_owned(), 3)]
    );
    // The second snapshot read the table as it was then: 1, 2 and 3.
    assert_eq!(snapshot_events(&records[3..]), vec![1, 2, 3], "{records:?}");

    drop(worker);
    cleanup(&mut conn, &schema).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stopping_mid_snapshot_is_prompt_and_releases_the_slot() {
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!(
            "CREATE TABLE {schema}.t (id integer PRIMARY KEY, body text);
             INSERT INTO {schema}.t SELECT g, repeat('x', 100) FROM generate_series(1, 300000) g"
        ),
    )
    .await;
    // Time enough to drain what the producer holds, on a busy machine: only a hang exceeds it.
    let worker = Worker::start_with("task.shutdown.graceful.timeout.ms: 30000\n").await;
    let config = cdc_config(&schema, &["t"], json!({"snapshot.fetch.size": "500"}));
    worker.create("cdc", config).await;
    support::eventually("the snapshot to be under way", Duration::from_secs(60), || async {
        let running = worker.metric("postgres_snapshot_running", "cdc", 0).await;
        let rows = worker.metric("postgres_snapshot_rows_scanned", "cdc", 0).await;
        (running == Some(1.0) && rows.is_some_and(|r| r > 0.0)).then_some(())
    })
    .await;

    assert_eq!(worker.request("PUT", "/connectors/cdc/stop", None).await.0, 204);
    worker.wait_for_state("cdc", "STOPPED", 0).await;
    support::eventually("the slot to be released", Duration::from_secs(30), || {
        let schema = schema.clone();
        async move {
            let mut conn = PgConnection::connect(&pg_url()).await.ok()?;
            let active: bool = sqlx::query_scalar("SELECT active FROM pg_replication_slots WHERE slot_name = $1")
                .bind(&schema)
                .fetch_one(&mut conn)
                .await
                .ok()?;
            (!active).then_some(())
        }
    })
    .await;
    let topic = format!("{schema}.{schema}.t");
    assert!(
        support::topic_record_count(&topic) < 300_000,
        "the stop came before the snapshot's end"
    );
    assert!(
        !worker.log().contains("did not stop in time"),
        "the task stopped by itself:\n{}",
        worker.log()
    );

    drop(worker);
    cleanup(&mut conn, &schema).await;
}

/// One connector capturing tables of different shapes: each table's snapshot rows are read with
/// its own columns (a narrow table before a wide one once read the wide one's extra columns as
/// null; a wide one before a narrow one failed the task), and the changes that follow stream.
#[tokio::test(flavor = "multi_thread")]
async fn tables_of_different_shapes_snapshot_and_stream_whole() {
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!(
            "CREATE TABLE {schema}.a (id int PRIMARY KEY, v text, n int);
             CREATE TABLE {schema}.b (id bigint PRIMARY KEY, x int, y text, z boolean, w int);
             CREATE TABLE {schema}.c (id int PRIMARY KEY, v text);
             INSERT INTO {schema}.a VALUES (1, 'a1', 10);
             INSERT INTO {schema}.b VALUES (2, 20, 'b2', true, 5);
             INSERT INTO {schema}.c VALUES (3, 'c3');"
        ),
    )
    .await;
    let worker = Worker::start().await;
    worker
        .create("cdc", cdc_config(&schema, &["a", "b", "c"], json!({})))
        .await;
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    let after = |table: &str, count: usize| {
        let topic = format!("{schema}.{schema}.{table}");
        async move {
            read_topic_async(&topic, count, Duration::from_secs(60))
                .await
                .iter()
                .map(|r| payload(r)["after"].clone())
                .collect::<Vec<Value>>()
        }
    };
    assert_eq!(after("a", 1).await, [json!({"id": 1, "v": "a1", "n": 10})]);
    assert_eq!(
        after("b", 1).await,
        [json!({"id": 2, "x": 20, "y": "b2", "z": true, "w": 5})]
    );
    assert_eq!(after("c", 1).await, [json!({"id": 3, "v": "c3"})]);

    sql(
        &mut conn,
        &format!(
            "INSERT INTO {schema}.a VALUES (4, 'a4', 40);
             INSERT INTO {schema}.b VALUES (5, 50, 'b5', false, 6);
             INSERT INTO {schema}.c VALUES (6, 'c6');"
        ),
    )
    .await;
    assert_eq!(after("a", 2).await[1], json!({"id": 4, "v": "a4", "n": 40}));
    assert_eq!(
        after("b", 2).await[1],
        json!({"id": 5, "x": 50, "y": "b5", "z": false, "w": 6})
    );
    assert_eq!(after("c", 2).await[1], json!({"id": 6, "v": "c6"}));
    let status = worker.get("/connectors/cdc/status").await;
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");

    drop(worker);
    cleanup(&mut conn, &schema).await;
}
