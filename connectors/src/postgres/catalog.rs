//! What the connector asks of the database over a plain SQL connection: the tables it captures
//! and their columns, types, publication and slot state, and the server checks of `validate`.

use std::collections::HashMap;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, Row};
use weir_connector_api::ConnectError;

use super::config::{CdcConfig, PublicationMode};
use super::envelope::{ColumnInfo, TableInfo};
use super::types::defaults::schema_default;
use super::types::{PgType, builtin, extension};

/// A column as the catalog describes it.
struct CatalogColumn {
    name: String,
    type_oid: u32,
    modifier: i32,
    /// NOT NULL, on the column or its domain.
    not_null: bool,
    /// Its default expression.
    default: Option<String>,
    /// Whether its type is a domain.
    domain: bool,
}

/// A type as `pg_type` describes it.
struct TypeRow {
    name: String,
    kind: String,
    category: String,
    element: u32,
    base: u32,
    base_modifier: i32,
    labels: Vec<String>,
}

/// Turns a database error into a connector error; connection failures are retriable.
pub fn sql_error(context: &str, e: sqlx::Error) -> ConnectError {
    let restarting = match &e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) => true,
        // The server shutting down or restarting (57P01-57P03), or a connection exception (08).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    };
    if restarting {
        ConnectError::Retriable(format!("{context}: {e}"))
    } else {
        ConnectError::Fatal(format!("{context}: {e}"))
    }
}

/// Session settings that fix the text formats of values (see the `types` module).
pub const SESSION_OPTIONS: [(&str, &str); 4] = [
    ("datestyle", "ISO"),
    ("intervalstyle", "iso_8601"),
    ("timezone", "UTC"),
    ("extra_float_digits", "3"),
];

/// Opens a SQL connection with [`SESSION_OPTIONS`].
pub async fn connect(config: &CdcConfig) -> Result<PgConnection, ConnectError> {
    let options = PgConnectOptions::from_str(&config.url())
        .map_err(|e| ConnectError::Config(format!("connection settings: {e}")))?
        .options(SESSION_OPTIONS);
    PgConnection::connect_with(&options).await.map_err(|e| {
        sql_error(
            &format!("connecting to {}:{}/{}", config.host, config.port, config.dbname),
            e,
        )
    })
}

/// Quotes an identifier.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// A catalog reader with a cache of resolved types.
pub struct Catalog {
    conn: PgConnection,
    types: HashMap<(u32, i32), PgType>,
}

impl Catalog {
    /// Connects.
    pub async fn connect(config: &CdcConfig) -> Result<Self, ConnectError> {
        Ok(Catalog {
            conn: connect(config).await?,
            types: HashMap::new(),
        })
    }

    /// The connection, for statements of the caller's own.
    pub fn connection(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// The captured tables, `(schema, table)`, in the order the snapshot reads them: by the
    /// first pattern of the include list that matches, then by name (as Java compares them).
    pub async fn captured_tables(&mut self, config: &CdcConfig) -> Result<Vec<(String, String)>, ConnectError> {
        let rows = sqlx::query(
            "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY n.nspname::text COLLATE \"C\", c.relname::text COLLATE \"C\"",
        )
        .fetch_all(&mut self.conn)
        .await
        .map_err(|e| sql_error("listing tables", e))?;
        let mut tables: Vec<(String, String)> = rows
            .iter()
            .filter_map(|r| Some((r.try_get::<String, _>(0).ok()?, r.try_get::<String, _>(1).ok()?)))
            .filter(|(s, t)| config.captures_table(s, t))
            .collect();
        tables.sort_by_key(|(s, t)| config.snapshot_rank(s, t));
        Ok(tables)
    }

    async fn columns(&mut self, schema: &str, table: &str) -> Result<Vec<CatalogColumn>, ConnectError> {
        let rows = sqlx::query(
            "SELECT a.attname::text, a.atttypid::int8, a.atttypmod, a.attnotnull OR t.typnotnull, \
                    pg_get_expr(d.adbin, d.adrelid), t.typtype = 'd' \
             FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        )
        .bind(schema.to_owned())
        .bind(table.to_owned())
        .fetch_all(&mut self.conn)
        .await
        .map_err(|e| sql_error(&format!("reading the columns of {schema}.{table}"), e))?;
        rows.iter()
            .map(|r| {
                Ok(CatalogColumn {
                    name: r.try_get(0)?,
                    type_oid: r.try_get::<i64, _>(1)? as u32,
                    modifier: r.try_get(2)?,
                    not_null: r.try_get(3)?,
                    default: r.try_get(4)?,
                    domain: r.try_get(5)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| sql_error("reading columns", e))
    }

    /// The columns of a table's key, in key order: its primary key, else its first unique index
    /// by name (as Debezium picks it through JDBC).
    async fn key_columns(&mut self, schema: &str, table: &str) -> Result<Vec<String>, ConnectError> {
        sqlx::query_scalar(
            "SELECT a.attname::text FROM ( \
                 SELECT i.indkey::int2[] AS cols FROM pg_index i \
                 JOIN pg_class ic ON ic.oid = i.indexrelid \
                 JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2 AND i.indisunique AND i.indexprs IS NULL \
                 ORDER BY i.indisprimary DESC, ic.relname LIMIT 1) k \
             CROSS JOIN LATERAL unnest(k.cols) WITH ORDINALITY AS u(attnum, ord) \
             JOIN pg_attribute a ON a.attnum = u.attnum \
             JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relname = $2 ORDER BY u.ord",
        )
        .bind(schema.to_owned())
        .bind(table.to_owned())
        .fetch_all(&mut self.conn)
        .await
        .map_err(|e| sql_error(&format!("reading the key of {schema}.{table}"), e))
    }

    /// Describes a type the built-in table does not know.
    async fn describe_type(&mut self, oid: u32) -> Result<Option<TypeRow>, ConnectError> {
        let row = sqlx::query(
            "SELECT t.typname::text, t.typtype::text, t.typcategory::text, t.typelem::int8, t.typbasetype::int8, \
                    t.typtypmod, \
                    ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) \
             FROM pg_type t WHERE t.oid = $1",
        )
        .bind(i64::from(oid))
        .fetch_optional(&mut self.conn)
        .await
        .map_err(|e| sql_error("reading a type", e))?;
        let Some(row) = row else { return Ok(None) };
        let get = || -> Result<_, sqlx::Error> {
            Ok(TypeRow {
                name: row.try_get(0)?,
                kind: row.try_get(1)?,
                category: row.try_get(2)?,
                element: row.try_get::<i64, _>(3)? as u32,
                base: row.try_get::<i64, _>(4)? as u32,
                base_modifier: row.try_get(5)?,
                labels: row.try_get(6)?,
            })
        };
        get().map(Some).map_err(|e| sql_error("reading a type", e))
    }

    /// The type of a column: built-in, an extension's (hstore, ltree, citext), an enum, a domain
    /// (as its base type), or an array of any of these; anything else is [`PgType::Unknown`].
    pub fn resolve(
        &mut self,
        oid: u32,
        modifier: i32,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<PgType, ConnectError>> + Send + '_>> {
        Box::pin(async move {
            if let Some(t) = builtin(oid, modifier) {
                return Ok(t);
            }
            if let Some(t) = self.types.get(&(oid, modifier)) {
                return Ok(t.clone());
            }
            let resolved = match self.describe_type(oid).await? {
                None => PgType::Unknown,
                Some(t) if t.kind == "e" => PgType::Enum(t.labels),
                Some(t) if t.kind == "d" => {
                    let modifier = if t.base_modifier >= 0 {
                        t.base_modifier
                    } else {
                        modifier
                    };
                    self.resolve(t.base, modifier).await?
                }
                Some(t) if t.category == "A" && t.element != 0 => {
                    // Arrays of domains and of composite types have no element mapping.
                    let element = match self.describe_type(t.element).await? {
                        Some(e) if e.kind == "d" || e.kind == "c" => PgType::Unknown,
                        _ => self.resolve(t.element, modifier).await?,
                    };
                    PgType::Array(Box::new(element))
                }
                Some(t) if t.kind == "b" => extension(&t.name).unwrap_or(PgType::Unknown),
                Some(_) => PgType::Unknown,
            };
            self.types.insert((oid, modifier), resolved.clone());
            Ok(resolved)
        })
    }

    /// A table's captured columns and schemas. `sent` lists the columns in the order Postgres
    /// sends them (a Relation message's), when known; otherwise the catalog's order is used.
    pub async fn table_info(
        &mut self,
        config: &CdcConfig,
        schema: &str,
        table: &str,
        sent: Option<&[(String, u32, i32)]>,
    ) -> Result<TableInfo, ConnectError> {
        let catalog = self.columns(schema, table).await?;
        let key = self.key_columns(schema, table).await?;
        let order: Vec<(String, u32, i32)> = match sent {
            Some(sent) => sent.to_vec(),
            None => catalog
                .iter()
                .map(|c| (c.name.clone(), c.type_oid, c.modifier))
                .collect(),
        };
        let all_columns = order.iter().map(|(name, _, _)| name.clone()).collect();
        let repr = &config.representation;
        let mut columns = Vec::new();
        let mut left_out = Vec::new();
        for (position, (name, oid, modifier)) in order.into_iter().enumerate() {
            if !config.captures_column(schema, table, &name) {
                continue;
            }
            let known = catalog.iter().find(|c| c.name == name);
            let ty = self.resolve(oid, modifier).await?;
            if !ty.captured(repr) {
                left_out.push(name);
                continue;
            }
            let default = known.and_then(|c| {
                let expression = c.default.as_deref()?;
                schema_default(&ty, c.domain, expression, repr)
            });
            columns.push(ColumnInfo {
                position,
                optional: !known.is_some_and(|c| c.not_null),
                key: key.iter().position(|k| *k == name),
                default,
                ty,
                name,
            });
        }
        if !left_out.is_empty() {
            tracing::warn!(
                table = %format!("{schema}.{table}"),
                columns = ?left_out,
                "columns of types without a mapping are left out; include.unknown.datatypes=true captures them as their text"
            );
        }
        Ok(TableInfo::new(
            &config.topic_prefix,
            schema,
            table,
            all_columns,
            columns,
            config.representation,
            config.on_conversion_failure,
        ))
    }

    /// Creates or updates the publication as `publication.autocreate.mode` says.
    pub async fn ensure_publication(&mut self, config: &CdcConfig) -> Result<(), ConnectError> {
        let exists = sqlx::query("SELECT 1 FROM pg_publication WHERE pubname = $1")
            .bind(config.publication.clone())
            .fetch_optional(&mut self.conn)
            .await
            .map_err(|e| sql_error("reading publications", e))?
            .is_some();
        let name = quote(&config.publication);
        let with = if config.publish_via_partition_root {
            " WITH (publish_via_partition_root = true)"
        } else {
            ""
        };
        let statement = match (config.publication_mode, exists) {
            (PublicationMode::Disabled, false) => {
                return Err(ConnectError::Config(format!(
                    "publication {} does not exist and publication.autocreate.mode is disabled",
                    config.publication
                )));
            }
            (PublicationMode::Disabled, true) | (PublicationMode::AllTables, true) => return Ok(()),
            (PublicationMode::AllTables, false) => format!("CREATE PUBLICATION {name} FOR ALL TABLES{with}"),
            (PublicationMode::Filtered, exists) => {
                let tables = self.captured_tables(config).await?;
                if tables.is_empty() {
                    return Err(ConnectError::Config(
                        "no table matches the include and exclude lists".into(),
                    ));
                }
                let list: Vec<String> = tables
                    .iter()
                    .map(|(s, t)| format!("{}.{}", quote(s), quote(t)))
                    .collect();
                let list = list.join(", ");
                if exists {
                    format!("ALTER PUBLICATION {name} SET TABLE {list}")
                } else {
                    format!("CREATE PUBLICATION {name} FOR TABLE {list}{with}")
                }
            }
        };
        tracing::info!(publication = %config.publication, %statement, "setting up the publication");
        let mut statements = vec![statement];
        if exists {
            statements.push(format!(
                "ALTER PUBLICATION {name} SET (publish_via_partition_root = {})",
                config.publish_via_partition_root
            ));
        }
        for statement in statements {
            sqlx::query(&statement)
                .persistent(false)
                .execute(&mut self.conn)
                .await
                .map_err(|e| sql_error("setting up the publication", e))?;
        }
        Ok(())
    }

    /// The slot's confirmed flush LSN, or `None` when the slot does not exist.
    pub async fn slot_position(&mut self, slot: &str) -> Result<Option<i64>, ConnectError> {
        let row = sqlx::query(
            "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::int8 FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()",
        )
        .bind(slot.to_owned())
        .fetch_optional(&mut self.conn)
        .await
        .map_err(|e| sql_error("reading the replication slot", e))?;
        Ok(row.and_then(|r| r.try_get::<Option<i64>, _>(0).ok().flatten()))
    }

    /// Drops the slot.
    pub async fn drop_slot(&mut self, slot: &str) -> Result<(), ConnectError> {
        sqlx::query("SELECT pg_drop_replication_slot($1)")
            .bind(slot.to_owned())
            .execute(&mut self.conn)
            .await
            .map_err(|e| sql_error("dropping the replication slot", e))?;
        Ok(())
    }
}

/// Checks the server for `validate`: reachable, `wal_level=logical`, the user may replicate,
/// the included tables exist. Returns `(key, error)` pairs.
pub async fn check_server(config: &CdcConfig) -> Vec<(&'static str, String)> {
    let mut catalog = match Catalog::connect(config).await {
        Ok(c) => c,
        Err(e) if e.to_string().contains("password authentication failed") => {
            return vec![("database.password", e.to_string())];
        }
        Err(e) if e.to_string().contains("does not exist") => return vec![("database.dbname", e.to_string())],
        Err(e) => return vec![("database.hostname", e.to_string())],
    };
    let mut errors = Vec::new();
    let wal_level: Result<String, _> = sqlx::query_scalar("SHOW wal_level")
        .fetch_one(catalog.connection())
        .await;
    match wal_level {
        Ok(level) if level == "logical" => {}
        Ok(level) => errors.push((
            "database.hostname",
            format!("the server's wal_level is {level}; logical replication needs wal_level=logical"),
        )),
        Err(e) => errors.push(("database.hostname", format!("cannot read wal_level: {e}"))),
    }
    let may_replicate: Result<bool, _> =
        sqlx::query_scalar("SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(catalog.connection())
            .await;
    if !matches!(may_replicate, Ok(true)) {
        errors.push((
            "database.user",
            format!(
                "user {} has neither the REPLICATION attribute nor superuser",
                config.user
            ),
        ));
    }
    match catalog.captured_tables(config).await {
        Ok(tables) if tables.is_empty() => errors.push((
            "table.include.list",
            "no table of the database matches the include and exclude lists".into(),
        )),
        Ok(_) => {}
        Err(e) => errors.push(("database.dbname", e.to_string())),
    }
    errors
}
