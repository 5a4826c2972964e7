//! Connect values to Avro values and back, as Confluent's `AvroData` maps them: logical types
//! as their underlying primitives (a Decimal as its unscaled bytes), an optional value as a
//! branch of its union, a map whose keys are not required strings as an array of key/value
//! records.

use std::collections::HashMap;

use apache_avro::types::Value as Avro;
use weir_connector_api::data::logical::DECIMAL;
use weir_connector_api::{ConversionError, Schema, SchemaType, Value};

use super::schema::{child, null_branch_first, string_keyed};

/// The Avro form of a value of `schema`.
pub(crate) fn to_avro(schema: &Schema, value: &Value) -> Result<Avro, ConversionError> {
    if !schema.optional {
        return required_to_avro(schema, value);
    }
    let (null_branch, value_branch) = if null_branch_first(schema) { (0, 1) } else { (1, 0) };
    // A null stands for the schema's default, when it has one.
    match (value, &schema.default) {
        (Value::Null, None) => Ok(Avro::Union(null_branch, Box::new(Avro::Null))),
        (value, _) => Ok(Avro::Union(value_branch, Box::new(required_to_avro(schema, value)?))),
    }
}

/// The Avro form of a non-null value (or a null that its schema's default stands for).
fn required_to_avro(schema: &Schema, value: &Value) -> Result<Avro, ConversionError> {
    let value = match (value, &schema.default) {
        (Value::Null, Some(default)) => default,
        (value, _) => value,
    };
    Ok(match (schema.kind, value) {
        (SchemaType::Int8, Value::Int8(v)) => Avro::Int(i32::from(*v)),
        (SchemaType::Int16, Value::Int16(v)) => Avro::Int(i32::from(*v)),
        (SchemaType::Int32, Value::Int32(v)) => Avro::Int(*v),
        (SchemaType::Int64, Value::Int64(v)) => Avro::Long(*v),
        (SchemaType::Float32, Value::Float32(v)) => Avro::Float(*v),
        (SchemaType::Float64, Value::Float64(v)) => Avro::Double(*v),
        (SchemaType::Boolean, Value::Boolean(v)) => Avro::Boolean(*v),
        (SchemaType::String, Value::String(v)) => Avro::String(v.clone()),
        (SchemaType::Bytes, Value::Bytes(v)) if schema.name.as_deref() == Some(DECIMAL) => {
            Avro::Decimal(v.clone().into())
        }
        (SchemaType::Bytes, Value::Bytes(v)) => Avro::Bytes(v.clone()),
        (SchemaType::Array, Value::Array(items)) => {
            let item_schema = child(&schema.value_schema, "array items")?;
            Avro::Array(
                items
                    .iter()
                    .map(|item| to_avro(item_schema, item))
                    .collect::<Result<_, _>>()?,
            )
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let key_schema = child(&schema.key_schema, "map keys")?;
            let value_schema = child(&schema.value_schema, "map values")?;
            if string_keyed(schema) {
                let mut map = HashMap::with_capacity(entries.len());
                for (key, value) in entries {
                    let Value::String(key) = key else {
                        return Err(mismatch(key_schema, key));
                    };
                    map.insert(key.clone(), to_avro(value_schema, value)?);
                }
                Avro::Map(map)
            } else {
                Avro::Array(
                    entries
                        .iter()
                        .map(|(key, value)| {
                            Ok(Avro::Record(vec![
                                ("key".to_owned(), to_avro(key_schema, key)?),
                                ("value".to_owned(), to_avro(value_schema, value)?),
                            ]))
                        })
                        .collect::<Result<_, ConversionError>>()?,
                )
            }
        }
        (SchemaType::Struct, Value::Struct(values)) => Avro::Record(
            schema
                .fields
                .iter()
                .enumerate()
                .map(|(index, field)| {
                    let value = match values.get(index) {
                        Some((name, value)) if *name == field.name => value,
                        _ => values
                            .iter()
                            .find_map(|(name, value)| (*name == field.name).then_some(value))
                            .unwrap_or(&Value::Null),
                    };
                    let value = to_avro(&field.schema, value)
                        .map_err(|e| ConversionError::new(format!("field {}: {}", field.name, e.message)))?;
                    Ok((field.name.clone(), value))
                })
                .collect::<Result<_, ConversionError>>()?,
        ),
        (_, value) => return Err(mismatch(schema, value)),
    })
}

/// The Connect form of an Avro value read with a schema that maps to `schema`.
pub(crate) fn to_connect(schema: &Schema, value: Avro) -> Result<Value, ConversionError> {
    let value = match value {
        Avro::Union(_, inner) => *inner,
        value => value,
    };
    if matches!(value, Avro::Null) {
        return match (&schema.default, schema.optional) {
            (_, true) => Ok(Value::Null),
            (Some(default), false) => Ok(default.clone()),
            (None, false) => Err(ConversionError::new(format!(
                "a null where {} is required",
                schema.kind.wire_name()
            ))),
        };
    }
    Ok(match (schema.kind, value) {
        (SchemaType::Int8, Avro::Int(v)) => Value::Int8(narrow(v, schema)?),
        (SchemaType::Int16, Avro::Int(v)) => Value::Int16(narrow(v, schema)?),
        (SchemaType::Int32, Avro::Int(v) | Avro::Date(v) | Avro::TimeMillis(v)) => Value::Int32(v),
        (
            SchemaType::Int64,
            Avro::Long(v)
            | Avro::TimestampMillis(v)
            | Avro::TimestampMicros(v)
            | Avro::TimestampNanos(v)
            | Avro::TimeMicros(v)
            | Avro::LocalTimestampMillis(v)
            | Avro::LocalTimestampMicros(v)
            | Avro::LocalTimestampNanos(v),
        ) => Value::Int64(v),
        (SchemaType::Float32, Avro::Float(v)) => Value::Float32(v),
        (SchemaType::Float64, Avro::Double(v)) => Value::Float64(v),
        (SchemaType::Boolean, Avro::Boolean(v)) => Value::Boolean(v),
        (SchemaType::String, Avro::String(v) | Avro::Enum(_, v)) => Value::String(v),
        (SchemaType::String, Avro::Uuid(v)) => Value::String(v.to_string()),
        (SchemaType::Bytes, Avro::Bytes(v) | Avro::Fixed(_, v)) => Value::Bytes(v),
        (SchemaType::Bytes, Avro::Decimal(v)) => {
            Value::Bytes(Vec::<u8>::try_from(&v).map_err(|e| ConversionError::new(e.to_string()))?)
        }
        (SchemaType::Array, Avro::Array(items)) => {
            let item_schema = child(&schema.value_schema, "array items")?;
            Value::Array(
                items
                    .into_iter()
                    .map(|item| to_connect(item_schema, item))
                    .collect::<Result<_, _>>()?,
            )
        }
        (SchemaType::Map, Avro::Map(map)) => {
            let value_schema = child(&schema.value_schema, "map values")?;
            let mut entries = map
                .into_iter()
                .map(|(key, value)| Ok((Value::String(key), to_connect(value_schema, value)?)))
                .collect::<Result<Vec<_>, ConversionError>>()?;
            // Avro's maps have no order; a sorted one reads the same every time.
            entries.sort_by(|(a, _), (b, _)| a.as_str().cmp(&b.as_str()));
            Value::Map(entries)
        }
        (SchemaType::Map, Avro::Array(entries)) => {
            let key_schema = child(&schema.key_schema, "map keys")?;
            let value_schema = child(&schema.value_schema, "map values")?;
            Value::Map(
                entries
                    .into_iter()
                    .map(|entry| {
                        let Avro::Record(fields) = entry else {
                            return Err(ConversionError::new("a map entry that is not a record"));
                        };
                        let mut key = Avro::Null;
                        let mut value = Avro::Null;
                        for (name, field) in fields {
                            match name.as_str() {
                                "key" => key = field,
                                "value" => value = field,
                                _ => {}
                            }
                        }
                        Ok((to_connect(key_schema, key)?, to_connect(value_schema, value)?))
                    })
                    .collect::<Result<_, ConversionError>>()?,
            )
        }
        (SchemaType::Struct, Avro::Record(fields)) => {
            let mut fields: HashMap<String, Avro> = fields.into_iter().collect();
            Value::Struct(
                schema
                    .fields
                    .iter()
                    .map(|field| {
                        let value = fields.remove(&field.name).unwrap_or(Avro::Null);
                        let value = to_connect(&field.schema, value)
                            .map_err(|e| ConversionError::new(format!("field {}: {}", field.name, e.message)))?;
                        Ok((field.name.clone(), value))
                    })
                    .collect::<Result<_, ConversionError>>()?,
            )
        }
        (kind, value) => {
            return Err(ConversionError::new(format!(
                "an Avro {:?} where the schema says {}",
                apache_avro::schema::SchemaKind::from(&value),
                kind.wire_name()
            )));
        }
    })
}

/// An int narrowed to a Connect int8 or int16.
fn narrow<T: TryFrom<i32>>(value: i32, schema: &Schema) -> Result<T, ConversionError> {
    T::try_from(value).map_err(|_| ConversionError::new(format!("{value} does not fit a {}", schema.kind.wire_name())))
}

/// A value that its schema does not allow.
fn mismatch(schema: &Schema, value: &Value) -> ConversionError {
    let name = schema.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
    ConversionError::new(format!(
        "Invalid Java object for schema type {}{name}: {}",
        schema.kind.wire_name().to_ascii_uppercase(),
        value_kind(value)
    ))
}

/// What kind of value this is, for messages.
fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Boolean(_) => "a boolean",
        Value::Int8(_) => "an int8",
        Value::Int16(_) => "an int16",
        Value::Int32(_) => "an int32",
        Value::Int64(_) => "an int64",
        Value::Float32(_) => "a float32",
        Value::Float64(_) => "a float64",
        Value::String(_) => "a string",
        Value::Bytes(_) => "bytes",
        Value::Array(_) => "an array",
        Value::Map(_) => "a map",
        Value::Struct(_) => "a struct",
    }
}

#[cfg(test)]
mod tests {
    use apache_avro::reader::datum::GenericDatumReader;
    use apache_avro::writer::datum::GenericDatumWriter;
    use weir_connector_api::Field;
    use weir_connector_api::data::logical::decimal_schema;

    use super::*;
    use crate::avro::schema;

    /// Encodes with Avro's writer and decodes with its reader, through this module's mapping.
    fn round_trip(schema: &Schema, value: &Value) -> (Vec<u8>, Value) {
        let avro = apache_avro::Schema::parse_str(&schema::to_avro(schema, true).unwrap().to_string()).unwrap();
        let bytes = GenericDatumWriter::builder(&avro)
            .build()
            .unwrap()
            .write_value_to_vec(to_avro(schema, value).unwrap())
            .unwrap();
        let read = GenericDatumReader::builder(&avro)
            .build()
            .unwrap()
            .read_value(&mut &bytes[..])
            .unwrap();
        (bytes, to_connect(schema, read).unwrap())
    }

    #[test]
    fn values_encode_as_confluent_writes_them() {
        let schema = Schema::struct_of(vec![
            Field::new("id", Schema::new(SchemaType::Int64)),
            Field::new("name", Schema::string().optional()),
        ]);
        let value = Value::Struct(vec![
            ("id".into(), Value::Int64(1)),
            ("name".into(), Value::String("bob".into())),
        ]);
        let (bytes, read) = round_trip(&schema, &value);
        // Confluent's bytes for this record, after the 5-byte header.
        assert_eq!(bytes, [0x02, 0x02, 0x06, b'b', b'o', b'b']);
        assert_eq!(read, value);
    }

    #[test]
    fn every_type_reads_back() {
        let schema = Schema::struct_of(vec![
            Field::new("i8", Schema::new(SchemaType::Int8)),
            Field::new("i16", Schema::new(SchemaType::Int16)),
            Field::new("f32", Schema::new(SchemaType::Float32)),
            Field::new("flag", Schema::new(SchemaType::Boolean)),
            Field::new("raw", Schema::new(SchemaType::Bytes)),
            Field::new("amount", decimal_schema(2)),
            Field::new("tags", Schema::array_of(Schema::string().optional())),
            Field::new(
                "attrs",
                Schema::map_of(Schema::string(), Schema::new(SchemaType::Int32)),
            ),
            Field::new(
                "counts",
                Schema::map_of(Schema::new(SchemaType::Int32), Schema::string()),
            ),
            Field::new("missing", Schema::string().optional()),
            Field::new(
                "defaulted",
                Schema::string().optional().with_default(Value::String("d".into())),
            ),
        ]);
        let value = Value::Struct(vec![
            ("i8".into(), Value::Int8(-3)),
            ("i16".into(), Value::Int16(300)),
            ("f32".into(), Value::Float32(1.5)),
            ("flag".into(), Value::Boolean(true)),
            ("raw".into(), Value::Bytes(vec![0, 255])),
            ("amount".into(), Value::Bytes(vec![0x04, 0xd2])),
            (
                "tags".into(),
                Value::Array(vec![Value::String("a".into()), Value::Null]),
            ),
            (
                "attrs".into(),
                Value::Map(vec![
                    (Value::String("a".into()), Value::Int32(1)),
                    (Value::String("b".into()), Value::Int32(2)),
                ]),
            ),
            (
                "counts".into(),
                Value::Map(vec![(Value::Int32(7), Value::String("seven".into()))]),
            ),
            ("missing".into(), Value::Null),
            ("defaulted".into(), Value::Null),
        ]);
        let (_, read) = round_trip(&schema, &value);
        let mut expected = value;
        if let Value::Struct(fields) = &mut expected {
            // A null where the schema has a default is written as the default.
            fields[10].1 = Value::String("d".into());
        }
        assert_eq!(read, expected);
    }

    #[test]
    fn values_their_schema_refuses_are_named() {
        let schema = Schema::struct_of(vec![Field::new("id", Schema::new(SchemaType::Int64))]);
        let wrong = Value::Struct(vec![("id".into(), Value::String("x".into()))]);
        assert_eq!(
            to_avro(&schema, &wrong).unwrap_err().message,
            "field id: Invalid Java object for schema type INT64: a string"
        );
        let null = Value::Struct(vec![("id".into(), Value::Null)]);
        assert!(to_avro(&schema, &null).unwrap_err().message.contains("null"));
    }
}
