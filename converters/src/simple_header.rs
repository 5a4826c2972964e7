//! `SimpleHeaderConverter`: writes a header value as its string form (`Values.convertToString`,
//! so the schema is not written) and reads a header back as `Values.parseString` reads its
//! UTF-8 text, inferring a schema: `42` is an int8, `[1,2]` an array of int8, other text a string.

use std::sync::Arc;

use weir_connector_api::values::{convert_to_string, parse_string};
use weir_connector_api::{
    ConversionError, ConverterDescriptor, HeaderConverter, HeaderConverterPlugin, Props, Schema, SchemaType, Value,
};

/// The class name.
const CLASS: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// The converter's descriptor (a header converter only).
pub(crate) fn descriptor() -> ConverterDescriptor {
    ConverterDescriptor {
        class: CLASS.to_owned(),
        aliases: crate::aliases("SimpleHeaderConverter", "HeaderConverter"),
        converter: None,
        header_converter: Some(Arc::new(SimpleHeaderConverter)),
    }
}

/// The converter class, and its (configuration-free) instances.
struct SimpleHeaderConverter;

impl HeaderConverterPlugin for SimpleHeaderConverter {
    fn create(&self, _props: &Props) -> Result<Arc<dyn HeaderConverter>, ConversionError> {
        Ok(Arc::new(SimpleHeaderConverter))
    }
}

impl HeaderConverter for SimpleHeaderConverter {
    fn encode_header(
        &self,
        _topic: &str,
        _key: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConversionError> {
        Ok(convert_to_string(schema, value).map(String::into_bytes))
    }

    fn decode_header(
        &self,
        _topic: &str,
        _key: &str,
        data: Option<&[u8]>,
    ) -> Result<(Option<Schema>, Value), ConversionError> {
        let Some(data) = data else {
            return Ok((None, Value::Null));
        };
        // Java decodes with replacement characters for malformed UTF-8, and keeps the bytes as
        // they are when parsing fails (here: when it nests too deeply).
        match parse_string(&String::from_utf8_lossy(data)) {
            Ok(parsed) => Ok(parsed),
            Err(_) => Ok((Some(Schema::new(SchemaType::Bytes)), Value::Bytes(data.to_vec()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_deeply_nested_text_stays_bytes() {
        let text = format!("{}1{}", "[".repeat(1000), "]".repeat(1000));
        let (schema, value) = SimpleHeaderConverter
            .decode_header("t", "h", Some(text.as_bytes()))
            .unwrap();
        assert_eq!(schema.map(|s| s.kind), Some(SchemaType::Bytes));
        assert_eq!(value, Value::Bytes(text.into_bytes()));
    }
}
