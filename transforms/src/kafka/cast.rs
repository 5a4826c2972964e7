//! `Cast$Key` / `Cast$Value`: casts top-level fields of a struct or map, or the whole key or
//! value, to another primitive type, with Java's conversions (narrowing wraps, floats truncate
//! and saturate, strings parse, bytes become base64, logical types their encoded number or
//! Connect's date text).

use std::sync::Arc;

use base64::Engine as _;
use weir_connector_api::data::logical::{DECIMAL, MILLIS_PER_DAY, SCALE, Temporal};
use weir_connector_api::java::decimal::JavaDecimal;
use weir_connector_api::java::names::{class_name, type_name};
use weir_connector_api::java::number::{double_to_string, float_to_string, parse_double, parse_float, parse_long};
use weir_connector_api::java::string::{split, trim};
use weir_connector_api::values::format_date;
use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Schema, SchemaType,
    Transformation, TransformationPlugin, Value,
};

use super::schemaless_map::map_put;
use crate::util::connect_data::{
    REPLACE_NULL_WITH_DEFAULT, copy_basics_onto, copy_struct, replace_null_with_default_key, struct_fields,
};
use crate::util::kafka_config::{list, list_text};
use crate::util::operand::Operand;
use crate::util::requirements::{map_get, require_map, take_struct};
use crate::util::schema_cache::SchemaCache;

/// The config key of the casts.
const SPEC: &str = "spec";

/// What the requirements' errors say the transform was doing.
const PURPOSE: &str = "cast types";

/// The types a value may be cast from, as Kafka Connect lists them in its errors.
const INPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";

/// The types a value may be cast to, as Kafka Connect lists them in its errors.
const OUTPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";

/// The transform class, for the key or the value.
pub(crate) struct Cast(pub(crate) Operand);

impl TransformationPlugin for Cast {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define_key(ConfigKey::new(
                SPEC,
                ConfigType::List,
                Importance::High,
                "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of \
                 Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, \
                 float32, float64, boolean, and string. Note that binary fields can only be cast to string.",
            ))
            .define_key(replace_null_with_default_key())
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        let spec = CastSpec::parse(&list(props.get(SPEC).map_or("", String::as_str)))?;
        Ok(Box::new(Caster {
            operand: self.0,
            spec,
            replace_null_with_default: config.bool(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
            schemas: SchemaCache::kafka_connect(),
        }))
    }
}

/// A configured instance.
struct Caster {
    /// The part of the record it casts.
    operand: Operand,
    /// What to cast to what.
    spec: CastSpec,
    /// Whether a null field with a default reads as the default.
    replace_null_with_default: bool,
    /// Output schemas by input schema.
    schemas: SchemaCache<(), Arc<Schema>>,
}

impl Transformation for Caster {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if self.operand.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.operand.take(&mut record);
        let (schema, value) = match schema {
            None => (None, self.spec.cast_schemaless(value)?),
            Some(schema) => {
                let spec = &self.spec;
                let updated = self
                    .schemas
                    .get_or_try_insert(&schema, |schema| spec.output_schema(schema).map(Arc::new))?;
                let updated = Arc::clone(updated);
                let value = spec.cast_with_schema(value, &schema, &updated, self.replace_null_with_default)?;
                (Some(updated), value)
            }
        };
        self.operand.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

/// The casts a config asks for.
#[derive(Clone, Debug, PartialEq)]
enum CastSpec {
    /// The whole key or value, to one type.
    Whole(CastType),
    /// Fields by name, each to its type.
    Fields(Vec<(String, CastType)>),
}

impl CastSpec {
    /// Reads the items of the `spec` list as Kafka Connect does: `field:type` or, alone, `type`.
    fn parse(mappings: &[String]) -> Result<Self, ConnectError> {
        if mappings.is_empty() {
            return Err(ConnectError::Config(
                "Must specify at least one field to cast.".to_owned(),
            ));
        }
        let mut whole = None;
        let mut fields: Vec<(String, CastType)> = Vec::new();
        for mapping in mappings {
            match split(mapping, ':').as_slice() {
                [target] => whole = Some(CastType::parse(target)?),
                [field, target] => {
                    let field = trim(field);
                    let target = CastType::parse(target)?;
                    match fields.iter_mut().find(|(name, _)| name == field) {
                        Some(entry) => entry.1 = target,
                        None => fields.push((field.to_owned(), target)),
                    }
                }
                [] => return Err(ConnectError::Config("Index 1 out of bounds for length 0".to_owned())),
                _ => {
                    return Err(ConnectError::Config(format!(
                        "Invalid value {} for configuration renames: Invalid rename mapping: {mapping}",
                        list_text(mappings)
                    )));
                }
            }
        }
        match whole {
            Some(_) if mappings.len() > 1 => Err(ConnectError::Config(
                "Cast transformations that specify a type to cast the entire value to may only specify a single cast \
                 in their spec"
                    .to_owned(),
            )),
            Some(target) => Ok(CastSpec::Whole(target)),
            None => Ok(CastSpec::Fields(fields)),
        }
    }

    /// The type a field is cast to, if it is cast.
    fn target_of(fields: &[(String, CastType)], name: &str) -> Option<CastType> {
        fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, target)| *target)
    }

    /// The schema of the result for an input schema.
    fn output_schema(&self, schema: &Schema) -> Result<Schema, ConnectError> {
        let mut output = match self {
            CastSpec::Whole(target) => copy_basics_onto(schema, Schema::new(target.kind())),
            CastSpec::Fields(casts) => {
                let mut output = copy_basics_onto(schema, Schema::new(SchemaType::Struct));
                for field in struct_fields(schema)? {
                    let mut field = field.clone();
                    if let Some(target) = Self::target_of(casts, &field.name) {
                        let mut cast = Schema::new(target.kind());
                        cast.optional = field.schema.optional;
                        if let Some(default) = &field.schema.default {
                            cast.default = Some(cast_value(Some(&field.schema), default, target)?);
                        }
                        field.schema = cast;
                    }
                    output.fields.push(field);
                }
                output
            }
        };
        output.optional = schema.optional;
        if let Some(default) = &schema.default {
            output.default = Some(match self {
                CastSpec::Whole(target) => cast_value(Some(schema), default, *target)?,
                // Kafka Connect casts a struct's default to a struct, which it cannot do.
                CastSpec::Fields(_) => return Err(unsupported_input(SchemaType::Struct)),
            });
        }
        Ok(output)
    }

    /// Casts a schemaless value (or the fields of a schemaless map, adding null for those it
    /// lacks).
    fn cast_schemaless(&self, mut value: Value) -> Result<Value, ConnectError> {
        let casts = match self {
            CastSpec::Whole(target) => return cast_value(None, &value, *target),
            CastSpec::Fields(casts) => casts,
        };
        require_map(&value, PURPOSE)?;
        if let Value::Map(entries) = &mut value {
            for (field, target) in casts {
                let cast = cast_value(None, map_get(entries, field).unwrap_or(&Value::Null), *target)?;
                map_put(entries, field, cast);
            }
        }
        Ok(value)
    }

    /// Casts a value with a schema (`updated`, the output schema, made for `schema`).
    fn cast_with_schema(
        &self,
        value: Value,
        schema: &Arc<Schema>,
        updated: &Schema,
        replace_null_with_default: bool,
    ) -> Result<Value, ConnectError> {
        match self {
            CastSpec::Whole(target) => cast_value(Some(schema), &value, *target),
            CastSpec::Fields(casts) => {
                let fields = take_struct(value, PURPOSE)?;
                let fields = copy_struct(fields, schema, updated, replace_null_with_default, 0, |field, value| {
                    match Self::target_of(casts, &field.name) {
                        Some(target) => cast_value(Some(&field.schema), &value, target),
                        None => Ok(value),
                    }
                })?;
                Ok(Value::Struct(fields))
            }
        }
    }
}

/// A type values can be cast to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CastType {
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `float32`.
    Float32,
    /// `float64`.
    Float64,
    /// `boolean`.
    Boolean,
    /// `string`.
    String,
}

impl CastType {
    /// The type a spec names (Connect's type names, any case).
    fn parse(name: &str) -> Result<Self, ConnectError> {
        let name = trim(name);
        let upper = name.to_uppercase();
        Ok(match upper.as_str() {
            "INT8" => CastType::Int8,
            "INT16" => CastType::Int16,
            "INT32" => CastType::Int32,
            "INT64" => CastType::Int64,
            "FLOAT32" => CastType::Float32,
            "FLOAT64" => CastType::Float64,
            "BOOLEAN" => CastType::Boolean,
            "STRING" => CastType::String,
            "BYTES" | "ARRAY" | "MAP" | "STRUCT" => {
                return Err(ConnectError::Config(format!(
                    "Cast transformation does not support casting to {upper}; supported types are {OUTPUT_TYPES}"
                )));
            }
            _ => {
                return Err(ConnectError::Config(format!(
                    "Invalid value java.lang.IllegalArgumentException: No enum constant \
                     org.apache.kafka.connect.data.Schema.Type.{upper} for configuration Invalid type found in \
                     casting spec: {name}"
                )));
            }
        })
    }

    /// The schema type of the result.
    fn kind(self) -> SchemaType {
        match self {
            CastType::Int8 => SchemaType::Int8,
            CastType::Int16 => SchemaType::Int16,
            CastType::Int32 => SchemaType::Int32,
            CastType::Int64 => SchemaType::Int64,
            CastType::Float32 => SchemaType::Float32,
            CastType::Float64 => SchemaType::Float64,
            CastType::Boolean => SchemaType::Boolean,
            CastType::String => SchemaType::String,
        }
    }
}

/// The error for a value of a type that cannot be cast.
fn unsupported_input(kind: SchemaType) -> ConnectError {
    ConnectError::Data(format!(
        "Cast transformation does not support casting from {}; supported types are {INPUT_TYPES}",
        type_name(kind)
    ))
}

/// Casts one value (with its schema, if it has one) as `Cast.castValueToType`: the schema's
/// type (or the value's) must be a primitive one, the conversion follows the value itself.
fn cast_value(schema: Option<&Schema>, value: &Value, target: CastType) -> Result<Value, ConnectError> {
    let kind = match (schema, value) {
        (_, Value::Null) => return Ok(Value::Null),
        (Some(schema), _) => schema.kind,
        (None, Value::Array(_)) => SchemaType::Array,
        (None, Value::Map(_)) => SchemaType::Map,
        (None, Value::Struct(_)) => SchemaType::Struct,
        // Any other schemaless value is of a type that can be cast.
        (None, _) => SchemaType::String,
    };
    if matches!(kind, SchemaType::Array | SchemaType::Map | SchemaType::Struct) {
        return Err(unsupported_input(kind));
    }
    Source::of(schema, value, target == CastType::String)?.cast(target)
}

/// A value as the Java object Cast converts: its class decides the conversion.
enum Source<'a> {
    /// A `Number`.
    Number(Number),
    /// A `Boolean`.
    Boolean(bool),
    /// A `String`.
    Text(&'a str),
    /// A `byte[]`.
    Bytes(&'a [u8]),
    /// A `java.util.Date` (Date, Time or Timestamp cast to a string), in epoch milliseconds.
    Date(i64),
    /// Any other class, by its Java name.
    Other(&'static str),
}

/// A Java `Number`.
enum Number {
    /// A `Byte`, `Short`, `Integer` or `Long`.
    Integer(i64),
    /// A `Float`.
    Float(f32),
    /// A `Double`.
    Double(f64),
    /// A `BigDecimal` (Decimal).
    Decimal(JavaDecimal),
}

impl<'a> Source<'a> {
    /// The Java object of a value: a logical type's value becomes its logical class for a cast
    /// to a string and stays its encoded number otherwise (`Cast.encodeLogicalType`).
    fn of(schema: Option<&Schema>, value: &'a Value, to_string: bool) -> Result<Self, ConnectError> {
        if let (Some(schema), Value::Bytes(bytes)) = (schema, value) {
            if schema.name.as_deref() == Some(DECIMAL) {
                return Ok(Source::Number(Number::Decimal(decimal(schema, bytes)?)));
            }
        }
        let instant = schema
            .and_then(Temporal::of)
            .and_then(|temporal| Some((temporal, temporal.millis(value)?)));
        match instant {
            Some((_, millis)) if to_string => return Ok(Source::Date(millis)),
            Some((Temporal::Time, millis)) if !(0..=MILLIS_PER_DAY).contains(&millis) => {
                return Err(ConnectError::Data(
                    "Kafka Connect Time type should not have any date fields set to non-zero values.".to_owned(),
                ));
            }
            _ => {}
        }
        Ok(match value {
            Value::Int8(v) => Source::Number(Number::Integer(i64::from(*v))),
            Value::Int16(v) => Source::Number(Number::Integer(i64::from(*v))),
            Value::Int32(v) => Source::Number(Number::Integer(i64::from(*v))),
            Value::Int64(v) => Source::Number(Number::Integer(*v)),
            Value::Float32(v) => Source::Number(Number::Float(*v)),
            Value::Float64(v) => Source::Number(Number::Double(*v)),
            Value::Boolean(v) => Source::Boolean(*v),
            Value::String(text) => Source::Text(text),
            Value::Bytes(bytes) => Source::Bytes(bytes),
            other => Source::Other(class_name(other)),
        })
    }

    /// The value cast to `target`, as `Cast.castTo...`.
    fn cast(self, target: CastType) -> Result<Value, ConnectError> {
        match self {
            Source::Number(number) => Ok(number.cast(target)),
            Source::Boolean(value) => Ok(boolean_as(value, target)),
            Source::Text(text) => parse_as(text, target),
            Source::Bytes(bytes) if target == CastType::String => {
                Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)))
            }
            Source::Date(millis) if target == CastType::String => Ok(Value::String(format_date(millis))),
            Source::Bytes(_) => Err(unexpected("[B")),
            Source::Date(_) => Err(unexpected("java.util.Date")),
            Source::Other(class) => Err(unexpected(class)),
        }
    }
}

impl Number {
    /// The number cast to `target`: Java's narrowing (`byteValue()` ... `doubleValue()`), a
    /// boolean for any non-zero `longValue()`, or its `toString()`.
    fn cast(self, target: CastType) -> Value {
        match target {
            CastType::Int8 => Value::Int8(self.int_value() as i8),
            CastType::Int16 => Value::Int16(self.int_value() as i16),
            CastType::Int32 => Value::Int32(self.int_value()),
            CastType::Int64 => Value::Int64(self.long_value()),
            CastType::Float32 => Value::Float32(self.float_value()),
            CastType::Float64 => Value::Float64(self.double_value()),
            CastType::Boolean => Value::Boolean(self.long_value() != 0),
            CastType::String => Value::String(match self {
                Number::Integer(v) => v.to_string(),
                Number::Float(v) => float_to_string(v),
                Number::Double(v) => double_to_string(v),
                Number::Decimal(decimal) => decimal.to_java_string(),
            }),
        }
    }

    /// `Number.intValue()`.
    fn int_value(&self) -> i32 {
        match self {
            Number::Float(v) => *v as i32,
            Number::Double(v) => *v as i32,
            other => other.long_value() as i32,
        }
    }

    /// `Number.longValue()`.
    fn long_value(&self) -> i64 {
        match self {
            Number::Integer(v) => *v,
            Number::Float(v) => *v as i64,
            Number::Double(v) => *v as i64,
            Number::Decimal(decimal) => decimal.long_value(),
        }
    }

    /// `Number.floatValue()`.
    fn float_value(&self) -> f32 {
        match self {
            Number::Integer(v) => *v as f32,
            Number::Float(v) => *v,
            Number::Double(v) => *v as f32,
            Number::Decimal(decimal) => decimal.to_f32(),
        }
    }

    /// `Number.doubleValue()`.
    fn double_value(&self) -> f64 {
        match self {
            Number::Integer(v) => *v as f64,
            Number::Float(v) => f64::from(*v),
            Number::Double(v) => *v,
            Number::Decimal(decimal) => decimal.to_f64(),
        }
    }
}

/// A boolean cast: 1 or 0 for a number, its text for a string.
fn boolean_as(value: bool, target: CastType) -> Value {
    let bit = i8::from(value);
    match target {
        CastType::Int8 => Value::Int8(bit),
        CastType::Int16 => Value::Int16(bit.into()),
        CastType::Int32 => Value::Int32(bit.into()),
        CastType::Int64 => Value::Int64(bit.into()),
        CastType::Float32 => Value::Float32(bit.into()),
        CastType::Float64 => Value::Float64(bit.into()),
        CastType::Boolean => Value::Boolean(value),
        CastType::String => Value::String(value.to_string()),
    }
}

/// A string read as Java's `Byte.parseByte` ... `Double.parseDouble` and
/// `Boolean.parseBoolean` read it.
fn parse_as(text: &str, target: CastType) -> Result<Value, ConnectError> {
    let parsed = match target {
        CastType::Int8 => parse_long(text).and_then(|v| i8::try_from(v).ok()).map(Value::Int8),
        CastType::Int16 => parse_long(text).and_then(|v| i16::try_from(v).ok()).map(Value::Int16),
        CastType::Int32 => parse_long(text).and_then(|v| i32::try_from(v).ok()).map(Value::Int32),
        CastType::Int64 => parse_long(text).map(Value::Int64),
        CastType::Float32 => parse_float(text).map(Value::Float32),
        CastType::Float64 => parse_double(text).map(Value::Float64),
        CastType::Boolean => Some(Value::Boolean(text.eq_ignore_ascii_case("true"))),
        CastType::String => Some(Value::String(text.to_owned())),
    };
    parsed.ok_or_else(|| ConnectError::Data(format!("Value ({text}) was out of range for requested data type")))
}

/// The error for a value of a class the conversion does not take.
fn unexpected(class: &str) -> ConnectError {
    ConnectError::Data(format!("Unexpected type in Cast transformation: class {class}"))
}

/// A Decimal's value, with the scale its schema gives.
fn decimal(schema: &Schema, unscaled: &[u8]) -> Result<JavaDecimal, ConnectError> {
    let scale = schema
        .parameter(SCALE)
        .ok_or_else(|| ConnectError::Data("Invalid Decimal schema: scale parameter not found.".to_owned()))?;
    let scale = parse_long(scale)
        .and_then(|scale| i32::try_from(scale).ok())
        .ok_or_else(|| ConnectError::Data("Invalid scale parameter found in Decimal schema: ".to_owned()))?;
    JavaDecimal::from_unscaled(unscaled, scale).ok_or_else(|| ConnectError::Data("Zero length BigInteger".to_owned()))
}
