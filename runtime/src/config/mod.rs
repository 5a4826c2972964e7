//! Configuration: the worker's own, the keys every connector config shares, its transforms, and
//! the automatic restart of failed tasks.

pub mod broker_security;
pub mod client_overrides;
pub mod connector;
pub mod plugin_version;
pub mod providers;
pub mod rest_listeners;
pub mod restart;
pub mod topic_creation;
pub mod transforms;
pub mod worker;

pub use connector::ConnectorConfig;
pub use worker::{WorkerConfig, WorkerConfigError};
