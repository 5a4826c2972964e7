//! The initial snapshot: every captured table read in one repeatable-read transaction (the
//! slot's exported snapshot when the slot was just created), through a cursor, a bounded batch
//! at a time.

use std::collections::VecDeque;

use futures::TryStreamExt;
use std::sync::Arc;

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row, ValueRef};
use weir_connector_api::ConnectError;

use super::catalog::{connect, quote, sql_error};
use super::config::CdcConfig;
use super::decode::Datum;
use super::envelope::TableInfo;

/// A snapshot in progress.
pub struct Snapshot {
    conn: PgConnection,
    tables: VecDeque<Arc<TableInfo>>,
    /// Tables whose reading has begun.
    tables_begun: usize,
    /// Rows of the current table returned so far.
    table_rows: u64,
    cursor_open: bool,
    fetch_size: usize,
    /// Rows read so far.
    pub rows_read: u64,
}

/// A batch of rows of one table.
pub struct Batch {
    /// The table.
    pub table: Arc<TableInfo>,
    /// Whether the table is the first of the snapshot's tables (empty or not).
    pub first_table: bool,
    /// Whether the batch holds the table's first rows.
    pub first_rows: bool,
    /// The rows, each with every column of the table in catalog order.
    pub rows: Vec<Vec<Datum>>,
}

impl Snapshot {
    /// Opens the snapshot transaction, importing `exported` when given.
    pub async fn begin(
        config: &CdcConfig,
        exported: Option<&str>,
        tables: Vec<Arc<TableInfo>>,
    ) -> Result<Self, ConnectError> {
        let mut conn = connect(config).await?;
        sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .persistent(false)
            .execute(&mut conn)
            .await
            .map_err(|e| sql_error("starting the snapshot", e))?;
        if let Some(name) = exported {
            sqlx::query(&format!("SET TRANSACTION SNAPSHOT '{}'", name.replace('\'', "''")))
                .persistent(false)
                .execute(&mut conn)
                .await
                .map_err(|e| sql_error("importing the slot's snapshot", e))?;
        }
        tracing::info!(tables = tables.len(), exported = exported.is_some(), "snapshot started");
        Ok(Snapshot {
            conn,
            tables: tables.into(),
            tables_begun: 0,
            table_rows: 0,
            cursor_open: false,
            fetch_size: config.snapshot_fetch_size,
            rows_read: 0,
        })
    }

    /// Tables not read to the end yet.
    pub fn tables_remaining(&self) -> usize {
        self.tables.len()
    }

    /// The next batch of rows, or `None` once every table is read (the transaction is then
    /// committed).
    pub async fn next(&mut self) -> Result<Option<Batch>, ConnectError> {
        loop {
            let Some(table) = self.tables.front().cloned() else {
                sqlx::query("COMMIT")
                    .persistent(false)
                    .execute(&mut self.conn)
                    .await
                    .map_err(|e| sql_error("ending the snapshot", e))?;
                tracing::info!(rows = self.rows_read, "snapshot completed");
                return Ok(None);
            };
            if !self.cursor_open {
                // Postgres allows an empty select list, for a table without columns.
                let select: Vec<String> = table.all_columns().iter().map(|c| quote(c)).collect();
                let select = select.join(", ");
                let sql = format!(
                    "DECLARE weir_snapshot NO SCROLL CURSOR FOR SELECT {select} FROM {}.{}",
                    quote(&table.schema),
                    quote(&table.table)
                );
                sqlx::query(&sql)
                    .persistent(false)
                    .execute(&mut self.conn)
                    .await
                    .map_err(|e| sql_error(&format!("reading {}", table.topic), e))?;
                self.cursor_open = true;
                self.tables_begun += 1;
                self.table_rows = 0;
                tracing::info!(table = %table.topic, "snapshotting table");
            }
            // The simple-query protocol: every value in its type's text output, as pgoutput
            // streams it, and no prepared statement whose row shape could outlive this cursor.
            let fetched = fetch_text(&mut self.conn, format!("FETCH {} FROM weir_snapshot", self.fetch_size))
                .await
                .map_err(|e| sql_error(&format!("reading {}", table.topic), e))?;
            let rows = fetched
                .iter()
                .map(|row| text_row(&table, row))
                .collect::<Result<Vec<_>, _>>()?;
            let table_done = rows.len() < self.fetch_size;
            if table_done {
                sqlx::query("CLOSE weir_snapshot")
                    .persistent(false)
                    .execute(&mut self.conn)
                    .await
                    .map_err(|e| sql_error("closing the snapshot cursor", e))?;
                self.cursor_open = false;
                self.tables.pop_front();
            }
            if rows.is_empty() {
                continue;
            }
            self.rows_read += rows.len() as u64;
            let first_rows = self.table_rows == 0;
            self.table_rows += rows.len() as u64;
            return Ok(Some(Batch {
                table,
                first_table: self.tables_begun == 1,
                first_rows,
                rows,
            }));
        }
    }
}

/// Runs `sql` over the simple-query protocol. Through sqlx's boxed stream, so that the callers'
/// futures need no proof that its executor is `Send` for every lifetime (which the compiler
/// cannot find for `fetch_all`).
async fn fetch_text(conn: &mut PgConnection, sql: String) -> Result<Vec<PgRow>, sqlx::Error> {
    sqlx::raw_sql(&sql).fetch(conn).try_collect().await
}

/// A fetched row as the datums of every column of `table`, each its type's text output.
fn text_row(table: &TableInfo, row: &PgRow) -> Result<Vec<Datum>, ConnectError> {
    let columns = table.all_columns();
    if row.len() != columns.len() {
        return Err(ConnectError::Fatal(format!(
            "reading {}: a row of {} columns where the table has {}",
            table.topic,
            row.len(),
            columns.len()
        )));
    }
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let value = row
                .try_get_raw(i)
                .map_err(|e| ConnectError::Fatal(format!("reading {} column {column}: {e}", table.topic)))?;
            if value.is_null() {
                return Ok(Datum::Null);
            }
            value
                .as_str()
                .map(|text| Datum::Text(text.to_owned()))
                .map_err(|e| ConnectError::Fatal(format!("reading {} column {column}: not text: {e}", table.topic)))
        })
        .collect()
}
