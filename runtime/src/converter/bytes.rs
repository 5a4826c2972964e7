//! `ByteArrayConverter`: payloads passed through as bytes.

use weir_connector_api::{Schema, SchemaType, Value};

use super::{ConversionError, Converter};

/// Passes bytes through unchanged; only byte (or null) values can be written.
pub struct ByteArrayConverter;

impl Converter for ByteArrayConverter {
    fn encode(&self, topic: &str, schema: Option<&Schema>, value: &Value) -> Result<Option<Vec<u8>>, ConversionError> {
        if let Some(schema) = schema.filter(|s| s.kind != SchemaType::Bytes) {
            return Err(ConversionError(format!(
                "Invalid schema type for ByteArrayConverter on topic {topic}: {}",
                schema.kind.wire_name()
            )));
        }
        match value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.clone())),
            _ => Err(ConversionError(format!(
                "ByteArrayConverter on topic {topic} is not compatible with objects of this type"
            ))),
        }
    }

    fn decode(&self, _topic: &str, data: Option<&[u8]>) -> Result<(Option<Schema>, Value), ConversionError> {
        let schema = Some(Schema::new(SchemaType::Bytes).optional());
        Ok((schema, data.map_or(Value::Null, |b| Value::Bytes(b.to_vec()))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_pass_and_strings_do_not() {
        assert_eq!(
            ByteArrayConverter
                .encode("t", None, &Value::Bytes(vec![0, 255]))
                .unwrap(),
            Some(vec![0, 255])
        );
        assert!(
            ByteArrayConverter
                .encode("t", Some(&Schema::string()), &Value::from("x"))
                .is_err()
        );
        assert_eq!(
            ByteArrayConverter.decode("t", Some(&[1])).unwrap().1,
            Value::Bytes(vec![1])
        );
    }
}
