//! Tasks: the units that move data, each run by the runtime in its own loop.
//!
//! The runtime calls a task's methods one at a time, never concurrently. Each returns a
//! [`ConnectError`] to fail the task; a retriable error is retried with backoff first.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::config::Props;
use crate::error::ConnectError;
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
    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError>;

    /// Makes every record put so far durable. The runtime commits `offsets` (the next offset to
    /// read per partition) to Kafka only after this returns `Ok`.
    async fn flush(&mut self, offsets: &BTreeMap<TopicPartition, i64>) -> Result<(), ConnectError>;

    /// Stops the task and releases its resources. Called after a final flush.
    async fn stop(&mut self) -> Result<(), ConnectError>;
}
