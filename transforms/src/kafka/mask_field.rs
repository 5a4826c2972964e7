//! `MaskField`: replaces fields of the key or value (a struct's or a schemaless map's) by the
//! "empty" value of their type (0, false, "", an empty array or map, the epoch), or by a
//! configured replacement converted to the type of numeric and string fields.

use std::collections::HashSet;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Schema, Transformation,
    TransformationPlugin, Validator, Value,
};

use weir_connector_api::data::logical::{DECIMAL, SCALE, Temporal};
use weir_connector_api::java::decimal::JavaDecimal;
use weir_connector_api::java::names::logical_class_name;

use crate::util::connect_data::{REPLACE_NULL_WITH_DEFAULT, copy_struct, replace_null_with_default_key};
use crate::util::kafka_config::non_duplicate_values;
use crate::util::operand::Operand;
use crate::util::requirements::{take_map, take_struct};

/// The key listing the fields.
const FIELDS: &str = "fields";
/// The key holding the replacement.
const REPLACEMENT: &str = "replacement";
/// What the transform does, as its errors say.
const PURPOSE: &str = "mask fields";

/// The transform class, for the key or the value.
pub(crate) struct MaskField(pub(crate) Operand);

impl TransformationPlugin for MaskField {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define_key(
                ConfigKey::new(FIELDS, ConfigType::List, Importance::High, "Names of fields to mask.")
                    .validator(Validator::NonEmpty),
            )
            .define_key(
                ConfigKey::new(
                    REPLACEMENT,
                    ConfigType::String,
                    Importance::Low,
                    "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty \
                     string values only).",
                )
                .validator(Validator::NonEmpty)
                .default_null(),
            )
            .define_key(replace_null_with_default_key())
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        let fields = non_duplicate_values(props, FIELDS, false)?;
        Ok(Box::new(Mask {
            operand: self.0,
            fields: fields.into_iter().collect(),
            replacement: config.string(REPLACEMENT).map(Replacement::new),
            replace_null_with_default: config.bool(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
        }))
    }
}

/// The configured replacement, and the number it reads as.
#[derive(Clone, Debug)]
struct Replacement {
    /// The text, as configured.
    text: String,
    /// The number, if the text is one (`new BigDecimal(text)`).
    number: Option<JavaDecimal>,
}

impl Replacement {
    /// The replacement `text`.
    fn new(text: &str) -> Self {
        Replacement {
            text: text.to_owned(),
            number: JavaDecimal::parse(text),
        }
    }

    /// The number, for a field of `Values`' numeric types.
    fn number(&self) -> Result<&JavaDecimal, ConnectError> {
        self.number.as_ref().ok_or_else(|| {
            ConnectError::Data(format!(
                "Unable to convert {} (class java.lang.String) to a number",
                self.text
            ))
        })
    }

    /// The replacement for a (non-null) value of a field of `schema` (none: schemaless).
    fn for_value(&self, value: &Value, schema: Option<&Schema>) -> Result<Value, ConnectError> {
        let instant = schema.and_then(Temporal::of).is_some_and(|t| t.millis(value).is_some());
        Ok(match value {
            Value::Int8(_) => Value::Int8(self.number()?.long_value() as i8),
            Value::Int16(_) => Value::Int16(self.number()?.long_value() as i16),
            Value::Int32(_) if !instant => Value::Int32(self.number()?.long_value() as i32),
            Value::Int64(_) if !instant => Value::Int64(self.number()?.long_value()),
            Value::Float32(_) => Value::Float32(self.number()?.to_f64() as f32),
            Value::Float64(_) => Value::Float64(self.number()?.to_f64()),
            Value::String(_) => Value::String(self.text.clone()),
            Value::Bytes(_) if is_decimal(schema) => Value::Bytes(self.decimal(schema)?),
            other => {
                return Err(ConnectError::Data(format!(
                    "Cannot mask value of type class {} with custom replacement.",
                    logical_class_name(other, schema)
                )));
            }
        })
    }

    /// The replacement as a Decimal of the field's scale.
    fn decimal(&self, schema: Option<&Schema>) -> Result<Vec<u8>, ConnectError> {
        let number = self.number.as_ref().ok_or_else(|| {
            ConnectError::Data(format!(
                "Unable to convert {} (class java.lang.String) to number",
                self.text
            ))
        })?;
        let scale = schema
            .and_then(|s| s.parameter(SCALE))
            .and_then(|s| s.parse::<i32>().ok())
            .ok_or_else(|| ConnectError::Data("Invalid Decimal schema: scale parameter not found.".into()))?;
        let rescaled = number.with_scale(scale).map(|decimal| decimal.unscaled_bytes());
        rescaled.ok_or_else(|| {
            ConnectError::Data(format!(
                "BigDecimal has mismatching scale value for given Decimal schema: {} does not fit scale {scale}",
                self.text
            ))
        })
    }
}

/// A configured `MaskField`.
struct Mask {
    /// The key or the value.
    operand: Operand,
    /// The names of the fields to mask.
    fields: HashSet<String>,
    /// The replacement, instead of each type's empty value.
    replacement: Option<Replacement>,
    /// Whether a null field with a default reads as its default (and is masked).
    replace_null_with_default: bool,
}

impl Transformation for Mask {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = self.operand.take(&mut record);
        let value = match &schema {
            None => self.mask_map(value)?,
            Some(schema) => {
                let fields = take_struct(value, PURPOSE)?;
                Value::Struct(copy_struct(
                    fields,
                    schema,
                    schema,
                    self.replace_null_with_default,
                    0,
                    |field, v| {
                        if self.fields.contains(&field.name) {
                            self.masked(v, Some(&field.schema))
                        } else {
                            Ok(v)
                        }
                    },
                )?)
            }
        };
        self.operand.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

impl Mask {
    /// A schemaless map with the fields masked (a field it lacks is added, null).
    fn mask_map(&self, value: Value) -> Result<Value, ConnectError> {
        let mut entries = take_map(value, PURPOSE)?;
        for name in &self.fields {
            match entries.iter_mut().find(|(k, _)| k.as_str() == Some(name)) {
                Some(entry) => {
                    let value = std::mem::replace(&mut entry.1, Value::Null);
                    entry.1 = self.masked(value, None)?;
                }
                None => entries.push((Value::String(name.clone()), Value::Null)),
            }
        }
        Ok(Value::Map(entries))
    }

    /// The masked form of a field's value (a null stays null).
    fn masked(&self, value: Value, schema: Option<&Schema>) -> Result<Value, ConnectError> {
        if value.is_null() {
            return Ok(value);
        }
        match &self.replacement {
            Some(replacement) => replacement.for_value(&value, schema),
            None => empty_value(&value, schema),
        }
    }
}

/// The empty value of a value's type: 0, false, "", an empty array or map, a zero Decimal, the
/// epoch; none for bytes and structs.
fn empty_value(value: &Value, schema: Option<&Schema>) -> Result<Value, ConnectError> {
    Ok(match value {
        Value::Boolean(_) => Value::Boolean(false),
        Value::Int8(_) => Value::Int8(0),
        Value::Int16(_) => Value::Int16(0),
        Value::Int32(_) => Value::Int32(0),
        Value::Int64(_) => Value::Int64(0),
        Value::Float32(_) => Value::Float32(0.0),
        Value::Float64(_) => Value::Float64(0.0),
        Value::String(_) => Value::String(String::new()),
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Map(_) => Value::Map(Vec::new()),
        Value::Bytes(_) if is_decimal(schema) => Value::Bytes(vec![0]),
        other => {
            return Err(ConnectError::Data(format!(
                "Cannot mask value of type: class {}",
                logical_class_name(other, schema)
            )));
        }
    })
}

/// Whether a value of `schema` is a Decimal (a `BigDecimal` in Kafka Connect).
fn is_decimal(schema: Option<&Schema>) -> bool {
    schema.is_some_and(|s| s.name.as_deref() == Some(DECIMAL))
}
