//! Kafka Connect's logical types (`org.apache.kafka.connect.data`): `Decimal`, bytes of the
//! unscaled value with a `scale` parameter, and the instants `Date` (int32 days since the
//! epoch), `Time` (int32 milliseconds of the day) and `Timestamp` (int64 milliseconds since the
//! epoch), which Java holds alike as a `java.util.Date`.

use super::{Schema, SchemaType, Value};

/// The name of Connect's Decimal.
pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
/// The name of Connect's Date.
pub const DATE: &str = "org.apache.kafka.connect.data.Date";
/// The name of Connect's Time.
pub const TIME: &str = "org.apache.kafka.connect.data.Time";
/// The name of Connect's Timestamp.
pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
/// The parameter holding a Decimal's scale.
pub const SCALE: &str = "scale";

/// The milliseconds of a day.
pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// The schema `Decimal.schema(scale)`: required, version 1.
pub fn decimal_schema(scale: i32) -> Schema {
    Schema::new(SchemaType::Bytes)
        .named(DECIMAL)
        .with_parameter(SCALE, scale.to_string())
        .versioned(1)
}

/// The logical types of instants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Temporal {
    /// `org.apache.kafka.connect.data.Date`.
    Date,
    /// `org.apache.kafka.connect.data.Time`.
    Time,
    /// `org.apache.kafka.connect.data.Timestamp`.
    Timestamp,
}

impl Temporal {
    /// The logical type a schema names.
    pub fn of(schema: &Schema) -> Option<Temporal> {
        match schema.name.as_deref()? {
            DATE => Some(Temporal::Date),
            TIME => Some(Temporal::Time),
            TIMESTAMP => Some(Temporal::Timestamp),
            _ => None,
        }
    }

    /// The logical name.
    pub fn name(self) -> &'static str {
        match self {
            Temporal::Date => DATE,
            Temporal::Time => TIME,
            Temporal::Timestamp => TIMESTAMP,
        }
    }

    /// The type values of it are stored as.
    pub fn kind(self) -> SchemaType {
        match self {
            Temporal::Date | Temporal::Time => SchemaType::Int32,
            Temporal::Timestamp => SchemaType::Int64,
        }
    }

    /// Its required schema (`Date.SCHEMA`, `Time.SCHEMA`, `Timestamp.SCHEMA`: version 1, no
    /// doc).
    pub fn schema(self) -> Schema {
        Schema::new(self.kind()).named(self.name()).versioned(1)
    }

    /// An instant (milliseconds since the epoch) as a value of this type: a Date the day it falls
    /// in, a Time the milliseconds as an int.
    pub fn value(self, millis: i64) -> Value {
        match self {
            Temporal::Date => Value::Int32(millis.div_euclid(MILLIS_PER_DAY) as i32),
            Temporal::Time => Value::Int32(millis as i32),
            Temporal::Timestamp => Value::Int64(millis),
        }
    }

    /// The instant a value of this type stands for, if it is of the type's representation.
    pub fn millis(self, value: &Value) -> Option<i64> {
        match (self, value) {
            (Temporal::Date, Value::Int32(days)) => Some(i64::from(*days) * MILLIS_PER_DAY),
            (Temporal::Time, Value::Int32(millis)) => Some(i64::from(*millis)),
            (Temporal::Timestamp, Value::Int64(millis)) => Some(*millis),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_map_to_their_representation_and_back() {
        assert_eq!(Temporal::Date.value(86_400_000 * 3 + 5), Value::Int32(3));
        assert_eq!(Temporal::Date.value(-1), Value::Int32(-1));
        assert_eq!(Temporal::Date.millis(&Value::Int32(2)), Some(172_800_000));
        assert_eq!(Temporal::Timestamp.millis(&Value::Int32(2)), None);
        let schema = Temporal::Time.schema();
        assert_eq!((schema.kind, schema.version), (SchemaType::Int32, Some(1)));
        assert_eq!(Temporal::of(&schema), Some(Temporal::Time));
        assert_eq!(decimal_schema(2).parameter(SCALE), Some("2"));
    }
}
