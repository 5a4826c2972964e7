//! `JsonConverter`: JSON, with or without Kafka Connect's `{"schema", "payload"}` envelope, as
//! Kafka Connect's `org.apache.kafka.connect.json.JsonConverter` reads and writes it, byte for
//! byte: `write` from the Connect data model straight to bytes, `read` from the tree `tree`
//! reads as Jackson does.
//!
//! The functions [`schema_to_json`], [`schema_from_json`], [`value_to_json`] and
//! [`value_from_json`] give the same conversions on serde's JSON trees, with Kafka Connect's
//! default settings.

mod read;
mod tree;
mod write;

use std::sync::{Arc, Mutex};

use serde_json::Value as Json;
use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConversionError, Converter, ConverterPlugin, HeaderConverter,
    HeaderConverterPlugin, Importance, Props, Schema, Validator, Value,
};

use self::read::Reader;
use self::tree::{Node, parse};
use self::write::{Payload, SchemaJson, Writer, append_json};
use crate::config::{self, ConverterType};

/// `schemas.enable`.
const SCHEMAS_ENABLE: &str = "schemas.enable";
/// `schemas.cache.size`.
const SCHEMAS_CACHE_SIZE: &str = "schemas.cache.size";
/// `schema.content`.
const SCHEMA_CONTENT: &str = "schema.content";
/// `decimal.format`.
const DECIMAL_FORMAT: &str = "decimal.format";
/// `replace.null.with.default`.
const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// The message of a payload Jackson cannot read.
const NOT_JSON: &str = "Converting byte[] to Kafka Connect data failed due to serialization error: ";

/// The message of a payload without the envelope, where it is wanted.
const NO_ENVELOPE: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not \
                           contain additional fields. If you are trying to deserialize plain JSON data, set \
                           schemas.enable=false in your converter configuration.";

/// Reads and writes JSON as Kafka Connect's JsonConverter does. With `schemas.enable=true` (the
/// default) each payload is wrapped as `{"schema": {...}, "payload": ...}`, and read from that
/// envelope unless `schema.content` gives the schema of every payload.
pub struct JsonConverter {
    /// `schemas.enable`.
    schemas_enable: bool,
    /// `schema.content`: the schema every payload read has, instead of an envelope's.
    content_schema: Option<Schema>,
    /// How payloads are read.
    reader: Reader,
    /// How payloads are written.
    writer: Writer,
    /// `schemas.cache.size`: how many written schemas to keep.
    cache_size: usize,
    /// The JSON text of the schemas written lately, the latest last: records of a table or a
    /// file share one schema, and writing it anew for each was most of the cost of a record.
    written_schemas: Mutex<Vec<(Schema, Arc<[u8]>)>>,
}

impl JsonConverter {
    /// A converter configured as Kafka Connect's `JsonConverter.configure(Map)` configures one:
    /// `converter.type` must say how it is used (the plugins set it), the other keys are those
    /// of `JsonConverterConfig`.
    pub fn new(props: &Props) -> Result<Self, ConversionError> {
        ConverterType::from_config(props)?;
        let schemas_enable = config::boolean(props, SCHEMAS_ENABLE, true)?;
        let cache_size = config::int(props, SCHEMAS_CACHE_SIZE, 1000)?;
        let schema_content = config::string(props, SCHEMA_CONTENT).filter(|text| !text.is_empty());
        let numeric_decimals = decimal_format_is_numeric(props)?;
        let replace_null_with_default = config::boolean(props, REPLACE_NULL_WITH_DEFAULT, true)?;
        let reader = Reader {
            replace_null_with_default,
            strict: false,
        };
        let content_schema = match schema_content {
            None => None,
            Some(text) => {
                let json = parse(text.as_bytes()).map_err(|e| {
                    ConversionError::new(format!(
                        "Failed to parse schema in converter config due to serialization error: {e}"
                    ))
                })?;
                reader.schema(&json)?
            }
        };
        Ok(JsonConverter {
            schemas_enable,
            content_schema,
            reader,
            writer: Writer {
                numeric_decimals,
                replace_null_with_default,
            },
            cache_size: usize::try_from(cache_size).unwrap_or(0),
            written_schemas: Mutex::default(),
        })
    }

    /// A schema's JSON text, from the cache when it was written lately.
    fn schema_text(&self, schema: &Schema) -> Result<Arc<[u8]>, ConversionError> {
        let mut written = self.written_schemas.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = written.iter().rposition(|(s, _)| s == schema) {
            let entry = written.remove(at);
            let text = entry.1.clone();
            written.push(entry);
            return Ok(text);
        }
        let mut text = Vec::new();
        append_json(
            &mut text,
            &SchemaJson {
                schema,
                field: None,
                writer: self.writer,
            },
        )?;
        let text: Arc<[u8]> = text.into();
        if self.cache_size > 0 {
            if written.len() >= self.cache_size {
                written.remove(0);
            }
            written.push((schema.clone(), text.clone()));
        }
        Ok(text)
    }
}

/// Whether `decimal.format` is `NUMERIC` (in any case) rather than `BASE64`, its default.
fn decimal_format_is_numeric(props: &Props) -> Result<bool, ConversionError> {
    let Some(raw) = props.get(DECIMAL_FORMAT) else {
        return Ok(false);
    };
    match config::string(props, DECIMAL_FORMAT).map(str::to_uppercase).as_deref() {
        Some("NUMERIC") => Ok(true),
        Some("BASE64") => Ok(false),
        // Kafka lists the values in its hash set's order.
        _ => Err(config::invalid(
            DECIMAL_FORMAT,
            raw,
            "String must be one of (case insensitive): NUMERIC, BASE64",
        )),
    }
}

impl Converter for JsonConverter {
    fn encode(&self, _topic: &str, schema: Option<&Schema>, value: &Value) -> Result<Option<Vec<u8>>, ConversionError> {
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        let payload = Payload {
            schema,
            value,
            writer: self.writer,
        };
        let mut out = Vec::new();
        if !self.schemas_enable {
            append_json(&mut out, &payload)?;
            return Ok(Some(out));
        }
        out.extend_from_slice(b"{\"schema\":");
        match schema {
            Some(schema) => out.extend_from_slice(&self.schema_text(schema)?),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"payload\":");
        append_json(&mut out, &payload)?;
        out.push(b'}');
        Ok(Some(out))
    }

    fn decode(&self, _topic: &str, data: Option<&[u8]>) -> Result<(Option<Schema>, Value), ConversionError> {
        let Some(data) = data else {
            return Ok((None, Value::Null));
        };
        let json = parse(data).map_err(|e| ConversionError::new(format!("{NOT_JSON}{e}")))?;
        if !self.schemas_enable {
            return Ok((None, self.reader.value(None, Some(&json))?));
        }
        if let Some(schema) = &self.content_schema {
            return Ok((Some(schema.clone()), self.reader.value(Some(schema), Some(&json))?));
        }
        let two_members = matches!(&json, Node::Object(entries) if entries.len() == 2);
        let (true, Some(schema), Some(payload)) = (two_members, json.get("schema"), json.get("payload")) else {
            return Err(ConversionError::new(NO_ENVELOPE));
        };
        let schema = self.reader.schema(schema)?;
        let value = self.reader.value(schema.as_ref(), Some(payload))?;
        Ok((schema, value))
    }
}

impl HeaderConverter for JsonConverter {
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

/// The keys of `JsonConverterConfig`, as Kafka Connect declares them.
fn config_def() -> ConfigDef {
    let schemas = Some("Schemas");
    let serialization = Some("Serialization");
    config::converter_config()
        .define_key(config::grouped(
            ConfigKey::new(
                SCHEMAS_ENABLE,
                ConfigType::Boolean,
                Importance::High,
                "Include schemas within each of the serialized values and keys.",
            )
            .default_value("true"),
            schemas,
            0,
            "Enable Schemas",
        ))
        .define_key(config::grouped(
            ConfigKey::new(
                SCHEMAS_CACHE_SIZE,
                ConfigType::Int,
                Importance::High,
                "The maximum number of schemas that can be cached in this converter instance.",
            )
            .default_value("1000"),
            schemas,
            1,
            "Schema Cache Size",
        ))
        .define_key(config::grouped(
            ConfigKey::new(
                SCHEMA_CONTENT,
                ConfigType::String,
                Importance::High,
                "When set, this is used as the schema for all messages, and the schemas within each of the message \
                 will be ignored.Otherwise, the schema will be included in the content of each message. This \
                 configuration applies only 'schemas.enable' is true, and it exclusively affects the sink connector.",
            )
            .default_null(),
            schemas,
            2,
            "Schema Content",
        ))
        .define_key(config::grouped(
            ConfigKey::new(
                DECIMAL_FORMAT,
                ConfigType::String,
                Importance::Low,
                "Controls which format this converter will serialize decimals in. This value is case insensitive \
                 and can be either 'BASE64' (default) or 'NUMERIC'",
            )
            .default_value("BASE64")
            .validator(Validator::one_of(&["BASE64", "NUMERIC"])),
            serialization,
            0,
            "Decimal Format",
        ))
        .define_key(config::grouped(
            ConfigKey::new(
                REPLACE_NULL_WITH_DEFAULT,
                ConfigType::Boolean,
                Importance::Low,
                "Whether to replace fields that have a default value and that are null to the default value. When \
                 set to true, the default value is used, otherwise null is used.",
            )
            .default_value("true"),
            serialization,
            1,
            "Replace null with default",
        ))
}

/// The `JsonConverter` class: key, value and header converters, `converter.type` set by how each
/// is made.
pub(crate) struct JsonConverterClass;

impl ConverterPlugin for JsonConverterClass {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    fn create(&self, props: &Props, is_key: bool) -> Result<Arc<dyn Converter>, ConversionError> {
        let props = ConverterType::of_record(is_key).set_in(props);
        Ok(Arc::new(JsonConverter::new(&props)?))
    }
}

impl HeaderConverterPlugin for JsonConverterClass {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    fn create(&self, props: &Props) -> Result<Arc<dyn HeaderConverter>, ConversionError> {
        Ok(Arc::new(JsonConverter::new(&ConverterType::Header.set_in(props))?))
    }
}

/// A schema in Kafka Connect's JSON form, as JsonConverter writes it in an envelope.
pub fn schema_to_json(schema: &Schema) -> Result<Json, ConversionError> {
    serde_json::to_value(SchemaJson {
        schema,
        field: None,
        writer: Writer::DEFAULT,
    })
    .map_err(|e| ConversionError::new(e.to_string()))
}

/// A schema from Kafka Connect's JSON form, as JsonConverter reads it from an envelope.
pub fn schema_from_json(json: &Json) -> Result<Schema, ConversionError> {
    Reader {
        replace_null_with_default: true,
        strict: false,
    }
    .schema(&Node::of_serde(json))?
    .ok_or_else(|| ConversionError::new("Schema must contain 'type' field"))
}

/// A value as JSON, as JsonConverter writes a payload by default: shaped by its schema when it
/// has one, a null as its schema's default.
pub fn value_to_json(schema: Option<&Schema>, value: &Value) -> Result<Json, ConversionError> {
    serde_json::to_value(Payload {
        schema,
        value,
        writer: Writer::DEFAULT,
    })
    .map_err(|e| ConversionError::new(e.to_string()))
}

/// A value from JSON that must be of `schema`'s types exactly (what a plugin sends: a value off
/// its schema is an error, not cast as Kafka Connect's reading of Kafka data casts it); a null
/// is the schema's default when `defaults`.
pub fn value_from_json(schema: &Schema, json: &Json, defaults: bool) -> Result<Value, ConversionError> {
    Reader {
        replace_null_with_default: defaults,
        strict: true,
    }
    .value(Some(schema), Some(&Node::of_serde(json)))
}

#[cfg(test)]
mod tests {
    use weir_connector_api::{Field, SchemaType};

    use super::*;

    fn converter(settings: &[(&str, &str)]) -> JsonConverter {
        let props: Props = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        JsonConverter::new(&ConverterType::Value.set_in(&props)).unwrap()
    }

    fn with_schemas(schemas: bool) -> JsonConverter {
        converter(&[(SCHEMAS_ENABLE, if schemas { "true" } else { "false" })])
    }

    fn person() -> (Schema, Value) {
        let schema = Schema::struct_of(vec![
            Field::new("id", Schema::new(SchemaType::Int32)),
            Field::new("name", Schema::string().optional()),
            Field::new("tags", Schema::array_of(Schema::string())),
            Field::new("photo", Schema::new(SchemaType::Bytes).optional()),
            Field::new(
                "price",
                Schema::new(SchemaType::Bytes)
                    .named("org.apache.kafka.connect.data.Decimal")
                    .versioned(1)
                    .with_parameter("scale", "2"),
            ),
        ])
        .named("shop.Person");
        let value = Value::Struct(vec![
            ("id".into(), Value::Int32(7)),
            ("name".into(), Value::Null),
            ("tags".into(), Value::Array(vec!["a".into()])),
            ("photo".into(), Value::Bytes(vec![1, 2, 3])),
            ("price".into(), Value::Bytes(vec![0x04, 0xd2])),
        ]);
        (schema, value)
    }

    #[test]
    fn envelope_matches_kafka_connect() {
        let (schema, value) = person();
        let bytes = with_schemas(true).encode("t", Some(&schema), &value).unwrap().unwrap();
        let json: Json = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            json["payload"],
            serde_json::json!({"id": 7, "name": null, "tags": ["a"], "photo": "AQID", "price": "BNI="})
        );
        assert_eq!(json["schema"]["type"], "struct");
        assert_eq!(json["schema"]["name"], "shop.Person");
        assert_eq!(
            json["schema"]["fields"][0],
            serde_json::json!({"type": "int32", "optional": false, "field": "id"})
        );
        assert_eq!(
            json["schema"]["fields"][2]["items"],
            serde_json::json!({"type": "string", "optional": false})
        );
        assert_eq!(
            json["schema"]["fields"][4]["parameters"],
            serde_json::json!({"scale": "2"})
        );
        assert_eq!(schema_to_json(&schema).unwrap(), json["schema"]);
        assert_eq!(value_to_json(Some(&schema), &value).unwrap(), json["payload"]);
    }

    #[test]
    fn structs_keep_their_field_order_as_kafka_connect_writes_them() {
        let (schema, value) = person();
        let schemaless = with_schemas(false).encode("t", Some(&schema), &value).unwrap().unwrap();
        assert_eq!(
            schemaless,
            br#"{"id":7,"name":null,"tags":["a"],"photo":"AQID","price":"BNI="}"#
        );
        let with_schema = with_schemas(true).encode("t", Some(&schema), &value).unwrap().unwrap();
        let text = String::from_utf8(with_schema).unwrap();
        assert!(
            text.starts_with(r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},"#),
            "{text}"
        );
    }

    #[test]
    fn schemas_written_again_come_from_the_cache_unchanged() {
        let (schema, value) = person();
        let c = with_schemas(true);
        let first = c.encode("t", Some(&schema), &value).unwrap();
        let other = Schema::string().optional();
        let line = c.encode("t", Some(&other), &"x".into()).unwrap().unwrap();
        assert_eq!(line, br#"{"schema":{"type":"string","optional":true},"payload":"x"}"#);
        assert_eq!(c.encode("t", Some(&schema), &value).unwrap(), first);
        assert_eq!(c.written_schemas.lock().unwrap_or_else(|e| e.into_inner()).len(), 2);
        let null_schema = c.encode("t", None, &Value::Int32(1)).unwrap().unwrap();
        assert_eq!(null_schema, br#"{"schema":null,"payload":1}"#);
        let uncached = converter(&[(SCHEMAS_CACHE_SIZE, "0")]);
        assert_eq!(uncached.encode("t", Some(&schema), &value).unwrap(), first);
        assert!(
            uncached
                .written_schemas
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty()
        );
    }

    #[test]
    fn envelope_round_trips() {
        let (schema, value) = person();
        let c = with_schemas(true);
        let bytes = c.encode("t", Some(&schema), &value).unwrap();
        assert_eq!(
            c.decode("t", bytes.as_deref()).unwrap(),
            (Some(schema.clone()), value.clone())
        );
        let json = schema_to_json(&schema).unwrap();
        assert_eq!(schema_from_json(&json).unwrap(), schema);
        let payload = value_to_json(Some(&schema), &value).unwrap();
        assert_eq!(value_from_json(&schema, &payload, true).unwrap(), value);
    }

    #[test]
    fn schemaless_json_is_plain() {
        let c = with_schemas(false);
        let value = Value::Map(vec![
            ("a".into(), Value::Int64(1)),
            ("b".into(), Value::Array(vec![Value::Boolean(true)])),
        ]);
        let bytes = c.encode("t", None, &value).unwrap().unwrap();
        assert_eq!(bytes, br#"{"a":1,"b":[true]}"#);
        assert_eq!(c.decode("t", Some(&bytes)).unwrap(), (None, value));
        assert_eq!(c.decode("t", Some(b"1.5")).unwrap().1, Value::Float64(1.5));
        assert_eq!(c.decode("t", Some(b"")).unwrap(), (None, Value::Null));
    }

    #[test]
    fn strings_carry_a_string_schema() {
        let bytes = with_schemas(true)
            .encode("t", Some(&Schema::string()), &"line".into())
            .unwrap()
            .unwrap();
        assert_eq!(
            bytes,
            br#"{"schema":{"type":"string","optional":false},"payload":"line"}"#
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        let c = with_schemas(true);
        assert!(
            c.decode("t", Some(b"{\"a\":1}"))
                .unwrap_err()
                .message
                .contains("schemas.enable=false")
        );
        assert!(
            c.decode("t", Some(b"not json"))
                .unwrap_err()
                .message
                .starts_with(NOT_JSON)
        );
        let required_null = br#"{"schema":{"type":"int32","optional":false},"payload":null}"#;
        assert!(c.decode("t", Some(required_null)).is_err());
    }

    #[test]
    fn settings_are_checked_as_kafka_checks_them() {
        let refused = |settings: &[(&str, &str)]| {
            let props: Props = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            JsonConverter::new(&props).err().map(|e| e.message)
        };
        assert_eq!(
            refused(&[]).as_deref(),
            Some("Missing required configuration \"converter.type\" which has no default value.")
        );
        assert_eq!(
            refused(&[("converter.type", "value"), (SCHEMAS_ENABLE, "maybe")]).as_deref(),
            Some("Invalid value maybe for configuration schemas.enable: Expected value to be either true or false")
        );
        assert_eq!(
            refused(&[("converter.type", "value"), (DECIMAL_FORMAT, "HEX")]).as_deref(),
            Some(
                "Invalid value HEX for configuration decimal.format: String must be one of (case insensitive): NUMERIC, BASE64"
            )
        );
        assert!(refused(&[("converter.type", "key"), (SCHEMA_CONTENT, "{not json")]).is_some());
        assert!(refused(&[("converter.type", "key"), (SCHEMA_CONTENT, "{\"type\":\"int128\"}")]).is_some());
        assert_eq!(
            refused(&[("converter.type", "header"), (DECIMAL_FORMAT, " numeric ")]),
            None
        );
        let created = ConverterPlugin::create(&JsonConverterClass, &Props::new(), true);
        assert!(created.is_ok());
        let keys: Vec<_> = ConverterPlugin::config_def(&JsonConverterClass)
            .keys()
            .iter()
            .map(|k| (k.name.clone(), k.group.clone(), k.order))
            .collect();
        assert_eq!(keys[0], ("converter.type".to_owned(), None, -1));
        assert_eq!(keys[3], (SCHEMA_CONTENT.to_owned(), Some("Schemas".to_owned()), 2));
        assert_eq!(
            keys[4],
            (DECIMAL_FORMAT.to_owned(), Some("Serialization".to_owned()), 0)
        );
    }

    #[test]
    fn a_configured_schema_reads_every_payload() {
        let c = converter(&[(
            SCHEMA_CONTENT,
            r#"{"type":"struct","fields":[{"field":"a","type":"int32"}]}"#,
        )]);
        let (schema, value) = c.decode("t", Some(br#"{"a":5}"#)).unwrap();
        assert_eq!(schema.map(|s| s.fields.len()), Some(1));
        assert_eq!(value, Value::Struct(vec![("a".into(), Value::Int32(5))]));
    }

    #[test]
    fn tombstones_stay_null() {
        assert_eq!(with_schemas(true).encode("t", None, &Value::Null).unwrap(), None);
        assert_eq!(with_schemas(true).decode("t", None).unwrap(), (None, Value::Null));
    }
}
