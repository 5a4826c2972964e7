//! Reads the oracle's fixtures (see `oracle/README.md` for their encoding) into Weir's types,
//! compares what Weir gives with them, and runs a fixture file's cases: shared by the tests of
//! the transforms and of the converters.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value as Json;
use weir_connector_api::{ConnectHeader, ConnectRecord, Field, Schema, SchemaType, Value};

/// Cases whose input or output Weir's data model cannot state, as `file/case`, with why. They
/// must still differ from the reference (once one can be stated, it leaves this list); every
/// other case must pass.
pub const UNREPRESENTABLE: &[(&str, &str)] = &[
    ("cast/map_date_not_supported", SCHEMALESS_DATE),
    ("cast/schemaless_whole_date_fails", SCHEMALESS_DATE),
    ("timestamp_converter/schemaless_map_field_date", SCHEMALESS_DATE),
    ("flatten/map_date_unsupported", SCHEMALESS_DATE),
    ("header_converter/from_date_no_schema", SCHEMALESS_DATE),
    ("mask_field/map_mask_all_types", SCHEMALESS_DECIMAL),
    ("mask_field/map_replacement_decimal", SCHEMALESS_DECIMAL),
    ("flatten/map_decimal_unsupported", SCHEMALESS_DECIMAL),
    ("header_converter/from_decimal_no_schema", SCHEMALESS_DECIMAL),
    ("converters/json_from_schemaless_date", SCHEMALESS_DATE),
    ("converters/json_from_schemaless_decimal", SCHEMALESS_DECIMAL),
    ("converters/json_from_decimal_wrong_scale", DECIMAL_OF_ANOTHER_SCALE),
];

/// Why a schemaless `java.util.Date` cannot be stated.
const SCHEMALESS_DATE: &str = "a java.util.Date without a schema: in Weir a Date, Time or Timestamp is an int32 or \
                               int64 that only its schema makes an instant, so it reads as a number";

/// Why a schemaless `BigDecimal` cannot be stated.
const SCHEMALESS_DECIMAL: &str = "a java.math.BigDecimal without a schema: in Weir a Decimal is bytes that only its \
                                  schema makes a number, so it reads as bytes";

/// Why a `BigDecimal` of a scale other than its Decimal schema's cannot be stated.
const DECIMAL_OF_ANOTHER_SCALE: &str = "a java.math.BigDecimal whose scale is not its Decimal schema's (1.5 under scale \
                                        2): in Weir a Decimal is its unscaled bytes at the schema's scale, so it is \
                                        1.50, which JsonConverter's NUMERIC format writes as such";

/// Runs every case of a fixture file that `run` takes (`None`: another crate's case), and fails
/// listing each case whose output differs from the reference, and each case listed in
/// [`UNREPRESENTABLE`] that passes after all.
pub fn check(file: &str, run: impl Fn(&Json) -> Option<Result<(), String>>) {
    let stem = file.strip_suffix(".json").unwrap_or(file);
    let mut ran = 0;
    let mut failures = Vec::new();
    for case in cases(file) {
        let Some(result) = run(&case) else {
            continue;
        };
        ran += 1;
        let name = format!("{stem}/{}", case["name"].as_str().unwrap_or("?"));
        match (UNREPRESENTABLE.iter().find(|(listed, _)| *listed == name), result) {
            (None, Ok(())) | (Some(_), Err(_)) => {}
            (None, Err(why)) => failures.push(format!("{name}: {why}")),
            (Some((_, why)), Ok(())) => {
                failures.push(format!("{name}: passes, yet is listed as unrepresentable ({why})"))
            }
        }
    }
    assert!(ran > 0, "{file} has no cases to run here");
    assert!(
        failures.is_empty(),
        "{} of {ran} cases differ from the reference:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The cases of a fixture file of `transforms/tests/fixtures/`.
pub fn cases(file: &str) -> Vec<Json> {
    // Relative to the crate being tested, which is the transforms' or a sibling of it.
    let path = format!("{}/../transforms/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
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
        "decimal" => Value::Bytes(unscaled_bytes(inner.as_str().expect("a decimal string"), schema)),
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
/// bytes as hold it (Java's `BigInteger.toByteArray`), of any size. Under a Decimal schema the
/// value is unscaled at the schema's `scale` (a Java `BigDecimal` of another scale, which Kafka
/// Connect's structs hold as they were given, is the same number), when that scale holds it
/// exactly.
fn unscaled_bytes(decimal: &str, schema: Option<&Schema>) -> Vec<u8> {
    let (negative, unsigned) = match decimal.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, decimal),
    };
    let fraction = unsigned.split_once('.').map_or(0, |(_, f)| f.len());
    let mut digits: String = unsigned.chars().filter(|c| *c != '.').collect();
    let scale = schema
        .filter(|s| s.name.as_deref() == Some("org.apache.kafka.connect.data.Decimal"))
        .and_then(|s| s.parameter("scale"))
        .and_then(|s| s.parse::<usize>().ok());
    match scale {
        Some(scale) if scale > fraction => digits.extend(std::iter::repeat_n('0', scale - fraction)),
        Some(scale) if digits.ends_with(&"0".repeat(fraction - scale)) => {
            digits.truncate(digits.len() - (fraction - scale))
        }
        _ => {}
    }
    // The magnitude, big-endian, then a leading zero byte for the sign.
    let mut magnitude: Vec<u8> = Vec::new();
    for digit in digits.chars() {
        let mut carry = digit
            .to_digit(10)
            .unwrap_or_else(|| panic!("decimal {decimal}: not a digit {digit}"));
        for byte in magnitude.iter_mut().rev() {
            let product = u32::from(*byte) * 10 + carry;
            *byte = product as u8;
            carry = product >> 8;
        }
        while carry > 0 {
            magnitude.insert(0, carry as u8);
            carry >>= 8;
        }
    }
    let mut bytes = vec![0u8];
    bytes.extend(magnitude);
    if negative {
        // Two's complement: invert and add one.
        let mut carry = true;
        for byte in bytes.iter_mut().rev() {
            (*byte, carry) = (!*byte).overflowing_add(u8::from(carry));
        }
    }
    let redundant = bytes
        .windows(2)
        .take_while(|pair| (pair[0] == 0x00 && pair[1] & 0x80 == 0) || (pair[0] == 0xff && pair[1] & 0x80 != 0))
        .count();
    bytes.split_off(redundant)
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

/// Whether two records are the same, their values compared as [`same_value`] compares them.
pub fn same_record(a: &ConnectRecord, b: &ConnectRecord) -> bool {
    let ConnectRecord {
        topic,
        partition,
        key_schema,
        key,
        value_schema,
        value,
        timestamp,
        headers,
        offset,
    } = a;
    *topic == b.topic
        && *partition == b.partition
        && same_schema(key_schema.as_deref(), b.key_schema.as_deref())
        && same_value(key, &b.key)
        && same_schema(value_schema.as_deref(), b.value_schema.as_deref())
        && same_value(value, &b.value)
        && *timestamp == b.timestamp
        && *offset == b.offset
        && headers.len() == b.headers.len()
        && headers.iter().zip(&b.headers).all(|(x, y)| {
            x.key == y.key && same_schema(x.schema.as_deref(), y.schema.as_deref()) && same_value(&x.value, &y.value)
        })
}

/// Whether two schemas are the same, their defaults compared as [`same_value`] compares them.
pub fn same_schema(a: Option<&Schema>, b: Option<&Schema>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return a.is_none() && b.is_none();
    };
    let Schema {
        kind,
        optional,
        name,
        version,
        doc,
        parameters,
        default,
        fields,
        key_schema,
        value_schema,
    } = a;
    let same_default = match (default, &b.default) {
        (Some(x), Some(y)) => same_value(x, y),
        (x, y) => x.is_none() && y.is_none(),
    };
    *kind == b.kind
        && *optional == b.optional
        && *name == b.name
        && *version == b.version
        && *doc == b.doc
        && *parameters == b.parameters
        && same_default
        && fields.len() == b.fields.len()
        && fields
            .iter()
            .zip(&b.fields)
            .all(|(x, y)| x.name == y.name && same_schema(Some(&x.schema), Some(&y.schema)))
        && same_schema(key_schema.as_deref(), b.key_schema.as_deref())
        && same_schema(value_schema.as_deref(), b.value_schema.as_deref())
}

/// Whether two values are the same, where NaN is the same as NaN (Java's `Float.equals` and
/// `Double.equals`; the derived `PartialEq` follows IEEE 754, where NaN equals nothing).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float32(x), Value::Float32(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Float64(x), Value::Float64(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y)),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((xk, xv), (yk, yv))| same_value(xk, yk) && same_value(xv, yv))
        }
        (Value::Struct(x), Value::Struct(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((xn, xv), (yn, yv))| xn == yn && same_value(xv, yv))
        }
        _ => a == b,
    }
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
