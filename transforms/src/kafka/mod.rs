//! Kafka Connect's transforms (`org.apache.kafka.connect.transforms`).

mod cast;
mod drop_headers;
mod extract_field;
mod filter;
mod flatten;
mod header_from;
mod hoist_field;
mod insert_field;
mod insert_header;
mod mask_field;
mod regex_router;
mod replace_field;
mod schemaless_map;
mod set_schema_metadata;
mod timestamp_converter;
mod timestamp_router;
mod value_to_key;

use weir_connector_api::{TransformationPlugin, TransformerDescriptor};

use crate::{key_and_value, transformation};

/// The package of Kafka Connect's transforms.
const PACKAGE: &str = "org.apache.kafka.connect.transforms";

/// The transforms of this module.
pub(crate) fn descriptors() -> Vec<TransformerDescriptor> {
    let mut all = vec![
        class("DropHeaders", drop_headers::DropHeaders),
        class("Filter", filter::Filter),
        class("InsertHeader", insert_header::InsertHeader),
        class("RegexRouter", regex_router::RegexRouter),
        class("TimestampRouter", timestamp_router::TimestampRouter),
        class("ValueToKey", value_to_key::ValueToKey),
    ];
    for pair in [
        key_and_value(PACKAGE, "Cast", cast::Cast),
        key_and_value(PACKAGE, "ExtractField", extract_field::ExtractField),
        key_and_value(PACKAGE, "Flatten", flatten::Flatten),
        key_and_value(PACKAGE, "HeaderFrom", header_from::HeaderFrom),
        key_and_value(PACKAGE, "HoistField", hoist_field::HoistField),
        key_and_value(PACKAGE, "InsertField", insert_field::InsertField),
        key_and_value(PACKAGE, "MaskField", mask_field::MaskField),
        key_and_value(PACKAGE, "ReplaceField", replace_field::ReplaceField),
        key_and_value(PACKAGE, "SetSchemaMetadata", set_schema_metadata::SetSchemaMetadata),
        key_and_value(PACKAGE, "TimestampConverter", timestamp_converter::TimestampConverter),
    ] {
        all.extend(pair);
    }
    all
}

/// The descriptor of a transform of this package that has no `$Key`/`$Value` variants, aliased
/// by its simple name.
fn class(simple_name: &str, plugin: impl TransformationPlugin + 'static) -> TransformerDescriptor {
    transformation(&format!("{PACKAGE}.{simple_name}"), &[simple_name], plugin)
}
