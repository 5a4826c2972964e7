//! Kafka Connect's transforms (`org.apache.kafka.connect.transforms`).

mod filter;
mod regex_router;

use weir_connector_api::TransformerDescriptor;

use crate::transformation;

/// The package of Kafka Connect's transforms.
const PACKAGE: &str = "org.apache.kafka.connect.transforms";

/// The transforms of this module.
pub(crate) fn descriptors() -> Vec<TransformerDescriptor> {
    vec![
        transformation(&format!("{PACKAGE}.Filter"), &["Filter"], filter::Filter),
        transformation(
            &format!("{PACKAGE}.RegexRouter"),
            &["RegexRouter"],
            regex_router::RegexRouter,
        ),
    ]
}
