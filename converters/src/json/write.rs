//! The Connect data model to JSON, as Kafka Connect's JsonConverter writes it (`asJsonSchema`
//! and `convertToJson`) and Jackson serializes it, straight to bytes: a value must be of its
//! schema's type (`Invalid type for INT32: class java.lang.String`), a struct must have a schema
//! (and a struct default cannot be written: it never equals its schema), a Decimal is written as
//! `decimal.format` says, a null as its schema's default when `replace.null.with.default` says.
//!
//! Jackson's text differs from serde_json's in its numbers (Java's `Double.toString`:
//! `1.0E300`), its escapes of control characters (`\u001F`) and its characters beyond the Basic
//! Multilingual Plane, which it writes as escaped surrogate pairs (`\uD83D\uDE00`): the
//! [`Jackson`] formatter gives serde_json those.

use std::io;

use base64::display::Base64Display;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};
use serde_json::value::RawValue;
use weir_connector_api::data::logical::{DECIMAL, MILLIS_PER_DAY, Temporal};
use weir_connector_api::java::decimal::JavaDecimal;
use weir_connector_api::java::names::{class_name, type_name};
use weir_connector_api::{ConversionError, Schema, SchemaType, Value};

use crate::decimal::{redundant_sign_bytes, scale as decimal_scale};
use crate::java::java_text;

/// How a `JsonConverter` writes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Writer {
    /// `decimal.format=NUMERIC`: a Decimal as a JSON number, not the base64 of its bytes.
    pub(crate) numeric_decimals: bool,
    /// `replace.null.with.default`: a null where the schema has a default is the default.
    pub(crate) replace_null_with_default: bool,
}

impl Writer {
    /// Kafka Connect's defaults.
    pub(crate) const DEFAULT: Writer = Writer {
        numeric_decimals: false,
        replace_null_with_default: true,
    };
}

/// Appends `value` to `out` as Jackson writes its JSON.
pub(crate) fn append_json(out: &mut Vec<u8>, value: &impl Serialize) -> Result<(), ConversionError> {
    value
        .serialize(&mut serde_json::Serializer::with_formatter(out, Jackson))
        .map_err(|e| ConversionError::new(e.to_string()))
}

/// A value and its schema, to write (`convertToJson`).
pub(crate) struct Payload<'a> {
    /// The schema, if the value has one.
    pub(crate) schema: Option<&'a Schema>,
    /// The value.
    pub(crate) value: &'a Value,
    /// How to write it.
    pub(crate) writer: Writer,
}

/// A schema, to write in JSON form (`asJsonSchema`).
pub(crate) struct SchemaJson<'a> {
    /// The schema.
    pub(crate) schema: &'a Schema,
    /// The name of the field it is the schema of, written last (`"field"`).
    pub(crate) field: Option<&'a str>,
    /// How to write its default.
    pub(crate) writer: Writer,
}

/// The default of a schema, if it has one to write: a struct default never can be, as Kafka
/// Connect builds it against the schema's builder, which is not equal to the schema.
fn default_of(schema: &Schema) -> Result<Option<&Value>, &'static str> {
    match &schema.default {
        Some(Value::Null) | None => Ok(None),
        Some(_) if schema.kind == SchemaType::Struct => Err("Mismatching schema."),
        Some(default) => Ok(Some(default)),
    }
}

impl<'a> Payload<'a> {
    /// Another value, written alike.
    fn of(&self, schema: Option<&'a Schema>, value: &'a Value) -> Payload<'a> {
        Payload {
            schema,
            value,
            writer: self.writer,
        }
    }

    /// A value without a schema: by its own type (a struct always has one).
    fn schemaless<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Null => s.serialize_unit(),
            Value::Struct(_) => Err(S::Error::custom("Mismatching schema.")),
            Value::Array(items) => self.array(None, items, s),
            Value::Map(entries) => {
                let all_strings = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
                self.map(None, None, all_strings, entries, s)
            }
            primitive => primitive_value(primitive, s),
        }
    }

    /// An array of items of `items`.
    fn array<S: Serializer>(&self, items: Option<&'a Schema>, values: &'a [Value], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(values.len()))?;
        for item in values {
            seq.serialize_element(&self.of(items, item))?;
        }
        seq.end()
    }

    /// A map: an object when its keys are strings (`as_object`), else an array of `[key, value]`
    /// pairs.
    fn map<S: Serializer>(
        &self,
        keys: Option<&'a Schema>,
        values: Option<&'a Schema>,
        as_object: bool,
        entries: &'a [(Value, Value)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        if as_object {
            let mut map = s.serialize_map(Some(entries.len()))?;
            for (key, value) in entries {
                map.serialize_entry(
                    self.key_text(keys, key).map_err(S::Error::custom)?,
                    &self.of(values, value),
                )?;
            }
            return map.end();
        }
        let mut seq = s.serialize_seq(Some(entries.len()))?;
        for (key, value) in entries {
            seq.serialize_element(&(self.of(keys, key), self.of(values, value)))?;
        }
        seq.end()
    }

    /// The text of a key of a map with string keys (Jackson's `asText` of the key written):
    /// `null` for a null the schema allows.
    fn key_text(&self, schema: Option<&'a Schema>, key: &'a Value) -> Result<&'a str, String> {
        match (key, schema) {
            (Value::String(text), _) => Ok(text),
            (Value::Null, Some(schema)) => match default_of(schema)? {
                Some(Value::String(default)) if self.writer.replace_null_with_default => Ok(default),
                _ if schema.optional => Ok("null"),
                _ => Err("Conversion error: null value for field that is required and has no default value".to_owned()),
            },
            (other, _) => Err(format!("Invalid type for STRING: class {}", class_name(other))),
        }
    }

    /// A struct, its fields in the schema's order (one the value lacks is null).
    fn structure<S: Serializer>(
        &self,
        schema: &'a Schema,
        fields: &'a [(String, Value)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(schema.fields.len()))?;
        for (i, field) in schema.fields.iter().enumerate() {
            // A struct's values mostly come in its schema's order.
            let value = fields
                .get(i)
                .filter(|(name, _)| *name == field.name)
                .or_else(|| fields.iter().find(|(name, _)| *name == field.name))
                .map_or(&Value::Null, |(_, value)| value);
            map.serialize_entry(&field.name, &self.of(Some(&field.schema), value))?;
        }
        map.end()
    }

    /// A Decimal: a number as `BigDecimal.toString()` writes it, or the base64 of its unscaled
    /// bytes (`BigInteger.toByteArray()`: as few as hold it).
    fn decimal<S: Serializer>(&self, schema: &Schema, s: S) -> Result<S::Ok, S::Error> {
        let Value::Bytes(unscaled) = self.value else {
            return Err(S::Error::custom(format!(
                "Invalid type for Decimal, expected BigDecimal but was class {}",
                class_name(self.value)
            )));
        };
        let scale = decimal_scale(schema).map_err(|e| S::Error::custom(e.message))?;
        let decimal = JavaDecimal::from_unscaled(unscaled, scale)
            .ok_or_else(|| S::Error::custom("Invalid type for Decimal, expected BigDecimal but was class [B"))?;
        if self.writer.numeric_decimals {
            return RawValue::from_string(decimal.to_java_string())
                .map_err(S::Error::custom)?
                .serialize(s);
        }
        let minimal = unscaled.get(redundant_sign_bytes(unscaled)..).unwrap_or_default();
        s.collect_str(&Base64Display::new(minimal, &BASE64))
    }

    /// A Date (days), Time (milliseconds of the day) or Timestamp (milliseconds).
    fn instant<S: Serializer>(&self, temporal: Temporal, s: S) -> Result<S::Ok, S::Error> {
        match (temporal, self.value) {
            (Temporal::Date, Value::Int32(days)) => s.serialize_i32(*days),
            (Temporal::Time, Value::Int32(millis)) if (0..=MILLIS_PER_DAY).contains(&i64::from(*millis)) => {
                s.serialize_i32(*millis)
            }
            (Temporal::Time, Value::Int32(_)) => Err(S::Error::custom(
                "Kafka Connect Time type should not have any date fields set to non-zero values.",
            )),
            (Temporal::Timestamp, Value::Int64(millis)) => s.serialize_i64(*millis),
            (temporal, other) => Err(S::Error::custom(format!(
                "Invalid type for {}, expected Date but was class {}",
                temporal.name().rsplit('.').next().unwrap_or_default(),
                class_name(other)
            ))),
        }
    }
}

impl Serialize for Payload<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(schema) = self.schema else {
            return self.schemaless(s);
        };
        if self.value.is_null() {
            if self.writer.replace_null_with_default {
                if let Some(default) = default_of(schema).map_err(S::Error::custom)? {
                    return self.of(Some(schema), default).serialize(s);
                }
            }
            if schema.optional {
                return s.serialize_unit();
            }
            return Err(S::Error::custom(
                "Conversion error: null value for field that is required and has no default value",
            ));
        }
        if schema.name.as_deref() == Some(DECIMAL) {
            return self.decimal(schema, s);
        }
        if let Some(temporal) = Temporal::of(schema) {
            return self.instant(temporal, s);
        }
        let value = self.value;
        let of_type = matches!(
            (schema.kind, value),
            (SchemaType::Int8, Value::Int8(_))
                | (SchemaType::Int16, Value::Int16(_))
                | (SchemaType::Int32, Value::Int32(_))
                | (SchemaType::Int64, Value::Int64(_))
                | (SchemaType::Float32, Value::Float32(_))
                | (SchemaType::Float64, Value::Float64(_))
                | (SchemaType::Boolean, Value::Boolean(_))
                | (SchemaType::String, Value::String(_))
                | (SchemaType::Bytes, Value::Bytes(_))
        );
        match (schema.kind, value) {
            _ if of_type => primitive_value(value, s),
            (SchemaType::Bytes, other) => Err(S::Error::custom(format!(
                "Invalid type for bytes type: class {}",
                class_name(other)
            ))),
            (SchemaType::Array, Value::Array(items)) => self.array(schema.value_schema.as_deref(), items, s),
            (SchemaType::Map, Value::Map(entries)) => {
                let keys = schema.key_schema.as_deref();
                let as_object = keys.is_none_or(|k| k.kind == SchemaType::String);
                self.map(keys, schema.value_schema.as_deref(), as_object, entries, s)
            }
            (SchemaType::Struct, Value::Struct(fields)) => self.structure(schema, fields, s),
            (kind, other) => Err(S::Error::custom(format!(
                "Invalid type for {}: class {}",
                type_name(kind),
                class_name(other)
            ))),
        }
    }
}

/// A value of a primitive type as Jackson writes it: a float through its Java text (so a float
/// is the number `Float.toString` writes, also in a JSON tree), a non-finite one as a string.
fn primitive_value<S: Serializer>(value: &Value, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Value::Boolean(b) => s.serialize_bool(*b),
        Value::Int8(v) => s.serialize_i8(*v),
        Value::Int16(v) => s.serialize_i16(*v),
        Value::Int32(v) => s.serialize_i32(*v),
        Value::Int64(v) => s.serialize_i64(*v),
        Value::Float32(v) if v.is_finite() => s.serialize_f64(java_text(*v).as_str().parse().unwrap_or(f64::from(*v))),
        Value::Float64(v) if v.is_finite() => s.serialize_f64(*v),
        Value::Float32(v) => s.serialize_str(java_text(*v).as_str()),
        Value::Float64(v) => s.serialize_str(java_text(*v).as_str()),
        Value::String(text) => s.serialize_str(text),
        Value::Bytes(bytes) => s.collect_str(&Base64Display::new(bytes, &BASE64)),
        // Kafka Connect's last resort; containers and nulls are written before.
        other => Err(S::Error::custom(format!("Couldn't convert {other:?} to JSON."))),
    }
}

impl<'a> SchemaJson<'a> {
    /// The schema of an array's items or a map's keys or values, written alike (`null` when
    /// there is none).
    fn child(&self, schema: Option<&'a Schema>) -> Option<SchemaJson<'a>> {
        schema.map(|schema| SchemaJson {
            schema,
            field: None,
            writer: self.writer,
        })
    }
}

impl Serialize for SchemaJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Kafka Connect's order: the type, its parts, then optional, name, version, doc,
        // parameters, default (and, for a field, its name).
        let schema = self.schema;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("type", schema.kind.wire_name())?;
        match schema.kind {
            SchemaType::Array => map.serialize_entry("items", &self.child(schema.value_schema.as_deref()))?,
            SchemaType::Map => {
                map.serialize_entry("keys", &self.child(schema.key_schema.as_deref()))?;
                map.serialize_entry("values", &self.child(schema.value_schema.as_deref()))?;
            }
            SchemaType::Struct => map.serialize_entry("fields", &Fields(self))?,
            _ => {}
        }
        map.serialize_entry("optional", &schema.optional)?;
        if let Some(name) = &schema.name {
            map.serialize_entry("name", name)?;
        }
        if let Some(version) = schema.version {
            map.serialize_entry("version", &version)?;
        }
        if let Some(doc) = &schema.doc {
            map.serialize_entry("doc", doc)?;
        }
        if !schema.parameters.is_empty() {
            map.serialize_entry("parameters", &Parameters(&schema.parameters))?;
        }
        if let Some(default) = default_of(schema).map_err(S::Error::custom)? {
            let payload = Payload {
                schema: Some(schema),
                value: default,
                writer: self.writer,
            };
            map.serialize_entry("default", &payload)?;
        }
        if let Some(field) = self.field {
            map.serialize_entry("field", field)?;
        }
        map.end()
    }
}

/// The fields of a struct schema, each as its schema with its name.
struct Fields<'a>(&'a SchemaJson<'a>);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = &self.0.schema.fields;
        let mut seq = s.serialize_seq(Some(fields.len()))?;
        for field in fields {
            seq.serialize_element(&SchemaJson {
                schema: &field.schema,
                field: Some(&field.name),
                writer: self.0.writer,
            })?;
        }
        seq.end()
    }
}

/// A schema's parameters, in their order.
struct Parameters<'a>(&'a [(String, String)]);

impl Serialize for Parameters<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// Jackson's lexical choices where serde_json's differ: floats as Java writes them, control
/// characters escaped in upper-case hexadecimal, characters beyond the Basic Multilingual Plane
/// as the escapes of their UTF-16 surrogates (Jackson's `UTF8JsonGenerator` escapes each
/// surrogate it meets).
pub(crate) struct Jackson;

impl Formatter for Jackson {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(java_text(value).as_str().as_bytes())
    }

    fn write_char_escape<W: ?Sized + io::Write>(&mut self, writer: &mut W, escape: CharEscape) -> io::Result<()> {
        match escape {
            CharEscape::AsciiControl(byte) => write!(writer, "\\u{:04X}", byte),
            other => CompactFormatter.write_char_escape(writer, other),
        }
    }

    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut rest = fragment;
        // A character beyond the plane is the only one encoded in four bytes, led by 0xF0-0xF4.
        while let Some(at) = rest.bytes().position(|b| b >= 0xF0) {
            let (before, from) = rest.split_at(at);
            writer.write_all(before.as_bytes())?;
            let mut chars = from.chars();
            if let Some(c) = chars.next() {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    write!(writer, "\\u{:04X}", unit)?;
                }
            }
            rest = chars.as_str();
        }
        writer.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use weir_connector_api::data::logical::decimal_schema;
    use weir_connector_api::{Field, Schema};

    use super::*;

    fn write(schema: Option<&Schema>, value: &Value, writer: Writer) -> Result<String, ConversionError> {
        let mut out = Vec::new();
        append_json(&mut out, &Payload { schema, value, writer })?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn text_is_jacksons() {
        let text = Value::String("tab\t \u{1F600} \u{1} \u{1F} é /".into());
        assert_eq!(
            write(None, &text, Writer::DEFAULT).unwrap(),
            r#""tab\t \uD83D\uDE00 \u0001 \u001F é /""#
        );
        assert_eq!(write(None, &Value::Float64(1e300), Writer::DEFAULT).unwrap(), "1.0E300");
        assert_eq!(write(None, &Value::Float32(1.1), Writer::DEFAULT).unwrap(), "1.1");
        assert_eq!(
            write(None, &Value::Float32(f32::NAN), Writer::DEFAULT).unwrap(),
            "\"NaN\""
        );
    }

    #[test]
    fn values_must_be_of_their_schema() {
        let int32 = Schema::new(SchemaType::Int32);
        assert_eq!(
            write(Some(&int32), &"42".into(), Writer::DEFAULT).unwrap_err().message,
            "Invalid type for INT32: class java.lang.String"
        );
        let bytes = Schema::new(SchemaType::Bytes);
        assert_eq!(
            write(Some(&bytes), &Value::Int8(1), Writer::DEFAULT)
                .unwrap_err()
                .message,
            "Invalid type for bytes type: class java.lang.Byte"
        );
        let structure = Value::Struct(vec![("a".into(), Value::Int32(1))]);
        assert_eq!(
            write(None, &structure, Writer::DEFAULT).unwrap_err().message,
            "Mismatching schema."
        );
        let time = Temporal::Time.schema();
        assert!(write(Some(&time), &Value::Int32(-1), Writer::DEFAULT).is_err());
        assert!(
            write(Some(&time), &Value::Int64(1), Writer::DEFAULT)
                .unwrap_err()
                .message
                .contains("Time, expected Date")
        );
    }

    #[test]
    fn decimals_are_written_as_the_format_says() {
        let schema = decimal_schema(2);
        // 1234 in more bytes than it needs.
        let value = Value::Bytes(vec![0x00, 0x00, 0x04, 0xd2]);
        assert_eq!(write(Some(&schema), &value, Writer::DEFAULT).unwrap(), "\"BNI=\"");
        let numeric = Writer {
            numeric_decimals: true,
            ..Writer::DEFAULT
        };
        assert_eq!(write(Some(&schema), &value, numeric).unwrap(), "12.34");
        let huge = Value::Bytes(vec![0x7f; 20]);
        assert!(write(Some(&decimal_schema(-3)), &huge, numeric).unwrap().contains("E+"));
        let no_scale = Schema::new(SchemaType::Bytes).named(DECIMAL);
        assert!(
            write(Some(&no_scale), &value, Writer::DEFAULT)
                .unwrap_err()
                .message
                .contains("scale parameter not found")
        );
    }

    #[test]
    fn schemas_are_written_in_kafka_connects_order() {
        let schema = Schema::struct_of(vec![
            Field::new("a", Schema::array_of(Schema::string()).optional()),
            Field::new("d", Schema::new(SchemaType::Float64).with_default(Value::Float64(1e21))),
        ])
        .named("n")
        .with_parameter("p", "v");
        let mut out = Vec::new();
        append_json(
            &mut out,
            &SchemaJson {
                schema: &schema,
                field: None,
                writer: Writer::DEFAULT,
            },
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"type":"struct","fields":[{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"a"},{"type":"double","optional":false,"default":1.0E21,"field":"d"}],"optional":false,"name":"n","parameters":{"p":"v"}}"#
        );
        let no_items = Schema::new(SchemaType::Array);
        let mut out = Vec::new();
        let json = SchemaJson {
            schema: &no_items,
            field: None,
            writer: Writer::DEFAULT,
        };
        append_json(&mut out, &json).unwrap();
        assert_eq!(out, br#"{"type":"array","items":null,"optional":false}"#);
        let with_struct_default = Schema::struct_of(vec![]).with_default(Value::Struct(vec![]));
        let json = SchemaJson {
            schema: &with_struct_default,
            field: None,
            writer: Writer::DEFAULT,
        };
        assert_eq!(
            append_json(&mut Vec::new(), &json).unwrap_err().message,
            "Mismatching schema."
        );
    }
}
