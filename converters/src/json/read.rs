//! JSON to the Connect data model, as Kafka Connect's JsonConverter reads it
//! (`asConnectSchema` and `convertToConnect`): leniently, as Jackson's `JsonNode` accessors cast
//! (an int8 of `300` is 44, an int32 of `1.9` is 1, a number of a string 0, a string of a number
//! null), maps into a `HashMap` (a repeated key keeps its last value), and a struct's fields
//! checked as `Struct.put` checks them.

use std::hash::{Hash, Hasher};

use weir_connector_api::data::logical::{DECIMAL, MILLIS_PER_DAY, Temporal};
use weir_connector_api::java::decimal::JavaDecimal;
use weir_connector_api::java::names::type_name;
use weir_connector_api::{ConversionError, Field, Schema, SchemaType, Value};

use super::tree::{Node, Number, has_duplicates, last_wins};
use crate::decimal::{redundant_sign_bytes, scale as decimal_scale};

/// A `DataException`.
fn error(message: impl Into<String>) -> ConversionError {
    ConversionError::new(message.into())
}

/// Where a value sits in a struct, as `ConnectSchema.validateValue` names it.
#[derive(Clone, Copy)]
enum Location<'a> {
    /// A schema's default (`value`).
    Default,
    /// A field of a struct.
    Field(&'a str),
    /// An element of an array at a location.
    Element(&'a Location<'a>),
    /// A key of a map at a location.
    Key(&'a Location<'a>),
    /// A value of a map at a location.
    MapValue(&'a Location<'a>),
}

impl std::fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Default => f.write_str("value"),
            Location::Field(name) => write!(f, "field: \"{name}\""),
            Location::Element(of) => write!(f, "element of array {of}"),
            Location::Key(of) => write!(f, "key of map {of}"),
            Location::MapValue(of) => write!(f, "value of map {of}"),
        }
    }
}

/// A null where the schema wants a value, at a location `Struct.put` checks (nowhere outside a
/// struct is a value checked).
fn check_null(schema: &Schema, value: &Value, at: Option<&Location>) -> Result<(), ConversionError> {
    match at {
        Some(at) if value.is_null() && !schema.optional => Err(error(format!(
            "Invalid value: null used for required {at}, schema type: {}",
            type_name(schema.kind)
        ))),
        _ => Ok(()),
    }
}

/// How a `JsonConverter` reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader {
    /// `replace.null.with.default`: a null where the schema has a default is the default.
    pub(crate) replace_null_with_default: bool,
    /// Refuse JSON that is not of its schema's type (a string for an int32, 300 for an int8),
    /// where Kafka Connect's reading casts it leniently.
    pub(crate) strict: bool,
}

/// Whether a JSON value is of a schema's type, exactly: what the lenient reading would cast.
fn fits(kind: SchemaType, json: &Node) -> bool {
    let integer = |min: i64, max: i64| match json {
        Node::Number(n) => n.integral && n.text.parse::<i64>().is_ok_and(|v| (min..=max).contains(&v)),
        _ => false,
    };
    match kind {
        SchemaType::Boolean => matches!(json, Node::Boolean(_)),
        SchemaType::Int8 => integer(i8::MIN.into(), i8::MAX.into()),
        SchemaType::Int16 => integer(i16::MIN.into(), i16::MAX.into()),
        SchemaType::Int32 => integer(i32::MIN.into(), i32::MAX.into()),
        SchemaType::Int64 => integer(i64::MIN, i64::MAX),
        SchemaType::Float32 | SchemaType::Float64 => matches!(json, Node::Number(_)),
        SchemaType::String | SchemaType::Bytes => matches!(json, Node::String(_)),
        SchemaType::Array => matches!(json, Node::Array(_)),
        SchemaType::Map => matches!(json, Node::Object(_) | Node::Array(_)),
        SchemaType::Struct => matches!(json, Node::Object(_)),
    }
}

impl Reader {
    /// A schema from its JSON form (`asConnectSchema`); `None` for `null`.
    pub(crate) fn schema(&self, json: &Node) -> Result<Option<Schema>, ConversionError> {
        if *json == Node::Null {
            return Ok(None);
        }
        let kind = match json.get("type") {
            Some(Node::String(name)) => {
                SchemaType::from_wire_name(name).ok_or_else(|| error(format!("Unknown schema type: {name}")))?
            }
            _ => return Err(error("Schema must contain 'type' field")),
        };
        let mut schema = Schema::new(kind);
        // The schema of an array's items or a map's keys or values: `missing` when it is not
        // given, `null` when it is null.
        let child = |key: &str, missing: &str, null: &str| -> Result<Option<Box<Schema>>, ConversionError> {
            let json = json.get(key).ok_or_else(|| error(missing))?;
            let schema = self.schema(json)?.ok_or_else(|| error(null))?;
            Ok(Some(Box::new(schema)))
        };
        match kind {
            SchemaType::Array => {
                let missing = "Array schema did not specify the element type";
                schema.value_schema = child("items", missing, missing)?;
            }
            SchemaType::Map => {
                let (missing_keys, missing_values) = (
                    "Map schema did not specify the key type",
                    "Map schema did not specify the value type",
                );
                schema.key_schema = child("keys", missing_keys, "keySchema cannot be null.")?;
                schema.value_schema = child("values", missing_values, "valueSchema cannot be null.")?;
            }
            SchemaType::Struct => schema.fields = self.fields(json)?,
            _ => {}
        }
        schema.optional = json.get("optional") == Some(&Node::Boolean(true));
        if let Some(Node::String(name)) = json.get("name") {
            schema.name = Some(name.to_string());
        }
        if let Some(Node::Number(version)) = json.get("version") {
            if version.integral {
                schema.version = Some(long_value(version)? as i32);
            }
        }
        if let Some(Node::String(doc)) = json.get("doc") {
            schema.doc = Some(doc.to_string());
        }
        if let Some(Node::Object(parameters)) = json.get("parameters") {
            schema.parameters = parameters
                .iter()
                .map(|(key, value)| match value {
                    Node::String(value) => Ok((key.to_string(), value.to_string())),
                    _ => Err(error("Schema parameters must have string values.")),
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(default) = json.get("default") {
            schema.default = self.default(&schema, default)?;
        }
        Ok(Some(schema))
    }

    /// The fields of a struct schema, as `SchemaBuilder.field` adds them.
    fn fields(&self, json: &Node) -> Result<Vec<Field>, ConversionError> {
        let Some(Node::Array(fields)) = json.get("fields") else {
            return Err(error("Struct schema's \"fields\" argument is not an array."));
        };
        let fields = fields
            .iter()
            .map(|field| {
                let Some(Node::String(name)) = field.get("field") else {
                    return Err(error("Struct schema's field name not specified properly"));
                };
                if name.is_empty() {
                    return Err(error("fieldName cannot be null."));
                }
                let schema = self
                    .schema(field)?
                    .ok_or_else(|| error(format!("fieldSchema for field {name} cannot be null.")))?;
                Ok(Field::new(name.as_ref(), schema))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if has_duplicates(fields.iter().map(|f| &f.name)) {
            let names: Vec<&String> = fields.iter().map(|f| &f.name).collect();
            let repeated = names.iter().enumerate().find(|(i, name)| names[..*i].contains(name));
            return Err(error(format!(
                "Cannot create field because of field name duplication {}",
                repeated.map_or("", |(_, name)| name.as_str())
            )));
        }
        Ok(fields)
    }

    /// A schema's default, read with the schema as built so far and checked as
    /// `SchemaBuilder.defaultValue` checks it: a null is no default, and no struct can be one
    /// (it would have to be of the builder, which never equals the schema built).
    fn default(&self, schema: &Schema, json: &Node) -> Result<Option<Value>, ConversionError> {
        let value = self.convert(Some(schema), Some(json), Some(&Location::Default))?;
        let invalid = |cause: &str| error(format!("Invalid default value: {cause}"));
        if value.is_null() {
            return match schema.optional {
                true => Ok(None),
                false => Err(invalid(&format!(
                    "Invalid value: null used for required value, schema type: {}",
                    type_name(schema.kind)
                ))),
            };
        }
        if schema.kind == SchemaType::Struct {
            return Err(invalid("Struct schemas do not match."));
        }
        Ok(Some(value))
    }

    /// A value of `schema` (or of none) from JSON; `None` is no node at all (as a struct's field
    /// not in its object is), which reads as `null` does.
    pub(crate) fn value(&self, schema: Option<&Schema>, json: Option<&Node>) -> Result<Value, ConversionError> {
        self.convert(schema, json, None)
    }

    /// `convertToConnect`, checking nulls where they sit in a struct (`at`).
    fn convert(
        &self,
        schema: Option<&Schema>,
        json: Option<&Node>,
        at: Option<&Location>,
    ) -> Result<Value, ConversionError> {
        let Some(schema) = schema else {
            return Ok(json.map_or(Value::Null, schemaless));
        };
        let json = match json {
            None | Some(Node::Null) => return self.null(schema),
            Some(json) => json,
        };
        if self.strict && schema.name.as_deref() != Some(DECIMAL) && !fits(schema.kind, json) {
            return Err(error(format!(
                "Invalid JSON for {} schema: a {}",
                type_name(schema.kind),
                json.type_name()
            )));
        }
        if schema.name.as_deref() == Some(DECIMAL) {
            return decimal(schema, json);
        }
        if let Some(temporal) = Temporal::of(schema) {
            return instant(temporal, json);
        }
        let number = match json {
            Node::Number(number) => Some(number),
            _ => None,
        };
        let long = || number.map_or(Ok(0), long_value);
        Ok(match schema.kind {
            SchemaType::Boolean => Value::Boolean(*json == Node::Boolean(true)),
            SchemaType::Int8 => Value::Int8(long()? as i8),
            SchemaType::Int16 => Value::Int16(long()? as i16),
            SchemaType::Int32 => Value::Int32(long()? as i32),
            SchemaType::Int64 => Value::Int64(long()?),
            SchemaType::Float32 => Value::Float32(number.map_or(Ok(0.0), float_value)?),
            SchemaType::Float64 => Value::Float64(number.map_or(Ok(0.0), float_value)?),
            SchemaType::String => match json {
                Node::String(text) => Value::String(text.to_string()),
                _ => Value::Null,
            },
            SchemaType::Bytes => match json {
                Node::String(text) => Value::Bytes(base64(text).ok_or_else(|| error("Invalid bytes field"))?),
                _ => Value::Null,
            },
            SchemaType::Array => {
                let items = schema.value_schema.as_deref();
                let at = at.map(Location::Element);
                let element = |element: &Node| self.checked(items, element, at.as_ref());
                Value::Array(match json {
                    Node::Array(elements) => elements.iter().map(element).collect::<Result<_, _>>()?,
                    // Jackson iterates over an object's values, and over nothing else.
                    Node::Object(entries) => entries.iter().map(|(_, v)| element(v)).collect::<Result<_, _>>()?,
                    _ => Vec::new(),
                })
            }
            SchemaType::Map => self.map(schema, json, at)?,
            SchemaType::Struct => self.structure(schema, json)?,
        })
    }

    /// A null of `schema`: its default, if it has one and nulls take it; else null where the
    /// schema allows it.
    fn null(&self, schema: &Schema) -> Result<Value, ConversionError> {
        match &schema.default {
            Some(default) if self.replace_null_with_default => Ok(default.clone()),
            _ if schema.optional => Ok(Value::Null),
            _ => Err(error(format!(
                "Invalid null value for required {} field",
                type_name(schema.kind)
            ))),
        }
    }

    /// An element of an array or a key or value of a map, checked where it sits in a struct.
    fn checked(&self, schema: Option<&Schema>, json: &Node, at: Option<&Location>) -> Result<Value, ConversionError> {
        let value = self.convert(schema, Some(json), at)?;
        if let Some(schema) = schema {
            check_null(schema, &value, at)?;
        }
        Ok(value)
    }

    /// A map: an object when its keys are strings, else an array of `[key, value]` pairs; into a
    /// Java `HashMap`, where a repeated key keeps its last value.
    fn map(&self, schema: &Schema, json: &Node, at: Option<&Location>) -> Result<Value, ConversionError> {
        let (keys, values) = (schema.key_schema.as_deref(), schema.value_schema.as_deref());
        let (key_at, value_at) = (at.map(Location::Key), at.map(Location::MapValue));
        if keys.is_none_or(|keys| keys.kind == SchemaType::String) {
            let Node::Object(entries) = json else {
                return Err(error(format!(
                    "Maps with string fields should be encoded as JSON objects, but found {}",
                    json.type_name()
                )));
            };
            return entries
                .iter()
                .map(|(key, value)| {
                    Ok((
                        Value::String(key.to_string()),
                        self.checked(values, value, value_at.as_ref())?,
                    ))
                })
                .collect::<Result<_, _>>()
                .map(Value::Map);
        }
        let Node::Array(pairs) = json else {
            return Err(error(format!(
                "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
                json.type_name()
            )));
        };
        let entries = pairs
            .iter()
            .map(|pair| match pair {
                Node::Array(pair) => match pair.as_slice() {
                    [key, value] => Ok((
                        JavaKey(self.checked(keys, key, key_at.as_ref())?),
                        self.checked(values, value, value_at.as_ref())?,
                    )),
                    other => Err(error(format!(
                        "Found invalid map entry, expected length 2 but found :{}",
                        other.len()
                    ))),
                },
                other => Err(error(format!(
                    "Found invalid map entry instead of array tuple: {}",
                    other.type_name()
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::Map(
            last_wins(entries).into_iter().map(|(k, v)| (k.0, v)).collect(),
        ))
    }

    /// A struct: each field of the schema from the object's member of its name, checked as
    /// `Struct.put` checks it.
    fn structure(&self, schema: &Schema, json: &Node) -> Result<Value, ConversionError> {
        let Node::Object(entries) = json else {
            return Err(error(format!(
                "Structs should be encoded as JSON objects, but found {}",
                json.type_name()
            )));
        };
        schema
            .fields
            .iter()
            .enumerate()
            .map(|(i, field)| {
                // Members mostly come in the schema's order.
                let member = entries
                    .get(i)
                    .filter(|(key, _)| *key == field.name)
                    .or_else(|| entries.iter().find(|(key, _)| *key == field.name))
                    .map(|(_, v)| v);
                let at = Location::Field(&field.name);
                let value = self.convert(Some(&field.schema), member, Some(&at))?;
                check_null(&field.schema, &value, Some(&at))?;
                Ok((field.name.clone(), value))
            })
            .collect::<Result<_, _>>()
            .map(Value::Struct)
    }
}

/// A value without a schema: an integer as an int64, another number as a double, an object as
/// a map of strings.
fn schemaless(json: &Node) -> Value {
    match json {
        Node::Missing | Node::Null => Value::Null,
        Node::Boolean(b) => Value::Boolean(*b),
        Node::Number(number) if number.integral => Value::Int64(long_value(number).unwrap_or_default()),
        Node::Number(number) => Value::Float64(float_value(number).unwrap_or_default()),
        Node::String(text) => Value::String(text.to_string()),
        Node::Array(items) => Value::Array(items.iter().map(schemaless).collect()),
        Node::Object(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| (Value::String(k.to_string()), schemaless(v)))
                .collect(),
        ),
    }
}

/// A number as a long (`JsonNode.longValue`): an integer's low 64 bits, or a decimal's
/// truncated to an integer.
fn long_value(number: &Number) -> Result<i64, ConversionError> {
    if number.integral {
        if let Ok(value) = number.text.parse::<i64>() {
            return Ok(value);
        }
    }
    exact(number).map(|decimal| decimal.long_value())
}

/// A number as Java holds it exactly (`BigDecimal`).
fn exact(number: &Number) -> Result<JavaDecimal, ConversionError> {
    JavaDecimal::parse(&number.text).ok_or_else(|| error(format!("Malformed numeric value ({})", number.text)))
}

/// A number as a float or double (`floatValue`, `doubleValue`): correctly rounded; a zero is
/// positive, as `BigDecimal` has no negative zero.
fn float_value<F: std::str::FromStr + Default>(number: &Number) -> Result<F, ConversionError> {
    let significand = number.text.split(['e', 'E']).next().unwrap_or_default();
    if significand.bytes().all(|b| matches!(b, b'0' | b'-' | b'.')) {
        return Ok(F::default());
    }
    number
        .text
        .parse()
        .map_err(|_| error(format!("Malformed numeric value ({})", number.text)))
}

/// The bytes of base64 text as Jackson's default variant reads them (`TextNode.binaryValue`):
/// whitespace (any character up to a space) allowed before each group of four, padding required,
/// bits beyond the last byte ignored.
fn base64(text: &str) -> Option<Vec<u8>> {
    let sextet = |c: u8| -> Option<u32> {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(u32::from(value))
    };
    let text = text.as_bytes();
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
    let mut at = 0;
    loop {
        while text.get(at).is_some_and(|c| *c <= b' ') {
            at += 1;
        }
        let Some(first) = text.get(at) else {
            return Some(bytes);
        };
        let char_at = |i: usize| text.get(at + i).copied();
        let twelve = sextet(*first)? << 6 | sextet(char_at(1)?)?;
        match (char_at(2)?, char_at(3)?) {
            (b'=', b'=') => bytes.push((twelve >> 4) as u8),
            (third, b'=') => {
                let eighteen = twelve << 6 | sextet(third)?;
                bytes.extend([(eighteen >> 10) as u8, (eighteen >> 2) as u8]);
            }
            (third, fourth) => {
                let all = (twelve << 6 | sextet(third)?) << 6 | sextet(fourth)?;
                bytes.extend([(all >> 16) as u8, (all >> 8) as u8, all as u8]);
            }
        }
        at += 4;
    }
}

/// A Decimal: a number as it is, at the schema's scale (where Java keeps its own scale), or the
/// base64 of the unscaled bytes.
fn decimal(schema: &Schema, json: &Node) -> Result<Value, ConversionError> {
    match json {
        Node::Number(number) => {
            let scale = decimal_scale(schema)?;
            let value = exact(number)?;
            let scaled = value.with_scale(scale).ok_or_else(|| {
                error(format!(
                    "Decimal value has mismatching scale for given Decimal schema. Schema has scale {scale}, value \
                     has scale {}.",
                    value.scale()
                ))
            })?;
            Ok(Value::Bytes(scaled.unscaled_bytes()))
        }
        Node::String(text) => {
            let invalid = || error("Invalid bytes for Decimal field");
            decimal_scale(schema).map_err(|_| invalid())?;
            let mut bytes = base64(text).ok_or_else(invalid)?;
            // `new BigInteger(bytes)` refuses no bytes, and holds the number in as few as it needs.
            if bytes.is_empty() {
                return Err(invalid());
            }
            bytes.drain(..redundant_sign_bytes(&bytes));
            Ok(Value::Bytes(bytes))
        }
        other => Err(error(format!(
            "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
            other.type_name()
        ))),
    }
}

/// A Date, Time or Timestamp: an integer (a Date's or Time's within an int, a Time's within a
/// day).
fn instant(temporal: Temporal, json: &Node) -> Result<Value, ConversionError> {
    let integer = match json {
        Node::Number(number) if number.integral => Some(number),
        _ => None,
    };
    let int = integer.and_then(|number| number.text.parse::<i32>().ok());
    let simple_name = temporal.name().rsplit('.').next().unwrap_or_default();
    let representation = |wanted: &str| {
        error(format!(
            "Invalid type for {simple_name}, underlying representation should be {wanted} but was {}",
            json.type_name()
        ))
    };
    match temporal {
        Temporal::Date => int.map(Value::Int32).ok_or_else(|| representation("integer")),
        Temporal::Time => {
            let millis = int.ok_or_else(|| representation("integer"))?;
            if !(0..=MILLIS_PER_DAY).contains(&i64::from(millis)) {
                return Err(error(
                    "Time values must use number of milliseconds greater than 0 and less than 86400000",
                ));
            }
            Ok(Value::Int32(millis))
        }
        Temporal::Timestamp => {
            let number = integer.ok_or_else(|| representation("integral"))?;
            Ok(Value::Int64(long_value(number)?))
        }
    }
}

/// A map key, compared as Java's `equals` compares it: floats by their bits (NaN equal to NaN,
/// 0.0 unequal to -0.0), bytes never (arrays are equal only to themselves).
struct JavaKey(Value);

impl PartialEq for JavaKey {
    fn eq(&self, other: &Self) -> bool {
        java_equals(&self.0, &other.0)
    }
}

impl Eq for JavaKey {}

impl Hash for JavaKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        java_hash(&self.0, state);
    }
}

/// Java's `equals` of two values of one schema.
fn java_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float32(x), Value::Float32(y)) => canonical_bits(f64::from(*x)) == canonical_bits(f64::from(*y)),
        (Value::Float64(x), Value::Float64(y)) => canonical_bits(*x) == canonical_bits(*y),
        (Value::Bytes(_), Value::Bytes(_)) => false,
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| java_equals(x, y)),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((xk, xv), (yk, yv))| java_equals(xk, yk) && java_equals(xv, yv))
        }
        (Value::Struct(x), Value::Struct(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((xn, xv), (yn, yv))| xn == yn && java_equals(xv, yv))
        }
        _ => a == b,
    }
}

/// The bits of a float, NaN's canonical (`Double.doubleToLongBits`).
fn canonical_bits(value: f64) -> u64 {
    if value.is_nan() {
        f64::NAN.to_bits()
    } else {
        value.to_bits()
    }
}

/// A hash consistent with [`java_equals`].
fn java_hash<H: Hasher>(value: &Value, state: &mut H) {
    std::mem::discriminant(value).hash(state);
    match value {
        Value::Null | Value::Bytes(_) => {}
        Value::Boolean(b) => b.hash(state),
        Value::Int8(v) => v.hash(state),
        Value::Int16(v) => v.hash(state),
        Value::Int32(v) => v.hash(state),
        Value::Int64(v) => v.hash(state),
        Value::Float32(v) => canonical_bits(f64::from(*v)).hash(state),
        Value::Float64(v) => canonical_bits(*v).hash(state),
        Value::String(s) => s.hash(state),
        Value::Array(items) => items.iter().for_each(|item| java_hash(item, state)),
        Value::Map(entries) => entries.iter().for_each(|(k, v)| {
            java_hash(k, state);
            java_hash(v, state);
        }),
        Value::Struct(fields) => fields.iter().for_each(|(name, v)| {
            name.hash(state);
            java_hash(v, state);
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::parse;
    use super::*;

    const READER: Reader = Reader {
        replace_null_with_default: true,
        strict: false,
    };

    fn read(schema: &str, payload: &str) -> Result<Value, ConversionError> {
        let schema = READER.schema(&parse(schema.as_bytes()).unwrap())?;
        let payload = parse(payload.as_bytes()).unwrap();
        READER.value(schema.as_ref(), Some(&payload))
    }

    #[test]
    fn numbers_are_cast_as_jackson_casts_them() {
        assert_eq!(read(r#"{"type":"int8"}"#, "300").unwrap(), Value::Int8(44));
        assert_eq!(read(r#"{"type":"int32"}"#, "-1.9").unwrap(), Value::Int32(-1));
        assert_eq!(read(r#"{"type":"int32"}"#, "true").unwrap(), Value::Int32(0));
        assert_eq!(
            read(r#"{"type":"int64"}"#, "123456789012345678901234567890").unwrap(),
            Value::Int64(-4_362_896_299_872_285_998)
        );
        assert_eq!(read(r#"{"type":"double"}"#, "-0.0").unwrap(), Value::Float64(0.0));
        assert!(read(r#"{"type":"double"}"#, "-0.0").is_ok_and(|v| v == Value::Float64(0.0)));
        assert_eq!(
            read(r#"{"type":"float"}"#, "1e40").unwrap(),
            Value::Float32(f32::INFINITY)
        );
        assert_eq!(read(r#"{"type":"boolean"}"#, "1").unwrap(), Value::Boolean(false));
        assert_eq!(read(r#"{"type":"string","optional":true}"#, "5").unwrap(), Value::Null);
        assert_eq!(
            read(r#"{"type":"array","items":{"type":"int64"}}"#, r#"{"a":1,"b":2}"#).unwrap(),
            Value::Array(vec![Value::Int64(1), Value::Int64(2)])
        );
    }

    #[test]
    fn logical_types_read_as_kafka_reads_them() {
        let decimal = r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}"#;
        assert_eq!(read(decimal, "12.3").unwrap(), Value::Bytes(vec![0x04, 0xce]));
        assert_eq!(read(decimal, "\"BNI=\"").unwrap(), Value::Bytes(vec![0x04, 0xd2]));
        assert!(
            read(decimal, "1.234")
                .unwrap_err()
                .message
                .contains("mismatching scale")
        );
        assert!(
            read(decimal, "true")
                .unwrap_err()
                .message
                .contains("numeric or bytes but was BOOLEAN")
        );
        let time = r#"{"type":"int32","name":"org.apache.kafka.connect.data.Time"}"#;
        assert!(read(time, "86400001").is_err());
        assert!(
            read(time, "1.0")
                .unwrap_err()
                .message
                .contains("Time, underlying representation should be integer")
        );
        let timestamp = r#"{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}"#;
        assert_eq!(
            read(timestamp, "1704164645678").unwrap(),
            Value::Int64(1_704_164_645_678)
        );
    }

    #[test]
    fn struct_fields_are_checked_as_struct_put_checks_them() {
        let schema = r#"{"type":"struct","fields":[{"field":"a","type":"array","items":{"type":"string"}}]}"#;
        assert_eq!(
            read(schema, r#"{"a":[1]}"#).unwrap_err().message,
            "Invalid value: null used for required element of array field: \"a\", schema type: STRING"
        );
        // Outside a struct nothing is checked.
        assert_eq!(
            read(r#"{"type":"array","items":{"type":"string"}}"#, "[1]").unwrap(),
            Value::Array(vec![Value::Null])
        );
    }

    #[test]
    fn maps_keep_the_last_value_of_a_key() {
        let schema = r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"string"}}"#;
        assert_eq!(
            read(schema, r#"[[1,"a"],[2,"b"],[1,"c"]]"#).unwrap(),
            Value::Map(vec![(Value::Int32(1), "c".into()), (Value::Int32(2), "b".into())])
        );
        assert!(
            read(schema, r#"[[1]]"#)
                .unwrap_err()
                .message
                .contains("expected length 2 but found :1")
        );
        assert!(
            read(schema, r#"{"1":"a"}"#)
                .unwrap_err()
                .message
                .contains("but found OBJECT")
        );
    }

    #[test]
    fn schemas_read_as_kafka_reads_them() {
        let schema = |text: &str| READER.schema(&parse(text.as_bytes()).unwrap());
        assert!(schema(r#"{"type":"string","parameters":{"a":1}}"#).is_err());
        assert!(
            schema(r#"{"type":"struct","fields":[{"field":"a","type":"int8"},{"field":"a","type":"int8"}]}"#)
                .unwrap_err()
                .message
                .ends_with("duplication a")
        );
        assert!(
            schema(r#"{"type":"struct","fields":[],"default":{}}"#)
                .unwrap_err()
                .message
                .starts_with("Invalid default value")
        );
        assert!(
            schema(r#"{"type":"string","default":5}"#)
                .unwrap_err()
                .message
                .starts_with("Invalid default value")
        );
        assert_eq!(
            schema(r#"{"type":"string","optional":true,"default":null}"#)
                .unwrap()
                .unwrap()
                .default,
            None
        );
        assert!(schema(r#"{"type":"array","items":null}"#).is_err());
        assert_eq!(
            schema(r#"{"type":"int8","version":4294967297}"#)
                .unwrap()
                .unwrap()
                .version,
            Some(1)
        );
    }
}
