//! Debezium's outbox event router (`io.debezium.transforms.outbox.EventRouter`), and what it is
//! made of: its config, JSON payloads read as Jackson reads them, the schemas Debezium's
//! `JsonSchemaData` infers from them, and the envelope schemas it wraps payloads in.

mod config;
mod event_router;
mod json;
mod json_schema;
mod value_schema;

pub(crate) use event_router::EventRouter;
