//! PostgreSQL column types as Debezium represents them in Kafka Connect: the Connect schema of
//! each type under each of Debezium's handling modes, and (in the submodules) the conversion of
//! values from their text output.
//!
//! Streaming (pgoutput, text format) and the snapshot (the simple-query protocol) both deliver a
//! type's text output, so one conversion serves both. Sessions run with `DateStyle=ISO`,
//! `IntervalStyle=iso_8601`, `TimeZone=UTC` and `extra_float_digits=3`, which fixes the formats
//! parsed here.
//!
//! - [`value`]: a value from its text, the fallback of a required column sent without a value,
//!   and the placeholder of an unchanged TOASTed value.
//! - [`temporal`], [`decimal`], [`geometry`], [`hstore`], [`binary`]: the formats of those kinds.
//! - [`defaults`]: column default expressions, as Debezium puts them in schemas.

pub mod binary;
pub mod decimal;
pub mod defaults;
pub mod geometry;
pub mod hstore;
pub mod temporal;
pub mod value;

use weir_connector_api::{Field, Schema, SchemaType};

/// How `numeric`, `decimal` and `money` columns are represented (`decimal.handling.mode`).
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
    /// ISO-8601 strings (`IsoDate`, `IsoTime`, `IsoTimestamp`).
    IsoString,
    /// Microseconds at every precision.
    Microseconds,
    /// Nanoseconds at every precision.
    Nanoseconds,
}

/// How `hstore` columns are represented (`hstore.handling.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HstoreMode {
    /// A JSON object as text (`io.debezium.data.Json`).
    Json,
    /// A map of strings.
    Map,
}

/// How `interval` columns are represented (`interval.handling.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntervalMode {
    /// Microseconds (`io.debezium.time.MicroDuration`), with Debezium's average month.
    Numeric,
    /// An ISO-8601 duration (`io.debezium.time.Interval`).
    String,
}

/// How binary values are represented (`binary.handling.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryMode {
    /// Bytes.
    Bytes,
    /// Base64 text, padded.
    Base64,
    /// URL-safe base64 text, padded.
    Base64UrlSafe,
    /// Lowercase hexadecimal text.
    Hex,
}

/// How column values are represented: Debezium's handling modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Representation {
    /// `decimal.handling.mode`.
    pub decimal: DecimalMode,
    /// `time.precision.mode`.
    pub time: TimeMode,
    /// `hstore.handling.mode`.
    pub hstore: HstoreMode,
    /// `interval.handling.mode`.
    pub interval: IntervalMode,
    /// `binary.handling.mode`.
    pub binary: BinaryMode,
    /// `money.fraction.digits`: the scale of `money` as a precise Decimal.
    pub money_fraction_digits: u32,
    /// `include.unknown.datatypes`: columns of types without a mapping are captured as the
    /// binary encoding of their text, instead of left out.
    pub include_unknown: bool,
}

impl Representation {
    /// Debezium's defaults.
    pub const DEFAULT: Representation = Representation {
        decimal: DecimalMode::Precise,
        time: TimeMode::Adaptive,
        hstore: HstoreMode::Json,
        interval: IntervalMode::Numeric,
        binary: BinaryMode::Bytes,
        money_fraction_digits: 2,
        include_unknown: false,
    };
}

/// A string type with a Debezium schema name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedString {
    /// `uuid`: `io.debezium.data.Uuid`.
    Uuid,
    /// `json` and `jsonb`: `io.debezium.data.Json`.
    Json,
    /// `xml`: `io.debezium.data.Xml`.
    Xml,
    /// `tsvector`: `io.debezium.data.Tsvector`.
    Tsvector,
    /// `ltree`: `io.debezium.data.Ltree`.
    Ltree,
}

impl NamedString {
    fn name(self) -> &'static str {
        match self {
            NamedString::Uuid => "io.debezium.data.Uuid",
            NamedString::Json => "io.debezium.data.Json",
            NamedString::Xml => "io.debezium.data.Xml",
            NamedString::Tsvector => "io.debezium.data.Tsvector",
            NamedString::Ltree => "io.debezium.data.Ltree",
        }
    }
}

/// A geometric type of PostgreSQL's own (not PostGIS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `point`: `io.debezium.data.geometry.Point`.
    Point,
    /// `line`: `io.debezium.data.geometry.Line`.
    Line,
    /// `lseg`: a `Geometry` line string.
    Lseg,
    /// `box`: a `Geometry` polygon.
    Box,
    /// `path`: a `Geometry` line string.
    Path,
    /// `polygon`: a `Geometry` polygon.
    Polygon,
    /// `circle`: `io.debezium.data.geometry.Circle`.
    Circle,
}

/// A column type, resolved from its OID and type modifier (and for enums, domains, arrays and
/// extension types, from the catalog).
#[derive(Clone, Debug, PartialEq)]
pub enum PgType {
    /// `smallint`.
    Int2,
    /// `integer`.
    Int4,
    /// `bigint` and `oid`.
    Int8,
    /// `real`.
    Float4,
    /// `double precision`.
    Float8,
    /// `boolean`.
    Bool,
    /// `bit(n)` and `bit varying(n)` with their length (`varbit` without one: `i32::MAX`); a
    /// length of 1 is a boolean.
    Bits(u32),
    /// `numeric(p, s)`; `None` when declared without a precision.
    Numeric(Option<(u32, u32)>),
    /// `money`.
    Money,
    /// `text`, `varchar` and `char(n)` (blank-padded, as Postgres outputs it).
    Text,
    /// Other types Debezium carries as plain strings: `citext`, `name`, `"char"`, network
    /// addresses, ranges.
    TextLike,
    /// `bytea`.
    Bytea,
    /// `date`.
    Date,
    /// `time(p)`.
    Time(u32),
    /// `time with time zone`.
    TimeTz,
    /// `timestamp(p)`.
    Timestamp(u32),
    /// `timestamp(p) with time zone`.
    TimestampTz(u32),
    /// `interval`.
    Interval,
    /// A string type with a schema name.
    Named(NamedString),
    /// `hstore`.
    Hstore,
    /// A geometric type.
    Geometric(Shape),
    /// An enum with its labels.
    Enum(Vec<String>),
    /// An array of an element type.
    Array(Box<PgType>),
    /// A type without a mapping (composite types, `tsquery`, `pg_lsn`, multiranges, arrays of
    /// domains): captured only with `include.unknown.datatypes`.
    Unknown,
}

/// The fractional digits of a time type's modifier: its precision, or 6 when it has none.
fn precision(modifier: i32) -> u32 {
    if modifier >= 0 { modifier as u32 } else { 6 }
}

/// The built-in type of an OID and type modifier; `None` for types the catalog must describe
/// (arrays, enums, domains, extension types).
pub fn builtin(oid: u32, modifier: i32) -> Option<PgType> {
    Some(match oid {
        16 => PgType::Bool,
        17 => PgType::Bytea,
        18 | 19 | 650 | 774 | 829 | 869 | 3904 | 3906 | 3908 | 3910 | 3912 | 3926 => PgType::TextLike,
        20 | 26 => PgType::Int8,
        21 => PgType::Int2,
        23 => PgType::Int4,
        25 | 1042 | 1043 => PgType::Text,
        114 | 3802 => PgType::Named(NamedString::Json),
        142 => PgType::Named(NamedString::Xml),
        600 => PgType::Geometric(Shape::Point),
        601 => PgType::Geometric(Shape::Lseg),
        602 => PgType::Geometric(Shape::Path),
        603 => PgType::Geometric(Shape::Box),
        604 => PgType::Geometric(Shape::Polygon),
        628 => PgType::Geometric(Shape::Line),
        700 => PgType::Float4,
        701 => PgType::Float8,
        718 => PgType::Geometric(Shape::Circle),
        790 => PgType::Money,
        1082 => PgType::Date,
        1083 => PgType::Time(precision(modifier)),
        1114 => PgType::Timestamp(precision(modifier)),
        1184 => PgType::TimestampTz(precision(modifier)),
        1186 => PgType::Interval,
        1266 => PgType::TimeTz,
        1560 => PgType::Bits(modifier.max(1) as u32),
        1562 => PgType::Bits(if modifier > 0 { modifier as u32 } else { i32::MAX as u32 }),
        1700 => PgType::Numeric((modifier >= 4).then(|| {
            let m = (modifier - 4) as u32;
            (m >> 16 & 0xffff, m & 0xffff)
        })),
        2950 => PgType::Named(NamedString::Uuid),
        3614 => PgType::Named(NamedString::Tsvector),
        _ => return None,
    })
}

/// The type of an extension's type, by its name.
pub fn extension(name: &str) -> Option<PgType> {
    Some(match name {
        "hstore" => PgType::Hstore,
        "ltree" => PgType::Named(NamedString::Ltree),
        "citext" | "isbn" | "isbn13" | "issn" | "issn13" | "ismn" | "ismn13" | "ean13" | "upc" => PgType::TextLike,
        _ => return None,
    })
}

/// A named schema of a type, version 1.
fn named(kind: SchemaType, name: &str) -> Schema {
    Schema::new(kind).named(name).versioned(1)
}

/// Debezium's `io.debezium.data.geometry.Point` schema.
fn point_schema() -> Schema {
    Schema::struct_of(vec![
        Field::new("x", Schema::new(SchemaType::Float64)),
        Field::new("y", Schema::new(SchemaType::Float64)),
        Field::new("wkb", Schema::new(SchemaType::Bytes).optional()),
        Field::new("srid", Schema::new(SchemaType::Int32).optional()),
    ])
    .named("io.debezium.data.geometry.Point")
    .versioned(1)
    .documented("Geometry (POINT)")
}

impl BinaryMode {
    /// The schema of binary data in this mode.
    pub fn schema(self) -> Schema {
        match self {
            BinaryMode::Bytes => Schema::new(SchemaType::Bytes),
            _ => Schema::string(),
        }
    }
}

impl PgType {
    /// Whether columns of this type are captured at all: types without a mapping are only with
    /// `include.unknown.datatypes`.
    pub fn captured(&self, repr: &Representation) -> bool {
        !matches!(self, PgType::Unknown) || repr.include_unknown
    }

    /// The Connect schema Debezium uses for this type (optional when `optional`; the geometric
    /// schemas Debezium builds optional are optional whatever the column).
    pub fn schema(&self, repr: &Representation, optional: bool) -> Schema {
        let decimal = |scale: u32| {
            named(SchemaType::Bytes, "org.apache.kafka.connect.data.Decimal").with_parameter("scale", scale.to_string())
        };
        let time = repr.time;
        let schema = match self {
            PgType::Int2 => Schema::new(SchemaType::Int16),
            PgType::Int4 => Schema::new(SchemaType::Int32),
            PgType::Int8 => Schema::new(SchemaType::Int64),
            PgType::Float4 => Schema::new(SchemaType::Float32),
            PgType::Float8 => Schema::new(SchemaType::Float64),
            PgType::Bool | PgType::Bits(1) => Schema::new(SchemaType::Boolean),
            PgType::Bits(length) => {
                named(SchemaType::Bytes, "io.debezium.data.Bits").with_parameter("length", length.to_string())
            }
            PgType::Numeric(_) | PgType::Money if repr.decimal == DecimalMode::Double => {
                Schema::new(SchemaType::Float64)
            }
            PgType::Numeric(_) | PgType::Money if repr.decimal == DecimalMode::String => Schema::string(),
            PgType::Numeric(Some((precision, scale))) => {
                decimal(*scale).with_parameter("connect.decimal.precision", precision.to_string())
            }
            PgType::Numeric(None) => Schema::struct_of(vec![
                Field::new("scale", Schema::new(SchemaType::Int32)),
                Field::new("value", Schema::new(SchemaType::Bytes)),
            ])
            .named("io.debezium.data.VariableScaleDecimal")
            .versioned(1)
            .documented("Variable scaled decimal"),
            PgType::Money => decimal(repr.money_fraction_digits),
            PgType::Text | PgType::TextLike => Schema::string(),
            PgType::Bytea | PgType::Unknown => repr.binary.schema(),
            PgType::Date => match time {
                TimeMode::Connect => named(SchemaType::Int32, "org.apache.kafka.connect.data.Date"),
                TimeMode::IsoString => named(SchemaType::String, "io.debezium.time.IsoDate"),
                _ => named(SchemaType::Int32, "io.debezium.time.Date"),
            },
            PgType::Time(p) => match time {
                TimeMode::Connect => named(SchemaType::Int32, "org.apache.kafka.connect.data.Time"),
                TimeMode::IsoString => named(SchemaType::String, "io.debezium.time.IsoTime"),
                TimeMode::Nanoseconds => named(SchemaType::Int64, "io.debezium.time.NanoTime"),
                TimeMode::Adaptive if *p <= 3 => named(SchemaType::Int32, "io.debezium.time.Time"),
                _ => named(SchemaType::Int64, "io.debezium.time.MicroTime"),
            },
            PgType::Timestamp(p) => match time {
                TimeMode::Connect => named(SchemaType::Int64, "org.apache.kafka.connect.data.Timestamp"),
                TimeMode::IsoString => named(SchemaType::String, "io.debezium.time.IsoTimestamp"),
                TimeMode::Nanoseconds => named(SchemaType::Int64, "io.debezium.time.NanoTimestamp"),
                TimeMode::Adaptive | TimeMode::AdaptiveTimeMicroseconds if *p <= 3 => {
                    named(SchemaType::Int64, "io.debezium.time.Timestamp")
                }
                _ => named(SchemaType::Int64, "io.debezium.time.MicroTimestamp"),
            },
            PgType::TimestampTz(_) => named(SchemaType::String, "io.debezium.time.ZonedTimestamp"),
            PgType::TimeTz => named(SchemaType::String, "io.debezium.time.ZonedTime"),
            PgType::Interval => match repr.interval {
                IntervalMode::Numeric => named(SchemaType::Int64, "io.debezium.time.MicroDuration"),
                IntervalMode::String => named(SchemaType::String, "io.debezium.time.Interval"),
            },
            PgType::Named(kind) => named(SchemaType::String, kind.name()),
            PgType::Hstore => match repr.hstore {
                HstoreMode::Json => named(SchemaType::String, NamedString::Json.name()),
                HstoreMode::Map => Schema::map_of(Schema::string(), Schema::string().optional()),
            },
            PgType::Geometric(Shape::Point) => point_schema(),
            PgType::Geometric(Shape::Line) => Schema::struct_of(vec![
                Field::new("a", Schema::new(SchemaType::Float64)),
                Field::new("b", Schema::new(SchemaType::Float64)),
                Field::new("c", Schema::new(SchemaType::Float64)),
            ])
            .named("io.debezium.data.geometry.Line")
            .versioned(1)
            .documented("Geometry (LINE)")
            .optional(),
            PgType::Geometric(Shape::Circle) => Schema::struct_of(vec![
                Field::new("center", point_schema()),
                Field::new("radius", Schema::new(SchemaType::Float64)),
            ])
            .named("io.debezium.data.geometry.Circle")
            .versioned(1)
            .documented("Geometry (CIRCLE)")
            .optional(),
            PgType::Geometric(_) => Schema::struct_of(vec![
                Field::new("wkb", Schema::new(SchemaType::Bytes)),
                Field::new("srid", Schema::new(SchemaType::Int32).optional()),
                Field::new(
                    "extensions",
                    Schema::map_of(Schema::string(), Schema::string()).optional(),
                ),
            ])
            .named("io.debezium.data.geometry.Geometry")
            .versioned(2)
            .documented("Geometry")
            .optional(),
            PgType::Enum(labels) => {
                named(SchemaType::String, "io.debezium.data.Enum").with_parameter("allowed", labels.join(","))
            }
            // Debezium's enum and unknown-element arrays have required elements; the others
            // optional ones.
            PgType::Array(element) => {
                Schema::array_of(element.schema(repr, !matches!(**element, PgType::Enum(_) | PgType::Unknown)))
            }
        };
        if optional { schema.optional() } else { schema }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Representation = Representation::DEFAULT;

    #[test]
    fn schemas_carry_debezium_names() {
        assert_eq!(
            PgType::Timestamp(6).schema(&P, true).name.as_deref(),
            Some("io.debezium.time.MicroTimestamp")
        );
        let e = PgType::Enum(vec!["a".into(), "b".into()]).schema(&P, false);
        assert_eq!(e.parameter("allowed"), Some("a,b"));
        let d = PgType::Numeric(Some((10, 2))).schema(&P, true);
        assert_eq!(
            d.parameters,
            [
                ("scale".to_owned(), "2".to_owned()),
                ("connect.decimal.precision".to_owned(), "10".to_owned())
            ]
        );
        assert!(d.optional);
        assert_eq!(PgType::Money.schema(&P, false).parameters.len(), 1);
        assert_eq!(
            PgType::Numeric(None).schema(&P, false).doc.as_deref(),
            Some("Variable scaled decimal")
        );
        assert_eq!(builtin(1700, (10 << 16 | 2) + 4), Some(PgType::Numeric(Some((10, 2)))));
        assert_eq!(PgType::Bits(1).schema(&P, false).kind, SchemaType::Boolean);
        assert_eq!(PgType::Bits(4).schema(&P, false).parameter("length"), Some("4"));
    }

    #[test]
    fn time_precision_modes_name_their_types() {
        let with = |time| Representation { time, ..P };
        let name = |ty: PgType, repr: Representation| ty.schema(&repr, false).name;
        let micros = with(TimeMode::AdaptiveTimeMicroseconds);
        assert_eq!(
            name(PgType::Time(3), micros).as_deref(),
            Some("io.debezium.time.MicroTime")
        );
        assert_eq!(
            name(PgType::Timestamp(3), micros).as_deref(),
            Some("io.debezium.time.Timestamp")
        );
        let connect = with(TimeMode::Connect);
        for (ty, expected) in [
            (PgType::Date, "org.apache.kafka.connect.data.Date"),
            (PgType::Time(6), "org.apache.kafka.connect.data.Time"),
            (PgType::Timestamp(6), "org.apache.kafka.connect.data.Timestamp"),
            (PgType::TimestampTz(6), "io.debezium.time.ZonedTimestamp"),
        ] {
            assert_eq!(name(ty, connect).as_deref(), Some(expected));
        }
    }
}
