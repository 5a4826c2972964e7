//! Confluent's Schema Registry as its serializers use it: the settings every registry-backed
//! converter shares, the REST client with its caches, the subject a schema is registered
//! under, and the wire format (magic byte 0, a 4-byte schema id, then the payload).
//!
//! Apicurio Registry serves the same API at `/apis/ccompat/v7`; where it answers differently
//! (a 409's `error_code` is 0), only the message is relied on.

mod client;
mod config;
mod subject;
pub(crate) mod wire;

pub(crate) use client::{RegisteredSchema, RegistryClient, SchemaKind, SchemaReference, lock};
pub(crate) use config::{RegistryConfig, config_def};
