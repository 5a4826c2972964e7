//! Kafka Connect's `Values` (`org.apache.kafka.connect.data.Values`): the string form of any
//! value, and a string parsed back into the most specific value it can be, with the schema that
//! implies.
//!
//! `InsertHeader` parses its literal with [`parse_string`]; `SimpleHeaderConverter` writes header
//! values with [`convert_to_string`] and reads them back with [`parse_string`]. Both follow Kafka
//! Connect exactly, quirks included (see the `parser` module), as they decide what headers
//! other Kafka Connect workers read. Dates and times are read and written in UTC, as Kafka
//! Connect does on a worker whose JVM runs in UTC.

mod parser;
mod temporal;

use base64::Engine as _;

use crate::data::logical::{DECIMAL, SCALE, Temporal};
use crate::data::{Schema, SchemaType, Value};
use crate::java::decimal::JavaDecimal;
use crate::java::number::{double_to_string, float_to_string};

/// How deeply arrays and maps may nest in a parsed string. Kafka Connect recurses until its
/// thread's stack overflows (thousands of levels); this bound keeps the parse within a few hundred
/// kilobytes of stack even in a debug build, far beyond any header's nesting.
pub const MAX_NESTING: usize = 64;

/// A string whose arrays and maps nest deeper than [`MAX_NESTING`] (where Kafka Connect's
/// `Values` may overflow its stack: `SimpleHeaderConverter` then keeps the bytes as they are).
#[derive(Debug, thiserror::Error)]
#[error("arrays and maps are nested more than {MAX_NESTING} levels deep")]
pub struct TooDeeplyNested;

/// Parses a string as `Values.parseString`: `null` is no schema and [`Value::Null`]; `true` and
/// `false` booleans; a whole number the smallest integer type that holds it (or a Decimal beyond
/// a long), another number a float (a double where a float overflows); a whole
/// `yyyy-MM-dd`, `HH:mm:ss.SSS'Z'` or `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` a Date, Time or Timestamp;
/// `[...]` an array and `{k:v,...}` a map, whose elements (numbers, dates, quoted strings,
/// nested arrays and maps) share a schema where one fits them all, and have none where not
/// (array items or map keys and values of no schema); anything else, including what looks like
/// an array or a map but does not parse, the string itself.
pub fn parse_string(text: &str) -> Result<(Option<Schema>, Value), TooDeeplyNested> {
    if text.is_empty() {
        return Ok((Some(Schema::string()), Value::String(String::new())));
    }
    Ok(match parser::parse(text)? {
        Some((schema, value)) => (Some(schema), value),
        None => (None, Value::Null),
    })
}

/// A value's string form as `Values.convertToString`, `None` for null: numbers and booleans as
/// Java writes them, strings as they are, bytes in base64, a Decimal as `BigDecimal.toString()`,
/// a Date, Time or Timestamp in ISO 8601 (the pattern chosen by the instant: before 1970-01-02 a
/// time of day, at midnight a date), arrays as `[a,b]` and maps and structs as `{k:v}`, with
/// strings and bytes inside them quoted. The schema only tells logical types and a struct's
/// fields (with their defaults); a value that does not match it is written by what it is.
pub fn convert_to_string(schema: Option<&Schema>, value: &Value) -> Option<String> {
    if value.is_null() {
        return None;
    }
    let mut text = String::new();
    append(&mut text, schema, value, false);
    Some(text)
}

/// An instant (milliseconds since the epoch) as `Values.dateFormatFor(date).format(date)`
/// writes a `java.util.Date`, choosing the pattern by the value: before the end of 1970-01-01 a
/// time (`HH:mm:ss.SSS'Z'`), at a midnight a date (`yyyy-MM-dd`), otherwise a timestamp
/// (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`).
pub fn format_date(millis: i64) -> String {
    temporal::format(millis)
}

/// Appends a value's string form; `embedded` inside an array, a map or a struct, where strings
/// and bytes are quoted.
fn append(out: &mut String, schema: Option<&Schema>, value: &Value, embedded: bool) {
    if let Some(millis) = schema.and_then(|s| Temporal::of(s)?.millis(value)) {
        out.push_str(&format_date(millis));
        return;
    }
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int8(v) => out.push_str(&v.to_string()),
        Value::Int16(v) => out.push_str(&v.to_string()),
        Value::Int32(v) => out.push_str(&v.to_string()),
        Value::Int64(v) => out.push_str(&v.to_string()),
        Value::Float32(v) => out.push_str(&float_to_string(*v)),
        Value::Float64(v) => out.push_str(&double_to_string(*v)),
        Value::String(s) if embedded => append_quoted(out, s),
        Value::String(s) => out.push_str(s),
        Value::Bytes(bytes) => match schema.and_then(|s| decimal_to_string(s, bytes)) {
            Some(decimal) => out.push_str(&decimal),
            None if embedded => {
                out.push('"');
                out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
                out.push('"');
            }
            None => out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes)),
        },
        Value::Array(items) => {
            let items_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, items_schema, item, true);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let keys_schema = schema.and_then(|s| s.key_schema.as_deref());
            let values_schema = schema.and_then(|s| s.value_schema.as_deref());
            let entries = entries
                .iter()
                .map(|(k, v)| (Key::Value(k, keys_schema), v, values_schema));
            append_entries(out, entries);
        }
        Value::Struct(fields) => match schema.filter(|s| s.kind == SchemaType::Struct) {
            Some(schema) => append_entries(
                out,
                schema.fields.iter().map(|field| {
                    // `Struct.get`: a null field reads as its default.
                    let stored = value.field(&field.name).unwrap_or(&Value::Null);
                    let value = match (stored, &field.schema.default) {
                        (Value::Null, Some(default)) => default,
                        _ => stored,
                    };
                    (Key::Name(&field.name), value, Some(&field.schema))
                }),
            ),
            None => append_entries(out, fields.iter().map(|(name, value)| (Key::Name(name), value, None))),
        },
    }
}

/// Appends a string in quotes, with backslashes and quotes escaped.
fn append_quoted(out: &mut String, text: &str) {
    out.push('"');
    out.push_str(&text.replace('\\', "\\\\").replace('"', "\\\""));
    out.push('"');
}

/// The key of an entry of a map or a struct.
enum Key<'a> {
    /// A map's key, with the map's key schema.
    Value(&'a Value, Option<&'a Schema>),
    /// A struct field's name.
    Name(&'a str),
}

/// Appends entries as `{k:v,...}`.
fn append_entries<'a>(out: &mut String, entries: impl Iterator<Item = (Key<'a>, &'a Value, Option<&'a Schema>)>) {
    out.push('{');
    for (i, (key, value, value_schema)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        match key {
            Key::Value(key, key_schema) => append(out, key_schema, key, true),
            Key::Name(name) => append_quoted(out, name),
        }
        out.push(':');
        append(out, value_schema, value, true);
    }
    out.push('}');
}

/// A Decimal's string form, if the schema is a Decimal's with a scale and the value has bytes.
fn decimal_to_string(schema: &Schema, unscaled: &[u8]) -> Option<String> {
    if schema.name.as_deref() != Some(DECIMAL) {
        return None;
    }
    let scale = schema.parameter(SCALE)?.parse().ok()?;
    JavaDecimal::from_unscaled(unscaled, scale).map(|decimal| decimal.to_java_string())
}

#[cfg(test)]
mod tests;
