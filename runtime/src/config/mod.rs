//! Configuration: the worker's own, and the keys every connector config shares.

pub mod connector;
pub mod worker;

pub use connector::ConnectorConfig;
pub use worker::{WorkerConfig, WorkerConfigError};
