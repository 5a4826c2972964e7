//! The log under every store: an append-only, compacted topic read from its start and tailed,
//! whose records each store applies to its state (Kafka Connect's `KafkaBasedLog`). The worker
//! uses Kafka ([`super::KafkaLogs`]); tests use [`super::MemoryLogs`].

use std::sync::Arc;

use async_trait::async_trait;

use super::StorageError;
use crate::config::worker::InternalTopic;

/// One record of a log, as read.
#[derive(Clone, Copy, Debug)]
pub struct LogRecord<'a> {
    /// Its partition.
    pub partition: i32,
    /// Its offset in that partition.
    pub offset: i64,
    /// Its key.
    pub key: Option<&'a [u8]>,
    /// Its value; `None` for a tombstone.
    pub value: Option<&'a [u8]>,
}

/// Called with each record, in log order per partition.
pub type Apply = Box<dyn FnMut(LogRecord<'_>) + Send>;

/// Where a record was written: its partition and offset.
pub type Position = (i32, i64);

/// A log that a store writes to and reads from.
#[async_trait]
pub trait Log: Send + Sync {
    /// Writes a record (a tombstone when `value` is `None`) and returns once the log has
    /// acknowledged it; it is applied to readers later.
    async fn append(&self, key: &str, value: Option<&[u8]>) -> Result<Position, StorageError>;

    /// Waits until the record at `position` has been applied.
    async fn applied(&self, position: Position) -> Result<(), StorageError>;

    /// Waits until every record written before this call has been applied.
    async fn read_to_end(&self) -> Result<(), StorageError>;

    /// Writes a record, and waits until it has been read back and applied.
    async fn send(&self, key: &str, value: Option<&[u8]>) -> Result<(), StorageError> {
        let position = self.append(key, value).await?;
        self.applied(position).await
    }
}

/// Opens the logs of named topics, each read from its start by `apply`.
#[async_trait]
pub trait Logs: Send + Sync {
    /// Starts reading `topic`, applying each record with `apply`.
    async fn open(&self, topic: &str, apply: Apply) -> Result<Arc<dyn Log>, StorageError>;

    /// Creates `topic` as a compacted internal topic if it does not exist (and checks that it
    /// is compacted if it does).
    async fn create(&self, topic: &InternalTopic) -> Result<(), StorageError>;
}
