//! `HoistField`: wraps the key or value in a struct of one field (with a schema) or a map of
//! one entry (without).

use std::sync::Arc;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Schema, Transformation,
    TransformationPlugin, Value,
};

use crate::util::connect_data::{StructBuilder, validate_field};
use crate::util::operand::Operand;
use crate::util::schema_cache::SchemaCache;

/// The key naming the field.
const FIELD: &str = "field";

/// The transform class, for the key or the value.
pub(crate) struct HoistField(pub(crate) Operand);

impl TransformationPlugin for HoistField {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define_key(ConfigKey::new(
            FIELD,
            ConfigType::String,
            Importance::Medium,
            "Field name for the single field that will be created in the resulting Struct or Map.",
        ))
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        Ok(Box::new(Hoist {
            operand: self.0,
            field: config.string(FIELD).unwrap_or_default().to_owned(),
            wrappers: SchemaCache::kafka_connect(),
        }))
    }
}

/// A configured `HoistField`.
struct Hoist {
    /// The key or the value.
    operand: Operand,
    /// The name of the one field.
    field: String,
    /// The struct schema wrapping each input schema.
    wrappers: SchemaCache<(), Arc<Schema>>,
}

impl Transformation for Hoist {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = self.operand.take(&mut record);
        let (schema, value) = match schema {
            None => (None, Value::Map(vec![(Value::String(self.field.clone()), value)])),
            Some(schema) => {
                let field = &self.field;
                let wrapper = self.wrappers.get_or_try_insert(&schema, |schema| {
                    let mut builder = StructBuilder::new();
                    builder.field(field, schema.clone())?;
                    Ok::<_, ConnectError>(Arc::new(builder.build()))
                })?;
                if let Some(wrapped) = wrapper.fields.first() {
                    validate_field(wrapped, &value)?;
                }
                (Some(Arc::clone(wrapper)), Value::Struct(vec![(field.clone(), value)]))
            }
        };
        self.operand.set(&mut record, schema, value);
        Ok(Some(record))
    }
}
