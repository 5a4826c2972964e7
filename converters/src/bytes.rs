//! `ByteArrayConverter`: payloads passed through as bytes.

use std::sync::Arc;

use weir_connector_api::java::names::{logical_class_name, type_name};
use weir_connector_api::{
    ConfigDef, ConversionError, Converter, ConverterPlugin, HeaderConverter, HeaderConverterPlugin, Props, Schema,
    SchemaType, Value,
};

/// Passes bytes through unchanged; only bytes (or null) can be written, under a bytes schema or
/// none (a Decimal, which Java holds as a `BigDecimal`, is no byte array).
pub struct ByteArrayConverter;

impl Converter for ByteArrayConverter {
    fn encode(&self, _topic: &str, schema: Option<&Schema>, value: &Value) -> Result<Option<Vec<u8>>, ConversionError> {
        if let Some(schema) = schema.filter(|s| s.kind != SchemaType::Bytes) {
            return Err(ConversionError::new(format!(
                "Invalid schema type for ByteArrayConverter: {}",
                type_name(schema.kind)
            )));
        }
        match (value, logical_class_name(value, schema)) {
            (Value::Null, _) => Ok(None),
            (Value::Bytes(b), "[B") => Ok(Some(b.clone())),
            (_, class) => Err(ConversionError::new(format!(
                "ByteArrayConverter is not compatible with objects of type class {class}"
            ))),
        }
    }

    fn decode(&self, _topic: &str, data: Option<&[u8]>) -> Result<(Option<Schema>, Value), ConversionError> {
        let schema = Some(Schema::new(SchemaType::Bytes).optional());
        Ok((schema, data.map_or(Value::Null, |b| Value::Bytes(b.to_vec()))))
    }
}

impl HeaderConverter for ByteArrayConverter {
    fn encode_header(
        &self,
        topic: &str,
        _key: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConversionError> {
        self.encode(topic, schema, value)
    }

    fn decode_header(
        &self,
        topic: &str,
        _key: &str,
        data: Option<&[u8]>,
    ) -> Result<(Option<Schema>, Value), ConversionError> {
        self.decode(topic, data)
    }
}

/// The `ByteArrayConverter` class (it has no settings but `converter.type`, which it ignores).
pub(crate) struct ByteArrayConverterClass;

impl ConverterPlugin for ByteArrayConverterClass {
    fn config_def(&self) -> ConfigDef {
        crate::config::converter_config()
    }

    fn create(&self, _props: &Props, _is_key: bool) -> Result<Arc<dyn Converter>, ConversionError> {
        Ok(Arc::new(ByteArrayConverter))
    }
}

impl HeaderConverterPlugin for ByteArrayConverterClass {
    fn config_def(&self) -> ConfigDef {
        crate::config::converter_config()
    }

    fn create(&self, _props: &Props) -> Result<Arc<dyn HeaderConverter>, ConversionError> {
        Ok(Arc::new(ByteArrayConverter))
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
        let decimal = weir_connector_api::data::logical::decimal_schema(2);
        assert_eq!(
            ByteArrayConverter
                .encode("t", Some(&decimal), &Value::Bytes(vec![1]))
                .unwrap_err()
                .message,
            "ByteArrayConverter is not compatible with objects of type class java.math.BigDecimal"
        );
    }
}
