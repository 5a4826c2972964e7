//! Values: from a type's text output, for a required column sent without one (Debezium's
//! fallbacks), and for an unchanged TOASTed column (Debezium's placeholders).

use weir_connector_api::Value;

use super::binary::{bits, parse_bytea};
use super::decimal::{Decimal, parse_money};
use super::temporal::{
    Instant, MICROS_PER_DAY, format_date, format_time, format_timestamp, infinity, parse_date, parse_interval,
    parse_time, parse_time_tz, parse_timestamp,
};
use super::{
    BinaryMode, DecimalMode, HstoreMode, IntervalMode, NamedString, PgType, Representation, Shape, TimeMode, hstore,
};

/// What Debezium writes for a TOASTed value that did not change and was not sent.
pub const UNAVAILABLE: &str = "__debezium_unavailable_value";

/// `UUID.nameUUIDFromBytes` of [`UNAVAILABLE`]: Debezium's placeholder in a `uuid[]`.
const UNAVAILABLE_UUID: &str = "b68a35a7-17ad-35b3-af2a-ae46edb4545a";

/// One of PostgreSQL's infinities in a schema: the value for `infinity` and for `-infinity`.
fn infinite<T>(
    at: Instant<T>,
    finite: impl FnOnce(T) -> Result<Value, String>,
    ends: (Value, Value),
) -> Result<Value, String> {
    match at {
        Instant::At(t) => finite(t),
        Instant::Infinity => Ok(ends.0),
        Instant::NegInfinity => Ok(ends.1),
    }
}

fn int32(n: i64) -> Result<Value, String> {
    i32::try_from(n)
        .map(Value::Int32)
        .map_err(|_| format!("{n} does not fit a 32-bit integer"))
}

fn ints(pair: (i64, i64)) -> (Value, Value) {
    (Value::Int64(pair.0), Value::Int64(pair.1))
}

fn strings(pair: (&str, &str)) -> (Value, Value) {
    (Value::from(pair.0), Value::from(pair.1))
}

impl TimeMode {
    /// Whether `time(p)` is counted in milliseconds (an int32).
    fn time_in_millis(self, p: u32) -> bool {
        matches!(self, TimeMode::Connect) || (self == TimeMode::Adaptive && p <= 3)
    }

    /// Whether `timestamp(p)` is counted in milliseconds.
    fn timestamp_in_millis(self, p: u32) -> bool {
        matches!(self, TimeMode::Connect)
            || (matches!(self, TimeMode::Adaptive | TimeMode::AdaptiveTimeMicroseconds) && p <= 3)
    }
}

/// A numeric's special values (`NaN`, `Infinity`, `-Infinity`), by their text.
fn special(text: &str) -> Option<(f64, &'static str)> {
    match text {
        "NaN" => Some((f64::NAN, "NAN")),
        "Infinity" => Some((f64::INFINITY, "POSITIVE_INFINITY")),
        "-Infinity" => Some((f64::NEG_INFINITY, "NEGATIVE_INFINITY")),
        _ => None,
    }
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

impl PgType {
    /// Converts a value from the type's text output. The error says why it cannot be
    /// represented.
    pub fn value(&self, text: &str, repr: &Representation) -> Result<Value, String> {
        let bad = || format!("cannot read {text:?} as {self:?}");
        Ok(match self {
            PgType::Int2 => Value::Int16(text.parse().map_err(|_| bad())?),
            PgType::Int4 => Value::Int32(text.parse().map_err(|_| bad())?),
            PgType::Int8 => Value::Int64(text.parse().map_err(|_| bad())?),
            PgType::Float4 => Value::Float32(parse_float(text).ok_or_else(bad)? as f32),
            PgType::Float8 => Value::Float64(parse_float(text).ok_or_else(bad)?),
            PgType::Bool => match text {
                "t" => Value::Boolean(true),
                "f" => Value::Boolean(false),
                _ => return Err(bad()),
            },
            PgType::Bits(1) => Value::Boolean(bits(text).ok_or_else(bad)?.iter().any(|b| *b != 0)),
            PgType::Bits(_) => Value::Bytes(bits(text).ok_or_else(bad)?),
            PgType::Numeric(scale) => match (repr.decimal, special(text)) {
                (DecimalMode::String, Some((_, name))) => Value::from(name),
                (DecimalMode::String, None) => Value::from(text),
                (DecimalMode::Double, Some((f, _))) => Value::Float64(f),
                (DecimalMode::Double, None) => Value::Float64(Decimal::parse(text).ok_or_else(bad)?.to_f64()),
                (DecimalMode::Precise, Some(_)) => {
                    return Err(format!(
                        "{text} has no Decimal form (decimal.handling.mode=string or double can carry it)"
                    ));
                }
                (DecimalMode::Precise, None) => {
                    let decimal = Decimal::parse(text).ok_or_else(bad)?;
                    match scale {
                        Some((_, s)) => Value::Bytes(decimal.with_scale(*s).unscaled_bytes()),
                        None => variable_scale(decimal.stripped()),
                    }
                }
            },
            PgType::Money => {
                let money = parse_money(text).ok_or_else(bad)?;
                match repr.decimal {
                    DecimalMode::Precise => Value::Bytes(money.with_scale(repr.money_fraction_digits).unscaled_bytes()),
                    DecimalMode::Double => Value::Float64(money.to_f64()),
                    DecimalMode::String => Value::String(money.plain()),
                }
            }
            PgType::Text | PgType::TextLike | PgType::Named(_) | PgType::Enum(_) => Value::from(text),
            PgType::Bytea => repr.binary.value(parse_bytea(text).ok_or_else(bad)?),
            PgType::Unknown => repr.binary.value(text.as_bytes().to_vec()),
            PgType::Date => {
                let date = parse_date(text).ok_or_else(bad)?;
                if repr.time == TimeMode::IsoString {
                    let iso = |days: i64| Value::String(format!("{}Z", format_date(days)));
                    let ends = (iso(infinity::DATE.0), iso(infinity::DATE.1));
                    infinite(date, |d| Ok(iso(d)), ends)?
                } else {
                    let ends = (
                        Value::Int32(infinity::DATE.0 as i32),
                        Value::Int32(infinity::DATE.1 as i32),
                    );
                    infinite(date, int32, ends)?
                }
            }
            PgType::Time(p) => {
                let micros = parse_time(text).ok_or_else(bad)?;
                match repr.time {
                    TimeMode::IsoString => Value::String(format!("{}Z", format_time(micros % MICROS_PER_DAY, None))),
                    TimeMode::Nanoseconds => Value::Int64(micros * 1000),
                    mode if mode.time_in_millis(*p) => int32(micros / 1000)?,
                    _ => Value::Int64(micros),
                }
            }
            PgType::Timestamp(p) => {
                let at = parse_timestamp(text).ok_or_else(bad)?;
                match repr.time {
                    TimeMode::IsoString => infinite(
                        at,
                        |us| Ok(Value::String(format_timestamp(us, None))),
                        strings(infinity::ISO_TIMESTAMP),
                    )?,
                    TimeMode::Nanoseconds => infinite(
                        at,
                        |us| {
                            us.checked_mul(1000)
                                .map(Value::Int64)
                                .ok_or_else(|| format!("{text} is out of the range of NanoTimestamp"))
                        },
                        ints(infinity::SATURATED),
                    )?,
                    mode if mode.timestamp_in_millis(*p) => {
                        infinite(at, |us| Ok(Value::Int64(us.div_euclid(1000))), ints(infinity::MILLIS))?
                    }
                    _ => infinite(at, |us| Ok(Value::Int64(us)), ints(infinity::SATURATED))?,
                }
            }
            PgType::TimestampTz(p) => infinite(
                parse_timestamp(text).ok_or_else(bad)?,
                |us| Ok(Value::String(format_timestamp(us, Some(*p)))),
                strings(infinity::ZONED),
            )?,
            PgType::TimeTz => {
                let micros = parse_time_tz(text).ok_or_else(bad)?;
                let time = if micros == MICROS_PER_DAY {
                    "24:00:00".to_owned()
                } else {
                    format_time(micros, None)
                };
                Value::String(format!("{time}Z"))
            }
            PgType::Interval => {
                let parts = parse_interval(text).ok_or_else(bad)?;
                match repr.interval {
                    IntervalMode::Numeric => Value::Int64(parts.micros()),
                    IntervalMode::String => Value::String(parts.iso()),
                }
            }
            PgType::Hstore => {
                let entries = hstore::parse(text).ok_or_else(bad)?;
                match repr.hstore {
                    HstoreMode::Json => Value::String(hstore::to_json(&entries)),
                    HstoreMode::Map => Value::Map(
                        entries
                            .into_iter()
                            .map(|(k, v)| (Value::String(k), v.map_or(Value::Null, Value::String)))
                            .collect(),
                    ),
                }
            }
            PgType::Geometric(shape) => shape.value(text).ok_or_else(bad)?,
            PgType::Array(element) => {
                let delimiter = if **element == PgType::Geometric(Shape::Box) {
                    ';'
                } else {
                    ','
                };
                Value::Array(
                    parse_array(text, delimiter)
                        .ok_or_else(|| format!("cannot read {text:?} as a one-dimensional array"))?
                        .into_iter()
                        .map(|item| match item {
                            Some(s) => element.value(&s, repr),
                            None if matches!(**element, PgType::Enum(_) | PgType::Unknown) => {
                                Err("a NULL item where Debezium's schema requires a value".into())
                            }
                            None => Ok(Value::Null),
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
        })
    }

    /// What Debezium writes for a required column sent without a value (the old row of a delete
    /// under REPLICA IDENTITY DEFAULT holds only the key), when the schema has no default.
    pub fn fallback(&self, repr: &Representation) -> Value {
        match self {
            PgType::Int2 => Value::Int16(0),
            PgType::Int4 => Value::Int32(0),
            PgType::Int8 => Value::Int64(0),
            PgType::Float4 => Value::Float32(0.0),
            PgType::Float8 => Value::Float64(0.0),
            PgType::Bool | PgType::Bits(1) => Value::Boolean(false),
            PgType::Bits(_) => Value::Bytes(Vec::new()),
            PgType::Numeric(_) | PgType::Money if repr.decimal == DecimalMode::Double => Value::Float64(0.0),
            PgType::Numeric(scale) => match (repr.decimal, scale) {
                (DecimalMode::String, _) => Value::String(Decimal::zero(scale.map_or(0, |(_, s)| s)).plain()),
                (_, Some((_, s))) => Value::Bytes(Decimal::zero(*s).unscaled_bytes()),
                (_, None) => variable_scale(Decimal::zero(0)),
            },
            PgType::Money => {
                let zero = Decimal::zero(repr.money_fraction_digits);
                match repr.decimal {
                    DecimalMode::String => Value::String(zero.plain()),
                    _ => Value::Bytes(zero.unscaled_bytes()),
                }
            }
            PgType::Text | PgType::TextLike | PgType::Named(_) | PgType::Enum(_) => Value::from(""),
            PgType::Bytea | PgType::Unknown => repr.binary.value(Vec::new()),
            PgType::Date | PgType::Time(_) | PgType::Timestamp(_) if repr.time == TimeMode::IsoString => {
                Value::String(match self {
                    PgType::Date => "1970-01-01Z".into(),
                    PgType::Time(_) => "00:00:00Z".into(),
                    _ => "1970-01-01T00:00:00Z".into(),
                })
            }
            PgType::Date => Value::Int32(0),
            PgType::Time(p) if repr.time.time_in_millis(*p) => Value::Int32(0),
            PgType::Time(_) | PgType::Timestamp(_) => Value::Int64(0),
            PgType::TimestampTz(_) => Value::from("1970-01-01T00:00:00Z"),
            PgType::TimeTz => Value::from("00:00:00Z"),
            PgType::Interval => match repr.interval {
                IntervalMode::Numeric => Value::Int64(0),
                IntervalMode::String => Value::from("P0Y0M0DT0H0M0S"),
            },
            PgType::Hstore => match repr.hstore {
                HstoreMode::Json => Value::from("{}"),
                HstoreMode::Map => Value::Map(Vec::new()),
            },
            PgType::Geometric(shape) => shape.fallback(),
            PgType::Array(_) => Value::Array(Vec::new()),
        }
    }

    /// What Debezium writes for a TOASTed value that did not change and was not sent (null where
    /// its placeholder has no form in the type's schema).
    pub fn unavailable(&self, repr: &Representation) -> Value {
        let placeholder_bytes = || UNAVAILABLE.as_bytes().to_vec();
        match self {
            PgType::Text | PgType::TextLike | PgType::Named(_) | PgType::Enum(_) => Value::from(UNAVAILABLE),
            PgType::Bytea => match repr.binary {
                BinaryMode::Bytes => Value::Bytes(placeholder_bytes()),
                BinaryMode::Hex => Value::from(UNAVAILABLE),
                BinaryMode::Base64 | BinaryMode::Base64UrlSafe => Value::Null,
            },
            PgType::Numeric(_) if repr.decimal == DecimalMode::String => Value::from(UNAVAILABLE),
            PgType::Hstore => {
                let entries = vec![(UNAVAILABLE.to_owned(), Some(UNAVAILABLE.to_owned()))];
                match repr.hstore {
                    HstoreMode::Json => Value::String(hstore::to_json(&entries)),
                    HstoreMode::Map => Value::Map(vec![(Value::from(UNAVAILABLE), Value::from(UNAVAILABLE))]),
                }
            }
            PgType::Array(element) => match &**element {
                PgType::Text | PgType::Named(NamedString::Json) => Value::Array(vec![Value::from(UNAVAILABLE)]),
                PgType::Bytea => Value::Array(vec![repr.binary.value(placeholder_bytes())]),
                PgType::Named(NamedString::Uuid) => Value::Array(vec![Value::from(UNAVAILABLE_UUID)]),
                PgType::Int4 => placeholder_numbers(|b| Value::Int32(b.into())),
                PgType::Date if !matches!(repr.time, TimeMode::Connect | TimeMode::IsoString) => {
                    placeholder_numbers(|b| Value::Int32(b.into()))
                }
                PgType::Int8 => placeholder_numbers(|b| Value::Int64(b.into())),
                _ => Value::Null,
            },
            _ => Value::Null,
        }
    }
}

/// The bytes of [`UNAVAILABLE`] as numbers, as Debezium writes them for integer arrays.
fn placeholder_numbers(number: impl Fn(u8) -> Value) -> Value {
    Value::Array(UNAVAILABLE.bytes().map(number).collect())
}

/// Debezium's `VariableScaleDecimal`: the scale and the unscaled bytes.
fn variable_scale(decimal: Decimal) -> Value {
    Value::Struct(vec![
        ("scale".into(), Value::Int32(decimal.scale() as i32)),
        ("value".into(), Value::Bytes(decimal.unscaled_bytes())),
    ])
}

/// A one-dimensional array's text output (`{1,NULL,"a b"}`) to its items; `None` for NULL items.
fn parse_array(text: &str, delimiter: char) -> Option<Vec<Option<String>>> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let mut items = Vec::new();
    if inner.is_empty() {
        return Some(items);
    }
    let mut chars = inner.chars().peekable();
    loop {
        let item = match chars.peek() {
            Some('{') => return None,
            Some('"') => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next()? {
                        '\\' => s.push(chars.next()?),
                        '"' => break,
                        c => s.push(c),
                    }
                }
                Some(s)
            }
            _ => {
                let s: String = std::iter::from_fn(|| chars.next_if(|c| *c != delimiter)).collect();
                (s != "NULL").then_some(s)
            }
        };
        items.push(item);
        match chars.next() {
            None => return Some(items),
            Some(c) if c == delimiter => {}
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Representation = Representation::DEFAULT;

    #[test]
    fn numbers_booleans_and_bits() {
        assert_eq!(PgType::Int2.value("-7", &P), Ok(Value::Int16(-7)));
        assert_eq!(PgType::Int8.value("9000000000", &P), Ok(Value::Int64(9_000_000_000)));
        assert_eq!(PgType::Float8.value("1.5", &P), Ok(Value::Float64(1.5)));
        assert_eq!(PgType::Bool.value("t", &P), Ok(Value::Boolean(true)));
        assert!(PgType::Bool.value("x", &P).is_err());
        assert!(PgType::Int4.value("x", &P).is_err());
        assert_eq!(PgType::Bits(1).value("1", &P), Ok(Value::Boolean(true)));
        assert_eq!(PgType::Bits(4).value("1010", &P), Ok(Value::Bytes(vec![0x0a])));
    }

    #[test]
    fn decimals_in_each_mode() {
        let with = |decimal| Representation { decimal, ..P };
        assert_eq!(
            PgType::Numeric(Some((10, 2))).value("12.34", &P),
            Ok(Value::Bytes(vec![0x04, 0xd2]))
        );
        let variable = PgType::Numeric(None).value("3.14159", &P).unwrap();
        assert_eq!(variable.field("scale"), Some(&Value::Int32(5)));
        assert!(PgType::Numeric(Some((10, 2))).value("NaN", &P).is_err());
        assert_eq!(
            PgType::Numeric(None).value("NaN", &with(DecimalMode::String)),
            Ok(Value::from("NAN"))
        );
        assert_eq!(
            PgType::Numeric(None).value("-Infinity", &with(DecimalMode::Double)),
            Ok(Value::Float64(f64::NEG_INFINITY))
        );
        assert_eq!(PgType::Money.value("$12.34", &P), Ok(Value::Bytes(vec![0x04, 0xd2])));
        assert_eq!(
            PgType::Money.value("$1,234.57", &with(DecimalMode::String)),
            Ok(Value::from("1234.57"))
        );
    }

    #[test]
    fn times_in_each_mode() {
        let with = |time| Representation { time, ..P };
        assert_eq!(PgType::Date.value("1970-01-02", &P), Ok(Value::Int32(1)));
        assert_eq!(PgType::Date.value("infinity", &P), Ok(Value::Int32(2_146_033_979)));
        assert_eq!(PgType::Time(6).value("01:02:03.5", &P), Ok(Value::Int64(3_723_500_000)));
        assert_eq!(PgType::Time(3).value("00:00:01.25", &P), Ok(Value::Int32(1250)));
        assert_eq!(
            PgType::Time(3).value("00:00:01.25", &with(TimeMode::AdaptiveTimeMicroseconds)),
            Ok(Value::Int64(1_250_000))
        );
        assert_eq!(
            PgType::Timestamp(6).value("1970-01-01 00:00:01.000001", &P),
            Ok(Value::Int64(1_000_001))
        );
        assert_eq!(
            PgType::Timestamp(3).value("1970-01-01 00:00:01.5", &P),
            Ok(Value::Int64(1500))
        );
        assert_eq!(
            PgType::Timestamp(6).value("1970-01-01 00:00:01.000999", &with(TimeMode::Connect)),
            Ok(Value::Int64(1000))
        );
        assert_eq!(PgType::Timestamp(6).value("infinity", &P), Ok(Value::Int64(i64::MAX)));
        assert_eq!(
            PgType::TimestampTz(6).value("2024-03-01 12:30:00.25+02", &P),
            Ok(Value::from("2024-03-01T10:30:00.250000Z"))
        );
        assert_eq!(
            PgType::TimestampTz(0).value("2024-03-01 00:00:00+00", &P),
            Ok(Value::from("2024-03-01T00:00:00Z"))
        );
        assert_eq!(PgType::TimeTz.value("12:34:56+02", &P), Ok(Value::from("10:34:56Z")));
        assert_eq!(PgType::TimeTz.value("24:00:00+00", &P), Ok(Value::from("24:00:00Z")));
        assert_eq!(PgType::Interval.value("PT1H30M", &P), Ok(Value::Int64(5_400_000_000)));
    }

    #[test]
    fn arrays_hstores_and_placeholders() {
        let ints = PgType::Array(Box::new(PgType::Int4));
        assert_eq!(
            ints.value("{1,NULL,3}", &P),
            Ok(Value::Array(vec![Value::Int32(1), Value::Null, Value::Int32(3)]))
        );
        let texts = PgType::Array(Box::new(PgType::Text));
        assert_eq!(
            texts.value(r#"{"a b","c\"d",e}"#, &P),
            Ok(Value::Array(vec!["a b".into(), "c\"d".into(), "e".into()]))
        );
        assert!(ints.value("{{1,2},{3,4}}", &P).is_err());
        let enums = PgType::Array(Box::new(PgType::Enum(vec!["a".into()])));
        assert!(enums.value("{a,NULL}", &P).is_err());
        assert_eq!(
            PgType::Hstore.value(r#""a"=>"1", "b"=>NULL"#, &P),
            Ok(Value::from(r#"{"a":"1","b":null}"#))
        );
        assert_eq!(texts.unavailable(&P), Value::Array(vec![Value::from(UNAVAILABLE)]));
        assert_eq!(PgType::Numeric(None).unavailable(&P), Value::Null);
        assert_eq!(PgType::TimestampTz(6).fallback(&P), Value::from("1970-01-01T00:00:00Z"));
    }
}
