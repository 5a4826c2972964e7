//! `ValueToKey`: replaces the record's key by some fields of its value: a struct of them (with
//! a schema of those fields) or a schemaless map of them.

use std::sync::Arc;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Schema, Transformation,
    TransformationPlugin, Validator, Value,
};

use crate::util::connect_data::{
    REPLACE_NULL_WITH_DEFAULT, StructBuilder, replace_null_with_default_key, stored, validate_field, with_default,
};
use crate::util::kafka_config::non_duplicate_values;
use crate::util::requirements::{map_get, require_map, require_struct};
use crate::util::schema_cache::SchemaCache;

/// The key listing the fields.
const FIELDS: &str = "fields";
/// What the transform does, as its errors say.
const PURPOSE: &str = "copying fields from value to key";

/// The transform class.
pub(crate) struct ValueToKey;

impl TransformationPlugin for ValueToKey {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define_key(
                ConfigKey::new(
                    FIELDS,
                    ConfigType::List,
                    Importance::High,
                    "Field names on the record value to extract as the record key.",
                )
                .validator(Validator::NonEmpty),
            )
            .define_key(replace_null_with_default_key())
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        Ok(Box::new(ToKey {
            fields: non_duplicate_values(props, FIELDS, false)?,
            replace_null_with_default: config.bool(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
            key_schemas: SchemaCache::kafka_connect(),
        }))
    }
}

/// A configured `ValueToKey`.
struct ToKey {
    /// The fields the key is made of, in order.
    fields: Vec<String>,
    /// Whether a null field with a default is copied as its default.
    replace_null_with_default: bool,
    /// The key schema, by value schema.
    key_schemas: SchemaCache<(), Arc<Schema>>,
}

impl Transformation for ToKey {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (key_schema, key) = match &record.value_schema {
            None => {
                let entries = require_map(&record.value, PURPOSE)?;
                let key = self
                    .fields
                    .iter()
                    .map(|name| {
                        let value = map_get(entries, name).cloned().unwrap_or(Value::Null);
                        (Value::String(name.clone()), value)
                    })
                    .collect();
                (None, Value::Map(key))
            }
            Some(schema) => {
                let fields = require_struct(&record.value, PURPOSE)?;
                let names = &self.fields;
                let key_schema = self.key_schemas.get_or_try_insert(schema, |schema| {
                    let mut builder = StructBuilder::new();
                    for name in names {
                        let field = schema
                            .field(name)
                            .ok_or_else(|| ConnectError::Data(format!("Field does not exist: {name}")))?;
                        builder.field(name, field.schema.clone())?;
                    }
                    Ok::<_, ConnectError>(Arc::new(builder.build()))
                })?;
                let mut key = Vec::with_capacity(key_schema.fields.len());
                for field in &key_schema.fields {
                    let stored = stored(fields, &field.name).cloned().unwrap_or(Value::Null);
                    let value = with_default(stored, &field.schema, self.replace_null_with_default);
                    validate_field(field, &value)?;
                    key.push((field.name.clone(), value));
                }
                (Some(Arc::clone(key_schema)), Value::Struct(key))
            }
        };
        record.key_schema = key_schema;
        record.key = key;
        Ok(Some(record))
    }
}
