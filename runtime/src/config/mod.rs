//! Configuration: the worker's own, the keys every connector config shares, and its transforms.

pub mod connector;
pub mod transforms;
pub mod worker;

pub use connector::ConnectorConfig;
pub use worker::{WorkerConfig, WorkerConfigError};
