//! Weir's postgres-cdc beside Debezium's `PostgresConnector` itself (in the Kafka Connect worker of
//! `scripts/dev-env`), on the same database and broker: both capture the same tables with the
//! same config, each with its own topic prefix, slot and publication, and their topics are
//! compared record by record: keys, values, schemas, source blocks, tombstones and order.
//!
//! What may differ is listed in [`volatile`]: times of processing, the connector's version, and
//! the positions of a snapshot (each connector's slot starts at its own LSN). Nothing else.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::PgConnection;
use support::postgres::{self, database, sql};
use support::reference::ReferenceConnector;
use support::{Record, Worker, read_to_end};

/// What a scenario runs: tables made and filled before the connectors start, then changes.
struct Scenario<'a> {
    /// SQL creating and filling the tables; `{s}` stands for the test's schema.
    setup: &'a str,
    /// The captured tables.
    tables: &'a [&'a str],
    /// Connector keys on top of the common ones, for both connectors.
    config: Value,
    /// SQL statements run one by one once both snapshots are read; `{s}` as above.
    changes: &'a [&'a str],
    /// Topics besides the tables', named after the topic prefix (`message`: the logical
    /// decoding messages).
    topics: &'a [&'a str],
    /// Columns where Weir knowingly differs from Debezium, left out of the comparison.
    differences: &'a [Difference],
    /// Whether the config routes each table's topic to `<prefix>.<table>` (else the topics are
    /// Debezium's `<prefix>.<schema>.<table>`).
    routed: bool,
}

/// A column where Weir knowingly differs from Debezium, and why (docs/configuration.md says it
/// too). Its test checks Weir's values itself.
struct Difference {
    column: &'static str,
    why: &'static str,
}

/// Fields that differ between any two runs of one connector: when the event was processed
/// (`ts_*`), the connector's version, and for a snapshot event where its slot happened to start.
fn volatile(record: &mut Value) {
    // With schemas, the event is the `payload` of the converter's envelope.
    let event = if record.get("payload").is_some() {
        &mut record["payload"]
    } else {
        record
    };
    let Some(payload) = event.as_object_mut() else {
        return;
    };
    let snapshot = payload.get("op").and_then(Value::as_str) == Some("r");
    for field in ["ts_ms", "ts_us", "ts_ns"] {
        payload.remove(field);
    }
    if let Some(source) = payload.get_mut("source").and_then(Value::as_object_mut) {
        for field in ["version", "ts_ms", "ts_us", "ts_ns"] {
            source.remove(field);
        }
        if snapshot {
            for field in ["lsn", "txId", "sequence", "xmin"] {
                source.remove(field);
            }
        }
    }
}

/// Replaces the connector's own prefix (topic prefix, in schema names and `source.name`) by
/// `PREFIX`, so the two connectors' records can be compared.
fn unprefixed(value: &mut Value, prefix: &str) {
    match value {
        Value::String(s) if s == prefix => *s = "PREFIX".into(),
        Value::String(s) => {
            if let Some(rest) = s.strip_prefix(&format!("{prefix}.")) {
                *s = format!("PREFIX.{rest}");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| unprefixed(v, prefix)),
        Value::Object(map) => map.values_mut().for_each(|v| unprefixed(v, prefix)),
        _ => {}
    }
}

/// Takes the columns where Weir knowingly differs out of a row (`before`, `after`) and out of
/// its schema.
fn without(value: &mut Value, columns: &[Difference]) {
    let drop_fields = |row: &mut Value| {
        if let Some(row) = row.as_object_mut() {
            row.retain(|name, _| !columns.iter().any(|d| d.column == name));
        }
    };
    let event = if value.get("payload").is_some() {
        if let Some(fields) = value["schema"]["fields"].as_array_mut() {
            for part in fields
                .iter_mut()
                .filter(|f| f["field"] == "before" || f["field"] == "after")
            {
                if let Some(columns_schema) = part["fields"].as_array_mut() {
                    columns_schema.retain(|f| !columns.iter().any(|d| f["field"] == d.column));
                }
            }
        }
        &mut value["payload"]
    } else {
        value
    };
    drop_fields(&mut event["before"]);
    drop_fields(&mut event["after"]);
}

/// A record as compared: key and value with prefixes, volatile fields and the columns of
/// known differences taken out.
fn comparable(record: &Record, prefix: &str, differences: &[Difference]) -> (Value, Value) {
    let mut key = record.key.clone().unwrap_or(Value::Null);
    let mut value = record.value.clone().unwrap_or(Value::Null);
    unprefixed(&mut key, prefix);
    unprefixed(&mut value, prefix);
    volatile(&mut value);
    if !value.is_null() {
        without(&mut value, differences);
    }
    (key, value)
}

/// The first place two JSON values differ, as a path and both sides.
fn first_difference(path: &str, ours: &Value, theirs: &Value) -> Option<String> {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            let order = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
            keys.into_iter()
                .find_map(|k| {
                    first_difference(
                        &format!("{path}.{k}"),
                        a.get(k).unwrap_or(&Value::Null),
                        b.get(k).unwrap_or(&Value::Null),
                    )
                    .or_else(|| {
                        (a.contains_key(k) != b.contains_key(k))
                            .then(|| format!("{path}.{k}: present on one side only"))
                    })
                })
                .or_else(|| {
                    (order(a) != order(b)).then(|| format!("{path}: key order {:?} vs {:?}", order(a), order(b)))
                })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(&format!("{path}[{i}]"), x, y)),
        (a, b) if a == b => None,
        (a, b) => Some(format!("{path}: Weir {a} vs Debezium {b}")),
    }
}

/// Compares one topic of both connectors; returns what differs, if anything.
fn compare_topic(
    table: &str,
    weir: &[Record],
    weir_prefix: &str,
    debezium: &[Record],
    dbz_prefix: &str,
    differences: &[Difference],
) -> Option<String> {
    let ours: Vec<(Value, Value)> = weir.iter().map(|r| comparable(r, weir_prefix, differences)).collect();
    let theirs: Vec<(Value, Value)> = debezium
        .iter()
        .map(|r| comparable(r, dbz_prefix, differences))
        .collect();
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        let key = first_difference("key", &a.0, &b.0);
        let value = first_difference("value", &a.1, &b.1);
        if let Some(difference) = key.or(value) {
            let event = |v: &Value| v.get("payload").unwrap_or(v).clone();
            return Some(format!(
                "{table}, record {i}: {difference}\n  Weir:     {}\n  Debezium: {}",
                event(&a.1),
                event(&b.1)
            ));
        }
    }
    (ours.len() != theirs.len()).then(|| {
        format!(
            "{table}: Weir wrote {} records, Debezium {}; the first extra one: {}",
            ours.len(),
            theirs.len(),
            ours.get(theirs.len())
                .or(theirs.get(ours.len()))
                .map_or(Value::Null, |r| r.1.clone())
        )
    })
}

/// Rows of a table now.
async fn row_count(conn: &mut PgConnection, table: &str) -> usize {
    let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("counting {table}: {e}"));
    count as usize
}

/// Reads `topic` until it holds at least `count` records.
async fn wait_for_records(topic: &str, count: usize) {
    let topic = topic.to_owned();
    support::eventually(&format!("{count} records on {topic}"), Duration::from_secs(90), || {
        let topic = topic.clone();
        async move {
            let have = tokio::task::spawn_blocking(move || read_to_end(&topic).len())
                .await
                .expect("reader");
            (have >= count).then_some(())
        }
    })
    .await;
}

/// Runs a scenario under Weir and Debezium and asserts their topics are the same; returns
/// Weir's records, by table (or other topic).
async fn same_as_debezium(scenario: Scenario<'_>) -> std::collections::BTreeMap<String, Vec<Record>> {
    // A database of its own: see `own_database`, and the logical decoding messages scenario.
    let (mut conn, schema) = postgres::own_database().await;
    let (weir, dbz) = (format!("weir_{schema}"), format!("dbz_{schema}"));
    let fill = |s: &str| s.replace("{s}", &schema);
    extensions(&mut conn).await;
    sql(&mut conn, &fill(scenario.setup)).await;
    // Every scenario also captures a marker table: its row, written after the changes, says
    // both connectors have read that far.
    sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.zz_marker (id int PRIMARY KEY)"),
    )
    .await;
    let tables: Vec<&str> = scenario.tables.iter().copied().chain(["zz_marker"]).collect();

    let worker = Worker::start().await;
    let config = || {
        let mut config = scenario.config.clone();
        postgres::merge(&mut config, json!({"database.dbname": schema}));
        config
    };
    let mut weir_config = postgres::cdc_config(&weir, &schema, &tables, config());
    postgres::merge(&mut weir_config, json!({"connector.class": "postgres-cdc"}));
    worker.create("cdc", weir_config).await;
    // Weir's task runs before Debezium's connector is created: the first element of an event's
    // `source.sequence` is the last commit its slot streamed before it, so both slots must be
    // in place before the scenario's changes (in a database no other test writes to).
    worker.wait_for_state("cdc", "RUNNING", 1).await;
    let mut dbz_config = postgres::cdc_config(&dbz, &schema, &tables, config());
    postgres::merge(
        &mut dbz_config,
        json!({"plugin.name": "pgoutput", "slot.drop.on.stop": "true"}),
    );
    let reference = ReferenceConnector::create(&dbz, dbz_config).await;

    let topic = |prefix: &str, table: &str| match scenario.routed {
        true => format!("{prefix}.{table}"),
        false => format!("{prefix}.{schema}.{table}"),
    };
    for table in scenario.tables {
        let rows = row_count(&mut conn, &format!("{schema}.\"{table}\"")).await;
        for prefix in [&weir, &dbz] {
            wait_for_records(&topic(prefix, table), rows).await;
        }
    }
    for change in scenario.changes {
        sql(&mut conn, &fill(change)).await;
    }
    sql(&mut conn, &format!("INSERT INTO {schema}.zz_marker VALUES (1)")).await;
    for prefix in [&weir, &dbz] {
        wait_for_records(&topic(prefix, "zz_marker"), 1).await;
    }

    // Records reach their topics in order, but the marker's topic may be written before another
    // topic's last records are readable: compare until equal, or for a few seconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    let compared: Vec<(String, String, String)> = scenario
        .tables
        .iter()
        .map(|t| (t.to_string(), topic(&weir, t), topic(&dbz, t)))
        .chain(
            scenario
                .topics
                .iter()
                .map(|t| (t.to_string(), format!("{weir}.{t}"), format!("{dbz}.{t}"))),
        )
        .collect();
    let mut weir_records = std::collections::BTreeMap::new();
    loop {
        let (mut differences, mut counts) = (Vec::new(), Vec::new());
        for (table, ours, theirs) in &compared {
            let (ours, theirs) = (ours.clone(), theirs.clone());
            let (ours, theirs) = tokio::task::spawn_blocking(move || (read_to_end(&ours), read_to_end(&theirs)))
                .await
                .expect("reader");
            if theirs.is_empty() {
                differences.push(format!("{table}: Debezium wrote nothing yet"));
            }
            counts.push((table.clone(), theirs.len()));
            differences.extend(compare_topic(table, &ours, &weir, &theirs, &dbz, scenario.differences));
            weir_records.insert(table.clone(), ours);
        }
        if differences.is_empty() {
            eprintln!("the same records from Weir and Debezium: {counts:?}");
            for known in scenario.differences {
                eprintln!("  except {} (checked apart): {}", known.column, known.why);
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Weir's events differ from Debezium's:\n{}",
            differences.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    drop(reference);
    drop(worker);
    postgres::cleanup(&mut conn, &schema, &[&weir, &dbz]).await;
    postgres::drop_database(conn, &schema).await;
    weir_records
}

#[tokio::test(flavor = "multi_thread")]
async fn tables_of_different_shapes() {
    same_as_debezium(Scenario {
        setup: "CREATE TABLE {s}.a (id int PRIMARY KEY, v text, n int);
                CREATE TABLE {s}.b (id bigint PRIMARY KEY, x int, y text, z boolean NOT NULL, w int);
                INSERT INTO {s}.a VALUES (1, 'a1', 10), (2, NULL, NULL);
                INSERT INTO {s}.b VALUES (2, 20, 'b2', true, 5);",
        tables: &["a", "b"],
        config: json!({}),
        changes: &[
            "INSERT INTO {s}.a VALUES (3, 'a3', 30)",
            "UPDATE {s}.b SET y = 'changed' WHERE id = 2",
            "DELETE FROM {s}.a WHERE id = 1",
        ],
        topics: &[],
        differences: &[],
        routed: false,
    })
    .await;
}

/// Types every scenario below uses: an enum, domains, a composite, and the extensions' types.
const TYPES: &str = "
    CREATE TYPE {s}.mood AS ENUM ('sad', 'ok', 'happy');
    CREATE DOMAIN {s}.posint AS integer CHECK (VALUE > 0);
    CREATE DOMAIN {s}.shorttext AS varchar(5);
    CREATE DOMAIN {s}.money3 AS numeric(8,3);
    CREATE TYPE {s}.pair AS (a int, b text);";

/// A table of every type Debezium's Postgres connector maps (except those whose snapshot value
/// Debezium gets wrong, which `every_type_streamed` covers), one row of ordinary values and
/// one of nulls.
const EVERY_TYPE: &str = "
    CREATE TABLE {s}.t (
        id serial PRIMARY KEY,
        c_smallint smallint, c_int integer DEFAULT 5, c_bigint bigint, c_real real, c_double double precision,
        c_numeric numeric, c_numeric_ps numeric(10,2) DEFAULT 3.5, c_numeric_p numeric(5), c_decimal decimal(12,4),
        c_money money,
        c_bool boolean NOT NULL DEFAULT false, c_bit bit, c_bit4 bit(4), c_bit10 bit(10), c_varbit varbit, c_varbit5 varbit(5),
        c_text text DEFAULT 'it''s', c_varchar varchar(20), c_char char(3), c_qchar \"char\", c_citext citext,
        c_bytea bytea,
        c_date date DEFAULT '2024-01-02', c_time time, c_time0 time(0), c_time3 time(3), c_timetz timetz,
        c_timestamp timestamp DEFAULT now(), c_timestamp3 timestamp(3), c_timestamptz timestamptz,
        c_timestamptz0 timestamptz(0), c_timestamptz3 timestamptz(3) DEFAULT '2024-01-02 03:04:05+02',
        c_interval interval DEFAULT '1 day',
        c_uuid uuid, c_json json, c_jsonb jsonb DEFAULT '{\"a\": 1}', c_xml xml,
        c_inet inet, c_cidr cidr, c_macaddr macaddr, c_macaddr8 macaddr8,
        c_point point, c_line line, c_lseg lseg, c_box box, c_path path, c_path_open path, c_polygon polygon,
        c_circle circle,
        c_int4range int4range, c_int8range int8range, c_numrange numrange, c_tsrange tsrange, c_tstzrange tstzrange,
        c_daterange daterange,
        c_hstore hstore, c_ltree ltree, c_tsvector tsvector,
        c_enum {s}.mood DEFAULT 'ok', c_posint {s}.posint, c_shorttext {s}.shorttext, c_money3 {s}.money3,
        c_pair {s}.pair, c_tsquery tsquery, c_pglsn pg_lsn,
        c_int_arr int[], c_int8_arr bigint[], c_text_arr text[], c_varchar_arr varchar(10)[], c_char_arr char(3)[],
        c_numeric_arr numeric(5,2)[], c_float_arr float8[], c_bool_arr bool[], c_date_arr date[], c_time_arr time[],
        c_ts_arr timestamp[], c_tstz_arr timestamptz[], c_timetz_arr timetz[], c_uuid_arr uuid[], c_jsonb_arr jsonb[],
        c_enum_arr {s}.mood[], c_bytea_arr bytea[], c_inet_arr inet[], c_hstore_arr hstore[], c_ltree_arr ltree[]
    );
    INSERT INTO {s}.t (
        c_smallint, c_int, c_bigint, c_real, c_double, c_numeric, c_numeric_ps, c_numeric_p, c_decimal, c_money,
        c_bool, c_bit, c_bit4, c_bit10, c_varbit, c_varbit5, c_text, c_varchar, c_char, c_qchar, c_citext, c_bytea,
        c_date, c_time, c_time0, c_time3, c_timetz, c_timestamp, c_timestamp3, c_timestamptz, c_timestamptz0,
        c_timestamptz3, c_interval, c_uuid, c_json, c_jsonb, c_xml, c_inet, c_cidr, c_macaddr, c_macaddr8,
        c_point, c_line, c_lseg, c_box, c_path, c_path_open, c_polygon, c_circle,
        c_int4range, c_int8range, c_numrange, c_tsrange, c_tstzrange, c_daterange, c_hstore, c_ltree, c_tsvector,
        c_enum, c_posint, c_shorttext, c_money3, c_pair, c_tsquery, c_pglsn,
        c_int_arr, c_int8_arr, c_text_arr, c_varchar_arr, c_char_arr, c_numeric_arr, c_float_arr, c_bool_arr,
        c_date_arr, c_time_arr, c_ts_arr, c_tstz_arr, c_timetz_arr, c_uuid_arr, c_jsonb_arr, c_enum_arr,
        c_bytea_arr, c_inet_arr, c_hstore_arr, c_ltree_arr)
    VALUES (
        -7, 2147483647, -9223372036854775808, 1.5, -2.25e-10, 1.50, 12345678.9, 12345, -0.0001, '$1,234.57',
        true, B'1', B'1010', B'1000000001', B'0001', B'101', 'héllo \"quoted\"', 'v', 'c', 'q', 'CiText', '\\xdeadbeef00',
        '2024-02-29', '13:45:30.123456', '13:45:30.6', '13:45:30.123456', '12:34:56.789+02', '2024-02-29 13:45:30.123456',
        '1900-01-01 00:00:00.5', '2024-02-29 13:45:30.123456+02', '2024-02-29 13:45:30+02', '2024-06-01 00:00:00.1+00',
        '1 year 2 mons 3 days 04:05:06.789', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{\"b\": 1,  \"a\" : [1,2]}',
        '{\"b\": 1, \"a\": [1, 2], \"c\": {\"z\": null}}', '<a x=\"1\">t</a>', '192.168.0.1/24', '10.0.0.0/8',
        '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
        '(1.5,-2)', '{1,-1,0}', '[(1,2),(3,4)]', '((3,4),(1,2))', '((0,0),(1,1),(2,0))', '[(0,0),(1,1)]',
        '((0,0),(0,1),(1,1))', '<(1,2),3>',
        '[1,10)', '(1,5]', '[1.5,2.5]', '[2024-01-01 10:00,2024-01-02)', '[2024-01-01 10:00:00+02,)', '[2024-01-01,2024-02-01)',
        'a=>1, b=>NULL, \"c d\"=>\"e,f\"', 'Top.Science.Astronomy', 'a fat cat sat on a mat',
        'happy', 42, 'abc', 12.345, ROW(1, 'x y'), 'fat & rat', '16/B374D848',
        '{1,NULL,3}', '{9223372036854775807}', '{\"a b\",NULL,\"c,d\",\"\",\"NULL\"}', '{v1,v2}', '{a,bc}',
        '{1.5,NULL}', '{1.5,-2.25}', '{t,f,NULL}', '{2024-01-01,NULL}', '{12:00:00,NULL}',
        '{\"2024-01-01 10:00:00\"}', '{\"2024-01-01 10:00:00+02\"}', '{12:00:00+02}',
        '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{\"{\\\"a\\\": 1}\"}', '{sad,happy}', '{\"\\\\x00ff\"}',
        '{10.0.0.1}', '{\"a=>1\"}', '{a.b}');
    INSERT INTO {s}.t DEFAULT VALUES;";

/// The extensions whose types the scenarios use, created once in the database (concurrent
/// `CREATE EXTENSION`s of one extension collide, hence the lock).
async fn extensions(conn: &mut PgConnection) {
    sql(
        conn,
        "SELECT pg_advisory_lock(4242);
         CREATE EXTENSION IF NOT EXISTS hstore; CREATE EXTENSION IF NOT EXISTS ltree; CREATE EXTENSION IF NOT EXISTS citext;
         SELECT pg_advisory_unlock(4242);",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_in_the_snapshot_and_streamed() {
    same_as_debezium(Scenario {
        setup: &format!("{TYPES}{EVERY_TYPE}"),
        tables: &["t"],
        config: json!({}),
        changes: &[
            "INSERT INTO {s}.t SELECT nextval('{s}.t_id_seq'), c_smallint, c_int, c_bigint, c_real, c_double, c_numeric,
                c_numeric_ps, c_numeric_p, c_decimal, c_money, c_bool, c_bit, c_bit4, c_bit10, c_varbit, c_varbit5, c_text,
                c_varchar, c_char, c_qchar, c_citext, c_bytea, c_date, c_time, c_time0, c_time3, c_timetz, c_timestamp,
                c_timestamp3, c_timestamptz, c_timestamptz0, c_timestamptz3, c_interval, c_uuid, c_json, c_jsonb, c_xml,
                c_inet, c_cidr, c_macaddr, c_macaddr8, c_point, c_line, c_lseg, c_box, c_path, c_path_open, c_polygon,
                c_circle, c_int4range, c_int8range, c_numrange, c_tsrange, c_tstzrange, c_daterange, c_hstore, c_ltree,
                c_tsvector, c_enum, c_posint, c_shorttext, c_money3, c_pair, c_tsquery, c_pglsn, c_int_arr, c_int8_arr,
                c_text_arr, c_varchar_arr, c_char_arr, c_numeric_arr, c_float_arr, c_bool_arr, c_date_arr, c_time_arr,
                c_ts_arr, c_tstz_arr, c_timetz_arr, c_uuid_arr, c_jsonb_arr, c_enum_arr, c_bytea_arr, c_inet_arr,
                c_hstore_arr, c_ltree_arr FROM {s}.t ORDER BY id",
            "UPDATE {s}.t SET c_text = 'changed', c_numeric = 100, c_time = '24:00:00', c_timetz = '24:00:00+00',
                c_date = '0044-03-15 BC', c_timestamp = 'infinity', c_timestamptz = '-infinity',
                c_interval = '-1 day -00:00:02', c_numeric_ps = -0.5 WHERE id = 1",
            "DELETE FROM {s}.t WHERE id = 2",
        ],
        topics: &[],
        differences: &[],
        routed: false,
    })
    .await;
}

/// A long text TOASTed out of line (random, so it does not compress inline).
const TOASTED: &str = "(SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 400))";

#[tokio::test(flavor = "multi_thread")]
async fn keys_identities_toast_schema_changes_truncates_and_messages() {
    same_as_debezium(Scenario {
        setup: &format!(
            "CREATE TABLE {{s}}.pk2 (b int, a int, v text NOT NULL, n numeric(6,2) NOT NULL, t timestamptz NOT NULL,
                 PRIMARY KEY (a, b));
             CREATE TABLE {{s}}.uniq (u int NOT NULL, v text);
             CREATE UNIQUE INDEX uniq_u ON {{s}}.uniq (u);
             ALTER TABLE {{s}}.uniq REPLICA IDENTITY USING INDEX uniq_u;
             CREATE TABLE {{s}}.nokey (a int, b text);
             ALTER TABLE {{s}}.nokey REPLICA IDENTITY FULL;
             CREATE TABLE {{s}}.full_row (id int PRIMARY KEY, big text, small int);
             ALTER TABLE {{s}}.full_row REPLICA IDENTITY FULL;
             CREATE TABLE {{s}}.toast (id int PRIMARY KEY, big text, small int, tags text[], doc jsonb);
             CREATE TABLE {{s}}.nothing (id int PRIMARY KEY, v text);
             ALTER TABLE {{s}}.nothing REPLICA IDENTITY NOTHING;
             CREATE TABLE {{s}}.gen (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) STORED);
             CREATE TABLE {{s}}.altered (id int PRIMARY KEY, keep text, gone int, old_name text, retyped int);
             CREATE TABLE {{s}}.\"MixedCase\" (\"Id\" int PRIMARY KEY, \"Some Col\" text);
             CREATE TABLE {{s}}.big (id int PRIMARY KEY, v text);
             INSERT INTO {{s}}.pk2 VALUES (1, 2, 'x', 1.5, '2024-01-01 00:00:00+00');
             INSERT INTO {{s}}.uniq VALUES (1, 'one');
             INSERT INTO {{s}}.nokey VALUES (1, 'one'), (1, 'one');
             INSERT INTO {{s}}.full_row VALUES (1, {TOASTED}, 1);
             INSERT INTO {{s}}.toast VALUES (1, {TOASTED}, 1, ARRAY[{TOASTED}], jsonb_build_object('k', {TOASTED}));
             INSERT INTO {{s}}.gen (id, a) VALUES (1, 21);
             INSERT INTO {{s}}.altered VALUES (1, 'k', 1, 'o', 1);
             INSERT INTO {{s}}.\"MixedCase\" VALUES (1, 'm');"
        ),
        tables: &[
            "pk2",
            "uniq",
            "nokey",
            "full_row",
            "toast",
            "nothing",
            "gen",
            "altered",
            "MixedCase",
            "big",
        ],
        config: json!({"skipped.operations": "none"}),
        changes: &[
            "UPDATE {s}.pk2 SET v = 'y' WHERE a = 2",
            "UPDATE {s}.pk2 SET a = 3 WHERE a = 2",
            "DELETE FROM {s}.pk2 WHERE a = 3",
            "UPDATE {s}.uniq SET v = 'uno' WHERE u = 1",
            "UPDATE {s}.uniq SET u = 2 WHERE u = 1",
            "DELETE FROM {s}.uniq",
            "INSERT INTO {s}.nokey VALUES (2, 'two')",
            "UPDATE {s}.nokey SET b = 'dos' WHERE a = 2",
            "DELETE FROM {s}.nokey WHERE a = 2",
            "UPDATE {s}.full_row SET small = 2",
            "DELETE FROM {s}.full_row",
            "UPDATE {s}.toast SET small = 2",
            "DELETE FROM {s}.toast",
            "INSERT INTO {s}.nothing VALUES (1, 'n')",
            "INSERT INTO {s}.gen (id, a) VALUES (2, 5)",
            "UPDATE {s}.gen SET a = 6 WHERE id = 2",
            "ALTER TABLE {s}.altered ADD COLUMN added text DEFAULT 'd'",
            "INSERT INTO {s}.altered VALUES (2, 'k', 2, 'o', 2, 'a')",
            "ALTER TABLE {s}.altered DROP COLUMN gone",
            "INSERT INTO {s}.altered VALUES (3, 'k', 'o', 3, 'a')",
            "ALTER TABLE {s}.altered RENAME COLUMN old_name TO new_name",
            "INSERT INTO {s}.altered VALUES (4, 'k', 'n', 4, 'a')",
            "ALTER TABLE {s}.altered ALTER COLUMN retyped TYPE bigint",
            "INSERT INTO {s}.altered VALUES (5, 'k', 'n', 5000000000, 'a')",
            "UPDATE {s}.\"MixedCase\" SET \"Some Col\" = 'n'",
            "INSERT INTO {s}.big SELECT g, md5(g::text) FROM generate_series(1, 5000) g",
            "TRUNCATE {s}.big",
            "SELECT pg_logical_emit_message(true, 'weir-test', 'in a transaction')",
            "SELECT pg_logical_emit_message(false, 'weir-test', '\\x00ff'::bytea)",
        ],
        topics: &["message"],
        differences: &[],
        routed: false,
    })
    .await;
}

/// Numeric special values, which only the string and double modes can carry.
const SPECIAL_NUMBERS: &str = "
    CREATE TABLE {s}.special (id int PRIMARY KEY, n numeric, np numeric(10,2), f float8, r real);
    INSERT INTO {s}.special VALUES (1, 'NaN', 'NaN', 'NaN', 'NaN'), (2, 'Infinity', NULL, 'Infinity', 'Infinity'),
        (3, '-Infinity', NULL, '-Infinity', '-Infinity'), (4, 1.50, 0, 1e300, 1e30);";

/// The every-type table and the special numbers under other handling modes, with schemas in
/// the messages or not.
async fn every_type_with(config: Value) {
    same_as_debezium(Scenario {
        setup: &format!("{TYPES}{EVERY_TYPE}{SPECIAL_NUMBERS}"),
        tables: &["t", "special"],
        config,
        changes: &[
            "UPDATE {s}.t SET c_text = 'changed', c_time = '24:00:00', c_date = '0044-03-15 BC',
                c_timestamp = 'infinity', c_timestamptz = '-infinity', c_interval = '-1 day -00:00:02' WHERE id = 1",
            "INSERT INTO {s}.special SELECT id + 10, n, np, f, r FROM {s}.special",
            "DELETE FROM {s}.t WHERE id = 2",
        ],
        topics: &[],
        differences: &[],
        routed: false,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn strings_maps_connect_times_and_unknown_types() {
    every_type_with(json!({
        "decimal.handling.mode": "string", "time.precision.mode": "connect", "hstore.handling.mode": "map",
        "interval.handling.mode": "string", "binary.handling.mode": "base64", "include.unknown.datatypes": "true",
        "money.fraction.digits": "3",
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn doubles_iso_strings_and_hex_without_schemas() {
    every_type_with(json!({
        "decimal.handling.mode": "double", "time.precision.mode": "isostring", "binary.handling.mode": "hex",
        "key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false",
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn microsecond_and_nanosecond_times() {
    for mode in ["adaptive_time_microseconds", "microseconds", "nanoseconds"] {
        every_type_with(json!({
            "time.precision.mode": mode, "binary.handling.mode": "base64-url-safe",
            "decimal.handling.mode": "string",
        }))
        .await;
    }
}

/// Where Weir knowingly differs from Debezium (docs/configuration.md#postgres-cdc lists them):
/// Debezium writes a wrong value (dates from the snapshot's JDBC path, times of day in arrays),
/// null (`name` while streaming), or leaves the column out (arrays of types it has no array
/// mapping for). Weir writes the value. Everything else of the table must still be the same.
#[tokio::test(flavor = "multi_thread")]
async fn where_weir_knowingly_differs() {
    const WHY_SNAPSHOT_DATES: &str = "Debezium's snapshot reads dates through java.sql.Date: BC dates lose their era \
        and infinity overflows; Weir writes what Debezium's streaming writes";
    const WHY_MISSING_ARRAYS: &str = "Debezium leaves out arrays of these types (or writes null); Weir writes them";
    let differences = [
        Difference {
            column: "c_name",
            why: "Debezium's streaming writes null for a name column",
        },
        Difference {
            column: "c_date",
            why: WHY_SNAPSHOT_DATES,
        },
        Difference {
            column: "c_date_arr",
            why: "Debezium overflows infinity in date arrays",
        },
        Difference {
            column: "c_time_arr",
            why: "Debezium writes 24:00:00 in a time array as 0",
        },
        Difference {
            column: "c_money_arr",
            why: WHY_MISSING_ARRAYS,
        },
        Difference {
            column: "c_interval_arr",
            why: WHY_MISSING_ARRAYS,
        },
        Difference {
            column: "c_varbit_arr",
            why: WHY_MISSING_ARRAYS,
        },
        Difference {
            column: "c_xml_arr",
            why: WHY_MISSING_ARRAYS,
        },
        Difference {
            column: "c_point_arr",
            why: WHY_MISSING_ARRAYS,
        },
        Difference {
            column: "c_name_arr",
            why: WHY_MISSING_ARRAYS,
        },
        Difference {
            column: "c_bit_arr",
            why: WHY_MISSING_ARRAYS,
        },
        Difference {
            column: "c_box_arr",
            why: WHY_MISSING_ARRAYS,
        },
        Difference {
            column: "c_circle_arr",
            why: WHY_MISSING_ARRAYS,
        },
    ];
    let records = same_as_debezium(Scenario {
        setup: "CREATE TABLE {s}.d (id int PRIMARY KEY, c_int int, c_name name, c_date date, c_date_arr date[],
                    c_time_arr time[], c_money_arr money[], c_interval_arr interval[], c_varbit_arr varbit[],
                    c_xml_arr xml[], c_point_arr point[], c_name_arr name[], c_bit_arr bit(3)[], c_box_arr box[],
                    c_circle_arr circle[]);
                INSERT INTO {s}.d VALUES (1, 1, 'a name', '0044-03-15 BC', '{2024-01-01,infinity}', '{12:00:00,24:00:00}',
                    '{$1.50}', '{\"1 day\"}', '{101}', '{<a/>}', '{\"(1,2)\"}', '{n1}', '{101}', '{(3,4),(1,2)}',
                    '{\"<(1,2),3>\"}'), (2, 2, NULL, 'infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);",
        tables: &["d"],
        config: json!({}),
        changes: &["INSERT INTO {s}.d SELECT id + 10, c_int, c_name, c_date, c_date_arr, c_time_arr, c_money_arr,
                        c_interval_arr, c_varbit_arr, c_xml_arr, c_point_arr, c_name_arr, c_bit_arr, c_box_arr,
                        c_circle_arr FROM {s}.d"],
        topics: &[],
        differences: &differences,
        routed: false,
    })
    .await;
    let rows: Vec<Value> = records["d"]
        .iter()
        .map(|r| r.value.clone().unwrap_or_default()["payload"]["after"].clone())
        .collect();
    let (read, streamed) = (&rows[0], &rows[2]);
    for row in [read, streamed] {
        assert_eq!(row["c_name"], "a name");
        assert_eq!(row["c_date"], -735160, "0044-03-15 BC");
        assert_eq!(row["c_date_arr"], json!([19723, 2146033979]));
        assert_eq!(row["c_time_arr"], json!([43200000000i64, 86400000000i64]));
        assert_eq!(row["c_money_arr"], json!(["AJY="]));
        assert_eq!(row["c_interval_arr"], json!([86400000000i64]));
        assert_eq!(row["c_varbit_arr"], json!(["BQ=="]));
        assert_eq!(row["c_xml_arr"], json!(["<a/>"]));
        assert_eq!(row["c_point_arr"][0]["x"], 1.0);
        assert_eq!(row["c_name_arr"], json!(["n1"]));
        assert_eq!(row["c_bit_arr"], json!(["BQ=="]));
        assert_eq!(row["c_box_arr"][0]["extensions"]["type"], "box");
        assert_eq!(row["c_circle_arr"][0]["radius"], 3.0);
    }
    assert_eq!(rows[1]["c_date"], 2146033979, "infinity, as Debezium streams it");
    assert_eq!(rows[3]["c_date"], 2146033979);
}

/// A value Weir cannot represent fails the task, naming the column, its type and the value
/// (Debezium's default writes null, with a warning); `event.converting.failure.handling.mode`
/// chooses Debezium's way, which `strings_maps_connect_times_and_unknown_types` compares.
#[tokio::test(flavor = "multi_thread")]
async fn an_unrepresentable_value_fails_the_task_by_default() {
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.n (id int PRIMARY KEY, v numeric); INSERT INTO {schema}.n VALUES (1, 'NaN')"),
    )
    .await;
    let worker = Worker::start().await;
    let mut config = postgres::cdc_config(&schema, &schema, &["n"], json!({}));
    postgres::merge(&mut config, json!({"connector.class": "postgres-cdc"}));
    worker.create("cdc", config).await;
    let task = worker.wait_for_task("cdc", 0, "FAILED").await;
    let trace = task["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("column v") && trace.contains("NaN") && trace.contains("decimal.handling.mode"),
        "{trace}"
    );
    drop(worker);
    postgres::cleanup(&mut conn, &schema, &[&schema]).await;
}

/// A partitioned table captured through its root (`publish.via.partition.root`): the snapshot
/// reads the root, and changes of every partition come as the root's.
#[tokio::test(flavor = "multi_thread")]
async fn partitions_through_their_root() {
    same_as_debezium(Scenario {
        setup:
            "CREATE TABLE {s}.parted (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
                CREATE TABLE {s}.parted_eu PARTITION OF {s}.parted FOR VALUES IN ('eu');
                CREATE TABLE {s}.parted_us PARTITION OF {s}.parted FOR VALUES IN ('us');
                INSERT INTO {s}.parted VALUES (1, 'eu', 'a'), (2, 'us', 'b');",
        tables: &["parted"],
        config: json!({"publish.via.partition.root": "true"}),
        changes: &[
            "INSERT INTO {s}.parted VALUES (3, 'eu', 'c'), (4, 'us', 'd')",
            "UPDATE {s}.parted SET v = 'changed' WHERE id = 2",
            "UPDATE {s}.parted SET region = 'us' WHERE id = 1",
            "DELETE FROM {s}.parted WHERE id = 3",
        ],
        topics: &[],
        differences: &[],
        routed: false,
    })
    .await;
}

/// Tables without a primary key, under each replica identity: the key is null, and events
/// flow (REPLICA IDENTITY DEFAULT and NOTHING publish inserts only: Postgres refuses updates and
/// deletes of such tables in a publication).
#[tokio::test(flavor = "multi_thread")]
async fn tables_without_a_key() {
    same_as_debezium(Scenario {
        setup: "CREATE TABLE {s}.full_identity (a int, b text NOT NULL);
                ALTER TABLE {s}.full_identity REPLICA IDENTITY FULL;
                CREATE TABLE {s}.default_identity (a int, b text);
                CREATE TABLE {s}.no_identity (a int, b text);
                ALTER TABLE {s}.no_identity REPLICA IDENTITY NOTHING;
                INSERT INTO {s}.full_identity VALUES (1, 'one'), (1, 'one');
                INSERT INTO {s}.default_identity VALUES (1, NULL);
                INSERT INTO {s}.no_identity VALUES (1, 'x');",
        tables: &["full_identity", "default_identity", "no_identity"],
        config: json!({}),
        changes: &[
            "INSERT INTO {s}.full_identity VALUES (2, 'two')",
            "UPDATE {s}.full_identity SET b = 'uno' WHERE a = 1",
            "DELETE FROM {s}.full_identity WHERE a = 2",
            "INSERT INTO {s}.default_identity VALUES (2, 'two')",
            "INSERT INTO {s}.no_identity VALUES (2, 'y')",
        ],
        topics: &[],
        differences: &[],
        routed: false,
    })
    .await;
}

/// `point` columns (which once failed the task) as Debezium's `Point`, required or not.
#[tokio::test(flavor = "multi_thread")]
async fn points() {
    same_as_debezium(Scenario {
        setup: "CREATE TABLE {s}.places (id int PRIMARY KEY, at point NOT NULL, maybe point);
                INSERT INTO {s}.places VALUES (1, '(1,-1)', NULL), (2, '(0.5,1e10)', '(-3,4)');",
        tables: &["places"],
        config: json!({}),
        changes: &[
            "INSERT INTO {s}.places VALUES (3, '(1,-1)', '(2,2)')",
            "UPDATE {s}.places SET maybe = NULL WHERE id = 2",
            "DELETE FROM {s}.places WHERE id = 1",
        ],
        topics: &[],
        differences: &[],
        routed: false,
    })
    .await;
}

/// A Debezium user's config with transforms, unchanged: change events unwrapped to flat rows
/// (deletes rewritten with `__deleted`, the op and table added) and routed by table name.
#[tokio::test(flavor = "multi_thread")]
async fn unwrapped_and_routed_as_debezium_does() {
    same_as_debezium(Scenario {
        setup: "CREATE TABLE {s}.items (id int PRIMARY KEY, name text, price numeric(8,2), tags text[]);
                INSERT INTO {s}.items VALUES (1, 'apple', 1.50, '{red}'), (2, 'pear', NULL, NULL);",
        tables: &["items"],
        config: json!({
            "transforms": "unwrap,route",
            "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
            "transforms.unwrap.delete.tombstone.handling.mode": "rewrite",
            "transforms.unwrap.add.fields": "op,table",
            "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.route.regex": "([^.]+)\\.([^.]+)\\.([^.]+)",
            "transforms.route.replacement": "$1.$3",
        }),
        changes: &[
            "INSERT INTO {s}.items VALUES (3, 'plum', 0.99, '{blue,\"dark blue\"}')",
            "UPDATE {s}.items SET price = 2.00 WHERE id = 1",
            "DELETE FROM {s}.items WHERE id = 2",
        ],
        topics: &[],
        differences: &[],
        routed: true,
    })
    .await;
}
