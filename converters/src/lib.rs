//! Kafka Connect's converters of primitive values (`BooleanConverter`, `ShortConverter`,
//! `IntegerConverter`, `LongConverter`, `FloatConverter`, `DoubleConverter`: key, value and
//! header converters alike) and its `SimpleHeaderConverter` (header values as their string form,
//! read back with the schema they imply), on the connector API's converter traits.
//!
//! [`builtin`] lists them under Kafka Connect's class names and aliases. Their behaviour is
//! checked against the real Java classes: `tests/fixtures.rs` runs the oracle's cases of
//! `transforms/tests/fixtures/converters.json` and `header_converter.json`.

mod primitive;
mod simple_header;

use weir_connector_api::ConverterDescriptor;

/// Every converter of this crate.
pub fn builtin() -> Vec<ConverterDescriptor> {
    let mut all = primitive::descriptors();
    all.push(simple_header::descriptor());
    all
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
