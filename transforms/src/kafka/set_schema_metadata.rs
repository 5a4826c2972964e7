//! `SetSchemaMetadata`: sets the name, the version or both of the key's or value's schema. As in
//! Kafka Connect 4.3.1, only a struct schema can be changed (any other is refused) and a record
//! with neither schema nor value passes through.

use std::sync::Arc;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Schema, Transformation,
    TransformationPlugin, Value,
};

use crate::util::connect_data::{REPLACE_NULL_WITH_DEFAULT, copy_struct, replace_null_with_default_key, struct_fields};
use crate::util::operand::Operand;
use crate::util::requirements::require_schema;
use crate::util::schema_cache::SchemaCache;

/// The key holding the name to set.
const SCHEMA_NAME: &str = "schema.name";
/// The key holding the version to set.
const SCHEMA_VERSION: &str = "schema.version";

/// The transform class, for the key or the value.
pub(crate) struct SetSchemaMetadata(pub(crate) Operand);

impl TransformationPlugin for SetSchemaMetadata {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define_key(
                ConfigKey::new(SCHEMA_NAME, ConfigType::String, Importance::High, "Schema name to set.").default_null(),
            )
            .define_key(
                ConfigKey::new(
                    SCHEMA_VERSION,
                    ConfigType::Int,
                    Importance::High,
                    "Schema version to set.",
                )
                .default_null(),
            )
            .define_key(replace_null_with_default_key())
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        let name = config.string(SCHEMA_NAME).map(str::to_owned);
        let version = config.int(SCHEMA_VERSION).and_then(|v| i32::try_from(v).ok());
        if name.is_none() && version.is_none() {
            return Err(ConnectError::Config(
                "Neither schema name nor version configured".into(),
            ));
        }
        Ok(Box::new(SetMetadata {
            operand: self.0,
            name,
            version,
            replace_null_with_default: config.bool(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
            schemas: SchemaCache::kafka_connect(),
        }))
    }
}

/// A configured `SetSchemaMetadata`.
struct SetMetadata {
    /// The key or the value.
    operand: Operand,
    /// The name to set, if any.
    name: Option<String>,
    /// The version to set, if any.
    version: Option<i32>,
    /// Whether a null field with a default is copied as its default.
    replace_null_with_default: bool,
    /// The renamed schema, by input schema.
    schemas: SchemaCache<(), Arc<Schema>>,
}

impl Transformation for SetMetadata {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if self.operand.schema(&record).is_none() && self.operand.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.operand.take(&mut record);
        let Some(schema) = schema else {
            // Always the error: there is a value and no schema.
            require_schema::<Schema>(None, "updating schema metadata")?;
            return Ok(Some(record));
        };
        let (name, version) = (&self.name, self.version);
        let updated = self.schemas.get_or_try_insert(&schema, |schema| {
            struct_fields(schema)?;
            let mut updated = schema.clone();
            updated.name = name.clone().or_else(|| schema.name.clone());
            updated.version = version.or(schema.version);
            Ok::<_, ConnectError>(Arc::new(updated))
        })?;
        let updated = Arc::clone(updated);
        let value = match value {
            Value::Struct(fields) => Value::Struct(copy_struct(
                fields,
                &updated,
                &updated,
                self.replace_null_with_default,
                0,
                |_, v| Ok(v),
            )?),
            other => other,
        };
        self.operand.set(&mut record, Some(updated), value);
        Ok(Some(record))
    }
}
