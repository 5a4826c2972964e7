//! The worker's state on compacted Kafka topics, in Kafka Connect's formats: connector and task
//! configs, source offsets, and statuses. Every worker of a group reads the same topics, so a
//! restarted worker rebuilds what it had from them.

mod config_store;
mod kafka_log;
mod log;
mod memory_log;
mod offset_store;
mod offset_stores;
mod status_store;

pub use config_store::{ConfigNotice, ConfigStore};
pub use kafka_log::KafkaLogs;
pub use log::{Apply, Log, LogRecord, Logs, Position};
pub use memory_log::MemoryLogs;
pub use offset_store::OffsetStore;
pub use offset_stores::{ConnectorOffsetReader, ConnectorOffsets, OffsetStores};
pub use status_store::StatusStore;

/// Why reading or writing an internal topic failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The Kafka client failed.
    #[error(transparent)]
    Kafka(#[from] crate::kafka::KafkaOpError),
    /// A write was not read back in time.
    #[error("timed out waiting for {0}")]
    Timeout(String),
}
