//! PostgreSQL column types as Debezium represents them in Kafka Connect, and the conversion of
//! values from their text output to Connect values.
//!
//! Streaming (pgoutput, text format) and the snapshot (columns read as `::text`) both deliver a
//! type's text output, so one conversion serves both. Sessions run with `DateStyle=ISO`,
//! `IntervalStyle=iso_8601` and `TimeZone=UTC`, which fixes the formats parsed here.

use weir_connector_api::{Field, Schema, SchemaType, Value};

/// How `numeric` and `decimal` columns are represented (`decimal.handling.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalMode {
    /// Kafka Connect's Decimal (bytes with a scale), or Debezium's VariableScaleDecimal when the
    /// column has no fixed scale.
    Precise,
    /// A double.
    Double,
    /// The decimal text.
    String,
}

/// How `date`, `time` and `timestamp` columns are represented (`time.precision.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeMode {
    /// Debezium's types, in milliseconds up to precision 3, else in microseconds.
    Adaptive,
    /// As `Adaptive`, but `time` always in microseconds.
    AdaptiveTimeMicroseconds,
    /// Kafka Connect's Date, Time and Timestamp (milliseconds).
    Connect,
}

impl TimeMode {
    /// Whether a `time` of precision `p` is counted in milliseconds (else microseconds).
    fn time_in_millis(self, p: u32) -> bool {
        match self {
            TimeMode::Adaptive => p <= 3,
            TimeMode::AdaptiveTimeMicroseconds => false,
            TimeMode::Connect => true,
        }
    }

    /// Whether a `timestamp` of precision `p` is counted in milliseconds (else microseconds).
    fn timestamp_in_millis(self, p: u32) -> bool {
        self == TimeMode::Connect || p <= 3
    }
}

/// How column values are represented: `decimal.handling.mode` and `time.precision.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Representation {
    /// Numbers of type `numeric`.
    pub decimal: DecimalMode,
    /// Dates and times.
    pub time: TimeMode,
}

impl Representation {
    /// Debezium's defaults: `precise` and `adaptive`.
    pub const DEFAULT: Representation = Representation {
        decimal: DecimalMode::Precise,
        time: TimeMode::Adaptive,
    };
}

/// A column type, resolved from its OID (and for enums and arrays, from the catalog).
#[derive(Clone, Debug, PartialEq)]
pub enum PgType {
    /// `smallint`.
    Int2,
    /// `integer`.
    Int4,
    /// `bigint` (and `oid`).
    Int8,
    /// `real`.
    Float4,
    /// `double precision`.
    Float8,
    /// `boolean`.
    Bool,
    /// `numeric(p, s)`; `None` when declared without a scale.
    Numeric(Option<(u32, u32)>),
    /// `text`, `varchar`, `char` and any type without a dedicated mapping.
    Text,
    /// `bytea`.
    Bytea,
    /// `date`.
    Date,
    /// `time(p)`.
    Time(u32),
    /// `timestamp(p)`.
    Timestamp(u32),
    /// `timestamptz`.
    TimestampTz,
    /// `interval`.
    Interval,
    /// `uuid`.
    Uuid,
    /// `json` or `jsonb`.
    Json,
    /// An enum with its labels.
    Enum(Vec<String>),
    /// An array of an element type.
    Array(Box<PgType>),
}

/// The built-in type of an OID and type modifier; `None` for types the catalog must describe
/// (enums, arrays of them, domains).
pub fn builtin(oid: u32, modifier: i32) -> Option<PgType> {
    let precision = |default: u32| if modifier >= 0 { modifier as u32 } else { default };
    Some(match oid {
        21 => PgType::Int2,
        23 => PgType::Int4,
        20 | 26 => PgType::Int8,
        700 => PgType::Float4,
        701 => PgType::Float8,
        16 => PgType::Bool,
        1700 => PgType::Numeric((modifier >= 4).then(|| {
            let m = (modifier - 4) as u32;
            (m >> 16 & 0xffff, m & 0xffff)
        })),
        25 | 1043 | 1042 | 19 | 18 => PgType::Text,
        17 => PgType::Bytea,
        1082 => PgType::Date,
        1083 => PgType::Time(precision(6)),
        1114 => PgType::Timestamp(precision(6)),
        1184 => PgType::TimestampTz,
        1186 => PgType::Interval,
        2950 => PgType::Uuid,
        114 | 3802 => PgType::Json,
        _ => return builtin_array(oid),
    })
}

fn builtin_array(oid: u32) -> Option<PgType> {
    let element = match oid {
        1005 => 21,
        1007 => 23,
        1016 => 20,
        1021 => 700,
        1022 => 701,
        1000 => 16,
        1231 => 1700,
        1009 => 25,
        1015 => 1043,
        1014 => 1042,
        1001 => 17,
        1182 => 1082,
        1183 => 1083,
        1115 => 1114,
        1185 => 1184,
        1187 => 1186,
        2951 => 2950,
        199 => 114,
        3807 => 3802,
        _ => return None,
    };
    builtin(element, -1).map(|t| PgType::Array(Box::new(t)))
}

impl PgType {
    /// The Connect schema Debezium uses for this type (optional when `optional`).
    pub fn schema(&self, repr: Representation, optional: bool) -> Schema {
        let named = |kind: SchemaType, name: &str| Schema::new(kind).named(name).versioned(1);
        let schema = match self {
            PgType::Int2 => Schema::new(SchemaType::Int16),
            PgType::Int4 => Schema::new(SchemaType::Int32),
            PgType::Int8 => Schema::new(SchemaType::Int64),
            PgType::Float4 => Schema::new(SchemaType::Float32),
            PgType::Float8 => Schema::new(SchemaType::Float64),
            PgType::Bool => Schema::new(SchemaType::Boolean),
            PgType::Numeric(_) if repr.decimal == DecimalMode::Double => Schema::new(SchemaType::Float64),
            PgType::Numeric(_) if repr.decimal == DecimalMode::String => Schema::string(),
            PgType::Numeric(Some((precision, scale))) => Schema::new(SchemaType::Bytes)
                .named("org.apache.kafka.connect.data.Decimal")
                .versioned(1)
                .with_parameter("scale", scale.to_string())
                .with_parameter("connect.decimal.precision", precision.to_string()),
            PgType::Numeric(None) => Schema::struct_of(vec![
                Field::new("scale", Schema::new(SchemaType::Int32)),
                Field::new("value", Schema::new(SchemaType::Bytes)),
            ])
            .named("io.debezium.data.VariableScaleDecimal")
            .versioned(1),
            PgType::Text => Schema::string(),
            PgType::Bytea => Schema::new(SchemaType::Bytes),
            PgType::Date if repr.time == TimeMode::Connect => {
                named(SchemaType::Int32, "org.apache.kafka.connect.data.Date")
            }
            PgType::Date => named(SchemaType::Int32, "io.debezium.time.Date"),
            PgType::Time(_) if repr.time == TimeMode::Connect => {
                named(SchemaType::Int32, "org.apache.kafka.connect.data.Time")
            }
            PgType::Time(p) if repr.time.time_in_millis(*p) => named(SchemaType::Int32, "io.debezium.time.Time"),
            PgType::Time(_) => named(SchemaType::Int64, "io.debezium.time.MicroTime"),
            PgType::Timestamp(_) if repr.time == TimeMode::Connect => {
                named(SchemaType::Int64, "org.apache.kafka.connect.data.Timestamp")
            }
            PgType::Timestamp(p) if repr.time.timestamp_in_millis(*p) => {
                named(SchemaType::Int64, "io.debezium.time.Timestamp")
            }
            PgType::Timestamp(_) => named(SchemaType::Int64, "io.debezium.time.MicroTimestamp"),
            PgType::TimestampTz => named(SchemaType::String, "io.debezium.time.ZonedTimestamp"),
            PgType::Interval => named(SchemaType::Int64, "io.debezium.time.MicroDuration"),
            PgType::Uuid => named(SchemaType::String, "io.debezium.data.Uuid"),
            PgType::Json => named(SchemaType::String, "io.debezium.data.Json"),
            PgType::Enum(labels) => {
                named(SchemaType::String, "io.debezium.data.Enum").with_parameter("allowed", labels.join(","))
            }
            PgType::Array(element) => Schema::array_of(element.schema(repr, true)),
        };
        if optional { schema.optional() } else { schema }
    }

    /// The value a required column takes in a row Postgres did not send in full (the old row of
    /// an update or delete under REPLICA IDENTITY DEFAULT holds only the key).
    pub fn zero(&self, repr: Representation) -> Value {
        match self.schema(repr, false).kind {
            SchemaType::Int8 => Value::Int8(0),
            SchemaType::Int16 => Value::Int16(0),
            SchemaType::Int32 => Value::Int32(0),
            SchemaType::Int64 => Value::Int64(0),
            SchemaType::Float32 => Value::Float32(0.0),
            SchemaType::Float64 => Value::Float64(0.0),
            SchemaType::Boolean => Value::Boolean(false),
            SchemaType::String => Value::String(String::new()),
            SchemaType::Bytes => Value::Bytes(vec![0]),
            SchemaType::Array => Value::Array(Vec::new()),
            SchemaType::Map => Value::Map(Vec::new()),
            SchemaType::Struct => Value::Struct(vec![
                ("scale".into(), Value::Int32(0)),
                ("value".into(), Value::Bytes(vec![0])),
            ]),
        }
    }

    /// Converts a value from the type's text output.
    pub fn value(&self, text: &str, repr: Representation) -> Result<Value, String> {
        let bad = || format!("cannot read {text:?} as {self:?}");
        Ok(match self {
            PgType::Int2 => Value::Int16(text.parse().map_err(|_| bad())?),
            PgType::Int4 => Value::Int32(text.parse().map_err(|_| bad())?),
            PgType::Int8 => Value::Int64(text.parse().map_err(|_| bad())?),
            PgType::Float4 => Value::Float32(parse_float(text).ok_or_else(bad)? as f32),
            PgType::Float8 => Value::Float64(parse_float(text).ok_or_else(bad)?),
            PgType::Bool => Value::Boolean(text == "t" || text == "true"),
            PgType::Numeric(_) if repr.decimal == DecimalMode::String => Value::String(text.to_owned()),
            PgType::Numeric(_) if repr.decimal == DecimalMode::Double => {
                Value::Float64(parse_float(text).ok_or_else(bad)?)
            }
            PgType::Numeric(_) if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => Value::Null,
            PgType::Numeric(Some((_, scale))) => Value::Bytes(unscaled_bytes(text, *scale).ok_or_else(bad)?),
            PgType::Numeric(None) => {
                let scale = text.split_once('.').map_or(0, |(_, f)| f.len()) as u32;
                Value::Struct(vec![
                    ("scale".into(), Value::Int32(scale as i32)),
                    (
                        "value".into(),
                        Value::Bytes(unscaled_bytes(text, scale).ok_or_else(bad)?),
                    ),
                ])
            }
            PgType::Text | PgType::Uuid | PgType::Json | PgType::Enum(_) => Value::String(text.to_owned()),
            PgType::Bytea => Value::Bytes(parse_bytea(text).ok_or_else(bad)?),
            PgType::Date => Value::Int32(parse_date(text).ok_or_else(bad)?),
            PgType::Time(p) => {
                let micros = parse_time(text).ok_or_else(bad)?;
                if repr.time.time_in_millis(*p) {
                    Value::Int32((micros / 1000) as i32)
                } else {
                    Value::Int64(micros)
                }
            }
            PgType::Timestamp(p) => {
                let micros = parse_timestamp(text).ok_or_else(bad)?.0;
                if repr.time.timestamp_in_millis(*p) {
                    Value::Int64(micros.div_euclid(1000))
                } else {
                    Value::Int64(micros)
                }
            }
            PgType::TimestampTz => {
                let (micros, offset) = parse_timestamp(text).ok_or_else(bad)?;
                Value::String(format_utc(micros - offset * 1_000_000))
            }
            PgType::Interval => Value::Int64(parse_iso_interval(text).ok_or_else(bad)?),
            PgType::Array(element) => Value::Array(
                parse_array(text)
                    .ok_or_else(bad)?
                    .into_iter()
                    .map(|item| item.map_or(Ok(Value::Null), |s| element.value(&s, repr)))
                    .collect::<Result<_, _>>()?,
            ),
        })
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

/// The big-endian two's-complement bytes of a decimal's unscaled value at `scale`.
fn unscaled_bytes(text: &str, scale: u32) -> Option<Vec<u8>> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut decimal: Vec<u8> = int
        .bytes()
        .chain(frac.bytes().chain(std::iter::repeat(b'0')).take(scale as usize))
        .map(|b| b.wrapping_sub(b'0'))
        .collect();
    if decimal.iter().any(|d| *d > 9) || frac.len() > scale as usize {
        return None;
    }
    // Base 10 to base 256 by repeated division.
    let mut bytes = Vec::new();
    while decimal.iter().any(|d| *d != 0) {
        let mut remainder = 0u32;
        for d in decimal.iter_mut() {
            let current = remainder * 10 + u32::from(*d);
            *d = (current / 256) as u8;
            remainder = current % 256;
        }
        bytes.push(remainder as u8);
    }
    bytes.reverse();
    if bytes.first().is_none_or(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    if negative {
        for b in bytes.iter_mut() {
            *b = !*b;
        }
        for b in bytes.iter_mut().rev() {
            let (sum, carry) = b.overflowing_add(1);
            *b = sum;
            if !carry {
                break;
            }
        }
        while bytes.len() > 1 && bytes[0] == 0xff && bytes[1] & 0x80 != 0 {
            bytes.remove(0);
        }
    }
    Some(bytes)
}

fn parse_bytea(text: &str) -> Option<Vec<u8>> {
    let hex = text.strip_prefix("\\x")?;
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DD[ BC]` to days since the epoch.
fn parse_date_days(text: &str) -> Option<i64> {
    let (date, bc) = match text.strip_suffix(" BC") {
        Some(d) => (d, true),
        None => (text, false),
    };
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    Some(days_from_civil(if bc { 1 - year } else { year }, month, day))
}

fn parse_date(text: &str) -> Option<i32> {
    i32::try_from(parse_date_days(text)?).ok()
}

/// `HH:MM:SS[.ffffff]` to microseconds since midnight.
fn parse_time(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, ':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds = parts.next()?;
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<6}").get(..6)?.parse().ok()?;
    Some(((hours * 60 + minutes) * 60 + whole) * 1_000_000 + fraction)
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff][±HH[:MM[:SS]]][ BC]` to microseconds since the epoch (as
/// written, before the offset) and the offset in seconds.
fn parse_timestamp(text: &str) -> Option<(i64, i64)> {
    let (text, bc) = match text.strip_suffix(" BC") {
        Some(t) => (t, true),
        None => (text, false),
    };
    let (date, rest) = text.split_once(' ')?;
    let split = rest.find(['+', '-']).unwrap_or(rest.len());
    let (time, offset) = rest.split_at(split);
    let days = parse_date_days(&if bc { format!("{date} BC") } else { date.to_owned() })?;
    let offset_seconds = if offset.is_empty() {
        0
    } else {
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let mut parts = offset[1..].split(':').map(|p| p.parse::<i64>());
        let h = parts.next()?.ok()?;
        let m = parts.next().transpose().ok()?.unwrap_or(0);
        let s = parts.next().transpose().ok()?.unwrap_or(0);
        sign * (h * 3600 + m * 60 + s)
    };
    Some((days * 86_400_000_000 + parse_time(time)?, offset_seconds))
}

/// Microseconds since the epoch as ISO-8601 in UTC, with as many fraction digits as needed.
fn format_utc(micros: i64) -> String {
    let (days, of_day) = (micros.div_euclid(86_400_000_000), micros.rem_euclid(86_400_000_000));
    let (y, mo, d) = civil_from_days(days);
    let (secs, frac) = (of_day / 1_000_000, of_day % 1_000_000);
    let mut out = format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac != 0 {
        out.push('.');
        out.push_str(format!("{frac:06}").trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// An ISO-8601 interval (`P1Y2M3DT4H5M6.5S`, components may be negative) in microseconds, with
/// Debezium's average month of 365.25 / 12 days.
fn parse_iso_interval(text: &str) -> Option<i64> {
    let body = text.strip_prefix('P')?;
    let (date, time) = body.split_once('T').unwrap_or((body, ""));
    let mut micros = 0f64;
    for (part, is_time) in [(date, false), (time, true)] {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '-' || c == '.' {
                number.push(c);
                continue;
            }
            let n: f64 = number.parse().ok()?;
            number.clear();
            micros += n * match (c, is_time) {
                ('Y', false) => 365.25 * 86_400e6,
                ('M', false) => 365.25 / 12.0 * 86_400e6,
                ('W', false) => 7.0 * 86_400e6,
                ('D', false) => 86_400e6,
                ('H', true) => 3_600e6,
                ('M', true) => 60e6,
                ('S', true) => 1e6,
                _ => return None,
            };
        }
        if !number.is_empty() {
            return None;
        }
    }
    Some(micros.round() as i64)
}

/// A one-dimensional array's text output (`{1,NULL,"a b"}`) to its items; `None` for NULL items.
fn parse_array(text: &str) -> Option<Vec<Option<String>>> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let mut items = Vec::new();
    if inner.is_empty() {
        return Some(items);
    }
    let mut chars = inner.chars().peekable();
    loop {
        let item = if chars.peek() == Some(&'"') {
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
        } else {
            let s: String = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
            (s != "NULL").then_some(s)
        };
        items.push(item);
        match chars.next() {
            None => return Some(items),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Representation = Representation::DEFAULT;

    #[test]
    fn integers_floats_booleans_text() {
        assert_eq!(PgType::Int2.value("-7", P), Ok(Value::Int16(-7)));
        assert_eq!(PgType::Int8.value("9000000000", P), Ok(Value::Int64(9_000_000_000)));
        assert_eq!(PgType::Float8.value("1.5", P), Ok(Value::Float64(1.5)));
        assert_eq!(PgType::Bool.value("t", P), Ok(Value::Boolean(true)));
        assert!(PgType::Int4.value("x", P).is_err());
    }

    #[test]
    fn decimals_are_unscaled_twos_complement() {
        assert_eq!(unscaled_bytes("12.34", 2), Some(vec![0x04, 0xd2]));
        assert_eq!(unscaled_bytes("-12.34", 2), Some(vec![0xfb, 0x2e]));
        assert_eq!(unscaled_bytes("1.5", 2), Some(vec![0x00, 0x96]));
        assert_eq!(unscaled_bytes("0", 0), Some(vec![0]));
        assert_eq!(unscaled_bytes("-1", 0), Some(vec![0xff]));
        assert_eq!(unscaled_bytes("-128", 0), Some(vec![0x80]));
        assert_eq!(unscaled_bytes("128", 0), Some(vec![0x00, 0x80]));
        let variable = PgType::Numeric(None).value("3.14159", P).unwrap();
        assert_eq!(variable.field("scale"), Some(&Value::Int32(5)));
        assert_eq!(PgType::Numeric(Some((10, 2))).value("NaN", P), Ok(Value::Null));
        assert_eq!(builtin(1700, (10 << 16 | 2) + 4), Some(PgType::Numeric(Some((10, 2)))));
    }

    #[test]
    fn dates_times_and_timestamps() {
        assert_eq!(PgType::Date.value("1970-01-02", P), Ok(Value::Int32(1)));
        assert_eq!(PgType::Date.value("2024-02-29", P), Ok(Value::Int32(19782)));
        assert_eq!(PgType::Date.value("1969-12-31", P), Ok(Value::Int32(-1)));
        assert_eq!(PgType::Time(6).value("01:02:03.5", P), Ok(Value::Int64(3_723_500_000)));
        assert_eq!(PgType::Time(3).value("00:00:01.25", P), Ok(Value::Int32(1250)));
        assert_eq!(
            PgType::Timestamp(6).value("1970-01-01 00:00:01.000001", P),
            Ok(Value::Int64(1_000_001))
        );
        assert_eq!(
            PgType::Timestamp(3).value("1970-01-01 00:00:01.5", P),
            Ok(Value::Int64(1500))
        );
        assert_eq!(
            PgType::TimestampTz.value("2024-03-01 12:30:00.25+02", P),
            Ok(Value::String("2024-03-01T10:30:00.25Z".into()))
        );
        assert_eq!(
            PgType::TimestampTz.value("2024-03-01 00:00:00+00", P),
            Ok(Value::String("2024-03-01T00:00:00Z".into()))
        );
        assert_eq!(format_utc(-1), "1969-12-31T23:59:59.999999Z");
    }

    #[test]
    fn time_precision_modes() {
        let with = |time| Representation {
            time,
            ..Representation::DEFAULT
        };
        let (micros, connect) = (with(TimeMode::AdaptiveTimeMicroseconds), with(TimeMode::Connect));
        let name = |ty: PgType, repr| ty.schema(repr, false).name;
        assert_eq!(
            PgType::Time(3).value("00:00:01.25", micros),
            Ok(Value::Int64(1_250_000))
        );
        assert_eq!(
            name(PgType::Time(3), micros).as_deref(),
            Some("io.debezium.time.MicroTime")
        );
        assert_eq!(
            PgType::Timestamp(3).value("1970-01-01 00:00:01.5", micros),
            Ok(Value::Int64(1500))
        );
        assert_eq!(PgType::Time(6).value("00:00:01.25", connect), Ok(Value::Int32(1250)));
        assert_eq!(
            PgType::Timestamp(6).value("1970-01-01 00:00:01.000999", connect),
            Ok(Value::Int64(1000))
        );
        assert_eq!(PgType::Date.value("1970-01-02", connect), Ok(Value::Int32(1)));
        for (ty, expected) in [
            (PgType::Date, "org.apache.kafka.connect.data.Date"),
            (PgType::Time(6), "org.apache.kafka.connect.data.Time"),
            (PgType::Timestamp(6), "org.apache.kafka.connect.data.Timestamp"),
            (PgType::TimestampTz, "io.debezium.time.ZonedTimestamp"),
        ] {
            assert_eq!(name(ty, connect).as_deref(), Some(expected));
        }
    }

    #[test]
    fn intervals_use_the_average_month() {
        assert_eq!(PgType::Interval.value("PT1H30M", P), Ok(Value::Int64(5_400_000_000)));
        assert_eq!(PgType::Interval.value("P1D", P), Ok(Value::Int64(86_400_000_000)));
        assert_eq!(PgType::Interval.value("P1M", P), Ok(Value::Int64(2_629_800_000_000)));
        assert_eq!(
            PgType::Interval.value("P-1DT0.5S", P),
            Ok(Value::Int64(-86_399_500_000))
        );
    }

    #[test]
    fn bytea_and_arrays() {
        assert_eq!(PgType::Bytea.value("\\x00ff10", P), Ok(Value::Bytes(vec![0, 255, 16])));
        let ints = PgType::Array(Box::new(PgType::Int4));
        assert_eq!(
            ints.value("{1,NULL,3}", P),
            Ok(Value::Array(vec![Value::Int32(1), Value::Null, Value::Int32(3)]))
        );
        let texts = PgType::Array(Box::new(PgType::Text));
        assert_eq!(
            texts.value(r#"{"a b","c\"d",e}"#, P),
            Ok(Value::Array(vec!["a b".into(), "c\"d".into(), "e".into()]))
        );
        assert_eq!(texts.value("{}", P), Ok(Value::Array(vec![])));
    }

    #[test]
    fn schemas_carry_debezium_names() {
        assert_eq!(
            PgType::Timestamp(6).schema(P, true).name.as_deref(),
            Some("io.debezium.time.MicroTimestamp")
        );
        let e = PgType::Enum(vec!["a".into(), "b".into()]).schema(P, false);
        assert_eq!(e.parameters.get("allowed").map(String::as_str), Some("a,b"));
        let d = PgType::Numeric(Some((10, 2))).schema(P, true);
        assert_eq!(d.parameters.get("scale").map(String::as_str), Some("2"));
        assert!(d.optional);
    }
}
