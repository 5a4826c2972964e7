//! `StringConverter`: values as UTF-8 text.

use weir_connector_api::{Schema, Value};

use super::{ConversionError, Converter};

/// Writes a string as its UTF-8 bytes (other values as their JSON text) and reads any payload
/// as a string, replacing invalid UTF-8.
pub struct StringConverter;

impl Converter for StringConverter {
    fn encode(
        &self,
        _topic: &str,
        _schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConversionError> {
        Ok(match value {
            Value::Null => None,
            Value::String(s) => Some(s.as_bytes().to_vec()),
            other => Some(other.to_json().to_string().into_bytes()),
        })
    }

    fn decode(&self, _topic: &str, data: Option<&[u8]>) -> Result<(Option<Schema>, Value), ConversionError> {
        Ok(match data {
            None => (Some(Schema::string().optional()), Value::Null),
            Some(bytes) => (
                Some(Schema::string().optional()),
                Value::String(String::from_utf8_lossy(bytes).into_owned()),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let bytes = StringConverter.encode("t", None, &Value::from("héllo")).unwrap();
        assert_eq!(
            StringConverter.decode("t", bytes.as_deref()).unwrap().1,
            Value::from("héllo")
        );
        assert_eq!(StringConverter.encode("t", None, &Value::Null).unwrap(), None);
    }
}
