//! The schemas of the envelopes EventRouter wraps payloads in (when some column is placed in the
//! envelope), cached as Debezium caches them, surprises included: with
//! `table.field.event.schema.version`, one schema per version, whatever payload or topic comes
//! later with that version; without, one per payload schema (a bounded LRU map), so a later event
//! of another topic keeps the first one's schema name.

use std::collections::HashMap;
use std::sync::Arc;

use weir_connector_api::{ConnectError, Schema};

use super::config::{AdditionalField, MissingField, Placement};
use crate::util::connect_data::StructBuilder;
use crate::util::schema_cache::SchemaCache;

/// The name of the envelope's payload field.
pub(super) const ENVELOPE_PAYLOAD: &str = "payload";

/// How many payload schemas Debezium remembers (`BoundedConcurrentHashMap(10000, ...)`).
const PAYLOAD_CACHE_SIZE: usize = 10_000;

/// The envelope schemas built so far.
#[derive(Debug)]
pub(super) struct EnvelopeSchemas {
    /// By schema version (`table.field.event.schema.version`), never forgotten.
    by_version: HashMap<Option<i32>, Arc<Schema>>,
    /// By payload schema, otherwise.
    by_payload: SchemaCache<(), Arc<Schema>>,
}

impl Default for EnvelopeSchemas {
    fn default() -> Self {
        EnvelopeSchemas {
            by_version: HashMap::new(),
            by_payload: SchemaCache::new(PAYLOAD_CACHE_SIZE),
        }
    }
}

/// What an envelope schema is built from.
pub(super) struct EnvelopeSource<'a> {
    /// The payload's schema (`None` when an expanded JSON payload has none).
    pub(super) payload: Option<&'a Arc<Schema>>,
    /// The outbox row's schema.
    pub(super) row: &'a Schema,
    /// The event's `route.by.field` value.
    pub(super) routed_by: Option<&'a str>,
    /// The additional columns (those placed in the envelope join the payload there).
    pub(super) additional: &'a [AdditionalField],
    /// What a missing additional column does.
    pub(super) missing: MissingField,
}

impl EnvelopeSchemas {
    /// The envelope schema of an event of schema version `version` (`None`: not versioned).
    pub(super) fn versioned(
        &mut self,
        version: Option<i32>,
        source: &EnvelopeSource<'_>,
    ) -> Result<Arc<Schema>, ConnectError> {
        if let Some(schema) = self.by_version.get(&version) {
            return Ok(Arc::clone(schema));
        }
        let mut schema = build(source)?;
        schema.version = version;
        let schema = Arc::new(schema);
        self.by_version.insert(version, Arc::clone(&schema));
        Ok(schema)
    }

    /// The envelope schema of an event, by its payload schema.
    pub(super) fn by_payload(&mut self, source: &EnvelopeSource<'_>) -> Result<Arc<Schema>, ConnectError> {
        // Debezium's map refuses a null key.
        let payload = source
            .payload
            .ok_or_else(|| ConnectError::Data("Cannot wrap a payload without a schema in an envelope".into()))?;
        let envelope = self
            .by_payload
            .get_or_try_insert(payload, |_| build(source).map(Arc::new))?;
        Ok(Arc::clone(envelope))
    }
}

/// A new envelope schema (`getSchemaBuilder`): a required struct named after the row's schema and
/// the routed value, with the payload and the columns placed in the envelope.
fn build(source: &EnvelopeSource<'_>) -> Result<Schema, ConnectError> {
    let payload = source
        .payload
        .ok_or_else(|| ConnectError::Data(format!("fieldSchema for field {ENVELOPE_PAYLOAD} cannot be null.")))?;
    let mut envelope = StructBuilder::new();
    envelope.field(ENVELOPE_PAYLOAD, Schema::clone(payload))?;
    for additional in source.additional.iter().filter(|a| a.placement == Placement::Envelope) {
        let Some(column) = source.row.field(&additional.field) else {
            if source.missing == MissingField::Error {
                return Err(ConnectError::Data(format!(
                    "Unable to find field {} in event",
                    additional.field
                )));
            }
            continue;
        };
        envelope.field(&additional.alias, column.schema.clone())?;
    }
    Ok(envelope
        .build()
        .named(envelope_name(source.row.name.as_deref(), source.routed_by)))
}

/// `outboxserver.public.outbox.Value` routed by `Order` is `outboxserver.public.outbox.Order.Value`
/// (`getSchemaName`); a null routed value is spelled `null`, as Java concatenates it.
fn envelope_name(row_schema_name: Option<&str>, routed_by: Option<&str>) -> String {
    let routed = routed_by.unwrap_or("null");
    match row_schema_name {
        Some(name) => match name.rsplit_once('.') {
            Some((namespace, simple)) => format!("{namespace}.{routed}.{simple}"),
            None => format!("{routed}.{name}"),
        },
        None => routed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_names_put_the_routed_value_before_the_simple_name() {
        assert_eq!(
            envelope_name(Some("a.b.outbox.Value"), Some("Order")),
            "a.b.outbox.Order.Value"
        );
        assert_eq!(envelope_name(Some("Value"), Some("Order")), "Order.Value");
        assert_eq!(envelope_name(None, None), "null");
    }
}
