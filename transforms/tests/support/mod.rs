//! Reads the oracle's fixtures (see `oracle/README.md` for their encoding) into Weir's types.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value as Json;
use weir_connector_api::{ConnectHeader, ConnectRecord, Field, Schema, SchemaType, Value};

/// The cases of a fixture file.
pub fn cases(file: &str) -> Vec<Json> {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let fixture: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    fixture["cases"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{path} has no cases"))
}

/// A schema, `None` for JSON null.
pub fn schema(json: &Json) -> Option<Schema> {
    if json.is_null() {
        return None;
    }
    let kind = json["type"].as_str().and_then(SchemaType::from_wire_name);
    let kind = kind.unwrap_or_else(|| panic!("schema without a known type: {json}"));
    let mut schema = Schema::new(kind);
    schema.optional = json["optional"].as_bool().unwrap_or(false);
    schema.name = json["name"].as_str().map(str::to_owned);
    schema.version = json["version"].as_i64().map(|v| v as i32);
    schema.doc = json["doc"].as_str().map(str::to_owned);
    if let Some(parameters) = json["parameters"].as_object() {
        schema.parameters = parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect();
    }
    if let Some(fields) = json["fields"].as_array() {
        schema.fields = fields
            .iter()
            .map(|f| {
                let name = f["field"].as_str().unwrap_or_default();
                Field::new(name, self::schema(f).expect("a field has a schema"))
            })
            .collect();
    }
    match kind {
        SchemaType::Array => schema.value_schema = self::schema(&json["items"]).map(Box::new),
        SchemaType::Map => {
            schema.key_schema = self::schema(&json["keys"]).map(Box::new);
            schema.value_schema = self::schema(&json["values"]).map(Box::new);
        }
        _ => {}
    }
    if let Some(default) = json.get("default") {
        let value = value(default, Some(&schema));
        schema.default = (!value.is_null()).then_some(value);
    }
    Some(schema)
}

/// A typed value, read with its schema (which says what a date or a struct's fields are).
pub fn value(json: &Json, schema: Option<&Schema>) -> Value {
    let Some(object) = json.as_object() else {
        assert!(json.is_null(), "a typed value is null or an object: {json}");
        return Value::Null;
    };
    let (kind, inner) = object.iter().next().unwrap_or_else(|| panic!("empty typed value"));
    let number = || {
        inner
            .as_i64()
            .unwrap_or_else(|| panic!("{kind} is not an integer: {inner}"))
    };
    let float = || match inner {
        Json::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            other => panic!("not a float: {other}"),
        },
        other => other.as_f64().unwrap_or_else(|| panic!("not a float: {other}")),
    };
    match kind.as_str() {
        "boolean" => Value::Boolean(inner.as_bool().expect("a boolean")),
        "int8" => Value::Int8(number() as i8),
        "int16" => Value::Int16(number() as i16),
        "int32" => Value::Int32(number() as i32),
        "int64" => Value::Int64(number()),
        "float32" => Value::Float32(float() as f32),
        "float64" => Value::Float64(float()),
        "string" => Value::String(inner.as_str().expect("a string").to_owned()),
        "bytes" => Value::Bytes(
            base64::engine::general_purpose::STANDARD
                .decode(inner.as_str().expect("base64"))
                .expect("base64"),
        ),
        "decimal" => Value::Bytes(unscaled_bytes(inner.as_str().expect("a decimal string"))),
        "date" => {
            let millis = number();
            match schema.and_then(|s| s.name.as_deref()) {
                Some("org.apache.kafka.connect.data.Date") => Value::Int32(millis.div_euclid(86_400_000) as i32),
                Some("org.apache.kafka.connect.data.Time") => Value::Int32(millis as i32),
                _ => Value::Int64(millis),
            }
        }
        "array" => {
            let items = schema.and_then(|s| s.value_schema.as_deref());
            Value::Array(
                inner
                    .as_array()
                    .expect("an array")
                    .iter()
                    .map(|v| value(v, items))
                    .collect(),
            )
        }
        "map" => {
            let keys = schema.and_then(|s| s.key_schema.as_deref());
            let values = schema.and_then(|s| s.value_schema.as_deref());
            Value::Map(
                inner
                    .as_array()
                    .expect("map entries")
                    .iter()
                    .map(|entry| (value(&entry[0], keys), value(&entry[1], values)))
                    .collect(),
            )
        }
        "struct" => {
            let fields = inner.as_array().expect("struct fields");
            Value::Struct(
                fields
                    .iter()
                    .map(|entry| {
                        let name = entry[0].as_str().expect("a field name");
                        let field = schema.and_then(|s| s.field(name)).map(|f| &f.schema);
                        (name.to_owned(), value(&entry[1], field))
                    })
                    .collect(),
            )
        }
        other => panic!("unknown typed value {other}"),
    }
}

/// A decimal's unscaled value as Kafka Connect writes it: big-endian two's complement, in as few
/// bytes as hold it (Java's `BigInteger.toByteArray`).
fn unscaled_bytes(decimal: &str) -> Vec<u8> {
    let digits: String = decimal.chars().filter(|c| *c != '.').collect();
    let unscaled: i128 = digits.parse().unwrap_or_else(|e| panic!("decimal {decimal}: {e}"));
    let bytes = unscaled.to_be_bytes();
    let mut start = 0;
    while start < bytes.len() - 1 {
        let redundant = (bytes[start] == 0x00 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    bytes[start..].to_vec()
}

/// A record of a case; a sink record (`sink`) has an offset (0 unless given).
pub fn record(json: &Json, sink: bool) -> ConnectRecord {
    let key_schema = schema(&json["keySchema"]);
    let value_schema = schema(&json["valueSchema"]);
    ConnectRecord {
        topic: json["topic"].as_str().expect("a topic").to_owned(),
        partition: json["partition"].as_i64().map(|p| p as i32),
        key: value(&json["key"], key_schema.as_ref()),
        value: value(&json["value"], value_schema.as_ref()),
        key_schema: key_schema.map(Arc::new),
        value_schema: value_schema.map(Arc::new),
        timestamp: json["timestamp"].as_i64(),
        headers: json["headers"]
            .as_array()
            .map(|headers| headers.iter().map(header).collect())
            .unwrap_or_default(),
        offset: json["offset"].as_i64().or(sink.then_some(0)),
    }
}

/// A header of a record.
pub fn header(json: &Json) -> ConnectHeader {
    let schema = schema(&json["schema"]);
    ConnectHeader {
        key: json["key"].as_str().expect("a header key").to_owned(),
        value: value(&json["value"], schema.as_ref()),
        schema: schema.map(Arc::new),
    }
}

/// A case's config, as props (null values are left out, as Kafka Connect's `originals` would
/// hold them as absent for defaults).
pub fn props(json: &Json) -> weir_connector_api::Props {
    json.as_object()
        .map(|config| {
            config
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a fixture's output is an error (`{"error": {...}}`).
pub fn is_error(json: &Json) -> bool {
    json.get("error").is_some()
}

/// Makes two values comparable when one side built a schemaless map in Java's hash order:
/// sorts every map's entries, recursively.
pub fn sort_maps(value: &mut Value) {
    match value {
        Value::Map(entries) => {
            for (k, v) in entries.iter_mut() {
                sort_maps(k);
                sort_maps(v);
            }
            entries.sort_by(|a, b| format!("{:?}", a.0).cmp(&format!("{:?}", b.0)));
        }
        Value::Array(items) => items.iter_mut().for_each(sort_maps),
        Value::Struct(fields) => fields.iter_mut().for_each(|(_, v)| sort_maps(v)),
        _ => {}
    }
}
