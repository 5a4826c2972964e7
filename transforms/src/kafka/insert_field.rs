//! `InsertField`: adds fields holding the record's topic, partition, offset (sink records) and
//! timestamp, or a static string, to the key or value (a struct, whose schema gains the
//! fields, or a schemaless map). A name ending in `!` makes a required field, `?` (or nothing)
//! an optional one. A null key or value stays null.

use std::sync::Arc;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Schema, SchemaType,
    Transformation, TransformationPlugin, Value,
};

use weir_connector_api::data::logical::Temporal;

use super::schemaless_map::map_put;
use crate::util::connect_data::{REPLACE_NULL_WITH_DEFAULT, StructBuilder, copy_struct, replace_null_with_default_key};
use crate::util::operand::Operand;
use crate::util::requirements::{require_sink_record, take_map, take_struct};
use crate::util::schema_cache::SchemaCache;

/// The key naming the topic field.
const TOPIC_FIELD: &str = "topic.field";
/// The key naming the partition field.
const PARTITION_FIELD: &str = "partition.field";
/// The key naming the offset field.
const OFFSET_FIELD: &str = "offset.field";
/// The key naming the timestamp field.
const TIMESTAMP_FIELD: &str = "timestamp.field";
/// The key naming the static field.
const STATIC_FIELD: &str = "static.field";
/// The key holding the static field's value.
const STATIC_VALUE: &str = "static.value";
/// What the transform does, as its errors say.
const PURPOSE: &str = "field insertion";
/// The end of the documentation of every field name key.
const OPTIONALITY_DOC: &str =
    "Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default).";

/// The transform class, for the key or the value.
pub(crate) struct InsertField(pub(crate) Operand);

impl TransformationPlugin for InsertField {
    fn config_def(&self) -> ConfigDef {
        let key =
            |name: &str, doc: String| ConfigKey::new(name, ConfigType::String, Importance::Medium, &doc).default_null();
        ConfigDef::new()
            .define_key(key(
                TOPIC_FIELD,
                format!("Field name for Kafka topic. {OPTIONALITY_DOC}"),
            ))
            .define_key(key(
                PARTITION_FIELD,
                format!("Field name for Kafka partition. {OPTIONALITY_DOC}"),
            ))
            .define_key(key(
                OFFSET_FIELD,
                format!("Field name for Kafka offset - only applicable to sink connectors.<br/>{OPTIONALITY_DOC}"),
            ))
            .define_key(key(
                TIMESTAMP_FIELD,
                format!("Field name for record timestamp. {OPTIONALITY_DOC}"),
            ))
            .define_key(key(
                STATIC_FIELD,
                format!("Field name for static data field. {OPTIONALITY_DOC}"),
            ))
            .define_key(key(
                STATIC_VALUE,
                "Static field value, if field name configured.".into(),
            ))
            .define_key(replace_null_with_default_key())
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        let static_value = config.string(STATIC_VALUE);
        let sources = [
            (TOPIC_FIELD, Some(Source::Topic)),
            (PARTITION_FIELD, Some(Source::Partition)),
            (OFFSET_FIELD, Some(Source::Offset)),
            (TIMESTAMP_FIELD, Some(Source::Timestamp)),
            (STATIC_FIELD, static_value.map(|v| Source::Static(v.to_owned()))),
        ];
        let mut insertions = Vec::new();
        for (key, source) in sources {
            let Some(spec) = config.string(key) else {
                continue;
            };
            let source = source.ok_or_else(|| {
                ConnectError::Config(format!(
                    "Invalid value null for configuration {STATIC_VALUE}: No value specified for static field: {spec}"
                ))
            })?;
            insertions.push(Insertion::parse(spec, source));
        }
        if insertions.is_empty() {
            return Err(ConnectError::Config("No field insertion configured".into()));
        }
        Ok(Box::new(Insert {
            operand: self.0,
            insertions,
            replace_null_with_default: config.bool(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
            schemas: SchemaCache::kafka_connect(),
        }))
    }
}

/// What an inserted field holds.
#[derive(Clone, Debug, PartialEq)]
enum Source {
    /// The record's topic.
    Topic,
    /// The record's partition (none: no value).
    Partition,
    /// A sink record's offset.
    Offset,
    /// The record's timestamp (none: no value).
    Timestamp,
    /// A string from the config.
    Static(String),
}

/// One field to insert.
#[derive(Clone, Debug, PartialEq)]
struct Insertion {
    /// The field's name, without its suffix.
    name: String,
    /// Whether its schema is optional.
    optional: bool,
    /// What it holds.
    source: Source,
}

impl Insertion {
    /// Reads a field name with its optional `!` (required) or `?` (optional) suffix.
    fn parse(spec: &str, source: Source) -> Self {
        let (name, optional) = match (spec.strip_suffix('!'), spec.strip_suffix('?')) {
            (Some(name), _) => (name, false),
            (None, Some(name)) => (name, true),
            (None, None) => (spec, true),
        };
        Insertion {
            name: name.to_owned(),
            optional,
            source,
        }
    }

    /// The schema of the field.
    fn schema(&self) -> Schema {
        let schema = match self.source {
            Source::Topic | Source::Static(_) => Schema::string(),
            Source::Partition => Schema::new(SchemaType::Int32),
            Source::Offset => Schema::new(SchemaType::Int64),
            Source::Timestamp => Temporal::Timestamp.schema(),
        };
        if self.optional { schema.optional() } else { schema }
    }

    /// The value for a record; null where the record has no partition or timestamp.
    fn value(&self, record: &ConnectRecord) -> Result<Value, ConnectError> {
        Ok(match &self.source {
            Source::Topic => Value::String(record.topic.clone()),
            Source::Partition => record.partition.map_or(Value::Null, Value::Int32),
            Source::Offset => Value::Int64(require_sink_record(record, PURPOSE)?),
            Source::Timestamp => record.timestamp.map_or(Value::Null, Value::Int64),
            Source::Static(value) => Value::String(value.clone()),
        })
    }
}

/// A configured `InsertField`.
struct Insert {
    /// The key or the value.
    operand: Operand,
    /// The fields to insert, in the order they are added.
    insertions: Vec<Insertion>,
    /// Whether a null field with a default is copied as its default.
    replace_null_with_default: bool,
    /// The schema with the inserted fields, by input schema.
    schemas: SchemaCache<(), Arc<Schema>>,
}

impl Transformation for Insert {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if self.operand.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.operand.take(&mut record);
        let (schema, value) = match schema {
            None => (None, self.insert_into_map(value, &record)?),
            Some(schema) => {
                let (schema, value) = self.insert_into_struct(&schema, value, &record)?;
                (Some(schema), value)
            }
        };
        self.operand.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

impl Insert {
    /// A schemaless map with the fields put in (those without a value left out).
    fn insert_into_map(&self, value: Value, record: &ConnectRecord) -> Result<Value, ConnectError> {
        let mut entries = take_map(value, PURPOSE)?;
        for insertion in &self.insertions {
            let value = insertion.value(record)?;
            if !value.is_null() {
                map_put(&mut entries, &insertion.name, value);
            }
        }
        Ok(Value::Map(entries))
    }

    /// A struct and its schema with the fields added.
    fn insert_into_struct(
        &mut self,
        schema: &Arc<Schema>,
        value: Value,
        record: &ConnectRecord,
    ) -> Result<(Arc<Schema>, Value), ConnectError> {
        let fields = take_struct(value, PURPOSE)?;
        let insertions = &self.insertions;
        let updated = self.schemas.get_or_try_insert(schema, |schema| {
            let mut builder = StructBuilder::with_basics_of(schema);
            builder.fields(&schema.fields)?;
            for insertion in insertions {
                builder.field(&insertion.name, insertion.schema())?;
            }
            Ok::<_, ConnectError>(Arc::new(builder.build()))
        })?;
        let mut out = copy_struct(
            fields,
            schema,
            schema,
            self.replace_null_with_default,
            insertions.len(),
            |_, v| Ok(v),
        )?;
        for insertion in insertions {
            out.push((insertion.name.clone(), insertion.value(record)?));
        }
        Ok((Arc::clone(updated), Value::Struct(out)))
    }
}
