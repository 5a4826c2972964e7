//! The names Java gives Connect's values and types, as Kafka Connect's errors quote them: the
//! class of a value (`java.lang.Integer`), the name of a schema type (`INT32`) and
//! `ConnectSchema.toString()`.

use crate::data::logical::{DECIMAL, Temporal};
use crate::data::{Schema, SchemaType, Value};

/// The Java class of a value, as Kafka Connect holds it without a schema.
pub fn class_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Boolean(_) => "java.lang.Boolean",
        Value::Int8(_) => "java.lang.Byte",
        Value::Int16(_) => "java.lang.Short",
        Value::Int32(_) => "java.lang.Integer",
        Value::Int64(_) => "java.lang.Long",
        Value::Float32(_) => "java.lang.Float",
        Value::Float64(_) => "java.lang.Double",
        Value::String(_) => "java.lang.String",
        Value::Bytes(_) => "[B",
        Value::Array(_) => "java.util.ArrayList",
        Value::Map(_) => "java.util.HashMap",
        Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
    }
}

/// The Java class of a value of a schema: `java.math.BigDecimal` for a Decimal,
/// `java.util.Date` for a Date, Time or Timestamp, else [`class_name`].
pub fn logical_class_name(value: &Value, schema: Option<&Schema>) -> &'static str {
    match schema {
        Some(schema) if schema.name.as_deref() == Some(DECIMAL) && matches!(value, Value::Bytes(_)) => {
            "java.math.BigDecimal"
        }
        Some(schema) if Temporal::of(schema).and_then(|t| t.millis(value)).is_some() => "java.util.Date",
        _ => class_name(value),
    }
}

/// A schema type as Java's `Schema.Type` names it (`INT32`, `STRUCT`, ...).
pub fn type_name(kind: SchemaType) -> &'static str {
    match kind {
        SchemaType::Int8 => "INT8",
        SchemaType::Int16 => "INT16",
        SchemaType::Int32 => "INT32",
        SchemaType::Int64 => "INT64",
        SchemaType::Float32 => "FLOAT32",
        SchemaType::Float64 => "FLOAT64",
        SchemaType::Boolean => "BOOLEAN",
        SchemaType::String => "STRING",
        SchemaType::Bytes => "BYTES",
        SchemaType::Array => "ARRAY",
        SchemaType::Map => "MAP",
        SchemaType::Struct => "STRUCT",
    }
}

/// A schema as Java's `ConnectSchema.toString()` writes it: `Schema{name:TYPE}` or
/// `Schema{TYPE}`.
pub fn schema_to_string(schema: &Schema) -> String {
    match &schema.name {
        Some(name) => format!("Schema{{{name}:{}}}", type_name(schema.kind)),
        None => format!("Schema{{{}}}", type_name(schema.kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::logical::decimal_schema;

    #[test]
    fn values_are_named_by_their_java_class() {
        assert_eq!(class_name(&Value::Int32(1)), "java.lang.Integer");
        let decimal = decimal_schema(2);
        assert_eq!(
            logical_class_name(&Value::Bytes(vec![1]), Some(&decimal)),
            "java.math.BigDecimal"
        );
        let date = Temporal::Date.schema();
        assert_eq!(logical_class_name(&Value::Int32(1), Some(&date)), "java.util.Date");
        assert_eq!(logical_class_name(&Value::Int64(1), Some(&date)), "java.lang.Long");
        assert_eq!(
            schema_to_string(&date),
            "Schema{org.apache.kafka.connect.data.Date:INT32}"
        );
        assert_eq!(schema_to_string(&Schema::string()), "Schema{STRING}");
    }
}
