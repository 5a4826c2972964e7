//! Debezium's change event format: per-table key and value schemas, the `source` block, and
//! the envelope (`before`, `after`, `source`, `op`, `ts_ms`, ...).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use weir_connector_api::{Field, Schema, SchemaType, Value};

use super::decode::Datum;
use super::types::{BinaryMode, PgType, Representation};

pub use super::types::value::UNAVAILABLE;

/// What a value that cannot be converted becomes (`event.converting.failure.handling.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversionFailure {
    /// The task fails, naming the column, its type and the value (Weir's default: no value is
    /// lost silently).
    Fail,
    /// The field is null, and a warning is logged (Debezium's default).
    Warn,
    /// The field is null.
    Skip,
}

/// A captured column.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnInfo {
    /// Its position in the row as Postgres sends it.
    pub position: usize,
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: PgType,
    /// Whether it may be NULL.
    pub optional: bool,
    /// Its place in the key (the primary key, else the first unique index), if it is in it.
    pub key: Option<usize>,
    /// Its default, as Debezium puts it in schemas.
    pub default: Option<Value>,
}

/// A captured table: its topic, columns and schemas.
#[derive(Clone, Debug)]
pub struct TableInfo {
    /// The schema (namespace).
    pub schema: String,
    /// The table name.
    pub table: String,
    /// `<prefix>.<schema>.<table>`.
    pub topic: String,
    /// Captured columns.
    pub columns: Vec<ColumnInfo>,
    /// Every column's name, captured or not, in the order rows carry them.
    all_columns: Vec<String>,
    /// Whether old rows come whole (REPLICA IDENTITY FULL) rather than as their key.
    pub full_old_rows: bool,
    representation: Representation,
    on_failure: ConversionFailure,
    key_schema: Option<Arc<Schema>>,
    value_schema: Schema,
    envelope_schema: Arc<Schema>,
}

/// Where and when a change happened, for the `source` block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourcePosition {
    /// Commit time, microseconds since the epoch.
    pub ts_us: i64,
    /// `true`, `first`, `last`, ... or `false`.
    pub snapshot: &'static str,
    /// Transaction id.
    pub tx_id: Option<i64>,
    /// The change's LSN.
    pub lsn: Option<i64>,
    /// The end LSN of the last completed transaction, for `sequence`.
    pub last_commit_lsn: Option<i64>,
    /// The replication origin the transaction was replayed under: its name and commit LSN there.
    pub origin: Option<(String, i64)>,
}

/// The `source` block's schema.
fn source_schema() -> Schema {
    let s = |name: &str| Field::new(name, Schema::string());
    let optional = |name: &str, kind: SchemaType| Field::new(name, Schema::new(kind).optional());
    Schema::struct_of(vec![
        s("version"),
        s("connector"),
        s("name"),
        Field::new("ts_ms", Schema::new(SchemaType::Int64)),
        Field::new(
            "snapshot",
            Schema::string()
                .optional()
                .named("io.debezium.data.Enum")
                .versioned(1)
                .with_parameter(
                    "allowed",
                    "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
                )
                .with_default(Value::from("false")),
        ),
        s("db"),
        optional("sequence", SchemaType::String),
        optional("ts_us", SchemaType::Int64),
        optional("ts_ns", SchemaType::Int64),
        s("schema"),
        s("table"),
        optional("txId", SchemaType::Int64),
        optional("lsn", SchemaType::Int64),
        optional("xmin", SchemaType::Int64),
        optional("origin", SchemaType::String),
        optional("origin_lsn", SchemaType::Int64),
    ])
    .named("io.debezium.connector.postgresql.Source")
    .versioned(1)
}

/// The `source` block of an event of a table (or of no table: empty names).
fn source_value(prefix: &str, db: &str, schema: &str, table: &str, at: &SourcePosition) -> Value {
    let sequence = at.lsn.map(|lsn| {
        format!(
            "[{},\"{lsn}\"]",
            at.last_commit_lsn.map_or("null".into(), |c| format!("\"{c}\""))
        )
    });
    let optional = |v: Option<i64>| v.map_or(Value::Null, Value::Int64);
    Value::Struct(vec![
        (
            "version".into(),
            Value::from(concat!("weir-", env!("CARGO_PKG_VERSION"))),
        ),
        ("connector".into(), Value::from("postgresql")),
        ("name".into(), Value::from(prefix)),
        ("ts_ms".into(), Value::Int64(at.ts_us.div_euclid(1000))),
        ("snapshot".into(), Value::from(at.snapshot)),
        ("db".into(), Value::from(db)),
        ("sequence".into(), sequence.map_or(Value::Null, Value::String)),
        ("ts_us".into(), Value::Int64(at.ts_us)),
        ("ts_ns".into(), Value::Int64(at.ts_us.saturating_mul(1000))),
        ("schema".into(), Value::from(schema)),
        ("table".into(), Value::from(table)),
        ("txId".into(), optional(at.tx_id)),
        ("lsn".into(), optional(at.lsn)),
        ("xmin".into(), Value::Null),
        (
            "origin".into(),
            at.origin
                .as_ref()
                .map_or(Value::Null, |(name, _)| Value::from(name.as_str())),
        ),
        (
            "origin_lsn".into(),
            at.origin.as_ref().map_or(Value::Null, |(_, lsn)| Value::Int64(*lsn)),
        ),
    ])
}

/// A logical decoding message (`pg_logical_emit_message`) as Debezium's event on
/// `<prefix>.message`: its key and value schemas, then its key and value.
pub fn message_event(
    prefix: &str,
    db: &str,
    message_prefix: &str,
    content: Value,
    binary: BinaryMode,
    at: &SourcePosition,
) -> (Schema, Value, Schema, Value) {
    let key_schema = Schema::struct_of(vec![Field::new("prefix", Schema::string().optional())])
        .named("io.debezium.connector.postgresql.MessageKey")
        .versioned(1);
    let message_schema = Schema::struct_of(vec![
        Field::new("prefix", Schema::string().optional()),
        Field::new("content", binary.schema().optional()),
    ])
    .named("io.debezium.connector.postgresql.Message")
    .versioned(1);
    let value_schema = Schema::struct_of(vec![
        Field::new("op", Schema::string()),
        Field::new("ts_ms", Schema::new(SchemaType::Int64).optional()),
        Field::new("source", source_schema()),
        Field::new("transaction", transaction_schema()),
        Field::new("message", message_schema),
    ])
    .named("io.debezium.connector.postgresql.MessageValue")
    .versioned(1);
    let key = Value::Struct(vec![("prefix".into(), Value::from(message_prefix))]);
    let value = Value::Struct(vec![
        ("op".into(), Value::from("m")),
        ("ts_ms".into(), Value::Int64(now_micros() / 1000)),
        ("source".into(), source_value(prefix, db, "", "", at)),
        ("transaction".into(), Value::Null),
        (
            "message".into(),
            Value::Struct(vec![
                ("prefix".into(), Value::from(message_prefix)),
                ("content".into(), content),
            ]),
        ),
    ]);
    (key_schema, key, value_schema, value)
}

/// The `transaction` block's schema (always null here: transaction metadata is not emitted).
fn transaction_schema() -> Schema {
    Schema::struct_of(vec![
        Field::new("id", Schema::string()),
        Field::new("total_order", Schema::new(SchemaType::Int64)),
        Field::new("data_collection_order", Schema::new(SchemaType::Int64)),
    ])
    .optional()
    .named("event.block")
    .versioned(1)
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

impl TableInfo {
    /// The schemas of a table's events.
    pub fn new(
        prefix: &str,
        schema: &str,
        table: &str,
        all_columns: Vec<String>,
        columns: Vec<ColumnInfo>,
        representation: Representation,
        on_failure: ConversionFailure,
    ) -> Self {
        let topic = format!("{prefix}.{schema}.{table}");
        let field = |c: &ColumnInfo| {
            let schema = c.ty.schema(&representation, c.optional);
            let schema = match &c.default {
                Some(default) => schema.with_default(default.clone()),
                None => schema,
            };
            Field::new(&c.name, schema)
        };
        let mut keys: Vec<&ColumnInfo> = columns.iter().filter(|c| c.key.is_some()).collect();
        keys.sort_by_key(|c| c.key);
        let key_schema = (!keys.is_empty())
            .then(|| Arc::new(Schema::struct_of(keys.into_iter().map(field).collect()).named(format!("{topic}.Key"))));
        let value_schema = Schema::struct_of(columns.iter().map(field).collect())
            .optional()
            .named(format!("{topic}.Value"));
        let int64 = |name: &str| Field::new(name, Schema::new(SchemaType::Int64).optional());
        let envelope_schema = Schema::struct_of(vec![
            Field::new("before", value_schema.clone()),
            Field::new("after", value_schema.clone()),
            Field::new("source", source_schema()),
            Field::new("transaction", transaction_schema()),
            Field::new("op", Schema::string()),
            int64("ts_ms"),
            int64("ts_us"),
            int64("ts_ns"),
        ])
        .named(format!("{topic}.Envelope"))
        .versioned(2);
        TableInfo {
            schema: schema.to_owned(),
            table: table.to_owned(),
            topic,
            columns,
            all_columns,
            full_old_rows: false,
            representation,
            on_failure,
            key_schema,
            value_schema,
            envelope_schema: Arc::new(envelope_schema),
        }
    }

    /// Every column's name, in row order.
    pub fn all_columns(&self) -> &[String] {
        &self.all_columns
    }

    /// The key schema; `None` for a table without a primary key or unique index.
    pub fn key_schema(&self) -> Option<&Arc<Schema>> {
        self.key_schema.as_ref()
    }

    /// The envelope schema.
    pub fn envelope_schema(&self) -> &Arc<Schema> {
        &self.envelope_schema
    }

    /// The value schema (a row).
    pub fn value_schema(&self) -> &Schema {
        &self.value_schema
    }

    /// A column's value; one that cannot be converted fails, or is null, as
    /// `event.converting.failure.handling.mode` says.
    fn cell(&self, column: &ColumnInfo, datum: &Datum) -> Result<Value, String> {
        let text = match datum {
            Datum::Null if column.optional => return Ok(Value::Null),
            // A required column sent without a value: the old row of an update or delete under
            // REPLICA IDENTITY DEFAULT holds only the key.
            Datum::Null => {
                return Ok(column
                    .default
                    .clone()
                    .unwrap_or_else(|| column.ty.fallback(&self.representation)));
            }
            Datum::Unchanged => return Ok(column.ty.unavailable(&self.representation)),
            Datum::Text(text) => text,
        };
        match column.ty.value(text, &self.representation) {
            Ok(value) => Ok(value),
            Err(reason) => {
                let message = format!(
                    "{}.{} column {} ({:?}): {reason}",
                    self.schema, self.table, column.name, column.ty
                );
                match self.on_failure {
                    ConversionFailure::Fail => Err(message),
                    ConversionFailure::Warn => {
                        tracing::warn!("{message}; the field is null (event.converting.failure.handling.mode=warn)");
                        Ok(Value::Null)
                    }
                    ConversionFailure::Skip => Ok(Value::Null),
                }
            }
        }
    }

    /// A row (the `before` or `after` struct) from the datums of all of the table's columns.
    pub fn row(&self, datums: &[Datum]) -> Result<Value, String> {
        self.columns
            .iter()
            .map(|c| {
                Ok((
                    c.name.clone(),
                    self.cell(c, datums.get(c.position).unwrap_or(&Datum::Null))?,
                ))
            })
            .collect::<Result<_, String>>()
            .map(Value::Struct)
    }

    /// The key struct of a row value; null for a table without a key.
    pub fn key_of(&self, row: &Value) -> Value {
        let Some(schema) = &self.key_schema else {
            return Value::Null;
        };
        Value::Struct(
            schema
                .fields
                .iter()
                .map(|f| (f.name.clone(), row.field(&f.name).cloned().unwrap_or(Value::Null)))
                .collect(),
        )
    }

    /// An envelope value.
    pub fn envelope(
        &self,
        prefix: &str,
        db: &str,
        op: &str,
        before: Value,
        after: Value,
        at: &SourcePosition,
    ) -> Value {
        let now = now_micros();
        let source = source_value(prefix, db, &self.schema, &self.table, at);
        Value::Struct(vec![
            ("before".into(), before),
            ("after".into(), after),
            ("source".into(), source),
            ("transaction".into(), Value::Null),
            ("op".into(), Value::from(op)),
            ("ts_ms".into(), Value::Int64(now / 1000)),
            ("ts_us".into(), Value::Int64(now)),
            ("ts_ns".into(), Value::Int64(now.saturating_mul(1000))),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(position: usize, name: &str, ty: PgType, optional: bool, key: Option<usize>) -> ColumnInfo {
        ColumnInfo {
            position,
            name: name.into(),
            ty,
            optional,
            key,
            default: None,
        }
    }

    fn table(columns: Vec<ColumnInfo>) -> TableInfo {
        let names = columns.iter().map(|c| c.name.clone()).collect();
        TableInfo::new(
            "app",
            "public",
            "items",
            names,
            columns,
            Representation::DEFAULT,
            ConversionFailure::Fail,
        )
    }

    fn items() -> TableInfo {
        table(vec![
            column(0, "id", PgType::Int4, false, Some(0)),
            column(1, "body", PgType::Text, true, None),
        ])
    }

    #[test]
    fn schemas_are_named_as_debezium_names_them() {
        let t = items();
        assert_eq!(t.topic, "app.public.items");
        assert_eq!(
            t.key_schema().and_then(|s| s.name.as_deref()),
            Some("app.public.items.Key")
        );
        let envelope = t.envelope_schema();
        assert_eq!(
            (envelope.name.as_deref(), envelope.version),
            (Some("app.public.items.Envelope"), Some(2))
        );
        let names: Vec<&str> = envelope.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "before",
                "after",
                "source",
                "transaction",
                "op",
                "ts_ms",
                "ts_us",
                "ts_ns"
            ]
        );
        assert_eq!(envelope.field("before").map(|f| f.schema.optional), Some(true));
        assert_eq!(
            envelope.field("source").and_then(|f| f.schema.name.as_deref()),
            Some("io.debezium.connector.postgresql.Source")
        );
    }

    #[test]
    fn keys_follow_the_key_order_and_required_columns_get_defaults_or_fallbacks() {
        let mut with_default = column(2, "d", PgType::Int4, false, None);
        with_default.default = Some(Value::Int32(7));
        let t = table(vec![
            column(0, "b", PgType::Int4, false, Some(1)),
            column(1, "a", PgType::Int4, false, Some(0)),
            with_default,
            column(3, "n", PgType::Int4, false, None),
            column(4, "o", PgType::Int4, true, None),
        ]);
        let key: Vec<&str> = t.key_schema().unwrap().fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(key, ["a", "b"]);
        let text = |s: &str| Datum::Text(s.into());
        let row = t
            .row(&[text("1"), text("2"), Datum::Null, Datum::Null, Datum::Null])
            .unwrap();
        assert_eq!(
            row,
            Value::Struct(vec![
                ("b".into(), Value::Int32(1)),
                ("a".into(), Value::Int32(2)),
                ("d".into(), Value::Int32(7)),
                ("n".into(), Value::Int32(0)),
                ("o".into(), Value::Null)
            ])
        );
        assert_eq!(
            t.key_of(&row),
            Value::Struct(vec![("a".into(), Value::Int32(2)), ("b".into(), Value::Int32(1))])
        );
        assert_eq!(
            t.value_schema().field("d").and_then(|f| f.schema.default.clone()),
            Some(Value::Int32(7))
        );
    }

    #[test]
    fn unchanged_toast_and_failures() {
        let t = items();
        let row = t.row(&[Datum::Text("7".into()), Datum::Unchanged]).unwrap();
        assert_eq!(
            row,
            Value::Struct(vec![
                ("id".into(), Value::Int32(7)),
                ("body".into(), Value::from(UNAVAILABLE))
            ])
        );
        let error = t.row(&[Datum::Text("x".into()), Datum::Null]).unwrap_err();
        assert!(error.contains("column id"), "{error}");
        let at = SourcePosition {
            ts_us: 1_500_000,
            snapshot: "false",
            tx_id: Some(9),
            lsn: Some(100),
            last_commit_lsn: Some(90),
            origin: None,
        };
        let event = t.envelope("app", "db", "c", Value::Null, row, &at);
        let source = event.field("source").unwrap();
        assert_eq!(source.field("ts_ms"), Some(&Value::Int64(1500)));
        assert_eq!(source.field("sequence"), Some(&Value::from("[\"90\",\"100\"]")));
        assert_eq!(event.field("op"), Some(&Value::from("c")));
    }
}
