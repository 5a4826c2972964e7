//! `StringConverter`: a value as the text Java's `toString` gives it, in the `converter.encoding`
//! character set (UTF-8 by default); bytes read back as a string of that set.
//!
//! Java's text of a value: numbers as Java writes them (`1.0E21`), a Decimal as
//! `BigDecimal.toString()`, a Date, Time or Timestamp as `java.util.Date.toString()` (in UTC, as
//! Weir runs: `Mon Jan 01 00:00:00 UTC 2024`), a list as `[a, b]`, a map as `{k=v}`, a struct as
//! `Struct{a=1}` (its null fields left out). Java writes a byte array as its identity
//! (`[B@1b2c3d4e`), different on every run; Weir writes its base64 instead.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use weir_connector_api::data::logical::{DECIMAL, Temporal};
use weir_connector_api::java::calendar::CalendarFields;
use weir_connector_api::java::decimal::JavaDecimal;
use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConversionError, Converter, ConverterPlugin, HeaderConverter,
    HeaderConverterPlugin, Importance, Props, Schema, Value,
};

use crate::charset::Charset;
use crate::config::{self, ConverterType};
use crate::decimal::scale as decimal_scale;
use crate::java::write_java;

/// `converter.encoding`.
const ENCODING: &str = "converter.encoding";

/// Writes a value as its Java text and reads any payload as a string, each in its character
/// set.
pub struct StringConverter {
    /// The character set values are written in.
    write: Charset,
    /// The character set payloads are read in.
    read: Charset,
}

impl StringConverter {
    /// A converter configured as Kafka Connect's `StringConverter.configure(Map)` configures one:
    /// `converter.type` must say how it is used (the plugins set it); its serializer takes
    /// `key.serializer.encoding` or `value.serializer.encoding` (by that type; a header's is a
    /// value's) over `converter.encoding`, and its deserializer likewise.
    pub fn new(props: &Props) -> Result<Self, ConversionError> {
        let side = match ConverterType::from_config(props)? {
            ConverterType::Key => "key",
            ConverterType::Value | ConverterType::Header => "value",
        };
        let encoding = config::string(props, ENCODING).unwrap_or("UTF-8");
        let charset = |role: &str| {
            let name = props
                .get(&format!("{side}.{role}.encoding"))
                .map_or(encoding, String::as_str);
            Charset::for_name(name).ok_or_else(|| ConversionError::new(format!("Unsupported encoding {name}")))
        };
        Ok(StringConverter {
            write: charset("serializer")?,
            read: charset("deserializer")?,
        })
    }
}

impl Converter for StringConverter {
    fn encode(&self, _topic: &str, schema: Option<&Schema>, value: &Value) -> Result<Option<Vec<u8>>, ConversionError> {
        let text = match value {
            Value::Null => return Ok(None),
            Value::String(text) => Cow::Borrowed(text.as_str()),
            other => {
                let mut text = String::new();
                append(&mut text, schema, other);
                Cow::Owned(text)
            }
        };
        Ok(Some(self.write.encode(&text)))
    }

    fn decode(&self, _topic: &str, data: Option<&[u8]>) -> Result<(Option<Schema>, Value), ConversionError> {
        let value = data.map_or(Value::Null, |bytes| Value::String(self.read.decode(bytes)));
        Ok((Some(Schema::string().optional()), value))
    }
}

impl HeaderConverter for StringConverter {
    fn encode_header(
        &self,
        topic: &str,
        _key: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConversionError> {
        self.encode(topic, schema, value)
    }

    fn decode_header(
        &self,
        topic: &str,
        _key: &str,
        data: Option<&[u8]>,
    ) -> Result<(Option<Schema>, Value), ConversionError> {
        self.decode(topic, data)
    }
}

/// Appends Java's `String.valueOf` of a value of `schema` (or of none). (Writing to a string
/// cannot fail.)
fn append(out: &mut String, schema: Option<&Schema>, value: &Value) {
    if let Some(millis) = schema
        .and_then(Temporal::of)
        .and_then(|temporal| temporal.millis(value))
    {
        append_date(out, millis);
        return;
    }
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int8(v) => out.push_str(&v.to_string()),
        Value::Int16(v) => out.push_str(&v.to_string()),
        Value::Int32(v) => out.push_str(&v.to_string()),
        Value::Int64(v) => out.push_str(&v.to_string()),
        Value::Float32(v) => {
            let _ = write_java(out, *v);
        }
        Value::Float64(v) => {
            let _ = write_java(out, *v);
        }
        Value::String(text) => out.push_str(text),
        Value::Bytes(bytes) => match schema.and_then(|schema| decimal(schema, bytes)) {
            Some(decimal) => out.push_str(&decimal.to_java_string()),
            None => BASE64.encode_string(bytes, out),
        },
        Value::Array(items) => {
            let items_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                append(out, items_schema, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let (keys, values) = (
                schema.and_then(|s| s.key_schema.as_deref()),
                schema.and_then(|s| s.value_schema.as_deref()),
            );
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                append(out, keys, key);
                out.push('=');
                append(out, values, value);
            }
            out.push('}');
        }
        Value::Struct(fields) => {
            out.push_str("Struct{");
            let set = fields.iter().filter(|(_, value)| !value.is_null());
            for (i, (name, value)) in set.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(name);
                out.push('=');
                append(out, schema.and_then(|s| s.field(name)).map(|f| &f.schema), value);
            }
            out.push('}');
        }
    }
}

/// The `BigDecimal` a Decimal's bytes stand for, when the schema is a Decimal's.
fn decimal(schema: &Schema, unscaled: &[u8]) -> Option<JavaDecimal> {
    if schema.name.as_deref() != Some(DECIMAL) {
        return None;
    }
    JavaDecimal::from_unscaled(unscaled, decimal_scale(schema).ok()?)
}

/// Appends an instant as `java.util.Date.toString()` writes it in UTC
/// (`EEE MMM dd HH:mm:ss zzz yyyy`, the year of its era).
fn append_date(out: &mut String, millis: i64) {
    /// The days of the week from Sunday, as `Date.toString` abbreviates them.
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    /// The months, as `Date.toString` abbreviates them.
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let at = CalendarFields::at(millis);
    let name = |names: &[&'static str], index: i64| usize::try_from(index).ok().and_then(|i| names.get(i).copied());
    let _ = write!(
        out,
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        name(&DAYS, at.day_of_week - 1).unwrap_or_default(),
        name(&MONTHS, at.month).unwrap_or_default(),
        at.day_of_month,
        at.hour,
        at.minute,
        at.second,
        at.year_of_era()
    );
}

/// Kafka Connect's `StringConverterConfig`.
fn config_def() -> ConfigDef {
    config::converter_config().define_key(config::grouped(
        ConfigKey::new(
            ENCODING,
            ConfigType::String,
            Importance::High,
            "The name of the Java character set to use for encoding strings as byte arrays.",
        )
        .default_value("UTF-8"),
        None,
        -1,
        "Encoding",
    ))
}

/// The `StringConverter` class: key, value and header converters, `converter.type` set by how
/// each is made.
pub(crate) struct StringConverterClass;

impl ConverterPlugin for StringConverterClass {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    fn create(&self, props: &Props, is_key: bool) -> Result<Arc<dyn Converter>, ConversionError> {
        let props = ConverterType::of_record(is_key).set_in(props);
        Ok(Arc::new(StringConverter::new(&props)?))
    }
}

impl HeaderConverterPlugin for StringConverterClass {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    fn create(&self, props: &Props) -> Result<Arc<dyn HeaderConverter>, ConversionError> {
        Ok(Arc::new(StringConverter::new(&ConverterType::Header.set_in(props))?))
    }
}

#[cfg(test)]
mod tests {
    use weir_connector_api::data::logical::decimal_schema;
    use weir_connector_api::{Field, SchemaType};

    use super::*;

    fn converter(settings: &[(&str, &str)]) -> Arc<dyn Converter> {
        let props: Props = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ConverterPlugin::create(&StringConverterClass, &props, false).unwrap()
    }

    fn text(schema: Option<&Schema>, value: &Value) -> String {
        let bytes = converter(&[]).encode("t", schema, value).unwrap().unwrap();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn round_trip() {
        let c = converter(&[]);
        let bytes = c.encode("t", None, &Value::from("héllo")).unwrap();
        assert_eq!(c.decode("t", bytes.as_deref()).unwrap().1, Value::from("héllo"));
        assert_eq!(c.encode("t", None, &Value::Null).unwrap(), None);
    }

    #[test]
    fn values_are_written_as_javas_to_string() {
        assert_eq!(text(None, &Value::Float64(1e21)), "1.0E21");
        assert_eq!(text(None, &Value::Float32(1.1)), "1.1");
        let schema = Schema::struct_of(vec![
            Field::new("a", Schema::new(SchemaType::Int32)),
            Field::new("b", Schema::string().optional()),
            Field::new("d", decimal_schema(2)),
            Field::new("t", Temporal::Timestamp.schema()),
        ]);
        let value = Value::Struct(vec![
            ("a".into(), Value::Int32(1)),
            ("b".into(), Value::Null),
            ("d".into(), Value::Bytes(vec![0x04, 0xd2])),
            ("t".into(), Value::Int64(1_704_067_200_000)),
        ]);
        assert_eq!(
            text(Some(&schema), &value),
            "Struct{a=1,d=12.34,t=Mon Jan 01 00:00:00 UTC 2024}"
        );
        let map = Value::Map(vec![
            ("a".into(), Value::Int32(1)),
            ("b".into(), Value::Array(vec![Value::Null, "x".into()])),
        ]);
        assert_eq!(text(None, &map), "{a=1, b=[null, x]}");
        assert_eq!(
            text(Some(&Temporal::Date.schema()), &Value::Int32(-1)),
            "Wed Dec 31 00:00:00 UTC 1969"
        );
        assert_eq!(text(None, &Value::Bytes(vec![1, 2])), "AQI=");
    }

    #[test]
    fn encodings_are_javas() {
        let utf16 = converter(&[(ENCODING, "UTF-16")]);
        assert_eq!(
            utf16.encode("t", None, &"hi".into()).unwrap(),
            Some(vec![0xFE, 0xFF, 0, b'h', 0, b'i'])
        );
        let serializer_wins = converter(&[(ENCODING, "UTF-16"), ("value.serializer.encoding", "ISO-8859-1")]);
        assert_eq!(
            serializer_wins.encode("t", None, &"é".into()).unwrap(),
            Some(vec![0xE9])
        );
        assert_eq!(
            serializer_wins.decode("t", Some(&[0, b'h'])).unwrap().1,
            Value::from("h")
        );
        let props: Props = [(ENCODING.to_owned(), "NOPE-8".to_owned())].into();
        assert_eq!(
            ConverterPlugin::create(&StringConverterClass, &props, true)
                .err()
                .map(|e| e.message),
            Some("Unsupported encoding NOPE-8".to_owned())
        );
        assert!(StringConverter::new(&Props::new()).is_err());
    }
}
