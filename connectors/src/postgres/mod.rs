//! Postgres change data capture: the building blocks of the `postgres-cdc` source.
//!
//! - [`decode`] reads pgoutput's logical replication messages.
//! - [`types`] maps column types and values to Debezium's Kafka Connect representation.

pub mod decode;
pub mod types;
