//! Debezium's transforms (`io.debezium.transforms`) that CDC pipelines carry.

use weir_connector_api::TransformerDescriptor;

/// The transforms of this module.
pub(crate) fn descriptors() -> Vec<TransformerDescriptor> {
    Vec::new()
}
