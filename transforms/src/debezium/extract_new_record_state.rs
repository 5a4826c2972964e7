//! `ExtractNewRecordState`: Debezium's CDC "unwrap". A change event envelope becomes the row
//! after the change; deletes, tombstones and truncates go as `delete.tombstone.handling.mode`
//! says; envelope fields can be copied into the row (`add.fields`) or into headers
//! (`add.headers`), the topic taken from a row field (`route.by.field`), and the fields a header
//! lists dropped (`drop.fields.header.name`). Records that are not change events pass unchanged.
//!
//! Debezium 3 no longer reads `drop.tombstones` or `delete.handling.mode`: they are ignored, as
//! there.

use std::sync::Arc;

use weir_connector_api::java::names::class_name;
use weir_connector_api::java::string::{is_blank, trim};
use weir_connector_api::{
    ConfigDef, ConfigType, ConnectError, ConnectHeader, ConnectRecord, Importance, Props, Schema, SchemaType,
    Transformation, TransformationPlugin, Validator, Value, Width,
};

use super::config::field;
use super::envelope::{self, AFTER, BEFORE, DELETE_CODE, OPERATION};
use super::field_reference::{FieldReference, Resolved};
use crate::util::connect_data::{
    JavaStruct, StructBuilder, fill_defaults, stored, struct_fields, struct_get, with_default,
};
use crate::util::kafka_config::list;
use crate::util::requirements::{require_map, take_struct};
use crate::util::schema_cache::SchemaCache;

/// The key choosing what becomes of deletes and tombstones.
const HANDLING_MODE: &str = "delete.tombstone.handling.mode";
/// The key naming the row field whose value becomes the topic.
const ROUTE_BY_FIELD: &str = "route.by.field";
/// The key of the prefix of the fields added to the row.
const ADD_FIELDS_PREFIX: &str = "add.fields.prefix";
/// The key listing the envelope fields added to the row.
const ADD_FIELDS: &str = "add.fields";
/// The key of the prefix of the headers added.
const ADD_HEADERS_PREFIX: &str = "add.headers.prefix";
/// The key listing the envelope fields added as headers.
const ADD_HEADERS: &str = "add.headers";
/// The key naming the header that lists fields to drop.
const DROP_FIELDS_HEADER: &str = "drop.fields.header.name";
/// The key choosing whether those fields are dropped from the key too.
const DROP_FIELDS_FROM_KEY: &str = "drop.fields.from.key";
/// The key choosing whether only optional fields are dropped.
const DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE: &str = "drop.fields.keep.schema.compatible";
/// Read by Debezium though it does not declare it: whether the `__deleted` rewrite gives null
/// fields their defaults (anything but `false` is true).
const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// The prefix of added fields and headers unless configured.
const METADATA_PREFIX: &str = "__";
/// The field the rewrite modes add: `true` for a delete, `false` otherwise.
const DELETED_FIELD: &str = "__deleted";
/// What Debezium names when a value to add fields to is not a struct.
const PURPOSE: &str = "source field insertion";
/// What Debezium names when an insert or update to route is not a struct.
const ROUTE_PURPOSE: &str = "Read record to set topic routing for CREATE / UPDATE";
/// What Kafka Connect's `ReplaceField` names when a key or value to drop fields from is not one.
const DROP_PURPOSE: &str = "field replacement";
/// How many envelope schemas' shapes are kept (Debezium keeps 64 derived schemas).
const SHAPE_CACHE_SIZE: usize = 64;
/// How many schemas with fields dropped are kept, per envelope schema and for keys.
const DROP_CACHE_SIZE: usize = 16;

/// The documentation of `delete.tombstone.handling.mode`, as Debezium words it.
const HANDLING_MODE_DOC: &str = "How to handle delete records. Options are: \
    drop - Remove the delete event and tombstone from the stream.\
    tombstone (default) - For each delete event, leave only a tombstone in the stream.\
    rewrite - Remove tombstone from the record, and add a `__deleted` field with the value `true`.\
    rewrite-with-tombstone - Retain tombstone in record and add a `__deleted` field with the value `true`.\
    delete-to-tombstone - Convert delete events to tombstone events and drop tombstone events.";
/// The documentation of `add.fields`, as Debezium words it.
const ADD_FIELDS_DOC: &str = "Adds each field listed, prefixed with __ (or __<struct>_ if the struct is specified). \
    Example: 'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. \
    Optionally one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP.\
    Please note that the new field name is case-sensitive.";
/// The documentation of `add.headers`, as Debezium words it.
const ADD_HEADERS_DOC: &str = "Adds each field listed to the header,  __ (or __<struct>_ if the struct is specified). \
    Example: 'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. \
    Optionally one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP.\
    Please note that the new field name is case-sensitive.";

/// What becomes of deletes and tombstones (`delete.tombstone.handling.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DeleteHandling {
    /// Deletes and tombstones are dropped.
    Drop,
    /// A delete becomes a record with a null value (and `after`'s schema); tombstones are dropped.
    Tombstone,
    /// A delete becomes the row before it with `__deleted` true; tombstones are dropped.
    Rewrite,
    /// As `Rewrite`, but tombstones are kept.
    RewriteWithTombstone,
    /// A delete becomes a tombstone (no value schema either); tombstones are dropped.
    DeleteToTombstone,
}

impl DeleteHandling {
    /// Every mode under its config name, in the order Debezium lists them.
    const NAMED: [(&'static str, DeleteHandling); 5] = [
        ("drop", DeleteHandling::Drop),
        ("tombstone", DeleteHandling::Tombstone),
        ("rewrite-with-tombstone", DeleteHandling::RewriteWithTombstone),
        ("rewrite", DeleteHandling::Rewrite),
        ("delete-to-tombstone", DeleteHandling::DeleteToTombstone),
    ];

    /// The mode a config value names, case-insensitively.
    fn parse(value: &str) -> Option<Self> {
        let value = trim(value);
        Self::NAMED
            .iter()
            .find_map(|(name, mode)| name.eq_ignore_ascii_case(value).then_some(*mode))
    }

    /// Whether rows get the `__deleted` field.
    fn rewrites(self) -> bool {
        matches!(self, DeleteHandling::Rewrite | DeleteHandling::RewriteWithTombstone)
    }
}

/// The transform class.
pub(crate) struct ExtractNewRecordState;

impl TransformationPlugin for ExtractNewRecordState {
    fn config_def(&self) -> ConfigDef {
        let modes = DeleteHandling::NAMED.map(|(name, _)| name);
        ConfigDef::new()
            .define_key(
                field(
                    HANDLING_MODE,
                    ConfigType::String,
                    Importance::Medium,
                    Width::Medium,
                    "Handle delete and tombstone records",
                    HANDLING_MODE_DOC,
                )
                .default_value("tombstone")
                .validator(Validator::one_of(&modes)),
            )
            .define_key(
                field(
                    ROUTE_BY_FIELD,
                    ConfigType::String,
                    Importance::Low,
                    Width::Long,
                    "Route by field name",
                    "The column which determines how the events will be routed, the value will replace the topic name.",
                )
                .default_value(""),
            )
            .define_key(
                field(
                    ADD_FIELDS_PREFIX,
                    ConfigType::String,
                    Importance::Low,
                    Width::Short,
                    "Field prefix to be added to each field.",
                    "Adds this prefix to each field listed.",
                )
                .default_value(METADATA_PREFIX),
            )
            .define_key(
                field(
                    ADD_FIELDS,
                    ConfigType::List,
                    Importance::Low,
                    Width::Long,
                    "Adds the specified field(s) to the message if they exist.",
                    ADD_FIELDS_DOC,
                )
                .default_value(""),
            )
            .define_key(
                field(
                    ADD_HEADERS_PREFIX,
                    ConfigType::String,
                    Importance::Low,
                    Width::Short,
                    "Header prefix to be added to each header.",
                    "Adds this prefix listed to each header.",
                )
                .default_value(METADATA_PREFIX),
            )
            .define_key(
                field(
                    ADD_HEADERS,
                    ConfigType::List,
                    Importance::Low,
                    Width::Long,
                    "Adds the specified fields to the header if they exist.",
                    ADD_HEADERS_DOC,
                )
                .default_value(""),
            )
            .define_key(
                field(
                    DROP_FIELDS_HEADER,
                    ConfigType::String,
                    Importance::Low,
                    Width::Short,
                    "Specifies a header that contains a list of field names to be removed",
                    "Specifies the name of a header that contains a list of fields to be removed from the event value.",
                )
                .default_null(),
            )
            .define_key(
                field(
                    DROP_FIELDS_FROM_KEY,
                    ConfigType::Boolean,
                    Importance::Low,
                    Width::Short,
                    "Specifies whether the fields to be dropped should also be omitted from the key",
                    "Specifies whether to apply the drop fields behavior to the event key as well as the value. \
                     Default behavior is to only remove fields from the event value, not the key.",
                )
                .default_value("false"),
            )
            .define_key(
                field(
                    DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE,
                    ConfigType::Boolean,
                    Importance::Low,
                    Width::Short,
                    "Specifies if fields are dropped, will the event's schemas be compatible",
                    "Controls the output event's schema compatibility when using the drop fields feature. \
                     `true`: dropped fields are removed if the schema indicates its optional leaving the schemas \
                     unchanged, `false`: dropped fields are removed from the key/value schemas, regardless of \
                     optionality.",
                )
                .default_value("true"),
            )
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        // Debezium reads its string settings as given, untrimmed.
        let raw = |key: &str, default: &'static str| props.get(key).map_or(default, String::as_str);
        let mode = DeleteHandling::parse(raw(HANDLING_MODE, "tombstone"))
            .ok_or_else(|| ConnectError::Config(format!("Invalid value for configuration {HANDLING_MODE}")))?;
        let route_by_field = Some(raw(ROUTE_BY_FIELD, ""))
            .filter(|f| !f.is_empty())
            .map(str::to_owned);
        let settings = Settings {
            mode,
            replace_null_with_default: !trim(raw(REPLACE_NULL_WITH_DEFAULT, "true")).eq_ignore_ascii_case("false"),
            route_by_field,
            added_fields: FieldReference::parse_list(raw(ADD_FIELDS_PREFIX, METADATA_PREFIX), raw(ADD_FIELDS, ""))?,
            added_headers: FieldReference::parse_list(raw(ADD_HEADERS_PREFIX, METADATA_PREFIX), raw(ADD_HEADERS, ""))?,
            drop_fields_header: Some(raw(DROP_FIELDS_HEADER, ""))
                .filter(|h| !is_blank(h))
                .map(str::to_owned),
            drop_fields_from_key: config.bool(DROP_FIELDS_FROM_KEY).unwrap_or(false),
            keep_schema_compatible: config.bool(DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE).unwrap_or(true),
        };
        Ok(Box::new(Extractor {
            settings,
            shapes: SchemaCache::new(SHAPE_CACHE_SIZE),
            dropped_keys: SchemaCache::new(DROP_CACHE_SIZE),
            delete_header_schema: Arc::new(Schema::string()),
        }))
    }
}

/// The configured behaviour.
#[derive(Debug)]
struct Settings {
    /// What becomes of deletes and tombstones.
    mode: DeleteHandling,
    /// Whether the `__deleted` rewrite gives null fields their defaults.
    replace_null_with_default: bool,
    /// The row field whose value becomes the topic, if any.
    route_by_field: Option<String>,
    /// The envelope fields copied into the row.
    added_fields: Vec<FieldReference>,
    /// The envelope fields copied into headers.
    added_headers: Vec<FieldReference>,
    /// The header listing fields to drop, if any.
    drop_fields_header: Option<String>,
    /// Whether those fields are dropped from the key too.
    drop_fields_from_key: bool,
    /// Whether only optional fields are dropped (the schemas stay compatible).
    keep_schema_compatible: bool,
}

/// One instance: the settings and what it derived from the schemas it saw.
struct Extractor {
    /// The configured behaviour.
    settings: Settings,
    /// The shapes of change events, by envelope schema.
    shapes: SchemaCache<(), Shapes>,
    /// Key schemas with fields dropped, by key schema and the fields dropped.
    dropped_keys: SchemaCache<Vec<String>, Arc<Schema>>,
    /// The schema of the `op` header a tombstone gets.
    delete_header_schema: Arc<Schema>,
}

/// Why a shape cannot be built; Debezium fails each record that needs it, as it builds the
/// schema again and throws again.
#[derive(Clone, Debug)]
struct Failure(String);

impl From<ConnectError> for Failure {
    fn from(error: ConnectError) -> Self {
        Failure(match error {
            ConnectError::Data(message) => message,
            other => other.to_string(),
        })
    }
}

impl From<Failure> for ConnectError {
    fn from(Failure(message): Failure) -> Self {
        ConnectError::Data(message)
    }
}

/// A shape, or the error of a record that needs it.
fn shape<T>(shape: &Result<T, Failure>) -> Result<&T, ConnectError> {
    shape.as_ref().map_err(|failure| failure.clone().into())
}

/// What the change events of one envelope schema become.
struct Shapes {
    /// `after`'s schema, that of a delete in `tombstone` mode.
    after: Result<Arc<Schema>, Failure>,
    /// The added fields, where each is found.
    fields: Result<Vec<Resolved>, Failure>,
    /// The added headers, where each is found.
    headers: Result<Vec<Resolved>, Failure>,
    /// The row of an insert or update: `after`'s fields, and `__deleted` in the rewrite modes.
    upsert_row: Result<Arc<Schema>, Failure>,
    /// An insert or update: its row and the added fields.
    upsert: Result<Arc<Schema>, Failure>,
    /// The row of a rewritten delete: `before`'s fields and `__deleted`.
    deleted_row: Result<Arc<Schema>, Failure>,
    /// A rewritten delete: its row and the added fields.
    deleted: Result<Arc<Schema>, Failure>,
    /// Rows with fields dropped, by the schema they are dropped from and the fields dropped (a
    /// delete's with the added fields after them).
    dropped: SchemaCache<Vec<String>, Arc<Schema>>,
}

impl Shapes {
    /// The shapes of events of this envelope schema.
    fn new(envelope: &Schema, settings: &Settings) -> Self {
        let fields = resolve_all(&settings.added_fields, envelope);
        let upsert_row = row(envelope, AFTER, settings.mode.rewrites());
        let deleted_row = row(envelope, BEFORE, true);
        let with_added = |row: &Result<Arc<Schema>, Failure>| match (row, &fields) {
            (Ok(row), Ok(added)) => with_fields(row, added, &[]).map_err(Failure::from),
            (Err(failure), _) | (_, Err(failure)) => Err(failure.clone()),
        };
        Shapes {
            after: envelope::field(envelope, AFTER)
                .map(|f| Arc::new(f.schema.clone()))
                .map_err(Failure::from),
            headers: resolve_all(&settings.added_headers, envelope),
            upsert: with_added(&upsert_row),
            deleted: with_added(&deleted_row),
            upsert_row,
            deleted_row,
            fields,
            dropped: SchemaCache::new(DROP_CACHE_SIZE),
        }
    }
}

/// The references found in envelopes of this schema (those not found are skipped).
fn resolve_all(references: &[FieldReference], envelope: &Schema) -> Result<Vec<Resolved>, Failure> {
    let mut resolved = Vec::with_capacity(references.len());
    for reference in references {
        resolved.extend(reference.resolve(envelope)?);
    }
    Ok(resolved)
}

/// The row schema a field of the envelope becomes: a copy of its basics and fields, with the
/// `__deleted` field if asked.
fn row(envelope: &Schema, name: &str, deleted_field: bool) -> Result<Arc<Schema>, Failure> {
    let source = &envelope::field(envelope, name)?.schema;
    let mut row = StructBuilder::with_basics_of(source);
    row.fields(struct_fields(source)?)?;
    if deleted_field {
        row.field(DELETED_FIELD, Schema::string().optional())?;
    }
    Ok(Arc::new(row.build()))
}

/// A copy of a struct schema's basics with its fields but those dropped, then the added fields.
fn with_fields(schema: &Schema, added: &[Resolved], dropped: &[String]) -> Result<Arc<Schema>, ConnectError> {
    let mut copy = StructBuilder::with_basics_of(schema);
    copy.fields(schema.fields.iter().filter(|f| !dropped.contains(&f.name)))?;
    for field in added {
        copy.field(&field.target, (*field.schema).clone())?;
    }
    Ok(Arc::new(copy.build()))
}

impl Transformation for Extractor {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let Extractor {
            settings,
            shapes,
            dropped_keys,
            delete_header_schema,
        } = self;
        if record.value.is_null() {
            settings.add_tombstone_headers(&mut record, delete_header_schema);
            return Ok((settings.mode == DeleteHandling::RewriteWithTombstone).then_some(record));
        }
        let Some(envelope_schema) = record.value_schema.clone().filter(|s| envelope::is_envelope(s)) else {
            return Ok(Some(record));
        };
        let envelope = take_struct(std::mem::replace(&mut record.value, Value::Null), "field extraction")?;
        let shapes = shapes.get_or_try_insert(&envelope_schema, |schema| {
            Ok::<_, ConnectError>(Shapes::new(schema, settings))
        })?;
        if !settings.added_headers.is_empty() {
            for header in shape(&shapes.headers)? {
                let value = header.value_in(&envelope);
                let schema = Some(Arc::clone(&header.schema));
                record
                    .headers
                    .push(ConnectHeader::new(header.target.clone(), schema, value));
            }
        }
        shape(&shapes.after)?;
        if !is_null(struct_get(&envelope, &envelope_schema, AFTER)) {
            let change = Change {
                shapes,
                dropped_keys,
                envelope_schema: &envelope_schema,
                envelope,
            };
            return settings.upsert(change, record);
        }
        envelope::field(&envelope_schema, BEFORE)?;
        if is_null(struct_get(&envelope, &envelope_schema, BEFORE)) {
            // A truncate: dropped.
            return Ok(None);
        }
        let change = Change {
            shapes,
            dropped_keys,
            envelope_schema: &envelope_schema,
            envelope,
        };
        settings.delete(change, record)
    }
}

/// A change event on its way to becoming its row: the envelope, and what was derived from
/// envelopes of its schema.
struct Change<'a> {
    /// The shapes of events of the envelope's schema.
    shapes: &'a mut Shapes,
    /// Key schemas with fields dropped.
    dropped_keys: &'a mut SchemaCache<Vec<String>, Arc<Schema>>,
    /// The envelope's schema.
    envelope_schema: &'a Schema,
    /// The envelope's fields.
    envelope: Vec<(String, Value)>,
}

impl Settings {
    /// An insert, update or snapshot read: the row after it, rewritten, routed, with the added
    /// fields, then the fields the header lists dropped.
    fn upsert(&self, change: Change<'_>, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let added = added_values(change.shapes, &change.envelope)?;
        let purpose = if self.route_by_field.is_some() {
            ROUTE_PURPOSE
        } else {
            PURPOSE
        };
        let mut row = take_struct(
            take_with_default(change.envelope, change.envelope_schema, AFTER),
            purpose,
        )?;
        let row_schema = shape(&change.shapes.upsert_row)?;
        if self.mode.rewrites() {
            if self.replace_null_with_default {
                fill_defaults(&mut row, row_schema);
            }
            row.push((DELETED_FIELD.to_owned(), Value::from("false")));
        }
        if let Some(field) = &self.route_by_field {
            if let Some(topic) = routed_topic(row_schema, &row, field)? {
                record.topic = topic;
            }
        }
        let mut schema = Arc::clone(shape(&change.shapes.upsert)?);
        append_added(&mut row, shape(&change.shapes.fields)?, added)?;
        if let Some(names) = self.names_to_drop(&record.headers)? {
            self.drop_key_fields(change.dropped_keys, &mut record, &names)?;
            if let Some(to_drop) = self.fields_to_drop(Some(&schema), &names)? {
                schema = drop_row_fields(&mut change.shapes.dropped, &schema, &mut row, to_drop, &[])?;
            }
        }
        record.value_schema = Some(schema);
        record.value = Value::Struct(row);
        Ok(Some(record))
    }

    /// A delete, as the mode says: dropped, a null value, or the row before it rewritten; routed
    /// by the row before it; the fields the header lists dropped, then the added fields.
    fn delete(&self, change: Change<'_>, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        match self.mode {
            DeleteHandling::Drop => return Ok(None),
            // The null value keeps `after`'s schema.
            DeleteHandling::Tombstone => record.value_schema = Some(Arc::clone(shape(&change.shapes.after)?)),
            DeleteHandling::DeleteToTombstone => record.value_schema = None,
            DeleteHandling::Rewrite | DeleteHandling::RewriteWithTombstone => {}
        }
        if let Some(field) = &self.route_by_field {
            if let Some(topic) = routed_topic_before(change.envelope_schema, &change.envelope, field)? {
                record.topic = topic;
            }
        }
        let names = self.names_to_drop(&record.headers)?;
        if let Some(names) = &names {
            self.drop_key_fields(change.dropped_keys, &mut record, names)?;
        }
        if !self.mode.rewrites() {
            if let Some(names) = &names {
                // Nothing to drop from a null value, but Kafka Connect's `ReplaceField` is still
                // configured with the fields, and may refuse them.
                self.fields_to_drop(record.value_schema.as_deref(), names)?;
            }
            return Ok(Some(record));
        }
        let added = added_values(change.shapes, &change.envelope)?;
        let mut row = take_struct(
            take_with_default(change.envelope, change.envelope_schema, BEFORE),
            PURPOSE,
        )?;
        let row_schema = Arc::clone(shape(&change.shapes.deleted_row)?);
        if self.replace_null_with_default {
            fill_defaults(&mut row, &row_schema);
        }
        row.push((DELETED_FIELD.to_owned(), Value::from("true")));
        let to_drop = match &names {
            Some(names) => self.fields_to_drop(Some(&row_schema), names)?,
            None => None,
        };
        let schema = match to_drop {
            Some(to_drop) => {
                let fields = shape(&change.shapes.fields)?;
                drop_row_fields(&mut change.shapes.dropped, &row_schema, &mut row, to_drop, fields)?
            }
            None => Arc::clone(shape(&change.shapes.deleted)?),
        };
        append_added(&mut row, shape(&change.shapes.fields)?, added)?;
        record.value_schema = Some(schema);
        record.value = Value::Struct(row);
        Ok(Some(record))
    }

    /// The `op` header a tombstone gets (a delete's, `d`) when `add.headers` asks for `op`.
    fn add_tombstone_headers(&self, record: &mut ConnectRecord, schema: &Arc<Schema>) {
        for reference in self.added_headers.iter().filter(|r| r.field() == OPERATION) {
            let header = ConnectHeader::new(reference.target(), Some(Arc::clone(schema)), Value::from(DELETE_CODE));
            record.headers.push(header);
        }
    }

    /// The field names the drop header lists, when there is one listing some.
    fn names_to_drop(&self, headers: &[ConnectHeader]) -> Result<Option<Vec<String>>, ConnectError> {
        let Some(name) = &self.drop_fields_header else {
            return Ok(None);
        };
        let Some(header) = headers.iter().find(|h| h.key == *name) else {
            return Ok(None);
        };
        match &header.value {
            Value::Null => Ok(None),
            Value::Array(items) if items.is_empty() => Ok(None),
            Value::Array(items) => Ok(Some(
                items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            )),
            other => Err(ConnectError::Data(format!(
                "Header {name} must hold a list of field names, found: {}",
                class_name(other)
            ))),
        }
    }

    /// The fields Kafka Connect's `ReplaceField` is told to exclude from a key or value of this
    /// schema, or `None` when Debezium does not apply it: the optional ones the header names
    /// when schemas stay compatible (which a key or value without a schema cannot tell: an error,
    /// where Debezium fails on a null pointer), else all it names.
    fn fields_to_drop(&self, schema: Option<&Schema>, names: &[String]) -> Result<Option<Vec<String>>, ConnectError> {
        if !self.keep_schema_compatible {
            return exclusion_list(names).map(Some);
        }
        // Without a schema nothing is known optional: Debezium fails on the null schema.
        let Some(schema) = schema else {
            return Err(ConnectError::Data(
                "Cannot tell which fields to drop are optional: there is no schema".into(),
            ));
        };
        let optional: Vec<String> = schema
            .fields
            .iter()
            .filter(|f| f.schema.optional && names.contains(&f.name))
            .map(|f| f.name.clone())
            .collect();
        Ok((!optional.is_empty()).then_some(optional))
    }

    /// Drops the fields the header names from the key too, with `drop.fields.from.key`.
    fn drop_key_fields(
        &self,
        cache: &mut SchemaCache<Vec<String>, Arc<Schema>>,
        record: &mut ConnectRecord,
        names: &[String],
    ) -> Result<(), ConnectError> {
        if !self.drop_fields_from_key || record.key.is_null() {
            return Ok(());
        }
        let Some(to_drop) = self.fields_to_drop(record.key_schema.as_deref(), names)? else {
            return Ok(());
        };
        let key = std::mem::replace(&mut record.key, Value::Null);
        record.key = match &record.key_schema {
            Some(schema) => {
                let mut fields = take_struct(key, DROP_PURPOSE)?;
                let dropped = drop_row_fields(cache, schema, &mut fields, to_drop, &[])?;
                record.key_schema = Some(dropped);
                Value::Struct(fields)
            }
            None => {
                require_map(&key, DROP_PURPOSE)?;
                let mut key = key;
                if let Value::Map(entries) = &mut key {
                    entries.retain(|(k, _)| k.as_str().is_none_or(|k| !to_drop.iter().any(|d| d == k)));
                }
                key
            }
        };
        Ok(())
    }
}

/// Whether a struct field's value is absent or null.
fn is_null(value: Option<&Value>) -> bool {
    value.is_none_or(Value::is_null)
}

/// An envelope field's value, taken out of it, or its default when null (Kafka Connect's
/// `ExtractField`).
fn take_with_default(envelope: Vec<(String, Value)>, schema: &Schema, name: &str) -> Value {
    let stored = envelope
        .into_iter()
        .find(|(n, _)| n == name)
        .map_or(Value::Null, |(_, v)| v);
    match schema.field(name) {
        Some(field) => with_default(stored, &field.schema, true),
        None => stored,
    }
}

/// The values of the added fields in an envelope.
fn added_values(shapes: &Shapes, envelope: &[(String, Value)]) -> Result<Vec<Value>, ConnectError> {
    Ok(shape(&shapes.fields)?
        .iter()
        .map(|field| field.value_in(envelope))
        .collect())
}

/// Appends the added fields to a row. Kafka Connect refuses a struct there: an added field's
/// schema is a copy of the basics of the envelope's, without its fields.
fn append_added(row: &mut Vec<(String, Value)>, fields: &[Resolved], values: Vec<Value>) -> Result<(), ConnectError> {
    if values.iter().any(|v| matches!(v, Value::Struct(_))) {
        return Err(ConnectError::Data("Struct schemas do not match.".into()));
    }
    row.extend(fields.iter().map(|f| f.target.clone()).zip(values));
    Ok(())
}

/// Drops fields from a struct as Kafka Connect's `ReplaceField` with `exclude` does (the fields
/// kept take their defaults when null), and gives its schema: a copy of the basics with the
/// fields kept, then `added`.
fn drop_row_fields(
    cache: &mut SchemaCache<Vec<String>, Arc<Schema>>,
    schema: &Arc<Schema>,
    row: &mut Vec<(String, Value)>,
    to_drop: Vec<String>,
    added: &[Resolved],
) -> Result<Arc<Schema>, ConnectError> {
    fill_defaults(row, schema);
    row.retain(|(name, _)| !to_drop.contains(name));
    let built = cache.get_or_try_insert_keyed(schema, to_drop, |to_drop| with_fields(schema, added, to_drop))?;
    Ok(Arc::clone(built))
}

/// The topic `route.by.field` gives a row: the field's stored value (not its default) unless
/// null or blank, read as Kafka Connect's `Struct.getString` reads it.
fn routed_topic(row_schema: &Schema, row: &[(String, Value)], field: &str) -> Result<Option<String>, ConnectError> {
    let topic = JavaStruct::new(row_schema, row).get_string(field)?;
    Ok(topic.filter(|topic| !is_blank(topic)).map(str::to_owned))
}

/// The topic `route.by.field` gives a delete: from the row before it in the envelope.
fn routed_topic_before(
    envelope_schema: &Schema,
    envelope: &[(String, Value)],
    field: &str,
) -> Result<Option<String>, ConnectError> {
    let before_schema = envelope_schema
        .field(BEFORE)
        .map(|f| &f.schema)
        .filter(|s| s.kind == SchemaType::Struct)
        .ok_or_else(|| ConnectError::Data(format!("Field '{BEFORE}' is not of type STRUCT")))?;
    match stored(envelope, BEFORE) {
        Some(Value::Struct(before)) => routed_topic(before_schema, before, field),
        other => Err(ConnectError::Data(format!(
            "Only Struct objects supported for [Read record to set topic routing for DELETE], found: {}",
            class_name(other.unwrap_or(&Value::Null))
        ))),
    }
}

/// The fields `ReplaceField` excludes when given `exclude` as these names joined by commas: the
/// list read again as Kafka Connect reads a list, where an empty name is an error.
fn exclusion_list(names: &[String]) -> Result<Vec<String>, ConnectError> {
    let excluded = list(&names.join(","));
    if excluded.iter().any(String::is_empty) {
        return Err(ConnectError::Data(
            "Configuration 'exclude' values must not be empty.".into(),
        ));
    }
    Ok(excluded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_case_insensitively_and_only_rewrites_rewrite() {
        assert_eq!(DeleteHandling::parse(" REWRITE "), Some(DeleteHandling::Rewrite));
        assert_eq!(
            DeleteHandling::parse("rewrite-with-tombstone"),
            Some(DeleteHandling::RewriteWithTombstone)
        );
        assert_eq!(DeleteHandling::parse("keep"), None);
        assert!(DeleteHandling::RewriteWithTombstone.rewrites());
        assert!(!DeleteHandling::DeleteToTombstone.rewrites());
    }

    #[test]
    fn exclusions_are_split_again_and_refuse_empty_names() {
        assert_eq!(exclusion_list(&["a".into(), " b ".into()]).unwrap(), ["a", "b"]);
        assert!(exclusion_list(&[" ".into()]).unwrap().is_empty());
        assert!(exclusion_list(&["a".into(), "".into(), "b".into()]).is_err());
    }
}
