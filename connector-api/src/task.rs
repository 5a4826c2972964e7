//! Tasks: the units that move data, each run by the runtime in its own loop.
//!
//! The runtime calls a task's methods one at a time, never concurrently. Each returns a
//! [`ConnectError`] to fail the task; a retriable error is retried with backoff first.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::config::Props;
use crate::error::ConnectError;
use crate::exactly_once::TransactionContext;
use crate::metrics::TaskMetrics;
use crate::record::{SinkRecord, SourceMap, SourceRecord, TopicPartition};

/// Reads the source offsets committed for this connector.
pub trait OffsetReader: Send + Sync {
    /// The last committed offset of a source partition, if any.
    fn offset(&self, partition: &SourceMap) -> Option<SourceMap>;
}

/// What the runtime hands a source task when it starts.
#[derive(Clone)]
pub struct SourceTaskContext {
    /// The committed offsets, to resume from.
    pub offsets: Arc<dyn OffsetReader>,
    /// Where the task publishes figures about its progress.
    pub metrics: TaskMetrics,
    /// Where the task ends its transactions: only with exactly-once on and
    /// `transaction.boundary=connector`.
    pub transactions: Option<TransactionContext>,
}

/// A task that reads records from an external system.
#[async_trait]
pub trait SourceTask: Send {
    /// Starts the task with its task config; resume from `context.offsets`.
    async fn start(&mut self, props: &Props, context: SourceTaskContext) -> Result<(), ConnectError>;

    /// Returns the next batch of records. When nothing is available it waits a short while
    /// (about a second at most) and returns an empty batch, so the runtime can check for
    /// pause and stop requests.
    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError>;

    /// Tells the task these offsets, one per source partition, are now durably committed:
    /// every record up to them is in Kafka. A source that confirms progress upstream (a
    /// replication slot, a queue acknowledgement) does it here and nowhere earlier.
    async fn commit(&mut self, _committed: &[(SourceMap, SourceMap)]) -> Result<(), ConnectError> {
        Ok(())
    }

    /// Stops the task and releases its resources.
    async fn stop(&mut self) -> Result<(), ConnectError>;
}

/// A task that writes Kafka records to an external system.
#[async_trait]
pub trait SinkTask: Send {
    /// Starts the task with its task config.
    async fn start(&mut self, props: &Props) -> Result<(), ConnectError>;

    /// Takes a batch of records. The task may buffer them until [`SinkTask::flush`].
    ///
    /// When no record has come for about a second, the runtime calls it with an empty batch, so
    /// a task can act on time (close a file on schedule). After a retriable error the runtime
    /// calls it again with the same batch: records already taken must be recognised by their
    /// offsets and not taken twice.
    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError>;

    /// Makes every record put so far durable. `offsets` is the next offset to read per partition.
    async fn flush(&mut self, offsets: &BTreeMap<TopicPartition, i64>) -> Result<(), ConnectError>;

    /// Answers the offsets the runtime may commit now, given `offsets`, the next offset after
    /// every record put so far. The runtime commits what this answers, and nothing before it.
    ///
    /// The default flushes and answers `offsets`. A sink that writes in units of its own (objects
    /// in a store) answers, per partition, where its first unwritten unit starts, and keeps the
    /// rest buffered.
    async fn pre_commit(
        &mut self,
        offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, i64>, ConnectError> {
        self.flush(offsets).await?;
        Ok(offsets.clone())
    }

    /// The partitions are no longer this task's (the group rebalanced, or the task pauses): drop
    /// what is buffered for them. Their records are delivered again from the committed offsets.
    async fn close(&mut self, _partitions: &[TopicPartition]) -> Result<(), ConnectError> {
        Ok(())
    }

    /// Stops the task and releases its resources. Called after a final flush.
    async fn stop(&mut self) -> Result<(), ConnectError>;
}
