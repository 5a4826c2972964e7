//! Postgres change data capture: the `postgres-cdc` source, Debezium-compatible.
//!
//! - [`config`]: Debezium's keys.
//! - [`catalog`]: tables, columns, types, publication and slot state over SQL.
//! - [`replication`]: the replication connection (slot creation, streaming, confirmation).
//! - [`snapshot`]: the initial snapshot, consistent with the slot.
//! - [`decode`]: pgoutput messages.
//! - [`types`]: column types and values as Debezium represents them.
//! - [`envelope`]: the change events.
//! - [`source`]: the connector and its task; [`progress`]: the figures it publishes.

pub mod catalog;
pub mod config;
pub mod decode;
pub mod envelope;
pub mod progress;
pub mod replication;
pub mod snapshot;
pub mod source;
pub mod types;

use std::sync::Arc;

use weir_connector_api::{ConnectorPlugin, PluginDescriptor};

pub use source::{PostgresCdcConnector, PostgresCdcTask};

/// The connector's plugin descriptor.
pub fn plugins() -> Vec<PluginDescriptor> {
    vec![PluginDescriptor {
        class: "io.debezium.connector.postgresql.PostgresConnector".into(),
        aliases: vec!["postgres-cdc".into(), "PostgresConnector".into()],
        task_class: "io.debezium.connector.postgresql.PostgresConnectorTask".into(),
        plugin: ConnectorPlugin::Source(Arc::new(PostgresCdcConnector)),
    }]
}
