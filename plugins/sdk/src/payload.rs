//! Keys and values: constructors for the shapes the host converts.

use crate::{Data, Payload};

impl Payload {
    /// No value.
    pub fn null() -> Payload {
        Payload {
            data: Data::Null,
            schema: None,
        }
    }

    /// A string.
    pub fn text(text: impl Into<String>) -> Payload {
        Payload {
            data: Data::Text(text.into()),
            schema: None,
        }
    }

    /// Raw bytes.
    pub fn bytes(bytes: Vec<u8>) -> Payload {
        Payload {
            data: Data::Bytes(bytes),
            schema: None,
        }
    }

    /// A schemaless JSON document.
    pub fn json(value: &serde_json::Value) -> Payload {
        Payload {
            data: Data::Json(value.to_string()),
            schema: None,
        }
    }

    /// A JSON document shaped by a schema in Kafka Connect's JSON form
    /// (`{"type": "struct", "fields": [...]}`).
    pub fn with_schema(value: &serde_json::Value, schema: &serde_json::Value) -> Payload {
        Payload {
            data: Data::Json(value.to_string()),
            schema: Some(schema.to_string()),
        }
    }

    /// The value as JSON: text and bytes (as UTF-8) become JSON strings; `None` for null.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        match &self.data {
            Data::Null => None,
            Data::Json(text) => serde_json::from_str(text).ok(),
            Data::Text(text) => Some(serde_json::Value::String(text.clone())),
            Data::Bytes(bytes) => Some(serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned())),
        }
    }
}
