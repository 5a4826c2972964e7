//! The `postgres-cdc` connector's configuration: Debezium's keys, parsed and checked.

use regex::Regex;
use weir_connector_api::config::ParsedConfig;
use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, ConnectError, Importance, Props, Validator};

use super::envelope::ConversionFailure;
use super::types::{BinaryMode, DecimalMode, HstoreMode, IntervalMode, Representation, TimeMode};

/// What the connector snapshots before streaming (`snapshot.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotMode {
    /// When the connector has no offsets yet.
    Initial,
    /// At every start.
    Always,
    /// When it has no offsets, and then it does not stream.
    InitialOnly,
    /// Never: stream only.
    NoData,
    /// When it has no offsets, or its offsets are no longer available from the slot.
    WhenNeeded,
}

/// How the publication is created (`publication.autocreate.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicationMode {
    /// `FOR ALL TABLES`, when missing.
    AllTables,
    /// Never: it must exist.
    Disabled,
    /// `FOR TABLE` the captured tables, updated at start.
    Filtered,
}

/// The parsed configuration.
#[derive(Clone, Debug)]
pub struct CdcConfig {
    /// `database.hostname`.
    pub host: String,
    /// `database.port`.
    pub port: u16,
    /// `database.user`.
    pub user: String,
    /// `database.password`.
    pub password: String,
    /// `database.dbname`.
    pub dbname: String,
    /// `database.sslmode`.
    pub sslmode: String,
    /// `topic.prefix`: topics are `<prefix>.<schema>.<table>`.
    pub topic_prefix: String,
    /// `slot.name`.
    pub slot: String,
    /// `slot.drop.on.stop`.
    pub drop_slot_on_stop: bool,
    /// `publication.name`.
    pub publication: String,
    /// `publication.autocreate.mode`.
    pub publication_mode: PublicationMode,
    /// `publish.via.partition.root`: changes of a partition come as its partitioned table's.
    pub publish_via_partition_root: bool,
    /// `snapshot.mode`.
    pub snapshot_mode: SnapshotMode,
    /// `snapshot.fetch.size`: rows read per round trip in the snapshot.
    pub snapshot_fetch_size: usize,
    /// `heartbeat.interval.ms`, 0 for none.
    pub heartbeat_interval_ms: u64,
    /// `heartbeat.action.query`.
    pub heartbeat_query: Option<String>,
    /// `tombstones.on.delete`.
    pub tombstones_on_delete: bool,
    /// Debezium's handling modes of values.
    pub representation: Representation,
    /// `event.converting.failure.handling.mode`.
    pub on_conversion_failure: ConversionFailure,
    /// `skipped.operations`: the change kinds (`c`, `u`, `d`, `t`) not emitted.
    pub skipped_operations: Vec<String>,
    filters: Filters,
}

/// The include and exclude lists, as anchored regular expressions.
#[derive(Clone, Debug, Default)]
struct Filters {
    schemas: Vec<Regex>,
    tables: Vec<Regex>,
    excluded_tables: Vec<Regex>,
    excluded_columns: Vec<Regex>,
    message_prefixes: Vec<Regex>,
    excluded_message_prefixes: Vec<Regex>,
}

fn one_of(values: &[&str]) -> Validator {
    Validator::one_of(values)
}

/// The connector's declared keys.
pub fn definition() -> ConfigDef {
    let key =
        |name: &str, kind: ConfigType, importance: Importance, doc: &str| ConfigKey::new(name, kind, importance, doc);
    let (conn, cap, snap) = ("Connection", "Capture", "Snapshot");
    ConfigDef::new()
        .define(
            conn,
            key(
                "database.hostname",
                ConfigType::String,
                Importance::High,
                "Host of the PostgreSQL server.",
            )
            .validator(Validator::NonEmpty),
        )
        .define(
            conn,
            key(
                "database.port",
                ConfigType::Int,
                Importance::High,
                "Port of the PostgreSQL server.",
            )
            .default_value("5432")
            .validator(Validator::between(1.0, 65535.0)),
        )
        .define(
            conn,
            key(
                "database.user",
                ConfigType::String,
                Importance::High,
                "User with the REPLICATION attribute.",
            )
            .validator(Validator::NonEmpty),
        )
        .define(
            conn,
            key(
                "database.password",
                ConfigType::Password,
                Importance::High,
                "The user's password.",
            )
            .default_value(""),
        )
        .define(
            conn,
            key(
                "database.dbname",
                ConfigType::String,
                Importance::High,
                "The database to capture.",
            )
            .validator(Validator::NonEmpty),
        )
        .define(
            conn,
            key(
                "database.sslmode",
                ConfigType::String,
                Importance::Medium,
                "TLS to the server.",
            )
            .default_value("prefer")
            .validator(one_of(&["disable", "prefer", "require", "verify-ca", "verify-full"])),
        )
        .define(
            cap,
            key(
                "topic.prefix",
                ConfigType::String,
                Importance::High,
                "Topics are <topic.prefix>.<schema>.<table>.",
            )
            .validator(Validator::NonEmpty),
        )
        .define(
            cap,
            key(
                "plugin.name",
                ConfigType::String,
                Importance::Medium,
                "The logical decoding plugin (pgoutput).",
            )
            .default_value("pgoutput")
            .validator(one_of(&["pgoutput"])),
        )
        .define(
            cap,
            key(
                "slot.name",
                ConfigType::String,
                Importance::Medium,
                "The replication slot.",
            )
            .default_value("debezium")
            .validator(Validator::NonEmpty),
        )
        .define(
            cap,
            key(
                "slot.drop.on.stop",
                ConfigType::Boolean,
                Importance::Low,
                "Drop the slot when the task stops.",
            )
            .default_value("false"),
        )
        .define(
            cap,
            key(
                "publication.name",
                ConfigType::String,
                Importance::Medium,
                "The publication.",
            )
            .default_value("dbz_publication")
            .validator(Validator::NonEmpty),
        )
        .define(
            cap,
            key(
                "publication.autocreate.mode",
                ConfigType::String,
                Importance::Medium,
                "all_tables, disabled or filtered.",
            )
            .default_value("all_tables")
            .validator(one_of(&["all_tables", "disabled", "filtered"])),
        )
        .define(
            conn,
            key(
                "publish.via.partition.root",
                ConfigType::Boolean,
                Importance::Low,
                "Publish the changes of partitions as their partitioned table's (the publication's \
                 publish_via_partition_root).",
            )
            .default_value("false"),
        )
        .define(
            cap,
            key(
                "schema.include.list",
                ConfigType::List,
                Importance::Medium,
                "Regular expressions of the schemas to capture.",
            )
            .default_value(""),
        )
        .define(
            cap,
            key(
                "table.include.list",
                ConfigType::List,
                Importance::Medium,
                "Regular expressions of the tables (schema.table) to capture.",
            )
            .default_value(""),
        )
        .define(
            cap,
            key(
                "table.exclude.list",
                ConfigType::List,
                Importance::Medium,
                "Regular expressions of the tables not to capture.",
            )
            .default_value(""),
        )
        .define(
            cap,
            key(
                "column.exclude.list",
                ConfigType::List,
                Importance::Medium,
                "Regular expressions of the columns (schema.table.column) to leave out.",
            )
            .default_value(""),
        )
        .define(
            cap,
            key(
                "tombstones.on.delete",
                ConfigType::Boolean,
                Importance::Medium,
                "Follow each delete with a tombstone.",
            )
            .default_value("true"),
        )
        .define(
            cap,
            key(
                "decimal.handling.mode",
                ConfigType::String,
                Importance::Medium,
                "precise, double or string.",
            )
            .default_value("precise")
            .validator(one_of(&["precise", "double", "string"])),
        )
        .define(
            cap,
            key(
                "time.precision.mode",
                ConfigType::String,
                Importance::Low,
                "adaptive (Debezium's types, milliseconds up to precision 3, else microseconds), \
                 adaptive_time_microseconds (time always in microseconds), connect (Kafka Connect's \
                 Date in days, Time and Timestamp in milliseconds), isostring (ISO-8601 text), \
                 microseconds or nanoseconds.",
            )
            .default_value("adaptive")
            .validator(one_of(&[
                "adaptive",
                "adaptive_time_microseconds",
                "connect",
                "isostring",
                "microseconds",
                "nanoseconds",
            ])),
        )
        .define(
            cap,
            key(
                "hstore.handling.mode",
                ConfigType::String,
                Importance::Low,
                "json (a JSON object as text) or map.",
            )
            .default_value("json")
            .validator(one_of(&["json", "map"])),
        )
        .define(
            cap,
            key(
                "interval.handling.mode",
                ConfigType::String,
                Importance::Low,
                "numeric (microseconds, with an average month of 30.4375 days) or string (ISO-8601).",
            )
            .default_value("numeric")
            .validator(one_of(&["numeric", "string"])),
        )
        .define(
            cap,
            key(
                "binary.handling.mode",
                ConfigType::String,
                Importance::Low,
                "bytes, base64, base64-url-safe or hex.",
            )
            .default_value("bytes")
            .validator(one_of(&["bytes", "base64", "base64-url-safe", "hex"])),
        )
        .define(
            cap,
            key(
                "money.fraction.digits",
                ConfigType::Short,
                Importance::Low,
                "The scale of money as a precise Decimal.",
            )
            .default_value("2")
            .validator(Validator::at_least(0.0)),
        )
        .define(
            cap,
            key(
                "include.unknown.datatypes",
                ConfigType::Boolean,
                Importance::Low,
                "Capture columns of types without a mapping as the binary encoding of their text; \
                 otherwise they are left out (with a warning).",
            )
            .default_value("false"),
        )
        .define(
            cap,
            key(
                "event.converting.failure.handling.mode",
                ConfigType::String,
                Importance::Low,
                "What a value that has no form in its schema (a NaN numeric as a Decimal) does: fail \
                 the task naming the column (Weir's default), or become null with a warning (warn, \
                 Debezium's default) or without (skip).",
            )
            .default_value("fail")
            .validator(one_of(&["fail", "warn", "skip"])),
        )
        .define(
            cap,
            key(
                "message.prefix.include.list",
                ConfigType::List,
                Importance::Low,
                "Regular expressions of the prefixes of logical decoding messages to emit (all when empty).",
            )
            .default_value(""),
        )
        .define(
            cap,
            key(
                "message.prefix.exclude.list",
                ConfigType::List,
                Importance::Low,
                "Regular expressions of the prefixes of logical decoding messages not to emit.",
            )
            .default_value(""),
        )
        .define(
            cap,
            key(
                "skipped.operations",
                ConfigType::List,
                Importance::Low,
                "Change kinds not emitted: c (inserts), u (updates), d (deletes), t (truncates); none \
                 for all emitted.",
            )
            .default_value("t"),
        )
        .define(
            cap,
            key(
                "heartbeat.interval.ms",
                ConfigType::Long,
                Importance::Medium,
                "How often a heartbeat record moves the offset on; 0 for never.",
            )
            .default_value("0")
            .validator(Validator::at_least(0.0)),
        )
        .define(
            cap,
            key(
                "heartbeat.action.query",
                ConfigType::String,
                Importance::Low,
                "A statement run at each heartbeat.",
            )
            .default_value(""),
        )
        .define(
            snap,
            key(
                "snapshot.mode",
                ConfigType::String,
                Importance::Medium,
                "initial, always, initial_only, no_data or when_needed.",
            )
            .default_value("initial")
            .validator(one_of(&[
                "initial",
                "always",
                "initial_only",
                "no_data",
                "never",
                "when_needed",
            ])),
        )
        .define(
            snap,
            key(
                "snapshot.fetch.size",
                ConfigType::Int,
                Importance::Low,
                "Rows read per round trip in the snapshot.",
            )
            .default_value("10240")
            .validator(Validator::at_least(1.0)),
        )
}

fn regexes(parsed: &ParsedConfig, key: &str) -> Result<Vec<Regex>, ConnectError> {
    parsed
        .list(key)
        .unwrap_or_default()
        .iter()
        // Anchored and case-insensitive, as Debezium matches its include and exclude lists.
        .map(|p| Regex::new(&format!("(?i)^(?:{p})$")).map_err(|e| ConnectError::Config(format!("{key}: {e}"))))
        .collect()
}

impl CdcConfig {
    /// Parses a connector config.
    pub fn parse(props: &Props) -> Result<Self, ConnectError> {
        let parsed = definition().parse(props)?;
        let string = |k: &str| parsed.string(k).unwrap_or_default().to_owned();
        let mode = |k: &str| string(k).to_ascii_lowercase();
        Ok(CdcConfig {
            host: string("database.hostname"),
            port: parsed.int("database.port").unwrap_or(5432) as u16,
            user: string("database.user"),
            password: string("database.password"),
            dbname: string("database.dbname"),
            sslmode: mode("database.sslmode"),
            topic_prefix: string("topic.prefix"),
            slot: string("slot.name"),
            drop_slot_on_stop: parsed.bool("slot.drop.on.stop").unwrap_or(false),
            publication: string("publication.name"),
            publication_mode: match mode("publication.autocreate.mode").as_str() {
                "disabled" => PublicationMode::Disabled,
                "filtered" => PublicationMode::Filtered,
                _ => PublicationMode::AllTables,
            },
            publish_via_partition_root: parsed.bool("publish.via.partition.root").unwrap_or(false),
            snapshot_mode: match mode("snapshot.mode").as_str() {
                "always" => SnapshotMode::Always,
                "initial_only" => SnapshotMode::InitialOnly,
                "no_data" | "never" => SnapshotMode::NoData,
                "when_needed" => SnapshotMode::WhenNeeded,
                _ => SnapshotMode::Initial,
            },
            snapshot_fetch_size: parsed.int("snapshot.fetch.size").unwrap_or(10240).max(1) as usize,
            heartbeat_interval_ms: parsed.int("heartbeat.interval.ms").unwrap_or(0).max(0) as u64,
            heartbeat_query: Some(string("heartbeat.action.query")).filter(|q| !q.trim().is_empty()),
            tombstones_on_delete: parsed.bool("tombstones.on.delete").unwrap_or(true),
            representation: Representation {
                decimal: match mode("decimal.handling.mode").as_str() {
                    "double" => DecimalMode::Double,
                    "string" => DecimalMode::String,
                    _ => DecimalMode::Precise,
                },
                time: match mode("time.precision.mode").as_str() {
                    "adaptive_time_microseconds" => TimeMode::AdaptiveTimeMicroseconds,
                    "connect" => TimeMode::Connect,
                    "isostring" => TimeMode::IsoString,
                    "microseconds" => TimeMode::Microseconds,
                    "nanoseconds" => TimeMode::Nanoseconds,
                    _ => TimeMode::Adaptive,
                },
                hstore: match mode("hstore.handling.mode").as_str() {
                    "map" => HstoreMode::Map,
                    _ => HstoreMode::Json,
                },
                interval: match mode("interval.handling.mode").as_str() {
                    "string" => IntervalMode::String,
                    _ => IntervalMode::Numeric,
                },
                binary: match mode("binary.handling.mode").as_str() {
                    "base64" => BinaryMode::Base64,
                    "base64-url-safe" => BinaryMode::Base64UrlSafe,
                    "hex" => BinaryMode::Hex,
                    _ => BinaryMode::Bytes,
                },
                money_fraction_digits: parsed.int("money.fraction.digits").unwrap_or(2).clamp(0, 100) as u32,
                include_unknown: parsed.bool("include.unknown.datatypes").unwrap_or(false),
            },
            on_conversion_failure: match mode("event.converting.failure.handling.mode").as_str() {
                "warn" => ConversionFailure::Warn,
                "skip" => ConversionFailure::Skip,
                _ => ConversionFailure::Fail,
            },
            skipped_operations: parsed
                .list("skipped.operations")
                .unwrap_or_default()
                .iter()
                .map(|op| op.trim().to_ascii_lowercase())
                .filter(|op| op != "none")
                .collect(),
            filters: Filters {
                schemas: regexes(&parsed, "schema.include.list")?,
                tables: regexes(&parsed, "table.include.list")?,
                excluded_tables: regexes(&parsed, "table.exclude.list")?,
                excluded_columns: regexes(&parsed, "column.exclude.list")?,
                message_prefixes: regexes(&parsed, "message.prefix.include.list")?,
                excluded_message_prefixes: regexes(&parsed, "message.prefix.exclude.list")?,
            },
        })
    }

    /// Whether a table is captured.
    pub fn captures_table(&self, schema: &str, table: &str) -> bool {
        let f = &self.filters;
        let full = format!("{schema}.{table}");
        let system = schema == "pg_catalog" || schema == "information_schema" || schema.starts_with("pg_");
        !system
            && (f.schemas.is_empty() || f.schemas.iter().any(|r| r.is_match(schema)))
            && (f.tables.is_empty() || f.tables.iter().any(|r| r.is_match(&full)))
            && !f.excluded_tables.iter().any(|r| r.is_match(&full))
    }

    /// Where a captured table comes in the snapshot, as Debezium orders them: by the first
    /// pattern of `table.include.list` that matches it (then by name).
    pub fn snapshot_rank(&self, schema: &str, table: &str) -> usize {
        let full = format!("{schema}.{table}");
        self.filters.tables.iter().position(|r| r.is_match(&full)).unwrap_or(0)
    }

    /// Whether a column is captured.
    pub fn captures_column(&self, schema: &str, table: &str, column: &str) -> bool {
        let full = format!("{schema}.{table}.{column}");
        !self.filters.excluded_columns.iter().any(|r| r.is_match(&full))
    }

    /// Whether logical decoding messages of this prefix are emitted.
    pub fn captures_message(&self, prefix: &str) -> bool {
        let f = &self.filters;
        (f.message_prefixes.is_empty() || f.message_prefixes.iter().any(|r| r.is_match(prefix)))
            && !f.excluded_message_prefixes.iter().any(|r| r.is_match(prefix))
    }

    /// A libpq-style connection URL for sqlx.
    pub fn url(&self) -> String {
        format!(
            "postgres://{}:{}@{}:{}/{}?sslmode={}",
            encode(&self.user),
            encode(&self.password),
            self.host,
            self.port,
            encode(&self.dbname),
            self.sslmode
        )
    }
}

/// Percent-encodes a URL component.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(extra: &[(&str, &str)]) -> Props {
        let mut p = Props::from([
            ("database.hostname".to_owned(), "127.0.0.1".to_owned()),
            ("database.user".to_owned(), "u".to_owned()),
            ("database.password".to_owned(), "p@ss word".to_owned()),
            ("database.dbname".to_owned(), "db".to_owned()),
            ("topic.prefix".to_owned(), "app".to_owned()),
        ]);
        for (k, v) in extra {
            p.insert(k.to_string(), v.to_string());
        }
        p
    }

    #[test]
    fn defaults_follow_debezium() {
        let c = CdcConfig::parse(&props(&[])).unwrap();
        assert_eq!(
            (c.slot.as_str(), c.publication.as_str(), c.snapshot_mode),
            ("debezium", "dbz_publication", SnapshotMode::Initial)
        );
        assert!(c.tombstones_on_delete);
        assert_eq!(c.representation, Representation::DEFAULT);
        let connect = CdcConfig::parse(&props(&[("time.precision.mode", "connect")])).unwrap();
        assert_eq!(connect.representation.time, TimeMode::Connect);
        assert_eq!(c.url(), "postgres://u:p%40ss%20word@127.0.0.1:5432/db?sslmode=prefer");
    }

    #[test]
    fn filters_are_anchored_regexes() {
        let c = CdcConfig::parse(&props(&[
            ("table.include.list", "public\\.orders.*,inv\\.items"),
            ("column.exclude.list", "public\\.orders\\.secret"),
        ]))
        .unwrap();
        assert!(c.captures_table("public", "orders"));
        assert!(c.captures_table("public", "orders_2024"));
        assert!(!c.captures_table("public", "customers"));
        assert!(c.captures_table("inv", "items"));
        assert!(!c.captures_table("xinv", "items"));
        assert!(!c.captures_column("public", "orders", "secret"));
        assert!(c.captures_column("public", "orders", "id"));
        let schemas = CdcConfig::parse(&props(&[
            ("schema.include.list", "inv"),
            ("table.exclude.list", "inv\\.tmp"),
        ]))
        .unwrap();
        assert!(
            schemas.captures_table("inv", "a")
                && !schemas.captures_table("public", "a")
                && !schemas.captures_table("inv", "tmp")
        );
        assert!(!schemas.captures_table("pg_catalog", "pg_class"));
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(CdcConfig::parse(&props(&[("snapshot.mode", "sometimes")])).is_err());
        assert!(CdcConfig::parse(&props(&[("time.precision.mode", "nanos")])).is_err());
        assert!(CdcConfig::parse(&props(&[("table.include.list", "(")])).is_err());
    }
}
