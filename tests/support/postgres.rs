//! PostgreSQL for the CDC tests: a schema of the test's own, SQL, connector configs and cleanup.

use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use super::{pg_url, unique};

/// A fresh schema to play in (also the test's topic prefix, slot and publication name), and a
/// SQL connection.
pub async fn database() -> (PgConnection, String) {
    let mut conn = PgConnection::connect(&pg_url()).await.expect("connect to PostgreSQL");
    super::drop_leftover_slots(&mut conn).await;
    let schema = unique("cdc").replace('-', "_");
    sql(&mut conn, &format!("CREATE SCHEMA {schema}")).await;
    (conn, schema)
}

/// A database of the test's own, with a schema of the same name in it, and a SQL connection to
/// it. For tests that compare what two slots stream: a logical decoding message reaches every
/// slot of its database, so another test's message would land in one slot's stream and not in
/// the other's, depending on when each slot was created. `drop_database` removes it.
pub async fn own_database() -> (PgConnection, String) {
    let mut admin = PgConnection::connect(&pg_url()).await.expect("connect to PostgreSQL");
    super::drop_leftover_slots(&mut admin).await;
    drop_leftover_databases(&mut admin).await;
    let name = unique("cdc").replace('-', "_");
    sql(&mut admin, &format!("CREATE DATABASE {name}")).await;
    let options: PgConnectOptions = pg_url().parse().expect("PG_URL");
    let mut conn = PgConnection::connect_with(&options.database(&name))
        .await
        .expect("connect to the test's database");
    sql(&mut conn, &format!("CREATE SCHEMA {name}")).await;
    (conn, name)
}

/// Drops a database of `own_database`, its slots with it. Its connectors must have stopped.
pub async fn drop_database(conn: PgConnection, name: &str) {
    let _ = conn.close().await;
    let mut admin = PgConnection::connect(&pg_url()).await.expect("connect to PostgreSQL");
    sql(&mut admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
}

/// Drops the databases of `own_database` whose test process is gone.
async fn drop_leftover_databases(admin: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'cdc\\_%'")
        .fetch_all(&mut *admin)
        .await
        .unwrap_or_default();
    for name in names.into_iter().filter(|n| super::owner_is_gone(n)) {
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut *admin)
            .await;
    }
}

/// Inserts rows `1..=transactions * rows` into `<schema>.events (id, v)` on a connection of its
/// own, `rows` per transaction, waiting `pause` after each: a writer to run while workers are
/// killed.
pub fn insert_events(
    schema: &str,
    transactions: usize,
    rows: usize,
    pause: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    let schema = schema.to_owned();
    tokio::spawn(async move {
        let mut conn = PgConnection::connect(&pg_url()).await.expect("connect");
        for t in 0..transactions {
            let (from, to) = (t * rows + 1, (t + 1) * rows);
            let insert = format!("INSERT INTO {schema}.events SELECT g, 'v' || g FROM generate_series({from}, {to}) g");
            sqlx::query(&insert)
                .persistent(false)
                .execute(&mut conn)
                .await
                .expect("insert");
            tokio::time::sleep(pause).await;
        }
    })
}

/// Runs SQL (one statement or several), panicking with the statement on failure.
pub async fn sql(conn: &mut PgConnection, statement: &str) {
    sqlx::raw_sql(statement)
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

/// The server as a connector's `database.*` keys, from `PG_URL`.
pub fn database_keys() -> Value {
    let url = pg_url();
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let (auth, rest) = rest.split_once('@').expect("user in PG_URL");
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    let (hostport, db) = rest.split_once('/').expect("database in PG_URL");
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    json!({
        "database.hostname": host, "database.port": port, "database.user": user,
        "database.password": password, "database.dbname": db.split('?').next().unwrap_or(db),
        "database.sslmode": "disable",
    })
}

/// A Debezium Postgres connector config capturing `tables` of `schema`, its topic prefix, slot
/// and publication named `name`, JSON with schemas, and `extra` keys on top.
pub fn cdc_config(name: &str, schema: &str, tables: &[&str], extra: Value) -> Value {
    let include: Vec<String> = tables.iter().map(|t| format!("{schema}\\.{t}")).collect();
    let mut config = database_keys();
    merge(
        &mut config,
        json!({
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "topic.prefix": name, "slot.name": name, "publication.name": name,
            "publication.autocreate.mode": "filtered", "table.include.list": include.join(","),
            "slot.drop.on.stop": "false",
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        }),
    );
    merge(&mut config, extra);
    config
}

/// Adds the keys of `extra` to `config`.
pub fn merge(config: &mut Value, extra: Value) {
    if let (Some(c), Value::Object(e)) = (config.as_object_mut(), extra) {
        c.extend(e);
    }
}

/// Drops the replication slots and publications named in `names`, and the schema. Their
/// connectors must be stopping: a slot still in use is waited for (up to 30 s).
pub async fn cleanup(conn: &mut PgConnection, schema: &str, names: &[&str]) {
    for name in names {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let active: Option<bool> =
                sqlx::query_scalar("SELECT active FROM pg_replication_slots WHERE slot_name = $1")
                    .bind(name)
                    .fetch_optional(&mut *conn)
                    .await
                    .unwrap_or(None);
            match active {
                None => break,
                Some(false) => {
                    let _ = sqlx::query("SELECT pg_drop_replication_slot($1)")
                        .bind(name)
                        .execute(&mut *conn)
                        .await;
                }
                Some(true) if std::time::Instant::now() > deadline => {
                    panic!("replication slot {name} is still in use 30 s after its connector was stopped")
                }
                Some(true) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
            }
        }
        let _ = sqlx::raw_sql(&format!("DROP PUBLICATION IF EXISTS {name}"))
            .execute(&mut *conn)
            .await;
    }
    let _ = sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut *conn)
        .await;
}
