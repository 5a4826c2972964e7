//! Debezium's outbox event router (`io.debezium.transforms.outbox.EventRouter`): turns the change
//! events of an outbox table into the events its rows describe.
//!
//! An inserted (or snapshotted) row becomes a record on the topic routed from one of its columns
//! (`route.by.field` through `route.topic.regex`/`route.topic.replacement`), keyed by another,
//! with the payload column as its value (or in an envelope with other columns), the event id in an
//! `id` header, and further columns in headers, the envelope or the partition
//! (`table.fields.additional.placement`). Deletes and tombstones are dropped, updates dropped (or
//! fatal, per `table.op.invalid.behavior`), and records that are not change events pass through.
//! A JSON string payload may be expanded into a struct (`table.expand.json.payload`).
//!
//! As in a plain Kafka Connect worker, the default configuration provider is the only one (no
//! connector supplies its own) and tracing is off (no OpenTelemetry): the `tracing.*` keys are
//! declared and checked, and do nothing. Where Debezium fails on a null pointer (a null routed
//! value, an unknown placement, a sink record left without a partition), Weir fails the record
//! with a data error that says why.

use std::sync::Arc;

use tracing::{error, warn};
use weir_connector_api::java::names::type_name;
use weir_connector_api::java::string::trim;
use weir_connector_api::{
    ConfigDef, ConnectError, ConnectHeader, ConnectRecord, Props, Schema, Transformation, TransformationPlugin, Value,
};

use super::super::envelope::{self, AFTER, DELETE_CODE, TIMESTAMP, UPDATE_CODE};
use super::config::{InvalidOperation, MissingField, Placement, Settings};
use super::json::{JsonNode, read_tree};
use super::json_schema::{ExpansionError, JsonSchemaData};
use super::value_schema::{ENVELOPE_PAYLOAD, EnvelopeSchemas, EnvelopeSource};
use crate::util::connect_data::{JavaStruct, Location, schema_header, validate_value, value_to_string};
use crate::util::requirements::require_struct;
use crate::util::schema_cache::SchemaCache;

/// The transform class.
pub(crate) struct EventRouter;

impl TransformationPlugin for EventRouter {
    fn config_def(&self) -> ConfigDef {
        super::config::config_def()
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        Ok(Box::new(Router {
            settings: Settings::parse(props)?,
            rows: SchemaCache::kafka_connect(),
            envelopes: EnvelopeSchemas::default(),
        }))
    }
}

/// A configured EventRouter.
struct Router {
    /// The configured settings.
    settings: Settings,
    /// The schemas events take from their row, by change event schema.
    rows: SchemaCache<(), RowSchemas>,
    /// The envelope schemas built so far.
    envelopes: EnvelopeSchemas,
}

/// The schemas an event takes from the outbox row's columns, the same for every change event of
/// one schema; `None` for a column the row lacks.
#[derive(Debug)]
struct RowSchemas {
    /// The payload column's.
    payload: Option<Arc<Schema>>,
    /// The event id column's (the `id` header's).
    event_id: Option<Arc<Schema>>,
    /// The event key column's (the key's).
    key: Option<Arc<Schema>>,
    /// Per additional column, in config order: its schema when it goes in a header.
    headers: Vec<Option<Arc<Schema>>>,
}

impl RowSchemas {
    /// The schemas of the rows of change events of schema `change_event`.
    fn of(change_event: &Schema, settings: &Settings) -> Result<Self, ConnectError> {
        let row = &envelope::field(change_event, AFTER)?.schema;
        let column = |name: &str| row.field(name).map(|field| Arc::new(field.schema.clone()));
        Ok(RowSchemas {
            payload: column(&settings.payload_field),
            event_id: column(&settings.event_id_field),
            key: column(&settings.event_key_field),
            headers: settings
                .additional_fields
                .iter()
                .map(|a| (a.placement == Placement::Header).then(|| column(&a.field)).flatten())
                .collect(),
        })
    }
}

impl Transformation for Router {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.is_null() {
            return Ok(None);
        }
        let Some(schema) = record.value_schema.clone().filter(|s| envelope::is_envelope(s)) else {
            // Heartbeats, schema changes and the like.
            return Ok(Some(record));
        };
        let change_event = JavaStruct::new(&schema, require_struct(&record.value, "Detect Debezium Operation")?);
        match envelope::operation(&change_event)? {
            DELETE_CODE => Ok(None),
            UPDATE_CODE => self.skip_update(&record),
            _ => self.route(record, &schema).map(Some),
        }
    }
}

/// Where the event's value comes from once the change event is no longer borrowed.
enum Payload {
    /// The payload column's stored value, moved out of the change event.
    Stored,
    /// A value of its own: an expanded JSON payload, or a default or null.
    Owned(Value),
}

/// The value an event has.
enum Body {
    /// None (an empty payload with `route.tombstone.on.empty.payload`).
    Tombstone,
    /// The payload itself, with its schema.
    Payload(Option<Arc<Schema>>),
    /// An envelope of this schema: the payload and the columns placed in it.
    Envelope(Arc<Schema>, Vec<(String, Value)>),
}

/// An event read from its change event (headers go straight to the record).
struct Event {
    /// The routed value, which the topic is made of.
    topic: String,
    /// The Kafka partition, when a column is placed there.
    partition: Option<i32>,
    /// The key's schema: the key column's.
    key_schema: Arc<Schema>,
    /// The key: the key column's value.
    key: Value,
    /// The Kafka timestamp.
    timestamp: Option<i64>,
    /// Where the payload comes from.
    payload: Payload,
    /// The value the event has.
    body: Body,
}

impl Router {
    /// Drops an update of the outbox table, or fails (`table.op.invalid.behavior`).
    fn skip_update(&self, record: &ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        match self.settings.invalid_operation {
            InvalidOperation::Warn => warn!(topic = %record.topic, "Unexpected update message received and ignored"),
            InvalidOperation::Error => error!(topic = %record.topic, "Unexpected update message received and ignored"),
            InvalidOperation::Fatal => {
                return Err(ConnectError::Data(format!(
                    "Unexpected update message received {}, fail.",
                    value_to_string(&record.key)
                )));
            }
        }
        Ok(None)
    }

    /// The event of an inserted or read outbox row.
    fn route(&mut self, mut record: ConnectRecord, schema: &Arc<Schema>) -> Result<ConnectRecord, ConnectError> {
        let Router {
            settings,
            rows,
            envelopes,
        } = self;
        let row_schemas = rows.get_or_try_insert(schema, |s| RowSchemas::of(s, settings))?;
        let mut change_event = std::mem::replace(&mut record.value, Value::Null);
        let event = read_event(
            settings,
            row_schemas,
            envelopes,
            schema,
            &change_event,
            &mut record.headers,
        )?;
        if record.is_sink_record() && event.partition.is_none() {
            // Kafka Connect's `SinkRecord` cannot be made without a partition.
            return Err(ConnectError::Data(
                "A sink record needs a Kafka partition, and the outbox event has none (an int32 column can be \
                 placed in the partition with table.fields.additional.placement)"
                    .into(),
            ));
        }
        let payload = match event.payload {
            Payload::Owned(value) => value,
            Payload::Stored => take_payload(&mut change_event, &settings.payload_field),
        };
        let (value_schema, value) = match event.body {
            Body::Tombstone => (None, Value::Null),
            Body::Payload(schema) => (schema, payload),
            Body::Envelope(schema, mut fields) => {
                if let Some(slot) = fields.iter_mut().find(|(name, _)| name == ENVELOPE_PAYLOAD) {
                    slot.1 = payload;
                }
                (Some(schema), Value::Struct(fields))
            }
        };
        record.topic = routed_topic(settings, event.topic)?;
        record.partition = event.partition;
        record.key_schema = Some(event.key_schema);
        record.key = event.key;
        record.value_schema = value_schema;
        record.value = value;
        record.timestamp = event.timestamp;
        Ok(record)
    }
}

/// Reads the event out of a change event (`EventRouterDelegate.apply`), in Debezium's order; adds
/// its headers to `headers`.
fn read_event(
    settings: &Settings,
    row_schemas: &RowSchemas,
    envelopes: &mut EnvelopeSchemas,
    schema: &Schema,
    change_event: &Value,
    headers: &mut Vec<ConnectHeader>,
) -> Result<Event, ConnectError> {
    let change_event = JavaStruct::new(schema, require_struct(change_event, "Outbox converter")?);
    let row_schema = &envelope::field(schema, AFTER)?.schema;
    let row = JavaStruct::new(
        row_schema,
        require_struct(change_event.get(AFTER)?, "Read Outbox Event")?,
    );
    let column_schema = |schema: &Option<Arc<Schema>>, what: &str, column: &str| {
        schema
            .clone()
            .ok_or_else(|| ConnectError::Data(format!("Unable to find {what} field {column} in event")))
    };
    let mut payload_schema = Some(column_schema(&row_schemas.payload, "payload", &settings.payload_field)?);
    let timestamp = event_timestamp(settings, &change_event, &row)?;
    let event_id = row.get(&settings.event_id_field)?;
    let id_schema = column_schema(&row_schemas.event_id, "event-id", &settings.event_id_field)?;
    headers.push(schema_header("id", id_schema, event_id.clone())?);

    let stored_payload = row.get(&settings.payload_field)?;
    let mut expanded = None;
    if let Some(json) = &settings.json_expansion {
        (payload_schema, expanded) = expand(json, &settings.payload_field, stored_payload, payload_schema);
    }
    let payload = expanded.as_ref().unwrap_or(stored_payload);

    let mut envelope = None;
    if !settings.payload_only() {
        let schema = envelope_schema(settings, envelopes, &row, payload_schema.as_ref())?;
        let fields: Vec<(String, Value)> = schema.fields.iter().map(|f| (f.name.clone(), Value::Null)).collect();
        check_put(&schema, ENVELOPE_PAYLOAD, payload, payload_schema.as_deref())?;
        envelope = Some((schema, fields));
    }

    let mut partition = None;
    for (additional, header_schema) in settings.additional_fields.iter().zip(&row_schemas.headers) {
        if settings.missing_additional_field == MissingField::Ignore && row_schema.field(&additional.field).is_none() {
            continue;
        }
        match &additional.placement {
            Placement::Envelope => {
                let value = row.get(&additional.field)?;
                if let Some((schema, fields)) = envelope.as_mut() {
                    check_put(
                        schema,
                        &additional.alias,
                        value,
                        Some(row.field_schema(&additional.field)?),
                    )?;
                    if let Some(slot) = fields.iter_mut().find(|(name, _)| *name == additional.alias) {
                        slot.1 = value.clone();
                    }
                }
            }
            Placement::Header => {
                let value = row.get(&additional.field)?;
                let schema = column_schema(header_schema, "header", &additional.field)?;
                headers.push(schema_header(&additional.alias, schema, value.clone())?);
            }
            Placement::Partition => partition = row.get_int32(&additional.field)?,
            Placement::Unknown(placement) => {
                return Err(ConnectError::Data(format!(
                    "Unknown placement '{placement}' of the additional field {} in table.fields.additional.placement",
                    additional.field
                )));
            }
        }
    }

    let empty = match payload {
        Value::Null => true,
        Value::String(text) => trim(text).is_empty(),
        _ => false,
    };
    let body = match envelope {
        _ if empty && settings.tombstone_on_empty_payload => Body::Tombstone,
        Some((schema, fields)) => Body::Envelope(schema, fields),
        None => Body::Payload(payload_schema),
    };
    let key = row.get(&settings.event_key_field)?.clone();
    let key_schema = column_schema(&row_schemas.key, "key", &settings.event_key_field)?;
    let topic = row.get_string(&settings.route_by_field)?.ok_or_else(|| {
        ConnectError::Data(format!(
            "Cannot route the event: its {} column is null",
            settings.route_by_field
        ))
    })?;
    // The payload can move out of the change event only when both the row and the column hold it.
    let payload = match expanded {
        Some(value) => Payload::Owned(value),
        None if !change_event.stored(AFTER).is_null() && !row.stored(&settings.payload_field).is_null() => {
            Payload::Stored
        }
        None => Payload::Owned(stored_payload.clone()),
    };
    Ok(Event {
        topic: topic.to_owned(),
        partition,
        key_schema,
        key,
        timestamp,
        payload,
        body,
    })
}

/// The event's Kafka timestamp: the `table.field.event.timestamp` column (a Debezium timestamp
/// of milli-, micro- or nanoseconds) when set and not null, else when Debezium processed the change.
fn event_timestamp(
    settings: &Settings,
    change_event: &JavaStruct<'_>,
    row: &JavaStruct<'_>,
) -> Result<Option<i64>, ConnectError> {
    let Some(column) = &settings.timestamp_field else {
        return change_event.get_int64(TIMESTAMP);
    };
    let schema = &row
        .schema()
        .field(column)
        .ok_or_else(|| ConnectError::Data(format!("Unable to find timestamp field {column} in event")))?
        .schema;
    let Some(timestamp) = row.get_int64(column)? else {
        return change_event.get_int64(TIMESTAMP);
    };
    match schema.name.as_deref() {
        Some("io.debezium.time.Timestamp") => Ok(Some(timestamp)),
        Some("io.debezium.time.MicroTimestamp") => Ok(Some(timestamp / 1_000)),
        Some("io.debezium.time.NanoTimestamp") => Ok(Some(timestamp / 1_000_000)),
        Some(other) => Err(ConnectError::Data(format!(
            "Unsupported field type {other} for event timestamp"
        ))),
        None => Err(ConnectError::Data(format!(
            "Unsupported field type {} (without logical schema name) for event timestamp",
            type_name(schema.kind)
        ))),
    }
}

/// The envelope schema of an event, from Debezium's caches.
fn envelope_schema(
    settings: &Settings,
    envelopes: &mut EnvelopeSchemas,
    row: &JavaStruct<'_>,
    payload_schema: Option<&Arc<Schema>>,
) -> Result<Arc<Schema>, ConnectError> {
    let version = match &settings.schema_version_field {
        Some(column) => Some(row.get_int32(column)?),
        None => None,
    };
    let source = EnvelopeSource {
        payload: payload_schema,
        row: row.schema(),
        routed_by: row.get_string(&settings.route_by_field)?,
        additional: &settings.additional_fields,
        missing: settings.missing_additional_field,
    };
    match version {
        Some(version) => envelopes.versioned(version, &source),
        None => envelopes.by_payload(&source),
    }
}

/// Checks that `value` (of schema `own`, when known) may go in field `name` of the envelope
/// `schema`, as `Struct.put` checks it.
fn check_put(schema: &Schema, name: &str, value: &Value, own: Option<&Schema>) -> Result<(), ConnectError> {
    let target = &schema
        .field(name)
        .ok_or_else(|| ConnectError::Data(format!("{name} is not a valid field name")))?
        .schema;
    if matches!(value, Value::Struct(_)) && own.is_some_and(|own| own != target) {
        return Err(ConnectError::Data("Struct schemas do not match.".into()));
    }
    validate_value(target, value, &Location::Field(name))
}

/// Expands a JSON string payload: its inferred schema and the value built under it. Debezium logs
/// a payload it cannot expand and keeps it, and the inferred schema with it when only the value
/// could not be built (a top-level array, a number beyond 64 bits); a payload without a schema
/// (an empty array) leaves none.
fn expand(
    json: &JsonSchemaData,
    payload_field: &str,
    payload: &Value,
    schema: Option<Arc<Schema>>,
) -> (Option<Arc<Schema>>, Option<Value>) {
    let Value::String(text) = payload else {
        if !payload.is_null() {
            warn!("Expand JSON payload is turned on but payload is not a string");
        }
        return (schema, None);
    };
    let inferred =
        match parse_json_payload(text).and_then(|node| Ok((json.schema_of(Some(payload_field), &node)?, node))) {
            Ok(inferred) => inferred,
            Err(e) => {
                warn!("JSON expansion failed: {e}");
                return (schema, None);
            }
        };
    let (Some(inferred), node) = inferred else {
        warn!("JSON expansion failed: the payload has no schema");
        return (None, None);
    };
    match json.value_of(&node, &inferred) {
        Ok(value) => (Some(Arc::new(inferred)), Some(value)),
        Err(e) => {
            warn!("JSON expansion failed: {e}");
            (Some(Arc::new(inferred)), None)
        }
    }
}

/// A payload that starts as a JSON object or array does, read as Jackson reads it.
fn parse_json_payload(text: &str) -> Result<JsonNode, ExpansionError> {
    match text.chars().next() {
        Some('{' | '[') => read_tree(text),
        Some(c) => Err(format!("Unable to parse payload starting with '{c}'")),
        None => Err("Unable to parse an empty payload".into()),
    }
}

/// Moves the payload column's value out of the change event.
fn take_payload(change_event: &mut Value, payload_field: &str) -> Value {
    let Value::Struct(fields) = change_event else {
        return Value::Null;
    };
    let row = fields.iter_mut().find(|(name, _)| name == AFTER);
    let Some((_, Value::Struct(columns))) = row else {
        return Value::Null;
    };
    columns
        .iter_mut()
        .find(|(name, _)| name == payload_field)
        .map_or(Value::Null, |(_, value)| std::mem::replace(value, Value::Null))
}

/// The topic of an event: its routed value, replaced when `route.topic.regex` matches it whole.
fn routed_topic(settings: &Settings, routed_by: String) -> Result<String, ConnectError> {
    Ok(settings.route.apply(&routed_by)?.unwrap_or(routed_by))
}
