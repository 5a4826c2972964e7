//! Debezium's change event format: per-table key and value schemas, the `source` block, and
//! the envelope (`before`, `after`, `source`, `op`, `ts_ms`, ...).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use weir_connector_api::{Field, Schema, SchemaType, Value};

use super::decode::Datum;
use super::types::{PgType, Representation};

/// What Debezium writes for a TOASTed value that did not change and was not sent.
pub const UNAVAILABLE: &str = "__debezium_unavailable_value";

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
    /// Whether it is part of the primary key.
    pub key: bool,
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
    key_schema: Option<Arc<Schema>>,
    value_schema: Schema,
    envelope_schema: Arc<Schema>,
}

/// Where and when a change happened, for the `source` block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourcePosition {
    /// Commit time, microseconds since the epoch.
    pub ts_us: i64,
    /// `true`, `last` or `false`.
    pub snapshot: &'static str,
    /// Transaction id.
    pub tx_id: Option<i64>,
    /// The change's LSN.
    pub lsn: Option<i64>,
    /// The commit LSN of the last completed transaction, for `sequence`.
    pub last_commit_lsn: Option<i64>,
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
                ),
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
    ])
    .named("io.debezium.connector.postgresql.Source")
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
    ) -> Self {
        let topic = format!("{prefix}.{schema}.{table}");
        let field = |c: &ColumnInfo| Field::new(&c.name, c.ty.schema(representation, c.optional));
        let keys: Vec<Field> = columns.iter().filter(|c| c.key).map(field).collect();
        let key_schema = (!keys.is_empty()).then(|| Arc::new(Schema::struct_of(keys).named(format!("{topic}.Key"))));
        let value_schema = Schema::struct_of(columns.iter().map(field).collect())
            .optional()
            .named(format!("{topic}.Value"));
        let int64 = |name: &str| Field::new(name, Schema::new(SchemaType::Int64).optional());
        let envelope_schema = Schema::struct_of(vec![
            Field::new("before", value_schema.clone()),
            Field::new("after", value_schema.clone()),
            Field::new("source", source_schema()),
            Field::new("op", Schema::string()),
            int64("ts_ms"),
            int64("ts_us"),
            int64("ts_ns"),
            Field::new("transaction", transaction_schema()),
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
            key_schema,
            value_schema,
            envelope_schema: Arc::new(envelope_schema),
        }
    }

    /// Every column's name, in row order.
    pub fn all_columns(&self) -> &[String] {
        &self.all_columns
    }

    /// The key schema; `None` for a table without a primary key.
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

    fn cell(&self, column: &ColumnInfo, datum: &Datum) -> Result<Value, String> {
        match datum {
            Datum::Null => Ok(Value::Null),
            Datum::Text(text) => column
                .ty
                .value(text, self.representation)
                .map_err(|e| format!("column {}: {e}", column.name)),
            Datum::Unchanged => Ok(match column.ty.schema(self.representation, true).kind {
                SchemaType::String => Value::String(UNAVAILABLE.into()),
                SchemaType::Bytes => Value::Bytes(UNAVAILABLE.as_bytes().to_vec()),
                SchemaType::Array => Value::Array(vec![Value::String(UNAVAILABLE.into())]),
                _ => Value::Null,
            }),
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

    /// A row from an old tuple holding only the key columns: the other columns are null, or
    /// their type's zero when the schema requires a value.
    pub fn key_only_row(&self, datums: &[Datum]) -> Result<Value, String> {
        self.columns
            .iter()
            .map(|c| {
                let value = match datums.get(c.position).unwrap_or(&Datum::Null) {
                    Datum::Null if !c.key && !c.optional => c.ty.zero(self.representation),
                    datum => self.cell(c, datum)?,
                };
                Ok((c.name.clone(), value))
            })
            .collect::<Result<_, String>>()
            .map(Value::Struct)
    }

    /// The key struct of a row value, for a table with a primary key.
    pub fn key_of(&self, row: &Value) -> Value {
        if self.key_schema.is_none() {
            return Value::Null;
        }
        Value::Struct(
            self.columns
                .iter()
                .filter(|c| c.key)
                .map(|c| (c.name.clone(), row.field(&c.name).cloned().unwrap_or(Value::Null)))
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
        let sequence = at.lsn.map(|lsn| {
            format!(
                "[{},\"{lsn}\"]",
                at.last_commit_lsn.map_or("null".into(), |c| format!("\"{c}\""))
            )
        });
        let optional = |v: Option<i64>| v.map_or(Value::Null, Value::Int64);
        let source = Value::Struct(vec![
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
            ("schema".into(), Value::from(self.schema.as_str())),
            ("table".into(), Value::from(self.table.as_str())),
            ("txId".into(), optional(at.tx_id)),
            ("lsn".into(), optional(at.lsn)),
            ("xmin".into(), Value::Null),
        ]);
        Value::Struct(vec![
            ("before".into(), before),
            ("after".into(), after),
            ("source".into(), source),
            ("op".into(), Value::from(op)),
            ("ts_ms".into(), Value::Int64(now / 1000)),
            ("ts_us".into(), Value::Int64(now)),
            ("ts_ns".into(), Value::Int64(now.saturating_mul(1000))),
            ("transaction".into(), Value::Null),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> TableInfo {
        let col = |position, name: &str, ty, optional, key| ColumnInfo {
            position,
            name: name.into(),
            ty,
            optional,
            key,
        };
        TableInfo::new(
            "app",
            "public",
            "items",
            vec!["id".into(), "body".into()],
            vec![
                col(0, "id", PgType::Int4, false, true),
                col(1, "body", PgType::Text, true, false),
            ],
            Representation::DEFAULT,
        )
    }

    #[test]
    fn schemas_are_named_as_debezium_names_them() {
        let t = table();
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
                "op",
                "ts_ms",
                "ts_us",
                "ts_ns",
                "transaction"
            ]
        );
        assert_eq!(envelope.field("before").map(|f| f.schema.optional), Some(true));
        assert_eq!(
            envelope.field("source").and_then(|f| f.schema.name.as_deref()),
            Some("io.debezium.connector.postgresql.Source")
        );
    }

    #[test]
    fn key_only_rows_fill_required_columns() {
        let col = |position, name: &str, optional, key| ColumnInfo {
            position,
            name: name.into(),
            ty: PgType::Int4,
            optional,
            key,
        };
        let t = TableInfo::new(
            "app",
            "s",
            "t",
            vec!["id".into(), "n".into(), "o".into()],
            vec![
                col(0, "id", false, true),
                col(1, "n", false, false),
                col(2, "o", true, false),
            ],
            Representation::DEFAULT,
        );
        let row = t
            .key_only_row(&[Datum::Text("4".into()), Datum::Null, Datum::Null])
            .unwrap();
        assert_eq!(
            row,
            Value::Struct(vec![
                ("id".into(), Value::Int32(4)),
                ("n".into(), Value::Int32(0)),
                ("o".into(), Value::Null)
            ])
        );
    }

    #[test]
    fn rows_keys_and_unchanged_toast() {
        let t = table();
        let row = t.row(&[Datum::Text("7".into()), Datum::Unchanged]).unwrap();
        assert_eq!(
            row,
            Value::Struct(vec![
                ("id".into(), Value::Int32(7)),
                ("body".into(), Value::from(UNAVAILABLE))
            ])
        );
        assert_eq!(t.key_of(&row), Value::Struct(vec![("id".into(), Value::Int32(7))]));
        let at = SourcePosition {
            ts_us: 1_500_000,
            snapshot: "false",
            tx_id: Some(9),
            lsn: Some(100),
            last_commit_lsn: Some(90),
        };
        let event = t.envelope("app", "db", "c", Value::Null, row, &at);
        let source = event.field("source").unwrap();
        assert_eq!(source.field("ts_ms"), Some(&Value::Int64(1500)));
        assert_eq!(source.field("sequence"), Some(&Value::from("[\"90\",\"100\"]")));
        assert_eq!(event.field("op"), Some(&Value::from("c")));
    }
}
