//! `Values.parseString`: a text read as the most specific value it can be, with the schema that
//! implies.
//!
//! Kafka Connect splits the text into tokens at `:`, `,`, `{`, `}`, `[`, `]` and `"` (unless a
//! backslash escapes them) and reads it top-down, rewinding to read an array or a map that does
//! not parse as a plain string instead. Everything here follows its quirks, since they decide
//! what a header becomes: blank tokens between delimiters are skipped (also inside quotes),
//! escapes stay in the text, `12:00:00` is the int8 12 (only a whole `HH:mm:ss.SSS'Z'` is a
//! time), commas between map entries are optional, and elements of an array or a map are
//! converted to the one schema inferred for all of them, failing the whole (and leaving a
//! string) where one cannot be, e.g. a null.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Debug;

use super::temporal;
use super::{MAX_NESTING, TooDeeplyNested};
use crate::data::logical::{Temporal, decimal_schema};
use crate::data::{Schema, SchemaType, Value};
use crate::java::decimal::JavaDecimal;
use crate::java::number::digit;
use crate::java::string::{is_blank, trim};

/// A parsed value with its schema; Kafka Connect infers no optional schemas. Boxed, to keep the
/// frames of the recursion small.
type Typed = Box<(Schema, Value)>;

/// Why a part of the text could not be read as what it started as.
enum Failure {
    /// Not an array, a map or an embedded value after all: Kafka Connect rewinds and reads it
    /// as something else (a `DataException` it catches).
    Malformed,
    /// Nested beyond [`MAX_NESTING`]; ends the whole parse (where Java's stack would overflow).
    TooDeep,
}

/// Parses a non-empty text; `None` is Kafka Connect's null (the text `null`).
pub(super) fn parse(text: &str) -> Result<Option<(Schema, Value)>, TooDeeplyNested> {
    let mut parser = ValueParser {
        tokens: Tokens {
            text,
            position: 0,
            peeked: None,
        },
        depth: 0,
    };
    match parser.parse(false) {
        Ok(typed) => Ok(typed.map(|typed| *typed)),
        Err(_) => Err(TooDeeplyNested),
    }
}

/// A string value.
fn string(text: impl Into<String>) -> Typed {
    Box::new((Schema::string(), Value::String(text.into())))
}

/// The tokens of a text, as Kafka Connect's `Values.Parser`: one token may be looked at before
/// it is taken, and reading may rewind to an earlier position.
struct Tokens<'a> {
    /// The whole text.
    text: &'a str,
    /// The byte offset reading continues from.
    position: usize,
    /// A token read but not taken; it ends at `position`.
    peeked: Option<&'a str>,
}

impl<'a> Tokens<'a> {
    /// Whether a token is left.
    fn has_next(&self) -> bool {
        self.peeked.is_some() || self.position < self.text.len()
    }

    /// Where the next token starts.
    fn mark(&self) -> usize {
        self.position - self.peeked.map_or(0, str::len)
    }

    /// Continues reading from a position [`Tokens::mark`] gave.
    fn rewind(&mut self, to: usize) {
        self.position = to;
        self.peeked = None;
    }

    /// Takes the next token (empty at the end).
    fn next(&mut self) -> &'a str {
        match self.peeked.take() {
            Some(token) => token,
            None => self.read(),
        }
    }

    /// The text of the next `count` tokens, taken; or, if there are fewer, nothing taken.
    fn next_text(&mut self, count: usize) -> Option<&'a str> {
        let start = self.mark();
        for _ in 0..count {
            if !self.has_next() {
                self.rewind(start);
                return None;
            }
            self.next();
        }
        self.text.get(start..self.position)
    }

    /// Takes the next token if, skipping blank tokens and trimmed, it is `expected`; otherwise
    /// leaves it (past the blank tokens) to be looked at again.
    fn can_consume(&mut self, expected: &str) -> bool {
        let mut token = match self.peeked {
            Some(token) => token,
            None if self.position < self.text.len() => self.read(),
            None => return false,
        };
        while is_blank(token) && self.position < self.text.len() {
            token = self.read();
        }
        let matched = trim(token) == expected;
        self.peeked = (!matched).then_some(token);
        matched
    }

    /// Reads a token from `position`: a delimiter, or the text up to the next unescaped one.
    fn read(&mut self) -> &'a str {
        let start = self.position;
        let mut escaped = false;
        while let Some(byte) = self.text.as_bytes().get(self.position) {
            match byte {
                b':' | b',' | b'{' | b'}' | b'[' | b']' | b'"' if !escaped => {
                    if self.position == start {
                        self.position += 1;
                    }
                    return self.text.get(start..self.position).unwrap_or_default();
                }
                b'\\' => escaped = !escaped,
                _ => escaped = false,
            }
            self.position += 1;
        }
        self.text.get(start..).unwrap_or_default()
    }
}

/// Kafka Connect's `Values.ValueParser`.
struct ValueParser<'a> {
    /// The text's tokens.
    tokens: Tokens<'a>,
    /// How many arrays and maps enclose the value being read.
    depth: usize,
}

impl ValueParser<'_> {
    /// Reads the next value; `embedded` inside an array or a map, where a quote starts a string
    /// and a token that is no value fails the enclosing array or map.
    fn parse(&mut self, embedded: bool) -> Result<Option<Typed>, Failure> {
        if !self.tokens.has_next() {
            return Ok(None);
        }
        if embedded && self.tokens.can_consume("\"") {
            return Ok(Some(self.quoted_string()));
        }
        if self.single_token_literal(embedded, "null") {
            return Ok(None);
        }
        for (literal, value) in [("true", true), ("false", false)] {
            if self.single_token_literal(embedded, literal) {
                return Ok(Some(Box::new((
                    Schema::new(SchemaType::Boolean),
                    Value::Boolean(value),
                ))));
            }
        }
        let start = self.tokens.mark();
        let structured = if self.tokens.can_consume("[") {
            Some(self.nested(Self::array))
        } else if self.tokens.can_consume("{") {
            Some(self.nested(Self::map))
        } else {
            None
        };
        match structured {
            Some(Ok(typed)) => return Ok(Some(typed)),
            Some(Err(Failure::Malformed)) => self.tokens.rewind(start),
            Some(Err(Failure::TooDeep)) => return Err(Failure::TooDeep),
            None => {}
        }
        let token = self.tokens.next();
        if is_blank(token) {
            return Ok(Some(string(token)));
        }
        self.scalar(embedded, trim(token)).map(Some)
    }

    /// Whether the next token is `literal` and stands alone: in an array or a map, or as the
    /// whole text (`true}` is a string).
    fn single_token_literal(&mut self, embedded: bool, literal: &str) -> bool {
        let start = self.tokens.mark();
        if self.tokens.can_consume(literal) && (embedded || !self.tokens.has_next()) {
            return true;
        }
        self.tokens.rewind(start);
        false
    }

    /// Reads an array or a map one level deeper.
    fn nested(&mut self, read: fn(&mut Self) -> Result<Typed, Failure>) -> Result<Typed, Failure> {
        if self.depth >= MAX_NESTING {
            return Err(Failure::TooDeep);
        }
        self.depth += 1;
        let result = read(self);
        self.depth -= 1;
        result
    }

    /// A token that is neither a literal nor a delimiter: a date, time or timestamp, a number,
    /// or (at the top) the whole text as a string.
    fn scalar(&mut self, embedded: bool, token: &str) -> Result<Typed, Failure> {
        let first = token.chars().next();
        let starts_with_digit = first.and_then(digit).is_some();
        if starts_with_digit {
            if let Some(temporal) = self.temporal_tokens(token) {
                return Ok(temporal);
            }
        }
        if starts_with_digit || matches!(first, Some('+' | '-')) {
            if let Some(number) = number(token) {
                return Ok(number);
            }
        }
        if embedded {
            return Err(Failure::Malformed);
        }
        Ok(string(self.tokens.text))
    }

    /// A time or timestamp split into five tokens by its colons, or `token` alone as a date, time
    /// or timestamp.
    fn temporal_tokens(&mut self, token: &str) -> Option<Typed> {
        let position = self.tokens.mark();
        let whole = self
            .tokens
            .next_text(4)
            .and_then(|rest| temporal_value(&format!("{token}{rest}")));
        if whole.is_some() {
            return whole;
        }
        self.tokens.rewind(position);
        temporal_value(token)
    }

    /// The string up to the closing quote (a date, time or timestamp if it is one).
    fn quoted_string(&mut self) -> Typed {
        let mut content = String::new();
        while self.tokens.has_next() {
            if self.tokens.can_consume("\"") {
                break;
            }
            content.push_str(self.tokens.next());
        }
        temporal_value(&content).unwrap_or_else(|| string(content))
    }

    /// The elements after `[`, up to `]`.
    fn array(&mut self) -> Result<Typed, Failure> {
        let mut elements = Vec::new();
        let mut common = CommonSchema::default();
        while self.tokens.has_next() {
            if self.tokens.can_consume("]") {
                return match common.schema {
                    Some(items) => {
                        let values = elements
                            .into_iter()
                            .map(|element| convert(&items, element))
                            .collect::<Result<_, _>>()?;
                        Ok(Box::new((Schema::array_of(items), Value::Array(values))))
                    }
                    None => Ok(Box::new((
                        Schema::new(SchemaType::Array),
                        Value::Array(elements.into_iter().map(value_of).collect()),
                    ))),
                };
            }
            if self.tokens.can_consume(",") {
                return Err(Failure::Malformed);
            }
            let element = self.parse(true)?;
            common.merge(element.as_ref());
            elements.push(element);
            let after_element = self.tokens.mark();
            if self.tokens.can_consume("]") {
                self.tokens.rewind(after_element);
            } else if !self.tokens.can_consume(",") {
                return Err(Failure::Malformed);
            }
        }
        Err(Failure::Malformed)
    }

    /// The entries after `{`, up to `}`.
    fn map(&mut self) -> Result<Typed, Failure> {
        let mut entries = OrderedMap::default();
        let (mut keys, mut values) = (CommonSchema::default(), CommonSchema::default());
        while self.tokens.has_next() {
            if self.tokens.can_consume("}") {
                return map_of(entries, keys.schema, values.schema);
            }
            if self.tokens.can_consume(",") {
                return Err(Failure::Malformed);
            }
            let key = self.parse(true)?.ok_or(Failure::Malformed)?;
            if !self.tokens.can_consume(":") {
                return Err(Failure::Malformed);
            }
            let value = self.parse(true)?;
            keys.merge(Some(&key));
            values.merge(value.as_ref());
            entries.put(key, value);
            self.tokens.can_consume(",");
        }
        Err(Failure::Malformed)
    }
}

/// A map of the entries read, with the keys and values converted to their common schemas.
fn map_of(
    entries: OrderedMap<Typed, Option<Typed>>,
    keys: Option<Schema>,
    values: Option<Schema>,
) -> Result<Typed, Failure> {
    let mut map = OrderedMap::default();
    for (key, value) in entries.entries {
        let key = match &keys {
            Some(schema) => convert(schema, Some(key))?,
            None => (*key).1,
        };
        let value = match (&keys, &values) {
            (Some(_), Some(schema)) => convert(schema, value)?,
            _ => value_of(value),
        };
        // Converted keys may now be equal: the later value wins, as in Java's map.
        map.put(key, value);
    }
    let schema = match (keys, values) {
        (Some(keys), Some(values)) => Schema::map_of(keys, values),
        (keys, _) => Schema {
            key_schema: keys.map(Box::new),
            ..Schema::new(SchemaType::Map)
        },
    };
    Ok(Box::new((schema, Value::Map(map.entries))))
}

/// Entries in insertion order where putting an equal key replaces the value, as Java's
/// `LinkedHashMap.put`. Keys are found by their debug form (which tells apart exactly the values
/// the data model tells apart), so that large maps take linear time.
struct OrderedMap<K, V> {
    /// The entries, in insertion order.
    entries: Vec<(K, V)>,
    /// Where each key is in `entries`, by its debug form.
    positions: HashMap<String, usize>,
}

impl<K, V> Default for OrderedMap<K, V> {
    fn default() -> Self {
        OrderedMap {
            entries: Vec::new(),
            positions: HashMap::new(),
        }
    }
}

impl<K: Debug, V> OrderedMap<K, V> {
    /// Puts an entry, or replaces the value of an equal key (which keeps its place).
    fn put(&mut self, key: K, value: V) {
        match self.positions.entry(format!("{key:?}")) {
            Entry::Occupied(position) => {
                if let Some(entry) = self.entries.get_mut(*position.get()) {
                    entry.1 = value;
                }
            }
            Entry::Vacant(position) => {
                position.insert(self.entries.len());
                self.entries.push((key, value));
            }
        }
    }
}

/// The value of an element, null for a null.
fn value_of(element: Option<Typed>) -> Value {
    element.map_or(Value::Null, |typed| typed.1)
}

/// The schema common to the values seen so far, as Kafka Connect's `SchemaMerger`: nulls are
/// skipped, numbers widen, and once two values have none it stays none.
#[derive(Default)]
struct CommonSchema {
    /// The common schema; none before any value, or once there is none.
    schema: Option<Schema>,
    /// Whether two values had no common schema.
    incompatible: bool,
}

impl CommonSchema {
    /// Takes a value (or a null) into account.
    fn merge(&mut self, latest: Option<&Typed>) {
        let Some((latest, _)) = latest.map(|typed| &**typed) else {
            return;
        };
        if self.incompatible {
            return;
        }
        self.schema = match &self.schema {
            None => Some(latest.clone()),
            Some(previous) => {
                let merged = merge_schemas(previous, latest);
                self.incompatible = merged.is_none();
                merged
            }
        };
    }
}

/// The schema that holds values of both, as `Values.mergeSchemas`: of two numbers the wider (an
/// int32 and a Date are both int32: the Date stays), of two of one type the later (Kafka Connect
/// compares their optionality, but it infers none optional), none otherwise.
fn merge_schemas(previous: &Schema, latest: &Schema) -> Option<Schema> {
    if previous.kind == latest.kind {
        return Some(latest.clone());
    }
    let wider = match (numeric_rank(previous.kind)?, numeric_rank(latest.kind)?) {
        (previous_rank, latest_rank) if previous_rank > latest_rank => previous,
        _ => latest,
    };
    Some(wider.clone())
}

/// The order in which numeric types widen.
fn numeric_rank(kind: SchemaType) -> Option<u8> {
    Some(match kind {
        SchemaType::Int8 => 0,
        SchemaType::Int16 => 1,
        SchemaType::Int32 => 2,
        SchemaType::Int64 => 3,
        SchemaType::Float32 => 4,
        SchemaType::Float64 => 5,
        _ => return None,
    })
}

/// An element converted to the common schema, as `Values.convertTo` with no source schema: a
/// number is cast, a date, time or timestamp keeps its instant, a number under one of those is a
/// count of its unit (days, or milliseconds), and anything else is already of the schema's type.
/// Null, and a date, time or timestamp as a plain number, cannot be converted.
fn convert(target: &Schema, element: Option<Typed>) -> Result<Value, Failure> {
    let (schema, value) = *element.ok_or(Failure::Malformed)?;
    let source = Temporal::of(&schema);
    if let Some(kind) = Temporal::of(target) {
        return match source {
            Some(source) => source.millis(&value).map(|millis| kind.value(millis)),
            None => as_long(&value).and_then(|count| temporal::value_of_count(kind, count)),
        }
        .ok_or(Failure::Malformed);
    }
    if numeric_rank(target.kind).is_none() {
        return Ok(value);
    }
    if source.is_some() {
        return Err(Failure::Malformed);
    }
    let long = as_long(&value).ok_or(Failure::Malformed)?;
    Ok(match (target.kind, value) {
        (SchemaType::Int8, _) => Value::Int8(long as i8),
        (SchemaType::Int16, _) => Value::Int16(long as i16),
        (SchemaType::Int32, _) => Value::Int32(long as i32),
        (SchemaType::Int64, _) => Value::Int64(long),
        (SchemaType::Float32, Value::Float32(float)) => Value::Float32(float),
        (SchemaType::Float32, other) => Value::Float32(as_double(&other) as f32),
        (SchemaType::Float64, other) => Value::Float64(as_double(&other)),
        (_, other) => other,
    })
}

/// A number's `longValue()` (a float truncated, saturating).
fn as_long(value: &Value) -> Option<i64> {
    Some(match value {
        Value::Int8(v) => i64::from(*v),
        Value::Int16(v) => i64::from(*v),
        Value::Int32(v) => i64::from(*v),
        Value::Int64(v) => *v,
        Value::Float32(v) => *v as i64,
        Value::Float64(v) => *v as i64,
        _ => return None,
    })
}

/// A number's `doubleValue()`.
fn as_double(value: &Value) -> f64 {
    match value {
        Value::Float32(v) => f64::from(*v),
        Value::Float64(v) => *v,
        other => as_long(other).unwrap_or_default() as f64,
    }
}

/// A text of a date's, time's or timestamp's length read as one, with `\:` read as `:`.
fn temporal_value(text: &str) -> Option<Typed> {
    let text = text.replace("\\:", ":");
    let kind = temporal::for_length(text.encode_utf16().count())?;
    let millis = temporal::parse(kind, &text)?;
    Some(Box::new((kind.schema(), kind.value(millis))))
}

/// A number as the narrowest value that holds it: the smallest integer type for a whole number
/// that a long holds (from -10^19 to 10^19), else a float, or a double where a float overflows,
/// or a Decimal for an integer beyond a long or one that overflows both.
fn number(token: &str) -> Option<Typed> {
    let decimal = JavaDecimal::parse(token)?;
    if let Some(long) = decimal.exact_long() {
        return Some(Box::new(if let Ok(v) = i8::try_from(long) {
            (Schema::new(SchemaType::Int8), Value::Int8(v))
        } else if let Ok(v) = i16::try_from(long) {
            (Schema::new(SchemaType::Int16), Value::Int16(v))
        } else if let Ok(v) = i32::try_from(long) {
            (Schema::new(SchemaType::Int32), Value::Int32(v))
        } else {
            (Schema::new(SchemaType::Int64), Value::Int64(long))
        }));
    }
    if decimal.scale() != 0 {
        let float = decimal.to_f32();
        if float.is_finite() {
            return Some(Box::new((Schema::new(SchemaType::Float32), Value::Float32(float))));
        }
        let double = decimal.to_f64();
        if double.is_finite() {
            return Some(Box::new((Schema::new(SchemaType::Float64), Value::Float64(double))));
        }
    }
    Some(Box::new((
        decimal_schema(decimal.scale()),
        Value::Bytes(decimal.unscaled_bytes()),
    )))
}
