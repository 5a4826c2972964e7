//! The Weir worker: runs source and sink connectors as tasks, keeps their configs, offsets and
//! statuses in compacted Kafka topics, and serves Kafka Connect's REST API.
//!
//! - [`daemon`] starts a worker process and stops it gracefully.
//! - [`model`] is the cluster as the runtime sees it: task ids, configs, statuses.
//! - [`herder`] applies what the config topic says; [`worker`] runs the tasks; [`group`] is
//!   this worker's membership in its group, and the leader's assignor.
//! - [`storage`] holds the internal topics; [`kafka`] builds the clients.
//! - [`rest`] is the API, [`metrics`] its `GET /metrics`.

pub mod config;
pub mod console;
pub mod daemon;
pub mod group;
pub mod herder;
pub mod kafka;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod plugins;
pub mod rest;
pub mod storage;
mod sync;
#[cfg(feature = "wasm")]
pub mod wasm;
pub mod worker;
