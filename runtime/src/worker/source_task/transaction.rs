//! Exactly-once delivery of a source task's records: its own transactional producer, and the
//! transaction it has open. A transaction holds the records sent since the last boundary and
//! the source offsets they reach, written to the offsets topic through the same producer, so
//! Kafka takes both or neither (Kafka Connect's KIP-618).
//!
//! Starting the producer fences any earlier instance of the same task (same `transactional.id`,
//! `<group.id>-<connector>-<task>`): whatever that instance left open is aborted, and anything
//! it tries afterwards fails.

use std::ffi::CStr;
use std::time::{Duration, Instant};

use rdkafka::bindings;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer as _};
use weir_connector_api::{Props, SourceMap, TaskMetrics, TransactionContext, TransactionRequest};

use super::outbox::Outbox;
use crate::config::connector::TransactionBoundary;
use crate::kafka::producer::Acks;
use crate::kafka::{KafkaClients, KafkaContext, KafkaOpError, Producer};
use crate::model::TaskId;
use crate::storage::{ConnectorOffsets, OffsetStore};

/// How long starting, committing or aborting a transaction may take: the broker's default
/// `transaction.timeout.ms`, past which it aborts the transaction itself.
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the open transaction ends.
enum Boundary {
    Poll,
    Interval(Duration),
    Connector(TransactionContext),
}

/// How a transaction ends: committed, or aborted with its records discarded and the offsets
/// they reach still committed (what a connector asks with `abort_transaction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    Commit,
    Abort,
}

impl From<TransactionRequest> for End {
    fn from(request: TransactionRequest) -> Self {
        match request {
            TransactionRequest::Commit => End::Commit,
            TransactionRequest::Abort => End::Abort,
        }
    }
}

/// A source task's transactions.
pub(super) struct Transactions {
    producer: Producer,
    id: String,
    boundary: Boundary,
    /// When the open transaction began; `None` when none is open.
    open_since: Option<Instant>,
    /// Records sent in the open transaction.
    records: u64,
    last_commit: Instant,
    stats: Stats,
}

impl Transactions {
    /// The task's transactional producer (`producer.*`, then `producer.override.*`, then the
    /// settings transactions need), not yet started.
    pub(super) fn new(
        clients: &KafkaClients,
        group_id: &str,
        task: &TaskId,
        overrides: &Props,
        boundary: TransactionBoundary,
        flush_interval: Duration,
    ) -> Result<Self, KafkaOpError> {
        let id = format!("{group_id}-{}-{}", task.connector, task.task);
        // What the task sets whatever a connector overrides (Kafka Connect overwrites these
        // too, with a warning).
        let forced = [("transactional.id", id.as_str()), ("enable.idempotence", "true")];
        for (key, value) in forced {
            if overrides.get(key).is_some_and(|v| !v.eq_ignore_ascii_case(value)) {
                tracing::warn!(
                    key,
                    value,
                    "producer.override.{key} is ignored: a source task with exactly-once on sets it itself"
                );
            }
        }
        let config = clients.producer_config(
            &[
                ("acks", "all"),
                ("partitioner", "murmur2_random"),
                ("transaction.timeout.ms", "60000"),
            ],
            overrides,
            &forced,
        );
        let producer = Producer::create(&config).context(|| {
            "creating the task's transactional producer (check producer.* and producer.override.*)".into()
        })?;
        let boundary = match boundary {
            TransactionBoundary::Poll => Boundary::Poll,
            TransactionBoundary::Interval(every) => Boundary::Interval(every.unwrap_or(flush_interval)),
            TransactionBoundary::Connector => Boundary::Connector(TransactionContext::default()),
        };
        Ok(Transactions {
            producer,
            id,
            boundary,
            open_since: None,
            records: 0,
            last_commit: Instant::now(),
            stats: Stats::default(),
        })
    }

    /// Starts the producer's transactions, fencing the task's earlier instances.
    pub(super) async fn start(&self) -> Result<(), KafkaOpError> {
        let init = self.producer.clone();
        blocking(move || init.inner().init_transactions(TRANSACTION_TIMEOUT))
            .await
            .context(|| {
                format!(
                    "starting the transactions of {} (fencing its earlier instances)",
                    self.id
                )
            })?;
        tracing::info!(transactional_id = %self.id, "transactional producer started");
        Ok(())
    }

    /// The producer the task's records go through.
    pub(super) fn producer(&self) -> Producer {
        self.producer.clone()
    }

    /// The context the task ends its transactions through, with `transaction.boundary=connector`.
    pub(super) fn context(&self) -> Option<TransactionContext> {
        match &self.boundary {
            Boundary::Connector(context) => Some(context.clone()),
            _ => None,
        }
    }

    /// Opens a transaction for the next record unless one is open.
    pub(super) fn begin(&mut self) -> Result<(), KafkaOpError> {
        if self.open_since.is_none() {
            self.producer
                .inner()
                .begin_transaction()
                .context(|| format!("beginning a transaction of {}", self.id))?;
            self.open_since = Some(Instant::now());
        }
        Ok(())
    }

    /// Counts a record sent in the open transaction.
    pub(super) fn sent(&mut self) {
        self.records += 1;
    }

    /// Whether the open transaction ends after the batch just sent, and how.
    pub(super) fn due(&self) -> Option<End> {
        match &self.boundary {
            Boundary::Poll => self.open_since.map(|_| End::Commit),
            Boundary::Interval(every) => {
                (self.open_since.is_some() && self.last_commit.elapsed() >= *every).then_some(End::Commit)
            }
            Boundary::Connector(context) => context.take_request().map(End::from),
        }
    }

    /// How the open transaction ends when the task stops or pauses: committed, unless the
    /// connector defines the boundaries, which then end as it asked; `None` when it has not
    /// asked: the transaction is aborted with its offsets, so that the task reads its records
    /// again (Kafka Connect's way: a transaction the connector has not closed must not reach
    /// consumers half done).
    pub(super) fn final_end(&self) -> Option<End> {
        match &self.boundary {
            Boundary::Connector(context) => context.take_request().map(End::from),
            _ => Some(End::Commit),
        }
    }

    /// Ends the open transaction with the offsets of everything in it (for an abort, the
    /// records are discarded and the offsets still committed, as in Kafka Connect). Answers the
    /// committed offsets, one per source partition; on an error the task must fail, since it
    /// has read past what Kafka holds.
    pub(super) async fn end(
        &mut self,
        end: End,
        outbox: &mut Outbox,
        offsets: &ConnectorOffsets,
        connector: &str,
        metrics: &TaskMetrics,
    ) -> Result<Vec<(SourceMap, SourceMap)>, KafkaOpError> {
        let Some(began) = self.open_since else {
            return Ok(Vec::new());
        };
        let reached = outbox.offsets_reached();
        if end == End::Abort {
            self.abort(outbox, metrics).await?;
            if reached.is_empty() {
                return Ok(reached);
            }
            self.begin()?;
        }
        for (partition, offset) in &reached {
            let (key, value) = OffsetStore::record(connector, partition, Some(offset));
            // Its acknowledgement is the commit's: nobody waits for it.
            let mut record =
                BaseRecord::<str, [u8], _>::with_opaque_to(offsets.topic(), Acks::new().ticket()).key(&key);
            if let Some(value) = &value {
                record = record.payload(value.as_slice());
            }
            self.producer
                .send(record)
                .map_err(|(e, _)| e)
                .context(|| format!("writing the offsets of {} in its transaction", self.id))?;
        }
        let commit = self.producer.clone();
        let committed = tokio::task::spawn_blocking(move || commit_transaction(&commit, TRANSACTION_TIMEOUT))
            .await
            .unwrap_or_else(|_| Err(("the commit was cancelled".into(), RDKafkaErrorCode::Fail)));
        if let Err((message, code)) = committed {
            let _ = self.abort(outbox, metrics).await;
            return Err(KafkaOpError {
                context: format!("committing a transaction of {} ({message})", self.id),
                source: KafkaError::MessageProduction(code),
            });
        }
        // Delivered with the commit: their acknowledgements are in.
        outbox.settle_all().await?;
        outbox.take_acked();
        offsets.committed(connector, &reached);
        let records = std::mem::take(&mut self.records);
        self.open_since = None;
        self.last_commit = Instant::now();
        self.stats.committed(records, began.elapsed(), metrics);
        Ok(reached)
    }

    /// Aborts the open transaction, discarding its records.
    pub(super) async fn abort(&mut self, outbox: &mut Outbox, metrics: &TaskMetrics) -> Result<(), KafkaOpError> {
        if self.open_since.take().is_none() {
            return Ok(());
        }
        self.records = 0;
        outbox.discard();
        metrics.add("source_transactions_aborted_total", "Transactions the task aborted.", 1);
        let abort = self.producer.clone();
        blocking(move || abort.inner().abort_transaction(TRANSACTION_TIMEOUT))
            .await
            .context(|| format!("aborting a transaction of {}", self.id))
    }
}

/// Commits the open transaction through librdkafka's `rd_kafka_commit_transaction` itself: its
/// flush sends what lingers at once and waits for the acknowledgements, then ends the
/// transaction. rust-rdkafka's wrapper flushes first on its own, and its flush polls 100 ms at
/// a time for events the producer's own thread serves: every commit took 100 ms more. The
/// error, if any, as its text and code.
fn commit_transaction(producer: &Producer, timeout: Duration) -> Result<(), (String, RDKafkaErrorCode)> {
    let millis = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: the client pointer is `producer`'s, alive for the whole call; librdkafka's
    // transactional calls are thread-safe, and the error it returns (if any) is read and then
    // destroyed here, once.
    unsafe {
        let error = bindings::rd_kafka_commit_transaction(producer.inner().client().native_ptr(), millis);
        if error.is_null() {
            return Ok(());
        }
        let code = RDKafkaErrorCode::from(bindings::rd_kafka_error_code(error));
        let message = CStr::from_ptr(bindings::rd_kafka_error_string(error))
            .to_string_lossy()
            .into_owned();
        bindings::rd_kafka_error_destroy(error);
        Err((message, code))
    }
}

/// Runs a blocking client call off the async threads.
async fn blocking(call: impl FnOnce() -> Result<(), KafkaError> + Send + 'static) -> Result<(), KafkaError> {
    tokio::task::spawn_blocking(call)
        .await
        .unwrap_or(Err(KafkaError::Canceled))
}

/// The sizes and durations of the committed transactions, published as Kafka Connect's
/// `transaction-size-min`, `-max` and `-avg` and their duration counterparts.
#[derive(Default)]
struct Stats {
    count: u64,
    records: u64,
    min_records: u64,
    max_records: u64,
    seconds: f64,
    max_seconds: f64,
}

impl Stats {
    fn committed(&mut self, records: u64, took: Duration, metrics: &TaskMetrics) {
        let seconds = took.as_secs_f64();
        self.min_records = if self.count == 0 {
            records
        } else {
            self.min_records.min(records)
        };
        self.count += 1;
        self.records += records;
        self.max_records = self.max_records.max(records);
        self.seconds += seconds;
        self.max_seconds = self.max_seconds.max(seconds);
        let count = self.count as f64;
        metrics.add(
            "source_transactions_committed_total",
            "Transactions the task committed.",
            1,
        );
        metrics.set(
            "source_transaction_size_min",
            "Records in the smallest transaction committed.",
            self.min_records as f64,
        );
        metrics.set(
            "source_transaction_size_max",
            "Records in the largest transaction committed.",
            self.max_records as f64,
        );
        metrics.set(
            "source_transaction_size_avg",
            "Records per committed transaction, on average.",
            self.records as f64 / count,
        );
        metrics.set(
            "source_transaction_duration_seconds_max",
            "The longest a committed transaction was open, commit included.",
            self.max_seconds,
        );
        metrics.set(
            "source_transaction_duration_seconds_avg",
            "How long a committed transaction was open, commit included, on average.",
            self.seconds / count,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WorkerConfig;

    /// A task's transactions, not started (no broker is contacted).
    fn transactions(boundary: TransactionBoundary) -> Transactions {
        let config = WorkerConfig::from_yaml("bootstrap.servers: 127.0.0.1:1\ngroup.id: g\n").expect("config");
        Transactions::new(
            &KafkaClients::new(&config),
            "g",
            &TaskId::new("c", 2),
            &Props::new(),
            boundary,
            Duration::from_secs(3600),
        )
        .expect("producer")
    }

    #[test]
    fn transactional_ids_are_kafka_connects() {
        assert_eq!(transactions(TransactionBoundary::Poll).id, "g-c-2");
    }

    #[test]
    fn poll_ends_every_open_transaction_and_interval_waits() {
        let mut poll = transactions(TransactionBoundary::Poll);
        assert_eq!(poll.due(), None, "nothing open, nothing to end");
        poll.open_since = Some(Instant::now());
        assert_eq!(poll.due(), Some(End::Commit));

        let mut interval = transactions(TransactionBoundary::Interval(Some(Duration::from_secs(60))));
        interval.open_since = Some(Instant::now());
        assert_eq!(interval.due(), None, "the interval has not passed");
        interval.last_commit = Instant::now() - Duration::from_secs(61);
        assert_eq!(interval.due(), Some(End::Commit));
        let default = transactions(TransactionBoundary::Interval(None));
        assert!(matches!(default.boundary, Boundary::Interval(d) if d == Duration::from_secs(3600)));
        assert_eq!(poll.final_end(), Some(End::Commit));
    }

    #[test]
    fn connector_boundaries_end_where_the_task_asks() {
        let connector = transactions(TransactionBoundary::Connector);
        let context = connector.context().expect("a context for the task");
        assert_eq!(connector.due(), None);
        context.commit_transaction();
        assert_eq!(connector.due(), Some(End::Commit));
        assert_eq!(connector.due(), None, "a request is acted on once");
        context.abort_transaction();
        assert_eq!(connector.final_end(), Some(End::Abort));
        assert_eq!(
            connector.final_end(),
            None,
            "unasked at a stop: abort, committing nothing"
        );
        assert!(transactions(TransactionBoundary::Poll).context().is_none());
    }
}
