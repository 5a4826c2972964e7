//! `ToLogicalTopicRouter` and its deprecated former name `ByLogicalTableRouter`: send the change
//! events of several physical tables (shards) to one logical topic. A topic whose whole name
//! matches `topic.regex` is renamed with `topic.replacement`; the key and the envelope get
//! schemas named after the new topic, and the key a field telling the tables apart
//! (`key.enforce.uniqueness`, `key.field.name`, `key.field.regex`/`key.field.replacement`).
//!
//! The key and envelope schemas derived are cached by the old schema alone, as Debezium caches
//! them: two topics of one schema routed to different topics share the names of the first.

use std::sync::Arc;

use weir_connector_api::java::string::is_blank;
use weir_connector_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Field, Importance, Props, Schema, SchemaType, Transformation,
    TransformationPlugin, Value, Width,
};

use super::config::field;
use super::envelope::{self, AFTER, BEFORE};
use super::schema_name_adjuster::{self, SchemaNameAdjuster};
use crate::util::connect_data::{StructBuilder, copy_basics_onto, fill_defaults, struct_fields};
use crate::util::java_regex::{ReplaceFirst, WholeMatch};
use crate::util::requirements::{require_schema, take_struct};
use crate::util::schema_cache::SchemaCache;

/// The key of the pattern of the topics to route.
const TOPIC_REGEX: &str = "topic.regex";
/// The key of the replacement that makes the new topic.
const TOPIC_REPLACEMENT: &str = "topic.replacement";
/// The key choosing whether keys get a field telling the physical tables apart.
const KEY_ENFORCE_UNIQUENESS: &str = "key.enforce.uniqueness";
/// The key of the pattern that makes that field's value from the old topic.
const KEY_FIELD_REGEX: &str = "key.field.regex";
/// The key of the replacement that makes that field's value.
const KEY_FIELD_REPLACEMENT: &str = "key.field.replacement";
/// The key of how many old schemas the new ones are kept for.
const CACHE_SIZE: &str = "logical.destination.cache.size";
/// Read, though Debezium leaves it out of the transform's `ConfigDef`.
const KEY_FIELD_NAME: &str = "key.field.name";
/// `ByLogicalTableRouter`'s name for the cache size, used when the new one is not set.
const LEGACY_CACHE_SIZE: &str = "logical.table.cache.size";
/// What Debezium names when a key or envelope is not a struct.
const PURPOSE: &str = "Updating schema";

/// The transform classes: the current one and the deprecated one, which differs in the default
/// key field name and reads the cache size under its old name too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogicalTopicRouter {
    /// `io.debezium.transforms.ToLogicalTopicRouter`.
    ToLogicalTopic,
    /// `io.debezium.transforms.ByLogicalTableRouter`.
    ByLogicalTable,
}

impl LogicalTopicRouter {
    /// The key field name unless configured.
    fn default_key_field_name(self) -> &'static str {
        match self {
            LogicalTopicRouter::ToLogicalTopic => "__dbz__sourceIdentifier",
            LogicalTopicRouter::ByLogicalTable => "__dbz__physicalTableIdentifier",
        }
    }
}

impl TransformationPlugin for LogicalTopicRouter {
    /// The keys Debezium declares in the transform's `ConfigDef` (it validates
    /// `schema.name.adjustment.mode` and reads `key.field.name` without declaring them there).
    fn config_def(&self) -> ConfigDef {
        let long_string = |name: &str, display: &str, doc: &str| {
            field(name, ConfigType::String, Importance::Low, Width::Long, display, doc).default_null()
        };
        ConfigDef::new()
            .define_key(long_string(
                TOPIC_REGEX,
                "Topic regex",
                "The regex used for extracting the name of the logical destination from the original topic name.",
            ))
            .define_key(long_string(
                TOPIC_REPLACEMENT,
                "Topic replacement",
                "The replacement string used in conjunction with topic.regex. This will be used to create the new \
                 topic name.",
            ))
            .define_key(
                field(
                    KEY_ENFORCE_UNIQUENESS,
                    ConfigType::Boolean,
                    Importance::Low,
                    Width::Short,
                    "Add source topic name into key",
                    "Augment each record's key with a field denoting the source topic. This field distinguishes \
                     records coming from different physical tables which may otherwise have primary/unique key \
                     conflicts. If the source tables are guaranteed to have globally unique keys then this may be \
                     set to false to disable key rewriting.",
                )
                .default_value("true"),
            )
            .define_key(long_string(
                KEY_FIELD_REGEX,
                "Key field regex",
                "The regex used for extracting the source identifier from the original topic name. Now that \
                 multiple physical tables can share a topic, the event's key may need to be augmented to include \
                 fields other than just those for the record's primary/unique key, since these are not guaranteed \
                 to be unique across different sources. We need some identifier added to the key that \
                 distinguishes the different physical tables.",
            ))
            .define_key(long_string(
                KEY_FIELD_REPLACEMENT,
                "Key field replacement",
                "The replacement string used in conjunction with key.field.regex. This will be used to create the \
                 source identifier in the record's key.",
            ))
            .define_key(
                field(
                    CACHE_SIZE,
                    ConfigType::Int,
                    Importance::Low,
                    Width::Long,
                    "Logical destination cache size",
                    "The size used for holding the max entries in LRUCache. The cache will keep the old/new schema \
                     for logical destination key and value, also cache the derived key and topic regex result for \
                     improving the source record transformation.",
                )
                .default_value("16"),
            )
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let mut props = props.clone();
        if *self == LogicalTopicRouter::ByLogicalTable {
            if let Some(size) = props.get(LEGACY_CACHE_SIZE).cloned() {
                props.entry(CACHE_SIZE.to_owned()).or_insert(size);
            }
        }
        let config = self.config_def().parse(&props)?;
        // Debezium reads its string settings as given, untrimmed.
        let raw = |key: &str| props.get(key).map(String::as_str);
        let required = |key: &str| match raw(key) {
            Some(value) if !is_blank(value) => Ok(value),
            _ => Err(ConnectError::Config(format!(
                "The '{key}' value is invalid: A value is required"
            ))),
        };
        let topic_regex = WholeMatch::compile(TOPIC_REGEX, required(TOPIC_REGEX)?)?;
        let topic_rename = ReplaceFirst::new(topic_regex, required(TOPIC_REPLACEMENT)?);
        let key_field_rename = match raw(KEY_FIELD_REGEX) {
            Some(pattern) if !is_blank(pattern) => {
                let regex = WholeMatch::compile(KEY_FIELD_REGEX, pattern)?;
                let java = raw(KEY_FIELD_REPLACEMENT).filter(|r| !is_blank(r)).ok_or_else(|| {
                    ConnectError::Config(format!(
                        "The '{KEY_FIELD_REPLACEMENT}' value is invalid: {KEY_FIELD_REPLACEMENT} must be non-empty \
                         if {KEY_FIELD_REGEX} is set."
                    ))
                })?;
                Some(ReplaceFirst::new(regex, java))
            }
            _ => None,
        };
        let adjuster = SchemaNameAdjuster::parse(raw(schema_name_adjuster::MODE_KEY))?;
        let cache_size = usize::try_from(config.int(CACHE_SIZE).unwrap_or(16)).unwrap_or(0);
        Ok(Box::new(Router {
            topic_rename,
            key_enforce_uniqueness: config.bool(KEY_ENFORCE_UNIQUENESS).unwrap_or(true),
            key_field_name: raw(KEY_FIELD_NAME).unwrap_or(self.default_key_field_name()).to_owned(),
            key_field_rename,
            adjuster,
            key_schemas: SchemaCache::new(cache_size),
            envelope_schemas: SchemaCache::new(cache_size),
        }))
    }
}

/// One instance.
struct Router {
    /// What a topic to route must match, whole, and the new topic.
    topic_rename: ReplaceFirst,
    /// Whether keys get the field telling the physical tables apart.
    key_enforce_uniqueness: bool,
    /// That field's name.
    key_field_name: String,
    /// What makes the field's value from the old topic, when not the old topic itself.
    key_field_rename: Option<ReplaceFirst>,
    /// How schema names made from the new topic are adjusted.
    adjuster: SchemaNameAdjuster,
    /// New key schemas, by old key schema.
    key_schemas: SchemaCache<(), Arc<Schema>>,
    /// New envelope schemas, by old envelope schema.
    envelope_schemas: SchemaCache<(), Arc<Schema>>,
}

impl Transformation for Router {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let Some(new_topic) = self.topic_rename.apply(&record.topic)? else {
            return Ok(Some(record));
        };
        if new_topic.is_empty() {
            // Debezium warns and keeps the record as it is.
            return Ok(Some(record));
        }
        let old_topic = std::mem::replace(&mut record.topic, new_topic);
        let old_key_schema = record.key_schema.take();
        match std::mem::replace(&mut record.key, Value::Null) {
            // A table without a primary key has none.
            Value::Null => {}
            key => {
                let mut key = take_struct(key, PURPOSE)?;
                let old_schema = require_schema(old_key_schema.as_ref(), PURPOSE)?;
                let (adjuster, topic) = (self.adjuster, &record.topic);
                let (unique, name) = (self.key_enforce_uniqueness, &self.key_field_name);
                let schema = self.key_schemas.get_or_try_insert(old_schema, |old| {
                    key_schema(old, adjuster, topic, unique.then_some(name.as_str()))
                })?;
                record.key_schema = Some(Arc::clone(schema));
                if self.key_enforce_uniqueness {
                    let identifier = match &self.key_field_rename {
                        Some(rename) => rename.apply(&old_topic)?,
                        None => None,
                    };
                    key.push((
                        self.key_field_name.clone(),
                        Value::String(identifier.unwrap_or(old_topic)),
                    ));
                }
                record.key = Value::Struct(key);
            }
        }
        let Some(old_schema) = record
            .value_schema
            .clone()
            .filter(|s| !record.value.is_null() && envelope::is_envelope(s))
        else {
            // Tombstones and other records than change events keep their value.
            return Ok(Some(record));
        };
        let mut fields = take_struct(std::mem::replace(&mut record.value, Value::Null), PURPOSE)?;
        let (adjuster, topic) = (self.adjuster, &record.topic);
        let schema = self
            .envelope_schemas
            .get_or_try_insert(&old_schema, |old| envelope_schema(old, adjuster, topic))?;
        // The envelope's fields are read with their defaults; the rows keep their raw values.
        fill_defaults(&mut fields, &old_schema);
        record.value_schema = Some(Arc::clone(schema));
        record.value = Value::Struct(fields);
        Ok(Some(record))
    }
}

/// A struct schema's copy under a new name, keeping its version, doc, parameters, optionality
/// and (with `fields`) its fields, but not its default.
fn renamed(source: &Schema, name: String, fields: bool) -> Schema {
    Schema {
        optional: source.optional,
        name: Some(name),
        fields: if fields { source.fields.clone() } else { Vec::new() },
        ..copy_basics_onto(source, Schema::new(SchemaType::Struct))
    }
}

/// The key schema of the new topic: the old one renamed `<topic>.Key`, with the string field
/// telling the tables apart if asked.
fn key_schema(
    old: &Schema,
    adjuster: SchemaNameAdjuster,
    topic: &str,
    unique_field: Option<&str>,
) -> Result<Arc<Schema>, ConnectError> {
    let mut schema = StructBuilder::extending(renamed(old, adjuster.adjust(&format!("{topic}.Key")), true));
    if let Some(name) = unique_field {
        schema.field(name, Schema::string())?;
    }
    Ok(Arc::new(schema.build()))
}

/// The envelope schema of the new topic, named `<topic>.Envelope`, whose `before` and `after` are
/// `before`'s schema (or `after`'s, without `before`) renamed `<topic>.Value`.
fn envelope_schema(old: &Schema, adjuster: SchemaNameAdjuster, topic: &str) -> Result<Arc<Schema>, ConnectError> {
    let row = match old.field(BEFORE).or_else(|| old.field(AFTER)) {
        Some(row) => {
            struct_fields(&row.schema)?;
            Some(renamed(&row.schema, adjuster.adjust(&format!("{topic}.Value")), true))
        }
        None => None,
    };
    let mut schema = renamed(old, adjuster.adjust(&envelope::schema_name(topic)), false);
    schema.fields = old
        .fields
        .iter()
        .map(|f| match &row {
            Some(row) if f.name == BEFORE || f.name == AFTER => Field::new(f.name.clone(), row.clone()),
            _ => f.clone(),
        })
        .collect();
    Ok(Arc::new(schema))
}
