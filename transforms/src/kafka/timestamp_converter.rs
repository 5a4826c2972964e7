//! `TimestampConverter$Key` / `TimestampConverter$Value`: converts a timestamp, the whole key or
//! value or one top-level field, between a formatted string (Java's `SimpleDateFormat`), Unix
//! time (in seconds, milliseconds, microseconds or nanoseconds) and Connect's Date, Time and
//! Timestamp.
//!
//! Without a schema a value is read by its type: a string is formatted text, an `int64` Unix
//! time. Date, Time and Timestamp results without a schema are epoch milliseconds (`int64`), the
//! value Kafka Connect's `java.util.Date` holds.

use std::sync::Arc;

use weir_connector_api::data::logical::{MILLIS_PER_DAY, Temporal};
use weir_connector_api::java::names::{class_name, schema_to_string};
use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Field, Importance, Props, Schema, SchemaType,
    Transformation, TransformationPlugin, Validator, Value,
};

use crate::util::connect_data::{
    REPLACE_NULL_WITH_DEFAULT, copy_basics_onto, copy_struct, replace_null_with_default_key, struct_fields,
};
use crate::util::java_date_format::JavaDateFormat;
use crate::util::kafka_config::valid_string;
use crate::util::operand::Operand;
use crate::util::requirements::{require_map, take_struct};
use crate::util::schema_cache::SchemaCache;

/// The config key of the field to convert (empty: the whole key or value).
const FIELD: &str = "field";
/// The config key of the type to convert to.
const TARGET_TYPE: &str = "target.type";
/// The config key of the `SimpleDateFormat` pattern.
const FORMAT: &str = "format";
/// The config key of the unit of Unix times.
const UNIX_PRECISION: &str = "unix.precision";

/// What the requirements' errors say the transform was doing.
const PURPOSE: &str = "converting timestamp formats";

/// The names of the target types, as the config takes them (case-sensitive).
const TARGET_TYPES: [&str; 5] = ["string", "unix", "Date", "Time", "Timestamp"];
/// The names of the Unix precisions, as the config takes them (case-sensitive).
const PRECISIONS: [&str; 4] = ["nanoseconds", "microseconds", "milliseconds", "seconds"];

/// The transform class, for the key or the value.
pub(crate) struct TimestampConverter(pub(crate) Operand);

impl TransformationPlugin for TimestampConverter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define_key(
                ConfigKey::new(
                    FIELD,
                    ConfigType::String,
                    Importance::High,
                    "The field containing the timestamp, or empty if the entire value is a timestamp",
                )
                .default_value(""),
            )
            .define_key(
                ConfigKey::new(
                    TARGET_TYPE,
                    ConfigType::String,
                    Importance::High,
                    "The desired timestamp representation: string, unix, Date, Time, or Timestamp",
                )
                .validator(Validator::one_of(&TARGET_TYPES)),
            )
            .define_key(
                ConfigKey::new(
                    FORMAT,
                    ConfigType::String,
                    Importance::Medium,
                    "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when \
                     type=string or used to parse the input if the input is a string.",
                )
                .default_value(""),
            )
            .define_key(
                ConfigKey::new(
                    UNIX_PRECISION,
                    ConfigType::String,
                    Importance::Low,
                    "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or \
                     nanoseconds. Used to generate the output when type=unix or used to parse the input if the input \
                     is a Long.Note: This SMT will cause precision loss during conversions from, and to, values with \
                     sub-millisecond components.",
                )
                .default_value("milliseconds")
                .validator(Validator::one_of(&PRECISIONS)),
            )
            .define_key(replace_null_with_default_key())
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        // Kafka Connect's `ValidString` compares case-sensitively.
        let exactly_one_of =
            |key: &str, allowed: &[&'static str]| valid_string(key, config.string(key).unwrap_or_default(), allowed);
        let target = exactly_one_of(TARGET_TYPE, &TARGET_TYPES)?;
        let precision = match exactly_one_of(UNIX_PRECISION, &PRECISIONS)? {
            "nanoseconds" => UnixPrecision::Nanoseconds,
            "microseconds" => UnixPrecision::Microseconds,
            "seconds" => UnixPrecision::Seconds,
            _ => UnixPrecision::Milliseconds,
        };
        let pattern = config.string(FORMAT).unwrap_or_default();
        let format = match pattern.trim() {
            "" => None,
            _ => Some(JavaDateFormat::compile(pattern).map_err(|why| {
                ConnectError::Config(format!(
                    "Invalid value java.lang.IllegalArgumentException: {why} for configuration TimestampConverter \
                     requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern}"
                ))
            })?),
        };
        let target = match (target, &format) {
            ("string", Some(format)) => Target::String(format.clone()),
            ("string", None) => {
                return Err(ConnectError::Config(
                    "TimestampConverter requires format option to be specified when using string timestamps".to_owned(),
                ));
            }
            ("unix", _) => Target::Unix,
            ("Date", _) => Target::Date,
            ("Time", _) => Target::Time,
            _ => Target::Timestamp,
        };
        let schemas = [false, true].map(|optional| Arc::new(target.schema(optional)));
        Ok(Box::new(Converter {
            operand: self.0,
            conversion: Conversion {
                field: config.string(FIELD).unwrap_or_default().to_owned(),
                target,
                format,
                precision,
                replace_null_with_default: config.bool(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
            },
            target_schemas: schemas,
            schemas: SchemaCache::kafka_connect(),
        }))
    }
}

/// A configured instance.
struct Converter {
    /// The part of the record it converts.
    operand: Operand,
    /// What it converts, and how.
    conversion: Conversion,
    /// The schema of a whole converted key or value: required, then optional.
    target_schemas: [Arc<Schema>; 2],
    /// Output schemas by input struct schema.
    schemas: SchemaCache<(), Arc<Schema>>,
}

impl Transformation for Converter {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = self.operand.take(&mut record);
        let conversion = &self.conversion;
        let (schema, value) = match schema {
            None => (None, conversion.convert_schemaless(value)?),
            Some(schema) if conversion.field.is_empty() => {
                let source = SourceType::of_schema(&schema)?;
                let value = conversion.convert(&value, source, true)?;
                (
                    Some(Arc::clone(&self.target_schemas[usize::from(schema.optional)])),
                    value,
                )
            }
            Some(schema) => {
                let fields = match value {
                    Value::Null => None,
                    other => Some(take_struct(other, PURPOSE)?),
                };
                let updated = self
                    .schemas
                    .get_or_try_insert(&schema, |schema| conversion.output_schema(schema).map(Arc::new))?;
                let updated = Arc::clone(updated);
                let value = match fields {
                    Some(fields) => Value::Struct(conversion.convert_struct(fields, &schema, &updated)?),
                    None => Value::Null,
                };
                (Some(updated), value)
            }
        };
        self.operand.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

/// The representation a timestamp is converted to.
#[derive(Clone, Debug)]
enum Target {
    /// Text in this format.
    String(JavaDateFormat),
    /// Unix time, in the configured precision.
    Unix,
    /// Connect's Date (the day).
    Date,
    /// Connect's Time (the time of day).
    Time,
    /// Connect's Timestamp.
    Timestamp,
}

impl Target {
    /// The schema of a converted value.
    fn schema(&self, optional: bool) -> Schema {
        let mut schema = match self {
            Target::String(_) => Schema::new(SchemaType::String),
            Target::Unix => Schema::new(SchemaType::Int64),
            Target::Date => Temporal::Date.schema(),
            Target::Time => Temporal::Time.schema(),
            Target::Timestamp => Temporal::Timestamp.schema(),
        };
        schema.optional = optional;
        schema
    }
}

/// The representation a timestamp is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SourceType {
    /// Formatted text.
    String,
    /// Unix time (`int64`).
    Unix,
    /// Connect's Date (`int32` days).
    Date,
    /// Connect's Time (`int32` milliseconds of the day).
    Time,
    /// Connect's Timestamp (`int64` milliseconds).
    Timestamp,
}

impl SourceType {
    /// The representation a schema says, as `timestampTypeFromSchema`.
    fn of_schema(schema: &Schema) -> Result<Self, ConnectError> {
        Ok(match (Temporal::of(schema), schema.kind) {
            (Some(Temporal::Timestamp), _) => SourceType::Timestamp,
            (Some(Temporal::Date), _) => SourceType::Date,
            (Some(Temporal::Time), _) => SourceType::Time,
            (None, SchemaType::String) => SourceType::String,
            (None, SchemaType::Int64) => SourceType::Unix,
            _ => {
                return Err(ConnectError::Data(format!(
                    "Schema {} does not correspond to a known timestamp type format",
                    schema_to_string(schema)
                )));
            }
        })
    }

    /// The representation of a schemaless value, by its type (`inferTimestampType`).
    fn of_value(value: &Value) -> Result<Self, ConnectError> {
        match value {
            Value::Int64(_) => Ok(SourceType::Unix),
            Value::String(_) => Ok(SourceType::String),
            other => Err(ConnectError::Data(format!(
                "TimestampConverter does not support class {} objects as timestamps",
                class_name(other)
            ))),
        }
    }
}

/// The unit of Unix times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UnixPrecision {
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Milliseconds,
    /// Microseconds.
    Microseconds,
    /// Nanoseconds.
    Nanoseconds,
}

impl UnixPrecision {
    /// Epoch milliseconds of a Unix time in this unit (truncated, as `TimeUnit.toMillis`).
    fn millis_of(self, time: i64) -> i64 {
        match self {
            UnixPrecision::Seconds => time.saturating_mul(1000),
            UnixPrecision::Milliseconds => time,
            UnixPrecision::Microseconds => time / 1000,
            UnixPrecision::Nanoseconds => time / 1_000_000,
        }
    }

    /// The Unix time in this unit of epoch milliseconds (saturating, as `TimeUnit`).
    fn time_of(self, millis: i64) -> i64 {
        match self {
            UnixPrecision::Seconds => millis / 1000,
            UnixPrecision::Milliseconds => millis,
            UnixPrecision::Microseconds => millis.saturating_mul(1000),
            UnixPrecision::Nanoseconds => millis.saturating_mul(1_000_000),
        }
    }
}

/// What is converted, and how.
struct Conversion {
    /// The field to convert; empty for the whole key or value.
    field: String,
    /// What to convert to.
    target: Target,
    /// The pattern string timestamps are read with, if configured.
    format: Option<JavaDateFormat>,
    /// The unit of Unix times, read and written.
    precision: UnixPrecision,
    /// Whether a null field with a default reads as the default.
    replace_null_with_default: bool,
}

impl Conversion {
    /// Converts a timestamp read as `source`; `with_schema` says whether a Date or Time result
    /// has Connect's schema (an `int32`) or none (epoch milliseconds).
    fn convert(&self, value: &Value, source: SourceType, with_schema: bool) -> Result<Value, ConnectError> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let millis = self.to_millis(value, source)?;
        Ok(match &self.target {
            Target::String(format) => Value::String(format.format(millis)),
            Target::Unix => Value::Int64(self.precision.time_of(millis)),
            Target::Date if with_schema => Value::Int32(millis.div_euclid(MILLIS_PER_DAY) as i32),
            Target::Date => Value::Int64(millis.div_euclid(MILLIS_PER_DAY) * MILLIS_PER_DAY),
            Target::Time if with_schema => Value::Int32(millis.rem_euclid(MILLIS_PER_DAY) as i32),
            Target::Time => Value::Int64(millis.rem_euclid(MILLIS_PER_DAY)),
            Target::Timestamp => Value::Int64(millis),
        })
    }

    /// The epoch milliseconds of a timestamp read as `source` (`TimestampTranslator.toRaw`).
    fn to_millis(&self, value: &Value, source: SourceType) -> Result<i64, ConnectError> {
        let mismatch =
            |expected: &str| ConnectError::Data(format!("Expected {expected}, but found class {}", class_name(value)));
        match (source, value) {
            (SourceType::String, Value::String(text)) => {
                let format = self.format.as_ref().ok_or_else(|| {
                    ConnectError::Data(
                        "TimestampConverter requires format option to be specified when using string timestamps"
                            .to_owned(),
                    )
                })?;
                format.parse(text).ok_or_else(|| {
                    ConnectError::Data(format!(
                        "Could not parse timestamp: value ({text}) does not match pattern ({})",
                        format.pattern()
                    ))
                })
            }
            (SourceType::String, _) => Err(mismatch("string timestamp to be a String")),
            (SourceType::Unix, Value::Int64(time)) => Ok(self.precision.millis_of(*time)),
            (SourceType::Unix, _) => Err(mismatch("Unix timestamp to be a Long")),
            (SourceType::Date, Value::Int32(days)) => Ok(i64::from(*days) * MILLIS_PER_DAY),
            (SourceType::Date, _) => Err(mismatch("Date to be a java.util.Date")),
            (SourceType::Time, Value::Int32(millis)) => Ok(i64::from(*millis)),
            (SourceType::Time, _) => Err(mismatch("Time to be a java.util.Date")),
            (SourceType::Timestamp, Value::Int64(millis)) => Ok(*millis),
            (SourceType::Timestamp, _) => Err(mismatch("Timestamp to be a java.util.Date")),
        }
    }

    /// Converts a schemaless value, or the field of a schemaless map (set to null when absent).
    fn convert_schemaless(&self, mut value: Value) -> Result<Value, ConnectError> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        if self.field.is_empty() {
            return self.convert(&value, SourceType::of_value(&value)?, false);
        }
        require_map(&value, PURPOSE)?;
        if let Value::Map(entries) = &mut value {
            match entries.iter_mut().find(|(key, _)| key.as_str() == Some(&self.field)) {
                Some((_, slot)) if !slot.is_null() => {
                    *slot = self.convert(slot, SourceType::of_value(slot)?, false)?;
                }
                Some(_) => {}
                None => entries.push((Value::String(self.field.clone()), Value::Null)),
            }
        }
        Ok(value)
    }

    /// The schema of a struct with the field converted (and its default converted too).
    fn output_schema(&self, schema: &Schema) -> Result<Schema, ConnectError> {
        let mut output = copy_basics_onto(schema, Schema::new(SchemaType::Struct));
        output.fields = struct_fields(schema)?
            .iter()
            .map(|field| match field.name == self.field {
                true => Field::new(field.name.clone(), self.target.schema(field.schema.optional)),
                false => field.clone(),
            })
            .collect();
        output.optional = schema.optional;
        if let Some(default) = &schema.default {
            let fields = take_struct(default.clone(), PURPOSE)?;
            output.default = Some(Value::Struct(self.convert_struct(fields, schema, &output)?));
        }
        Ok(output)
    }

    /// A struct of `schema` rebuilt for `output`, its field converted.
    fn convert_struct(
        &self,
        fields: Vec<(String, Value)>,
        schema: &Schema,
        output: &Schema,
    ) -> Result<Vec<(String, Value)>, ConnectError> {
        copy_struct(
            fields,
            schema,
            output,
            self.replace_null_with_default,
            0,
            |field, value| {
                if field.name == self.field {
                    self.convert(&value, SourceType::of_schema(&field.schema)?, true)
                } else {
                    Ok(value)
                }
            },
        )
    }
}
