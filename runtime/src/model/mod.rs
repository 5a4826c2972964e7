//! The cluster as the runtime sees it, apart from how it is stored or shown: task ids, the
//! desired state read from the config topic (with the offset it was read at, and the session
//! key workers sign their requests with), and what runs.
//!
//! The storage reads and writes these; the herder and the worker act on them; the REST API maps
//! them to Kafka Connect's wire shapes.

mod cluster;
mod running;
mod session_key;
mod status;
mod task_id;
mod views;

pub use cluster::{ClusterConfig, RestartRequest, TargetState};
pub use running::{Running, RunningTask};
pub use session_key::{MacAlgorithm, SessionKey};
pub use status::{AutoRestart, State, Status};
pub use task_id::TaskId;
pub use views::{
    ConnectorInfo, ConnectorStatus, InstanceStatus, PartitionLag, PartitionOffset, PluginKind, PluginSummary,
    TaskConfig, TaskStatus, Validation,
};
