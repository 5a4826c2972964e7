//! The Connect data model: schemas and the values they describe.
//!
//! Logical types (Decimal, Date, Time, Timestamp, and Debezium's) are their underlying primitive
//! type plus a schema [`Schema::name`] and [`Schema::parameters`], exactly as in Kafka Connect;
//! [`logical`] names Kafka Connect's own.

pub mod logical;

/// The type of a schema, named on the wire as Kafka Connect's JsonConverter names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SchemaType {
    /// 8-bit signed integer.
    Int8,
    /// 16-bit signed integer.
    Int16,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// 32-bit IEEE 754 float (`float` on the wire).
    Float32,
    /// 64-bit IEEE 754 float (`double` on the wire).
    Float64,
    /// A boolean.
    Boolean,
    /// A UTF-8 string.
    String,
    /// A byte array.
    Bytes,
    /// A list of values of one schema.
    Array,
    /// A map from key schema to value schema.
    Map,
    /// An ordered set of named fields.
    Struct,
}

impl SchemaType {
    /// The wire name (`int8`, ..., `float`, `double`, ..., `struct`).
    pub fn wire_name(self) -> &'static str {
        match self {
            SchemaType::Int8 => "int8",
            SchemaType::Int16 => "int16",
            SchemaType::Int32 => "int32",
            SchemaType::Int64 => "int64",
            SchemaType::Float32 => "float",
            SchemaType::Float64 => "double",
            SchemaType::Boolean => "boolean",
            SchemaType::String => "string",
            SchemaType::Bytes => "bytes",
            SchemaType::Array => "array",
            SchemaType::Map => "map",
            SchemaType::Struct => "struct",
        }
    }

    /// Parses a wire name.
    pub fn from_wire_name(name: &str) -> Option<Self> {
        Some(match name {
            "int8" => SchemaType::Int8,
            "int16" => SchemaType::Int16,
            "int32" => SchemaType::Int32,
            "int64" => SchemaType::Int64,
            "float" => SchemaType::Float32,
            "double" => SchemaType::Float64,
            "boolean" => SchemaType::Boolean,
            "string" => SchemaType::String,
            "bytes" => SchemaType::Bytes,
            "array" => SchemaType::Array,
            "map" => SchemaType::Map,
            "struct" => SchemaType::Struct,
            _ => return None,
        })
    }
}

/// A schema: a type, whether it may be null, optional logical-type metadata, and the schemas
/// of its children (fields of a struct, items of an array, keys and values of a map).
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    /// The type.
    pub kind: SchemaType,
    /// Whether the value may be null.
    pub optional: bool,
    /// A name, e.g. `org.apache.kafka.connect.data.Decimal` or a struct's record name.
    pub name: Option<String>,
    /// The schema version.
    pub version: Option<i32>,
    /// Documentation.
    pub doc: Option<String>,
    /// Logical-type parameters, e.g. `scale` of a Decimal, in the order they were set (Kafka
    /// Connect writes them in that order).
    pub parameters: Vec<(String, String)>,
    /// The value a field of this schema takes when none is given.
    pub default: Option<Value>,
    /// The fields of a struct, in order.
    pub fields: Vec<Field>,
    /// The key schema of a map.
    pub key_schema: Option<Box<Schema>>,
    /// The value schema of a map, or the item schema of an array.
    pub value_schema: Option<Box<Schema>>,
}

/// One field of a struct schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// The field's schema.
    pub schema: Schema,
}

impl Schema {
    /// A required schema of a primitive type.
    pub fn new(kind: SchemaType) -> Self {
        Schema {
            kind,
            optional: false,
            name: None,
            version: None,
            doc: None,
            parameters: Vec::new(),
            default: None,
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
        }
    }

    /// A required string schema.
    pub fn string() -> Self {
        Schema::new(SchemaType::String)
    }

    /// A required struct schema with these fields.
    pub fn struct_of(fields: Vec<Field>) -> Self {
        Schema {
            fields,
            ..Schema::new(SchemaType::Struct)
        }
    }

    /// A required array schema of these items.
    pub fn array_of(items: Schema) -> Self {
        Schema {
            value_schema: Some(Box::new(items)),
            ..Schema::new(SchemaType::Array)
        }
    }

    /// A required map schema.
    pub fn map_of(keys: Schema, values: Schema) -> Self {
        Schema {
            key_schema: Some(Box::new(keys)),
            value_schema: Some(Box::new(values)),
            ..Schema::new(SchemaType::Map)
        }
    }

    /// The same schema, nullable.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// The same schema, with a name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The same schema, with documentation.
    pub fn documented(mut self, doc: impl Into<String>) -> Self {
        self.doc = Some(doc.into());
        self
    }

    /// The same schema, with a version.
    pub fn versioned(mut self, version: i32) -> Self {
        self.version = Some(version);
        self
    }

    /// The same schema, with one more parameter (or a new value for one it has).
    pub fn with_parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        match self.parameters.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.parameters.push((key, value)),
        }
        self
    }

    /// The value of a parameter.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find_map(|(k, v)| (k == key).then_some(v.as_str()))
    }

    /// The same schema, with a default value.
    pub fn with_default(mut self, value: Value) -> Self {
        self.default = Some(value);
        self
    }

    /// The schema of the field with this name, for a struct.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

impl Field {
    /// A field.
    pub fn new(name: impl Into<String>, schema: Schema) -> Self {
        Field {
            name: name.into(),
            schema,
        }
    }
}

/// A value of the Connect data model.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// No value; as a record value, a tombstone.
    Null,
    /// A boolean.
    Boolean(bool),
    /// An int8.
    Int8(i8),
    /// An int16.
    Int16(i16),
    /// An int32 (also Date and Time).
    Int32(i32),
    /// An int64 (also Timestamp).
    Int64(i64),
    /// A float.
    Float32(f32),
    /// A double.
    Float64(f64),
    /// A string.
    String(String),
    /// Bytes (also Decimal, as the big-endian two's-complement unscaled value).
    Bytes(Vec<u8>),
    /// An array.
    Array(Vec<Value>),
    /// A map, in insertion order.
    Map(Vec<(Value, Value)>),
    /// A struct: field names and values, in schema order.
    Struct(Vec<(String, Value)>),
}

impl Value {
    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a struct's field.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Value::Bytes(b)
    }
}

impl Value {
    /// The value as schemaless JSON, as Kafka Connect's JsonConverter writes it with
    /// `schemas.enable=false`: bytes in base64, maps with string keys as objects, other maps as
    /// arrays of `[key, value]` pairs.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Writes a value as schemaless JSON: bytes in base64, a map with string keys as an object and
/// any other map as an array of `[key, value]` pairs, a non-finite float as the string `NaN`,
/// `Infinity` or `-Infinity`.
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use base64::Engine as _;
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => s.serialize_unit(),
            Value::Boolean(b) => s.serialize_bool(*b),
            Value::Int8(i) => s.serialize_i8(*i),
            Value::Int16(i) => s.serialize_i16(*i),
            Value::Int32(i) => s.serialize_i32(*i),
            Value::Int64(i) => s.serialize_i64(*i),
            // Widened through its shortest decimal form (1.1, not 1.100000023841858), as Kafka
            // Connect writes a float32, and the same whether written as text or as a JSON tree.
            Value::Float32(f) if f.is_finite() => s.serialize_f64(f.to_string().parse().unwrap_or(f64::from(*f))),
            Value::Float64(f) if f.is_finite() => s.serialize_f64(*f),
            // Non-finite numbers as Jackson quotes them, as Kafka Connect's JsonConverter writes.
            Value::Float32(f) => s.serialize_str(non_finite(f64::from(*f))),
            Value::Float64(f) => s.serialize_str(non_finite(*f)),
            Value::String(text) => s.serialize_str(text),
            Value::Bytes(b) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(entries) if entries.iter().all(|(k, _)| matches!(k, Value::String(_))) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Value::Map(entries) => {
                let mut seq = s.serialize_seq(Some(entries.len()))?;
                for (k, v) in entries {
                    seq.serialize_element(&(k, v))?;
                }
                seq.end()
            }
            Value::Struct(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (name, v) in fields {
                    map.serialize_entry(name, v)?;
                }
                map.end()
            }
        }
    }
}

/// The text Jackson writes for a non-finite number.
fn non_finite(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

impl Value {
    /// A value read from schemaless JSON, the inverse of [`Value::to_json`] as far as JSON
    /// allows: integers as int64, other numbers as double, objects as string-keyed maps.
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Boolean(*b),
            J::Number(n) => n
                .as_i64()
                .map_or_else(|| Value::Float64(n.as_f64().unwrap_or(f64::NAN)), Value::Int64),
            J::String(s) => Value::String(s.clone()),
            J::Array(items) => Value::Array(items.iter().map(Value::from_json).collect()),
            J::Object(obj) => Value::Map(
                obj.iter()
                    .map(|(k, v)| (Value::String(k.clone()), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemaless_json_is_the_same_as_text_or_as_a_tree() {
        let value = Value::Struct(vec![
            ("z".into(), Value::Float32(1.1)),
            ("a".into(), Value::Bytes(vec![1, 2])),
            ("n".into(), Value::Float64(f64::NAN)),
            ("m".into(), Value::Map(vec![(Value::Int32(1), Value::from("x"))])),
        ]);
        let text = r#"{"z":1.1,"a":"AQI=","n":"NaN","m":[[1,"x"]]}"#;
        assert_eq!(serde_json::to_string(&value).unwrap(), text);
        assert_eq!(value.to_json().to_string(), text);
    }
}
