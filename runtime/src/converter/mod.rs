//! Converters: between the Connect data model and the bytes of Kafka record keys and values.
//!
//! Kafka Connect's class names are accepted (`org.apache.kafka.connect.json.JsonConverter`,
//! `org.apache.kafka.connect.storage.StringConverter`,
//! `org.apache.kafka.connect.converters.ByteArrayConverter`), and so are their short names.

mod bytes;
pub(crate) mod json;
mod string;

use std::sync::Arc;

use weir_connector_api::Props;
pub use weir_connector_api::{ConversionError, Converter};

pub use bytes::ByteArrayConverter;
pub use json::JsonConverter;
pub use string::StringConverter;

/// The converters: canonical class name, the short alias, and a constructor from settings.
type Constructor = fn(&Props) -> Result<Arc<dyn Converter>, ConversionError>;
const CONVERTERS: [(&str, &str, Constructor); 3] = [
    (
        "org.apache.kafka.connect.json.JsonConverter",
        "JsonConverter",
        |props| Ok(Arc::new(JsonConverter::new(props)?)),
    ),
    (
        "org.apache.kafka.connect.storage.StringConverter",
        "StringConverter",
        |_| Ok(Arc::new(StringConverter)),
    ),
    (
        "org.apache.kafka.connect.converters.ByteArrayConverter",
        "ByteArrayConverter",
        |_| Ok(Arc::new(ByteArrayConverter)),
    ),
];

/// The canonical class names of every converter.
pub fn classes() -> impl Iterator<Item = &'static str> {
    CONVERTERS.iter().map(|(class, _, _)| *class)
}

/// The canonical class name for a class name or alias.
pub fn canonical_class(name: &str) -> Option<&'static str> {
    CONVERTERS
        .iter()
        .find(|(class, alias, _)| *class == name || *alias == name)
        .map(|(class, _, _)| *class)
}

/// Builds the converter named `class` with its settings (the keys after `key.converter.` or
/// `value.converter.`).
pub fn build(class: &str, props: &Props) -> Result<Arc<dyn Converter>, ConversionError> {
    let (_, _, construct) = CONVERTERS
        .iter()
        .find(|(c, alias, _)| *c == class || *alias == class)
        .ok_or_else(|| ConversionError(format!("Class {class} could not be found: no such converter")))?;
    construct(props)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve() {
        assert_eq!(
            canonical_class("StringConverter"),
            Some("org.apache.kafka.connect.storage.StringConverter")
        );
        assert!(canonical_class("AvroConverter").is_none());
        assert!(build("JsonConverter", &Props::new()).is_ok());
        assert!(build("nope", &Props::new()).is_err());
    }
}
