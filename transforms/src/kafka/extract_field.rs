//! `ExtractField`: replaces the key or value by one of its fields (a struct's, with its schema,
//! or a schemaless map's), at a top-level name or, with `field.syntax.version=V2`, a nested path.
//! A null key or value stays null.

use std::sync::Arc;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Field, Importance, Props, Schema, Transformation,
    TransformationPlugin, Value,
};

use crate::util::connect_data::{REPLACE_NULL_WITH_DEFAULT, replace_null_with_default_key, struct_field};
use crate::util::field_path::{FieldPath, SYNTAX_VERSION_KEY, SyntaxVersion};
use crate::util::operand::Operand;
use crate::util::requirements::{require_map, require_struct};
use crate::util::schema_cache::SchemaCache;

/// The key naming the field.
const FIELD: &str = "field";
/// What the transform does, as its errors say.
const PURPOSE: &str = "field extraction";

/// The transform class, for the key or the value.
pub(crate) struct ExtractField(pub(crate) Operand);

impl TransformationPlugin for ExtractField {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define_key(ConfigKey::new(
                FIELD,
                ConfigType::String,
                Importance::Medium,
                "Field name to extract.",
            ))
            .define_key(replace_null_with_default_key())
            .define_key(SyntaxVersion::config_key())
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        let text = config.string(FIELD).unwrap_or_default().to_owned();
        let version = SyntaxVersion::parse(config.string(SYNTAX_VERSION_KEY))?;
        Ok(Box::new(Extract {
            operand: self.0,
            path: FieldPath::parse(&text, version)?,
            text,
            replace_null_with_default: config.bool(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
            field_schemas: SchemaCache::kafka_connect(),
        }))
    }
}

/// A configured `ExtractField`.
struct Extract {
    /// The key or the value.
    operand: Operand,
    /// Where the field is.
    path: FieldPath,
    /// The path as configured, for errors.
    text: String,
    /// Whether a null field with a default gives its default.
    replace_null_with_default: bool,
    /// The schema of the field, by input schema.
    field_schemas: SchemaCache<(), Arc<Schema>>,
}

impl Transformation for Extract {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = self.operand.take(&mut record);
        let (schema, value) = match schema {
            None => (None, self.field_of_map(&value)?),
            Some(schema) => {
                let (field_schema, field_value) = self.field_of_struct(&schema, &value)?;
                (Some(field_schema), field_value)
            }
        };
        self.operand.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

impl Extract {
    /// The field of a schemaless map (null where the path finds nothing).
    fn field_of_map(&self, value: &Value) -> Result<Value, ConnectError> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        require_map(value, PURPOSE)?;
        require_steps(&self.path)?;
        Ok(self.path.value_from_map(value)?.cloned().unwrap_or(Value::Null))
    }

    /// The schema and value of the field of a struct; the schema must have the field.
    fn field_of_struct(&mut self, schema: &Arc<Schema>, value: &Value) -> Result<(Arc<Schema>, Value), ConnectError> {
        if !value.is_null() {
            require_struct(value, PURPOSE)?;
        }
        let (path, text) = (&self.path, &self.text);
        let field_schema = self.field_schemas.get_or_try_insert(schema, |schema| {
            let field = field_at(path, schema)?.ok_or_else(|| ConnectError::Data(format!("Unknown field: {text}")))?;
            Ok::<_, ConnectError>(Arc::new(field.schema.clone()))
        })?;
        let field_value = match value {
            Value::Null => Value::Null,
            value => path
                .value_from_struct(value, schema, self.replace_null_with_default)?
                .cloned()
                .unwrap_or(Value::Null),
        };
        Ok((Arc::clone(field_schema), field_value))
    }
}

/// The field at `path` in a struct schema (`SingleFieldPath.fieldFrom`), or `None` where a step
/// is missing; looking up a field in a schema that is not a struct's is an error, as in
/// `ConnectSchema.field`.
fn field_at<'a>(path: &FieldPath, schema: &'a Schema) -> Result<Option<&'a Field>, ConnectError> {
    require_steps(path)?;
    let mut looked_in = Some(schema);
    for step in path.steps() {
        let Some(current) = looked_in else {
            break;
        };
        looked_in = struct_field(current, step)?.map(|field| &field.schema);
    }
    Ok(path.field_from(schema))
}

/// Fails for a path with no step (an empty V2 path), which Kafka Connect cannot follow.
fn require_steps(path: &FieldPath) -> Result<(), ConnectError> {
    if path.steps().is_empty() {
        return Err(ConnectError::Data(
            "The field path is empty: there is no field to extract (fromIndex(0) > toIndex(-1))".into(),
        ));
    }
    Ok(())
}
