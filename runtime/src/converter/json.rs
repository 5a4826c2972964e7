//! `JsonConverter`: JSON, with or without Kafka Connect's `{"schema", "payload"}` envelope.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};
use weir_connector_api::{Field, Props, Schema, SchemaType, Value};

use super::{ConversionError, Converter};
use crate::sync::lock;

/// Reads and writes JSON. With `schemas.enable=true` (the default) each payload is wrapped as
/// `{"schema": {...}, "payload": ...}`, as Kafka Connect's JsonConverter does.
pub struct JsonConverter {
    schemas_enable: bool,
    /// `replace.null.with.default`: a null where the schema has a default is that default.
    replace_null_with_default: bool,
    /// The JSON text of the schemas written lately, the latest last: records of a table or a
    /// file share one schema, and writing it anew for each was most of the cost of a record.
    written_schemas: Mutex<Vec<(Schema, Arc<[u8]>)>>,
}

/// How many schemas [`JsonConverter`] keeps written.
const WRITTEN_SCHEMAS: usize = 64;

fn err(msg: impl Into<String>) -> ConversionError {
    ConversionError(msg.into())
}

/// A boolean setting that defaults to true.
fn flag(props: &Props, key: &str) -> Result<bool, ConversionError> {
    match props.get(key).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(true),
        Some(v) if v == "true" => Ok(true),
        Some(v) if v == "false" => Ok(false),
        Some(v) => Err(err(format!(
            "Invalid value {v} for configuration {key}: Expected value to be either true or false"
        ))),
    }
}

impl JsonConverter {
    /// A converter from its settings (`schemas.enable`).
    pub fn new(props: &Props) -> Result<Self, ConversionError> {
        Ok(JsonConverter {
            schemas_enable: flag(props, "schemas.enable")?,
            replace_null_with_default: flag(props, "replace.null.with.default")?,
            written_schemas: Mutex::default(),
        })
    }

    /// A schema's JSON text, from the cache when it was written lately.
    fn schema_text(&self, schema: &Schema) -> Result<Arc<[u8]>, ConversionError> {
        let mut written = lock(&self.written_schemas);
        if let Some(at) = written.iter().rposition(|(s, _)| s == schema) {
            let entry = written.remove(at);
            let text = entry.1.clone();
            written.push(entry);
            return Ok(text);
        }
        let text: Arc<[u8]> = serde_json::to_vec(&schema_to_json(schema)?)
            .map_err(|e| err(e.to_string()))?
            .into();
        if written.len() == WRITTEN_SCHEMAS {
            written.remove(0);
        }
        written.push((schema.clone(), text.clone()));
        Ok(text)
    }
}

impl Converter for JsonConverter {
    fn encode(&self, _topic: &str, schema: Option<&Schema>, value: &Value) -> Result<Option<Vec<u8>>, ConversionError> {
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        let payload = Shaped {
            schema,
            value,
            defaults: self.replace_null_with_default,
        };
        if !self.schemas_enable {
            return serde_json::to_vec(&payload).map(Some).map_err(|e| err(e.to_string()));
        }
        let mut out = b"{\"schema\":".to_vec();
        match schema {
            Some(schema) => out.extend_from_slice(&self.schema_text(schema)?),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"payload\":");
        serde_json::to_writer(&mut out, &payload).map_err(|e| err(e.to_string()))?;
        out.push(b'}');
        Ok(Some(out))
    }

    fn decode(&self, topic: &str, data: Option<&[u8]>) -> Result<(Option<Schema>, Value), ConversionError> {
        let Some(data) = data else {
            return Ok((None, Value::Null));
        };
        let json: Json = serde_json::from_slice(data).map_err(|e| {
            err(format!(
                "Converting byte[] to Kafka Connect data failed due to serialization error of topic {topic}: {e}"
            ))
        })?;
        if !self.schemas_enable {
            return Ok((None, Value::from_json(&json)));
        }
        let envelope = json.as_object().filter(|o| o.len() == 2 && o.contains_key("schema") && o.contains_key("payload")).ok_or_else(|| {
            err("JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. \
                 If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.")
        })?;
        match &envelope["schema"] {
            Json::Null => Ok((None, Value::from_json(&envelope["payload"]))),
            schema_json => {
                let schema = schema_from_json(schema_json)?;
                let value = value_from_json(&schema, &envelope["payload"], self.replace_null_with_default)?;
                Ok((Some(schema), value))
            }
        }
    }
}

/// A schema in Kafka Connect's JSON form.
pub fn schema_to_json(schema: &Schema) -> Result<Json, ConversionError> {
    // Kafka Connect's order: the type, its parts, then optional, name, version, doc, parameters,
    // default.
    let mut obj = Map::new();
    obj.insert("type".into(), schema.kind.wire_name().into());
    match schema.kind {
        SchemaType::Struct => {
            let fields = schema
                .fields
                .iter()
                .map(|f| {
                    let mut field = schema_to_json(&f.schema)?;
                    if let Json::Object(o) = &mut field {
                        o.insert("field".into(), f.name.clone().into());
                    }
                    Ok(field)
                })
                .collect::<Result<_, ConversionError>>()?;
            obj.insert("fields".into(), Json::Array(fields));
        }
        SchemaType::Array => {
            if let Some(items) = &schema.value_schema {
                obj.insert("items".into(), schema_to_json(items)?);
            }
        }
        SchemaType::Map => {
            if let (Some(k), Some(v)) = (&schema.key_schema, &schema.value_schema) {
                obj.insert("keys".into(), schema_to_json(k)?);
                obj.insert("values".into(), schema_to_json(v)?);
            }
        }
        _ => {}
    }
    obj.insert("optional".into(), schema.optional.into());
    if let Some(name) = &schema.name {
        obj.insert("name".into(), name.clone().into());
    }
    if let Some(version) = schema.version {
        obj.insert("version".into(), version.into());
    }
    if let Some(doc) = &schema.doc {
        obj.insert("doc".into(), doc.clone().into());
    }
    if !schema.parameters.is_empty() {
        let params = schema
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), Json::from(v.clone())))
            .collect();
        obj.insert("parameters".into(), Json::Object(params));
    }
    if let Some(default) = &schema.default {
        obj.insert("default".into(), value_to_json(Some(schema), default)?);
    }
    Ok(Json::Object(obj))
}

/// A schema from Kafka Connect's JSON form.
pub fn schema_from_json(json: &Json) -> Result<Schema, ConversionError> {
    let obj = json.as_object().ok_or_else(|| err("Schema must be a JSON object"))?;
    let type_name = obj
        .get("type")
        .and_then(Json::as_str)
        .ok_or_else(|| err("Schema must contain 'type' field"))?;
    let kind = SchemaType::from_wire_name(type_name).ok_or_else(|| err(format!("Unknown schema type: {type_name}")))?;
    let mut schema = Schema::new(kind);
    schema.optional = obj.get("optional").and_then(Json::as_bool).unwrap_or(false);
    schema.name = obj.get("name").and_then(Json::as_str).map(str::to_owned);
    schema.version = obj
        .get("version")
        .and_then(Json::as_i64)
        .and_then(|v| i32::try_from(v).ok());
    schema.doc = obj.get("doc").and_then(Json::as_str).map(str::to_owned);
    if let Some(params) = obj.get("parameters").and_then(Json::as_object) {
        schema.parameters = params
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect();
    }
    let child = |key: &str| -> Result<Option<Box<Schema>>, ConversionError> {
        obj.get(key).map(|s| schema_from_json(s).map(Box::new)).transpose()
    };
    match kind {
        SchemaType::Struct => {
            let fields = obj
                .get("fields")
                .and_then(Json::as_array)
                .ok_or_else(|| err("Struct schema's \"fields\" argument is not an array."))?;
            schema.fields = fields
                .iter()
                .map(|f| {
                    let name = f
                        .get("field")
                        .and_then(Json::as_str)
                        .ok_or_else(|| err("Struct schema's field name not specified properly"))?;
                    Ok(Field::new(name, schema_from_json(f)?))
                })
                .collect::<Result<_, ConversionError>>()?;
        }
        SchemaType::Array => {
            schema.value_schema =
                Some(child("items")?.ok_or_else(|| err("Array schema did not specify the items type"))?);
        }
        SchemaType::Map => {
            schema.key_schema = Some(child("keys")?.ok_or_else(|| err("Map schema did not specify the key type"))?);
            schema.value_schema =
                Some(child("values")?.ok_or_else(|| err("Map schema did not specify the value type"))?);
        }
        _ => {}
    }
    if let Some(default) = obj.get("default") {
        schema.default = Some(value_from_json(&schema, default, false)?);
    }
    Ok(schema)
}

/// A value as JSON, shaped by its schema when it has one (nulls replaced by defaults, as
/// Kafka Connect's JsonConverter does by default).
pub(crate) fn value_to_json(schema: Option<&Schema>, value: &Value) -> Result<Json, ConversionError> {
    serde_json::to_value(Shaped {
        schema,
        value,
        defaults: true,
    })
    .map_err(|e| err(e.to_string()))
}

/// A value with its schema, written as Kafka Connect's JsonConverter writes it: a struct's
/// fields in schema order (a missing one as `null`), a map with string keys as an object and
/// any other as `[key, value]` pairs, a null as the schema's default when `defaults` says.
/// Serialized straight to bytes, with no JSON tree between.
struct Shaped<'a> {
    schema: Option<&'a Schema>,
    value: &'a Value,
    defaults: bool,
}

impl<'a> Serialize for Shaped<'a> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(schema) = self.schema else {
            return self.value.serialize(s);
        };
        let defaults = self.defaults;
        let shaped = |schema: Option<&'a Schema>, value: &'a Value| Shaped {
            schema,
            value,
            defaults,
        };
        match self.value {
            Value::Null if defaults && schema.default.is_some() => {
                shaped(Some(schema), schema.default.as_ref().unwrap_or(&Value::Null)).serialize(s)
            }
            Value::Null if schema.optional => s.serialize_unit(),
            Value::Null => Err(S::Error::custom(
                "Conversion error: null value for field that is required and has no default value",
            )),
            Value::Struct(fields) => {
                let mut map = s.serialize_map(Some(schema.fields.len()))?;
                for field in &schema.fields {
                    let value = fields
                        .iter()
                        .find(|(n, _)| *n == field.name)
                        .map_or(&Value::Null, |(_, v)| v);
                    map.serialize_entry(&field.name, &shaped(Some(&field.schema), value))?;
                }
                map.end()
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&shaped(schema.value_schema.as_deref(), item))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let (ks, vs) = (schema.key_schema.as_deref(), schema.value_schema.as_deref());
                if ks.is_some_and(|k| k.kind == SchemaType::String) {
                    let mut map = s.serialize_map(Some(entries.len()))?;
                    for (k, v) in entries {
                        map.serialize_entry(k.as_str().unwrap_or_default(), &shaped(vs, v))?;
                    }
                    map.end()
                } else {
                    let mut seq = s.serialize_seq(Some(entries.len()))?;
                    for (k, v) in entries {
                        seq.serialize_element(&(shaped(ks, k), shaped(vs, v)))?;
                    }
                    seq.end()
                }
            }
            primitive => primitive.serialize(s),
        }
    }
}

/// A value from JSON, read as its schema says; a null is the schema's default when `defaults`.
pub(crate) fn value_from_json(schema: &Schema, json: &Json, defaults: bool) -> Result<Value, ConversionError> {
    let mismatch = || err(format!("Invalid JSON for {} schema: {json}", schema.kind.wire_name()));
    if json.is_null() {
        return if let (true, Some(default)) = (defaults, &schema.default) {
            Ok(default.clone())
        } else if schema.optional {
            Ok(Value::Null)
        } else {
            Err(err(format!(
                "Invalid null value for required {} field",
                schema.kind.wire_name()
            )))
        };
    }
    let int = || json.as_i64().ok_or_else(mismatch);
    Ok(match schema.kind {
        SchemaType::Int8 => Value::Int8(i8::try_from(int()?).map_err(|_| mismatch())?),
        SchemaType::Int16 => Value::Int16(i16::try_from(int()?).map_err(|_| mismatch())?),
        SchemaType::Int32 => Value::Int32(i32::try_from(int()?).map_err(|_| mismatch())?),
        SchemaType::Int64 => Value::Int64(int()?),
        SchemaType::Float32 => Value::Float32(json.as_f64().ok_or_else(mismatch)? as f32),
        SchemaType::Float64 => Value::Float64(json.as_f64().ok_or_else(mismatch)?),
        SchemaType::Boolean => Value::Boolean(json.as_bool().ok_or_else(mismatch)?),
        SchemaType::String => Value::String(json.as_str().ok_or_else(mismatch)?.to_owned()),
        SchemaType::Bytes => Value::Bytes(
            BASE64
                .decode(json.as_str().ok_or_else(mismatch)?)
                .map_err(|e| err(format!("Invalid bytes field: {e}")))?,
        ),
        SchemaType::Array => {
            let items = schema.value_schema.as_deref().ok_or_else(mismatch)?;
            Value::Array(
                json.as_array()
                    .ok_or_else(mismatch)?
                    .iter()
                    .map(|j| value_from_json(items, j, defaults))
                    .collect::<Result<_, _>>()?,
            )
        }
        SchemaType::Map => {
            let (ks, vs) = (
                schema.key_schema.as_deref().ok_or_else(mismatch)?,
                schema.value_schema.as_deref().ok_or_else(mismatch)?,
            );
            match json {
                Json::Object(obj) => obj
                    .iter()
                    .map(|(k, v)| Ok((Value::String(k.clone()), value_from_json(vs, v, defaults)?)))
                    .collect::<Result<_, ConversionError>>()
                    .map(Value::Map)?,
                Json::Array(pairs) => pairs
                    .iter()
                    .map(|pair| match pair.as_array().map(Vec::as_slice) {
                        Some([k, v]) => Ok((value_from_json(ks, k, defaults)?, value_from_json(vs, v, defaults)?)),
                        _ => Err(mismatch()),
                    })
                    .collect::<Result<_, ConversionError>>()
                    .map(Value::Map)?,
                _ => return Err(mismatch()),
            }
        }
        SchemaType::Struct => {
            let obj = json.as_object().ok_or_else(mismatch)?;
            Value::Struct(
                schema
                    .fields
                    .iter()
                    .map(|f| {
                        Ok((
                            f.name.clone(),
                            value_from_json(&f.schema, obj.get(&f.name).unwrap_or(&Json::Null), defaults)?,
                        ))
                    })
                    .collect::<Result<_, ConversionError>>()?,
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converter(schemas: bool) -> JsonConverter {
        JsonConverter::new(&Props::from([("schemas.enable".to_owned(), schemas.to_string())])).unwrap()
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
        let bytes = converter(true).encode("t", Some(&schema), &value).unwrap().unwrap();
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
    }

    #[test]
    fn structs_keep_their_field_order_as_kafka_connect_writes_them() {
        let (schema, value) = person();
        let schemaless = converter(false).encode("t", Some(&schema), &value).unwrap().unwrap();
        assert_eq!(
            schemaless,
            br#"{"id":7,"name":null,"tags":["a"],"photo":"AQID","price":"BNI="}"#
        );
        let with_schema = converter(true).encode("t", Some(&schema), &value).unwrap().unwrap();
        let text = String::from_utf8(with_schema).unwrap();
        assert!(
            text.starts_with(r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},"#),
            "{text}"
        );
    }

    #[test]
    fn schemas_written_again_come_from_the_cache_unchanged() {
        let (schema, value) = person();
        let c = converter(true);
        let first = c.encode("t", Some(&schema), &value).unwrap();
        let other = Schema::string().optional();
        let line = c.encode("t", Some(&other), &"x".into()).unwrap().unwrap();
        assert_eq!(line, br#"{"schema":{"type":"string","optional":true},"payload":"x"}"#);
        assert_eq!(c.encode("t", Some(&schema), &value).unwrap(), first);
        assert_eq!(lock(&c.written_schemas).len(), 2);
        let null_schema = c.encode("t", None, &Value::Int32(1)).unwrap().unwrap();
        assert_eq!(null_schema, br#"{"schema":null,"payload":1}"#);
    }

    #[test]
    fn envelope_round_trips() {
        let (schema, value) = person();
        let c = converter(true);
        let bytes = c.encode("t", Some(&schema), &value).unwrap();
        assert_eq!(c.decode("t", bytes.as_deref()).unwrap(), (Some(schema), value));
    }

    #[test]
    fn schemaless_json_is_plain() {
        let c = converter(false);
        let value = Value::Map(vec![
            ("a".into(), Value::Int64(1)),
            ("b".into(), Value::Array(vec![Value::Boolean(true)])),
        ]);
        let bytes = c.encode("t", None, &value).unwrap().unwrap();
        assert_eq!(bytes, br#"{"a":1,"b":[true]}"#);
        assert_eq!(c.decode("t", Some(&bytes)).unwrap(), (None, value));
        assert_eq!(c.decode("t", Some(b"1.5")).unwrap().1, Value::Float64(1.5));
    }

    #[test]
    fn strings_carry_a_string_schema() {
        let bytes = converter(true)
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
        let c = converter(true);
        assert!(
            c.decode("t", Some(b"{\"a\":1}"))
                .unwrap_err()
                .0
                .contains("schemas.enable=false")
        );
        assert!(c.decode("t", Some(b"not json")).is_err());
        let required_null = br#"{"schema":{"type":"int32","optional":false},"payload":null}"#;
        assert!(c.decode("t", Some(required_null)).is_err());
        assert!(JsonConverter::new(&Props::from([("schemas.enable".to_owned(), "maybe".to_owned())])).is_err());
    }

    #[test]
    fn tombstones_stay_null() {
        assert_eq!(converter(true).encode("t", None, &Value::Null).unwrap(), None);
        assert_eq!(converter(true).decode("t", None).unwrap(), (None, Value::Null));
    }
}
