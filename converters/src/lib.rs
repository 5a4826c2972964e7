//! Kafka Connect's converters: `JsonConverter` (with or without the schema envelope),
//! `StringConverter`, `ByteArrayConverter`, the converters of primitive values (`BooleanConverter`, `ShortConverter`,
//! `IntegerConverter`, `LongConverter`, `FloatConverter`, `DoubleConverter`: key, value and
//! header converters alike) and its `SimpleHeaderConverter` (header values as their string form,
//! read back with the schema they imply), on the connector API's converter traits.
//!
//! Confluent's `AvroConverter` writes and reads Avro in the schema registry's wire format,
//! against a registry with Confluent's API (Confluent's or Apicurio's).
//!
//! [`builtin`] lists them under Kafka Connect's class names and aliases. Their behaviour is
//! checked against the real Java classes: `tests/fixtures.rs` runs the oracle's cases of
//! `transforms/tests/fixtures/converters.json` and `header_converter.json`.

mod avro;
mod bytes;
mod charset;
mod config;
mod decimal;
mod java;
pub mod json;
mod primitive;
mod registry;
mod simple_header;
mod string;

use std::sync::Arc;

use weir_connector_api::ConverterDescriptor;

pub use avro::AvroConverter;
pub use bytes::ByteArrayConverter;
pub use json::JsonConverter;
pub use string::StringConverter;

/// Every converter of this crate.
pub fn builtin() -> Vec<ConverterDescriptor> {
    let mut all = vec![
        both("org.apache.kafka.connect.json.JsonConverter", json::JsonConverterClass),
        both(
            "org.apache.kafka.connect.storage.StringConverter",
            string::StringConverterClass,
        ),
        both(
            "org.apache.kafka.connect.converters.ByteArrayConverter",
            bytes::ByteArrayConverterClass,
        ),
    ];
    all.push(record_only(avro::CLASS, avro::AvroConverterClass));
    all.extend(primitive::descriptors());
    all.push(simple_header::descriptor());
    all
}

/// The descriptor of a class that converts keys, values and headers alike.
fn both<C>(class: &str, plugin: C) -> ConverterDescriptor
where
    C: weir_connector_api::ConverterPlugin + weir_connector_api::HeaderConverterPlugin + 'static,
{
    let plugin = Arc::new(plugin);
    let simple_name = class.rsplit('.').next().unwrap_or(class);
    ConverterDescriptor {
        class: class.to_owned(),
        aliases: aliases(simple_name, "Converter"),
        converter: Some(plugin.clone()),
        header_converter: Some(plugin),
    }
}

/// The descriptor of a class that converts keys and values only.
fn record_only<C: weir_connector_api::ConverterPlugin + 'static>(class: &str, plugin: C) -> ConverterDescriptor {
    let simple_name = class.rsplit('.').next().unwrap_or(class);
    ConverterDescriptor {
        class: class.to_owned(),
        aliases: aliases(simple_name, "Converter"),
        converter: Some(Arc::new(plugin)),
        header_converter: None,
    }
}

/// The aliases Kafka Connect gives a plugin class: its simple name, and that name without the
/// plugin type's suffix (`BooleanConverter` and `Boolean`, `SimpleHeaderConverter` and `Simple`).
fn aliases(simple_name: &str, suffix: &str) -> Vec<String> {
    let mut aliases = vec![simple_name.to_owned()];
    if let Some(pruned) = simple_name.strip_suffix(suffix).filter(|p| !p.is_empty()) {
        aliases.push(pruned.to_owned());
    }
    aliases
}
