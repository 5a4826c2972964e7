//! `Flatten`: turns nested structs (with a schema) or nested maps (without) of the key or value
//! into one level, each field named by the names on its path joined by a delimiter. Arrays are
//! left as they are; a field under an optional struct becomes optional and takes the default the
//! struct's default gives it. A null key or value stays as it is.

use std::sync::Arc;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Schema, SchemaType,
    Transformation, TransformationPlugin, Value,
};

use weir_connector_api::java::names::type_name;

use super::schemaless_map::{merge_duplicate_keys, string_key};
use crate::util::connect_data::{StructBuilder, copy_schema_basics, in_schema_order, validate_field, with_default};
use crate::util::operand::Operand;
use crate::util::requirements::{require_struct, take_map, take_struct};
use crate::util::schema_cache::SchemaCache;

/// The key holding the delimiter.
const DELIMITER: &str = "delimiter";
/// What the transform does, as its errors say.
const PURPOSE: &str = "flattening";

/// The transform class, for the key or the value.
pub(crate) struct Flatten(pub(crate) Operand);

impl TransformationPlugin for Flatten {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define_key(
            ConfigKey::new(
                DELIMITER,
                ConfigType::String,
                Importance::Medium,
                "Delimiter to insert between field names from the input record when generating field names for the \
                 output record",
            )
            .default_value("."),
        )
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        Ok(Box::new(Flattener {
            operand: self.0,
            names: Names {
                delimiter: config.string(DELIMITER).unwrap_or(".").to_owned(),
            },
            schemas: SchemaCache::kafka_connect(),
        }))
    }
}

/// A configured `Flatten`.
struct Flattener {
    /// The key or the value.
    operand: Operand,
    /// How flattened fields are named.
    names: Names,
    /// The flattened schema, by input schema.
    schemas: SchemaCache<(), Arc<Schema>>,
}

/// How flattened fields are named.
struct Names {
    /// What goes between the names of a path.
    delimiter: String,
}

impl Names {
    /// The name of a field under `prefix` (the joined names of the structs or maps it is in).
    fn join(&self, prefix: &str, name: &str) -> String {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}{}{name}", self.delimiter)
        }
    }

    /// The flattened schema of a struct schema: its basics, and a field per leaf.
    fn flat_schema(&self, schema: &Schema) -> Result<Schema, ConnectError> {
        let mut builder = StructBuilder::with_basics_of(schema);
        self.add_fields(schema, "", &mut builder, schema.optional, schema.default.as_ref())?;
        Ok(builder.build())
    }

    /// Adds the leaves of a struct schema under `prefix`: optional when `optional` (an enclosing
    /// struct is), with their own default or else the one `parent_default` gives them.
    fn add_fields(
        &self,
        schema: &Schema,
        prefix: &str,
        builder: &mut StructBuilder,
        optional: bool,
        parent_default: Option<&Value>,
    ) -> Result<(), ConnectError> {
        for field in &schema.fields {
            let name = self.join(prefix, &field.name);
            let optional = optional || field.schema.optional;
            let default = field.schema.default.as_ref().or_else(|| {
                parent_default
                    .and_then(|d| d.field(&field.name))
                    .filter(|d| !d.is_null())
            });
            match field.schema.kind {
                SchemaType::Struct => self.add_fields(&field.schema, &name, builder, optional, default)?,
                SchemaType::Map => return Err(unsupported_with_schema(field.schema.kind, &name)),
                _ => {
                    let mut leaf = copy_schema_basics(&field.schema);
                    leaf.optional = optional;
                    leaf.default = default.cloned();
                    builder.field(&name, leaf)?;
                }
            }
        }
        Ok(())
    }

    /// Appends the entries of a schemaless map under `prefix` to `flat`, nested maps flattened.
    fn flatten_map(
        &self,
        entries: Vec<(Value, Value)>,
        prefix: &str,
        flat: &mut Vec<(Value, Value)>,
    ) -> Result<(), ConnectError> {
        for (key, value) in entries {
            let name = self.join(prefix, string_key(&key)?);
            match value {
                Value::Map(inner) => self.flatten_map(inner, &name, flat)?,
                Value::Struct(_) => {
                    return Err(ConnectError::Data(format!(
                        "Flatten transformation does not support class org.apache.kafka.connect.data.Struct for \
                         record without schemas (for field {name})."
                    )));
                }
                value => flat.push((Value::String(name), value)),
            }
        }
        Ok(())
    }
}

/// Moves the leaves of a struct (read with their defaults, as `Struct.get`) into their places
/// in `flat`, from `next` on; the leaves under a null struct stay null (a nested struct is
/// read as `Struct.getStruct`, without its default).
fn fill(
    fields: Vec<(String, Value)>,
    schema: &Schema,
    flat: &mut [(String, Value)],
    flat_schema: &Schema,
    next: &mut usize,
) -> Result<(), ConnectError> {
    for ((_, value), field) in in_schema_order(fields, schema).into_iter().zip(&schema.fields) {
        match (field.schema.kind, value) {
            (SchemaType::Struct, Value::Null) => *next += leaf_count(&field.schema),
            (SchemaType::Struct, Value::Struct(inner)) => fill(inner, &field.schema, flat, flat_schema, next)?,
            // Always the error: `other` is no struct.
            (SchemaType::Struct, other) => {
                require_struct(&other, PURPOSE)?;
            }
            (_, value) => {
                let value = with_default(value, &field.schema, true);
                if let (Some(slot), Some(leaf)) = (flat.get_mut(*next), flat_schema.fields.get(*next)) {
                    validate_field(leaf, &value)?;
                    slot.1 = value;
                }
                *next += 1;
            }
        }
    }
    Ok(())
}

/// How many flattened fields a struct schema gives.
fn leaf_count(schema: &Schema) -> usize {
    schema
        .fields
        .iter()
        .map(|field| match field.schema.kind {
            SchemaType::Struct => leaf_count(&field.schema),
            _ => 1,
        })
        .sum()
}

/// The error for a field of a type Flatten cannot flatten.
fn unsupported_with_schema(kind: SchemaType, name: &str) -> ConnectError {
    ConnectError::Data(format!(
        "Flatten transformation does not support {} for record with schemas (for field {name}).",
        type_name(kind)
    ))
}

impl Transformation for Flattener {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if self.operand.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.operand.take(&mut record);
        let (schema, value) = match schema {
            None => {
                let mut flat = Vec::new();
                self.names.flatten_map(take_map(value, PURPOSE)?, "", &mut flat)?;
                merge_duplicate_keys(&mut flat);
                (None, Value::Map(flat))
            }
            Some(schema) => {
                let fields = take_struct(value, PURPOSE)?;
                let names = &self.names;
                let flat_schema = self
                    .schemas
                    .get_or_try_insert(&schema, |schema| names.flat_schema(schema).map(Arc::new))?;
                let mut flat: Vec<(String, Value)> = flat_schema
                    .fields
                    .iter()
                    .map(|f| (f.name.clone(), Value::Null))
                    .collect();
                fill(fields, &schema, &mut flat, flat_schema, &mut 0)?;
                (Some(Arc::clone(flat_schema)), Value::Struct(flat))
            }
        };
        self.operand.set(&mut record, schema, value);
        Ok(Some(record))
    }
}
