//! The `postgres-cdc` source: a snapshot consistent with the replication slot, then every
//! committed change streamed from the slot as Debezium change events.
//!
//! Offsets, under the partition `{"server": <topic.prefix>}`, say how far the stream is:
//! `lsn_commit` (the commit LSN of the record's transaction) and `txn_event` (the change's
//! number within it), next to Debezium's `lsn`, `txId`, `ts_usec` and `lsn_proc`. The slot is
//! confirmed to Postgres only from [`SourceTask::commit`], that is once the offsets covering a
//! transaction are in Kafka; after a restart the server resends what was not confirmed, and
//! the changes already covered by the stored offset are skipped.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pgwire_replication::client::ReplicationEvent;
use serde_json::Value as Json;
use weir_connector_api::{
    ConfigDef, ConfigValue, ConnectError, Connector, ExactlyOnceSupport, Field, Props, Schema, SchemaType,
    SourceConnector, SourceMap, SourceRecord, SourceTask, SourceTaskContext, TransactionBoundaries, TransactionContext,
    Value,
};

use super::catalog::{Catalog, check_server};
use super::config::{CdcConfig, SnapshotMode, definition};
use super::decode::{Datum, Message, Relation, decode};
use super::envelope::{SourcePosition, TableInfo, message_event};
use super::progress::Progress;
use super::replication::Replication;
use super::snapshot::Snapshot;

/// Microseconds between the Unix epoch and Postgres's (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// How long one poll waits for changes.
const POLL_WAIT: Duration = Duration::from_millis(500);
/// A poll returns once it holds this many records (at a change boundary).
const MAX_BATCH: usize = 4096;
/// How far past a transaction's commit LSN its end may lie (the commit record's size).
const COMMIT_RECORD_SLACK: i64 = 4096;

/// The `postgres-cdc` connector (Debezium's `io.debezium.connector.postgresql.PostgresConnector`).
pub struct PostgresCdcConnector;

#[async_trait]
impl Connector for PostgresCdcConnector {
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").into()
    }

    fn config_def(&self) -> ConfigDef {
        definition()
    }

    async fn validate(&self, props: &Props, reports: &mut Vec<ConfigValue>) {
        if reports.iter().any(|r| !r.errors.is_empty()) {
            return;
        }
        let Ok(config) = CdcConfig::parse(props) else { return };
        for (key, error) in check_server(&config).await {
            if let Some(report) = reports.iter_mut().find(|r| r.name == key) {
                report.errors.push(error);
            }
        }
    }

    async fn task_configs(&self, props: &Props, _max_tasks: usize) -> Result<Vec<Props>, ConnectError> {
        // One replication slot is read by one task.
        Ok(vec![props.clone()])
    }
}

impl SourceConnector for PostgresCdcConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(PostgresCdcTask::default())
    }

    /// Offsets name each change (`lsn_commit`, `txn_event`): a restart skips what Kafka holds.
    /// A snapshot cut short is taken again from the start, as Debezium does.
    fn exactly_once_support(&self, _props: &Props) -> Option<ExactlyOnceSupport> {
        Some(ExactlyOnceSupport::Supported)
    }

    /// Tasks end a Kafka transaction where a Postgres transaction ends.
    fn transaction_boundaries(&self, _props: &Props) -> TransactionBoundaries {
        TransactionBoundaries::Supported
    }
}

/// Where a restarted stream resumes: changes at or before it are already in Kafka.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StreamPosition {
    commit_lsn: i64,
    /// The change number within that transaction; `None` when the whole transaction (and all
    /// before it) is covered, as a heartbeat's offset says.
    event: Option<u64>,
}

impl StreamPosition {
    fn from_offset(offset: &SourceMap) -> Option<Self> {
        let commit_lsn = offset.get("lsn_commit")?.as_i64()?;
        let event = match offset.get("heartbeat").and_then(Json::as_bool) {
            Some(true) => None,
            _ => Some(offset.get("txn_event")?.as_u64()?),
        };
        Some(StreamPosition { commit_lsn, event })
    }

    /// Whether the change `event` of the transaction committing at `commit_lsn` is covered.
    fn covers(&self, commit_lsn: i64, event: u64) -> bool {
        commit_lsn < self.commit_lsn || (commit_lsn == self.commit_lsn && self.event.is_none_or(|e| event <= e))
    }
}

/// The transaction being read.
struct Transaction {
    xid: u32,
    commit_lsn: i64,
    ts_us: i64,
    /// Changes seen so far.
    events: u64,
    /// The replication origin it was replayed under, if any: its name and commit LSN there.
    origin: Option<(String, i64)>,
}

/// A snapshot row held back until the next one shows whether it ends its table or the snapshot.
struct HeldRow {
    table: Arc<TableInfo>,
    /// The table's first row.
    first: bool,
    /// The row's table is the snapshot's first.
    first_table: bool,
    datums: Vec<Datum>,
}

/// What the task is doing.
enum Phase {
    Snapshot(Snapshot, SourcePosition),
    Streaming,
    /// `initial_only`: the snapshot is done and nothing is streamed.
    Idle,
}

/// The task.
#[derive(Default)]
pub struct PostgresCdcTask {
    state: Option<Running>,
    /// With `transaction.boundary=connector`: where the task ends Kafka transactions.
    transactions: Option<TransactionContext>,
}

/// A started task's state.
struct Running {
    config: CdcConfig,
    partition: SourceMap,
    catalog: Catalog,
    replication: Option<Replication>,
    phase: Phase,
    /// The last snapshot row read, not yet returned.
    held: Option<HeldRow>,
    relations: HashMap<u32, Option<Arc<TableInfo>>>,
    transaction: Option<Transaction>,
    /// Transactions read, oldest first: commit LSN, change count, end LSN.
    completed: VecDeque<(i64, u64, i64)>,
    resume: Option<StreamPosition>,
    /// The last change read (and returned by `poll`).
    last_read: Option<StreamPosition>,
    last_commit_lsn: Option<i64>,
    /// The commit time of the last completed transaction, microseconds since the epoch.
    last_commit_ts_us: i64,
    /// The server's WAL position from its last keepalive.
    last_keepalive: i64,
    last_heartbeat: Instant,
    progress: Progress,
}

impl Running {
    async fn start(config: CdcConfig, stored: Option<SourceMap>, progress: Progress) -> Result<Self, ConnectError> {
        let partition = SourceMap::from_iter([("server".to_owned(), Json::from(config.topic_prefix.clone()))]);
        let mut catalog = Catalog::connect(&config).await?;
        catalog.ensure_publication(&config).await?;
        let slot_lsn = catalog.slot_position(&config.slot).await?;
        let snapshot_incomplete = stored.as_ref().is_some_and(|o| {
            o.get("snapshot").and_then(Json::as_bool) == Some(true)
                && o.get("last_snapshot_record").and_then(Json::as_bool) != Some(true)
        });
        let resume = stored
            .as_ref()
            .filter(|_| !snapshot_incomplete)
            .and_then(StreamPosition::from_offset);
        let lost = match (resume, slot_lsn) {
            (Some(_), None) => Some(format!("replication slot {} does not exist", config.slot)),
            (Some(at), Some(slot))
                if slot > at.commit_lsn + if at.event.is_none() { 0 } else { COMMIT_RECORD_SLACK } =>
            {
                Some(format!(
                    "replication slot {} is at LSN {slot}, past the last committed offset (LSN {})",
                    config.slot, at.commit_lsn
                ))
            }
            _ => None,
        };
        let snapshot_wanted = match config.snapshot_mode {
            SnapshotMode::Always => true,
            SnapshotMode::NoData => false,
            SnapshotMode::Initial | SnapshotMode::InitialOnly => stored.is_none() || snapshot_incomplete,
            SnapshotMode::WhenNeeded => stored.is_none() || snapshot_incomplete || lost.is_some(),
        };
        if let (Some(reason), false) = (&lost, snapshot_wanted) {
            return Err(ConnectError::Fatal(format!(
                "{reason}: the changes since the stored offset can no longer be read. Take a new snapshot \
                 (snapshot.mode=when_needed, or stop the connector and DELETE its offsets) to start over"
            )));
        }
        let mut replication = Replication::connect(&config).await?;
        let created = match slot_lsn {
            None => Some(replication.create_slot(&config.slot).await?),
            Some(_) => None,
        };
        let mut running = Running {
            partition,
            catalog,
            replication: None,
            phase: Phase::Streaming,
            held: None,
            relations: HashMap::new(),
            transaction: None,
            completed: VecDeque::new(),
            resume: if snapshot_wanted { None } else { resume },
            last_read: None,
            last_commit_lsn: None,
            last_commit_ts_us: now_micros(),
            last_keepalive: 0,
            last_heartbeat: Instant::now(),
            progress,
            config,
        };
        if snapshot_wanted {
            let mut tables = Vec::new();
            for (schema, table) in running.catalog.captured_tables(&running.config).await? {
                tables.push(Arc::new(
                    running
                        .catalog
                        .table_info(&running.config, &schema, &table, None)
                        .await?,
                ));
            }
            running.progress.snapshot_started(tables.len());
            let exported = created.as_ref().map(|c| c.snapshot_name.as_str());
            let snapshot = Snapshot::begin(&running.config, exported, tables).await?;
            let lsn = created.as_ref().map(|c| c.consistent_point).or(slot_lsn);
            let at = SourcePosition {
                ts_us: now_micros(),
                snapshot: "true",
                tx_id: None,
                lsn,
                last_commit_lsn: None,
                origin: None,
            };
            running.phase = Phase::Snapshot(snapshot, at);
        } else {
            replication.start().await?;
        }
        running.replication = Some(replication);
        Ok(running)
    }

    fn replication(&mut self) -> Result<&mut Replication, ConnectError> {
        self.replication
            .as_mut()
            .ok_or_else(|| ConnectError::Fatal("replication connection closed".into()))
    }

    fn record(
        &self,
        table: &TableInfo,
        offset: SourceMap,
        op: &str,
        before: Value,
        after: Value,
        at: &SourcePosition,
    ) -> SourceRecord {
        let row = if after.is_null() { &before } else { &after };
        // A truncate has no row, hence no key.
        let key = if row.is_null() { Value::Null } else { table.key_of(row) };
        let key_schema = if key.is_null() {
            None
        } else {
            table.key_schema().cloned()
        };
        let value = table.envelope(&self.config.topic_prefix, &self.config.dbname, op, before, after, at);
        SourceRecord::new(
            self.partition.clone(),
            offset,
            &table.topic,
            Some(table.envelope_schema().clone()),
            value,
        )
        .with_key(key_schema, key)
    }

    fn tombstone(&self, table: &TableInfo, offset: SourceMap, key: Value) -> SourceRecord {
        let key_schema = if key.is_null() {
            None
        } else {
            table.key_schema().cloned()
        };
        SourceRecord::new(self.partition.clone(), offset, &table.topic, None, Value::Null).with_key(key_schema, key)
    }

    async fn snapshot_batch(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let Phase::Snapshot(snapshot, _) = &mut self.phase else {
            return Ok(Vec::new());
        };
        let mut records = Vec::new();
        match snapshot.next().await? {
            Some(batch) => {
                self.progress
                    .snapshot_read(snapshot.rows_read, snapshot.tables_remaining());
                for (i, row) in batch.rows.into_iter().enumerate() {
                    let next = HeldRow {
                        table: batch.table.clone(),
                        first: batch.first_rows && i == 0,
                        first_table: batch.first_table,
                        datums: row,
                    };
                    if let Some(held) = self.held.replace(next) {
                        let table_ends = !Arc::ptr_eq(&held.table, &batch.table);
                        records.push(self.snapshot_record(held, table_ends, false)?);
                    }
                }
            }
            None => {
                self.progress.snapshot_completed(snapshot.rows_read);
                if let Some(held) = self.held.take() {
                    records.push(self.snapshot_record(held, true, true)?);
                }
                self.phase = if self.config.snapshot_mode == SnapshotMode::InitialOnly {
                    Phase::Idle
                } else {
                    self.replication()?.start().await?;
                    Phase::Streaming
                };
            }
        }
        Ok(records)
    }

    /// The read event of a snapshot row, marked as Debezium marks its place in the snapshot.
    fn snapshot_record(&self, row: HeldRow, table_ends: bool, last: bool) -> Result<SourceRecord, ConnectError> {
        let Phase::Snapshot(_, at) = &self.phase else {
            return Err(ConnectError::Fatal("a snapshot row outside the snapshot".into()));
        };
        let marker = match (last, row.first && row.first_table, table_ends, row.first) {
            (true, ..) => "last",
            (_, true, ..) => "first",
            (_, _, true, _) => "last_in_data_collection",
            (.., true) => "first_in_data_collection",
            _ => "true",
        };
        let position = SourcePosition {
            snapshot: marker,
            ..at.clone()
        };
        let mut offset = SourceMap::new();
        offset.insert("lsn".into(), at.lsn.unwrap_or(0).into());
        offset.insert("ts_usec".into(), at.ts_us.into());
        offset.insert("snapshot".into(), true.into());
        offset.insert("last_snapshot_record".into(), last.into());
        let after = row.table.row(&row.datums).map_err(ConnectError::Data)?;
        Ok(self.record(&row.table, offset, "r", Value::Null, after, &position))
    }

    async fn on_relation(&mut self, relation: Relation) -> Result<(), ConnectError> {
        let info = if self.config.captures_table(&relation.schema, &relation.name) {
            let sent: Vec<(String, u32, i32)> = relation
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.type_oid, c.type_modifier))
                .collect();
            let info = self
                .catalog
                .table_info(&self.config, &relation.schema, &relation.name, Some(&sent))
                .await?;
            Some(Arc::new(info))
        } else {
            None
        };
        self.relations.insert(relation.oid, info);
        Ok(())
    }

    fn table(&self, oid: u32) -> Result<Option<Arc<TableInfo>>, ConnectError> {
        self.relations
            .get(&oid)
            .cloned()
            .ok_or_else(|| ConnectError::Data(format!("a change to relation {oid} came before its description")))
    }

    /// The offset and source position of the next event of the transaction being read, at
    /// `lsn`; `None` when the stored offset covers it (it is in Kafka already).
    fn next_event(&mut self, lsn: i64) -> Result<Option<(SourceMap, SourcePosition)>, ConnectError> {
        let Some(txn) = self.transaction.as_mut() else {
            return Err(ConnectError::Data("a change came outside a transaction".into()));
        };
        let event = txn.events;
        txn.events += 1;
        let (xid, commit_lsn, ts_us, origin) = (txn.xid, txn.commit_lsn, txn.ts_us, txn.origin.clone());
        Ok(self.event_at(lsn, commit_lsn, event, Some(xid), ts_us, origin))
    }

    /// The offset and source position of event `event` of the transaction committing at
    /// `commit_lsn`, at `lsn`; `None` when the stored offset covers it.
    fn event_at(
        &mut self,
        lsn: i64,
        commit_lsn: i64,
        event: u64,
        xid: Option<u32>,
        ts_us: i64,
        origin: Option<(String, i64)>,
    ) -> Option<(SourceMap, SourcePosition)> {
        if self.resume.is_some_and(|r| r.covers(commit_lsn, event)) {
            return None;
        }
        self.last_read = Some(StreamPosition {
            commit_lsn,
            event: Some(event),
        });
        let mut offset = SourceMap::new();
        offset.insert("lsn".into(), lsn.into());
        if let Some(xid) = xid {
            offset.insert("txId".into(), xid.into());
        }
        offset.insert("ts_usec".into(), ts_us.into());
        offset.insert("lsn_proc".into(), lsn.into());
        offset.insert("lsn_commit".into(), commit_lsn.into());
        offset.insert("txn_event".into(), event.into());
        let at = SourcePosition {
            ts_us,
            snapshot: "false",
            tx_id: xid.map(i64::from),
            lsn: Some(lsn),
            last_commit_lsn: self.last_commit_lsn,
            origin,
        };
        Some((offset, at))
    }

    /// A logical decoding message as Debezium's event. A message written outside a transaction
    /// comes at once, and counts as a transaction of its own.
    fn on_message(
        &mut self,
        transactional: bool,
        lsn: i64,
        prefix: &str,
        content: Vec<u8>,
        records: &mut Vec<SourceRecord>,
    ) -> Result<(), ConnectError> {
        let position = if transactional {
            self.next_event(lsn)?
        } else {
            // Debezium counts it as committed before it emits it.
            self.completed.push_back((lsn, 1, lsn));
            self.last_commit_lsn = Some(lsn);
            self.event_at(lsn, lsn, 0, None, self.last_commit_ts_us, None)
        };
        let Some((offset, at)) = position else {
            return Ok(());
        };
        if !self.config.captures_message(prefix) {
            return Ok(());
        }
        let binary = self.config.representation.binary;
        let (key_schema, key, value_schema, value) = message_event(
            &self.config.topic_prefix,
            &self.config.dbname,
            prefix,
            binary.value(content),
            binary,
            &at,
        );
        let topic = format!("{}.message", self.config.topic_prefix);
        records.push(
            SourceRecord::new(
                self.partition.clone(),
                offset,
                topic,
                Some(Arc::new(value_schema)),
                value,
            )
            .with_key(Some(Arc::new(key_schema)), key),
        );
        Ok(())
    }

    /// Turns one change into records.
    fn on_change(&mut self, message: Message, lsn: i64, records: &mut Vec<SourceRecord>) -> Result<(), ConnectError> {
        let Some((offset, at)) = self.next_event(lsn)? else {
            return Ok(());
        };
        let skipped = |op: &str| self.config.skipped_operations.iter().any(|s| s == op);
        let row = |table: &TableInfo, datums: Option<&[Datum]>| match datums {
            Some(datums) => table.row(datums).map_err(ConnectError::Data),
            None => Ok(Value::Null),
        };
        match message {
            Message::Insert { relation, new } => {
                if let Some(table) = self.table(relation)?
                    && !skipped("c")
                {
                    let after = row(&table, Some(&new))?;
                    records.push(self.record(&table, offset, "c", Value::Null, after, &at));
                }
            }
            Message::Update { relation, old, mut new } => {
                if let Some(table) = self.table(relation)?
                    && !skipped("u")
                {
                    // A whole old row (REPLICA IDENTITY FULL) holds the TOASTed values the new
                    // one leaves out as unchanged.
                    if let Some(old) = &old {
                        for (datum, previous) in new.iter_mut().zip(old) {
                            if *datum == Datum::Unchanged && *previous != Datum::Unchanged {
                                *datum = previous.clone();
                            }
                        }
                    }
                    let after = row(&table, Some(&new))?;
                    let before = row(&table, old.as_deref())?;
                    let old_key = table.key_of(&before);
                    if !before.is_null() && !old_key.is_null() && old_key != table.key_of(&after) {
                        // The key changed: a delete of the old key, then a create, as Debezium does.
                        records.push(self.record(&table, offset.clone(), "d", before, Value::Null, &at));
                        if self.config.tombstones_on_delete {
                            records.push(self.tombstone(&table, offset.clone(), old_key));
                        }
                        records.push(self.record(&table, offset, "c", Value::Null, after, &at));
                    } else {
                        records.push(self.record(&table, offset, "u", before, after, &at));
                    }
                }
            }
            Message::Delete { relation, old } => {
                if let Some(table) = self.table(relation)?
                    && !skipped("d")
                {
                    let before = row(&table, old.as_deref())?;
                    let key = table.key_of(&before);
                    records.push(self.record(&table, offset.clone(), "d", before, Value::Null, &at));
                    if self.config.tombstones_on_delete {
                        records.push(self.tombstone(&table, offset, key));
                    }
                }
            }
            Message::Truncate { relations } => {
                for oid in relations {
                    if let Some(table) = self.table(oid)?
                        && !skipped("t")
                    {
                        records.push(self.record(&table, offset.clone(), "t", Value::Null, Value::Null, &at));
                    }
                }
            }
            Message::Relation(_) | Message::Origin { .. } | Message::Other(_) => {}
        }
        Ok(())
    }

    /// The next batch of changes. A lost connection (Postgres restarting, the network) is torn
    /// down: the records read so far are returned, and the next poll reconnects, resuming after
    /// the last change read.
    async fn stream_batch(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        if self.replication.is_none() {
            self.reconnect().await?;
        }
        let mut records = Vec::new();
        match self.stream_into(&mut records).await {
            Ok(()) => Ok(records),
            Err(e) if e.is_retriable() => {
                tracing::warn!(error = %e, "lost the connection to PostgreSQL; reconnecting");
                if let Some(replication) = self.replication.take() {
                    replication.close().await;
                }
                self.transaction = None;
                self.relations.clear();
                self.resume = self.last_read.or(self.resume);
                if records.is_empty() { Err(e) } else { Ok(records) }
            }
            Err(e) => Err(e),
        }
    }

    /// Opens new connections after one was lost; the server resends from the slot's confirmed
    /// position, and what was already read is skipped.
    async fn reconnect(&mut self) -> Result<(), ConnectError> {
        self.catalog = Catalog::connect(&self.config).await?;
        if self.catalog.slot_position(&self.config.slot).await?.is_none() {
            return Err(ConnectError::Fatal(format!(
                "replication slot {} no longer exists: the changes since the last committed offset are lost",
                self.config.slot
            )));
        }
        let mut replication = Replication::connect(&self.config).await?;
        replication.start().await?;
        self.replication = Some(replication);
        tracing::info!("reconnected to PostgreSQL");
        Ok(())
    }

    async fn stream_into(&mut self, records: &mut Vec<SourceRecord>) -> Result<(), ConnectError> {
        let deadline = Instant::now() + POLL_WAIT;
        let mut latest_commit_us = None;
        while records.len() < MAX_BATCH {
            let wait = deadline.saturating_duration_since(Instant::now());
            if wait.is_zero() {
                break;
            }
            let Some(event) = self.replication()?.next_event(wait).await? else {
                break;
            };
            match event {
                ReplicationEvent::Begin {
                    final_lsn,
                    xid,
                    commit_time_micros,
                } => {
                    let ts_us = commit_time_micros + PG_EPOCH_MICROS;
                    latest_commit_us = Some(ts_us);
                    self.transaction = Some(Transaction {
                        xid,
                        commit_lsn: final_lsn.as_u64() as i64,
                        ts_us,
                        events: 0,
                        origin: None,
                    });
                }
                ReplicationEvent::XLogData { wal_start, data, .. } => {
                    match decode(&data).map_err(|e| ConnectError::Data(e.to_string()))? {
                        Message::Relation(relation) => self.on_relation(relation).await?,
                        Message::Origin { lsn, name } => {
                            if let Some(txn) = self.transaction.as_mut() {
                                txn.origin = Some((name, lsn));
                            }
                        }
                        change => self.on_change(change, wal_start.as_u64() as i64, records)?,
                    }
                }
                ReplicationEvent::Commit { end_lsn, .. } => {
                    if let Some(txn) = self.transaction.take() {
                        self.last_commit_ts_us = txn.ts_us;
                        self.completed
                            .push_back((txn.commit_lsn, txn.events, end_lsn.as_u64() as i64));
                    }
                    // Debezium's `sequence` names the position of the last commit message: the
                    // end of the commit record.
                    self.last_commit_lsn = Some(end_lsn.as_u64() as i64);
                    if !records.is_empty() {
                        break;
                    }
                }
                ReplicationEvent::Message {
                    transactional,
                    lsn,
                    prefix,
                    content,
                } => self.on_message(transactional, lsn.as_u64() as i64, &prefix, content.to_vec(), records)?,
                ReplicationEvent::KeepAlive { wal_end, .. } => self.last_keepalive = wal_end.as_u64() as i64,
                _ => {}
            }
        }
        if let Some(commit_us) = latest_commit_us {
            self.progress.streamed(commit_us, now_micros());
        }
        if let Some(heartbeat) = self.heartbeat().await? {
            records.push(heartbeat);
        }
        Ok(())
    }

    /// A heartbeat record when one is due, between transactions: its offset covers everything
    /// read so far, so committing it lets the slot move on even when no captured table changes.
    async fn heartbeat(&mut self) -> Result<Option<SourceRecord>, ConnectError> {
        let interval = self.config.heartbeat_interval_ms;
        if interval == 0
            || self.transaction.is_some()
            || self.last_heartbeat.elapsed() < Duration::from_millis(interval)
        {
            return Ok(None);
        }
        self.last_heartbeat = Instant::now();
        if let Some(query) = &self.config.heartbeat_query {
            sqlx::query(query)
                .persistent(false)
                .execute(self.catalog.connection())
                .await
                .map_err(|e| super::catalog::sql_error("running heartbeat.action.query", e))?;
        }
        let covered = self
            .completed
            .back()
            .map_or(0, |(_, _, end)| *end)
            .max(self.last_keepalive);
        if covered == 0 {
            return Ok(None);
        }
        let mut offset = SourceMap::new();
        offset.insert("lsn".into(), covered.into());
        offset.insert("lsn_commit".into(), covered.into());
        offset.insert("heartbeat".into(), true.into());
        let prefix = &self.config.topic_prefix;
        let key_schema = Schema::struct_of(vec![Field::new("serverName", Schema::string())])
            .named("io.debezium.connector.common.ServerNameKey");
        let value_schema = Schema::struct_of(vec![Field::new("ts_ms", Schema::new(SchemaType::Int64))])
            .named("io.debezium.connector.common.Heartbeat");
        let key = Value::Struct(vec![("serverName".into(), Value::from(prefix.as_str()))]);
        let value = Value::Struct(vec![("ts_ms".into(), Value::Int64(now_micros() / 1000))]);
        Ok(Some(
            SourceRecord::new(
                self.partition.clone(),
                offset,
                format!("__debezium-heartbeat.{prefix}"),
                Some(Arc::new(value_schema)),
                value,
            )
            .with_key(Some(Arc::new(key_schema)), key),
        ))
    }

    /// The LSN the slot may confirm once `offset` is in Kafka.
    fn confirmable(&mut self, offset: &SourceMap) -> Option<i64> {
        let at = StreamPosition::from_offset(offset)?;
        let mut confirm = match at.event {
            None => Some(at.commit_lsn),
            Some(_) => None,
        };
        while let Some(&(commit_lsn, events, end_lsn)) = self.completed.front() {
            let whole = match at.event {
                None => commit_lsn <= at.commit_lsn,
                Some(event) => commit_lsn < at.commit_lsn || (commit_lsn == at.commit_lsn && event + 1 >= events),
            };
            if !whole {
                break;
            }
            confirm = Some(confirm.map_or(end_lsn, |c: i64| c.max(end_lsn)));
            self.completed.pop_front();
        }
        confirm
    }
}

/// A boxed, sendable future. Building the task's futures in plain functions (rather than
/// inside `async_trait` methods) keeps the compiler's `Send` proof of sqlx's executors simple.
type Step<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, ConnectError>> + Send + 'a>>;

fn start_step(config: CdcConfig, stored: Option<SourceMap>, progress: Progress) -> Step<'static, Running> {
    Box::pin(Running::start(config, stored, progress))
}

fn poll_step(state: &mut Running) -> Step<'_, Vec<SourceRecord>> {
    Box::pin(async move {
        match state.phase {
            Phase::Snapshot(..) => state.snapshot_batch().await,
            Phase::Streaming => state.stream_batch().await,
            Phase::Idle => {
                tokio::time::sleep(POLL_WAIT).await;
                Ok(Vec::new())
            }
        }
    })
}

fn stop_step(mut state: Running) -> Step<'static, ()> {
    Box::pin(async move {
        if let Some(replication) = state.replication.take() {
            replication.close().await;
        }
        if state.config.drop_slot_on_stop {
            state.catalog.drop_slot(&state.config.slot).await?;
            tracing::info!(slot = %state.config.slot, "dropped the replication slot");
        }
        Ok(())
    })
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

#[async_trait]
impl SourceTask for PostgresCdcTask {
    async fn start(&mut self, props: &Props, context: SourceTaskContext) -> Result<(), ConnectError> {
        let config = CdcConfig::parse(props)?;
        let partition = SourceMap::from_iter([("server".to_owned(), Json::from(config.topic_prefix.clone()))]);
        let stored = context.offsets.offset(&partition);
        tracing::info!(slot = %config.slot, offset = ?stored, "postgres-cdc starting");
        self.state = Some(start_step(config, stored, Progress::new(context.metrics)).await?);
        self.transactions = context.transactions;
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let Some(state) = self.state.as_mut() else {
            return Err(ConnectError::Fatal("polled before start".into()));
        };
        let records = poll_step(state).await?;
        // A batch ends a Kafka transaction when it ends between Postgres transactions (every
        // snapshot batch does): a Postgres transaction reaches consumers whole, or not at all.
        if let Some(transactions) = &self.transactions
            && !records.is_empty()
            && state.transaction.is_none()
        {
            transactions.commit_transaction();
        }
        Ok(records)
    }

    async fn commit(&mut self, committed: &[(SourceMap, SourceMap)]) -> Result<(), ConnectError> {
        let Some(state) = self.state.as_mut() else {
            return Ok(());
        };
        let confirm = committed
            .iter()
            .filter_map(|(_, offset)| state.confirmable(offset))
            .max();
        if let (Some(lsn), Some(replication)) = (confirm, state.replication.as_ref()) {
            tracing::debug!(lsn, "confirming the slot");
            replication.confirm(lsn);
        }
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        match self.state.take() {
            Some(state) => stop_step(state).await,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_positions_cover_what_was_committed() {
        let at = StreamPosition {
            commit_lsn: 100,
            event: Some(2),
        };
        assert!(at.covers(90, 50) && at.covers(100, 2) && !at.covers(100, 3) && !at.covers(110, 0));
        let heartbeat = StreamPosition {
            commit_lsn: 100,
            event: None,
        };
        assert!(heartbeat.covers(100, 1000) && !heartbeat.covers(101, 0));
        let offset = SourceMap::from_iter([
            ("lsn_commit".to_owned(), Json::from(100)),
            ("txn_event".to_owned(), Json::from(2)),
        ]);
        assert_eq!(StreamPosition::from_offset(&offset), Some(at));
    }
}
