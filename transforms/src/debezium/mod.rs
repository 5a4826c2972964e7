//! Debezium's transforms (`io.debezium.transforms`) that CDC pipelines carry, and what they share
//! about Debezium's change events and configuration.

mod config;
mod envelope;
mod extract_new_record_state;
mod field_reference;
mod logical_topic_router;
mod outbox;
mod schema_name_adjuster;

use weir_connector_api::TransformerDescriptor;

use crate::transformation;

/// The package of Debezium's transforms.
const PACKAGE: &str = "io.debezium.transforms";

/// The transforms of this module.
pub(crate) fn descriptors() -> Vec<TransformerDescriptor> {
    vec![
        transformation(
            &format!("{PACKAGE}.ExtractNewRecordState"),
            &["ExtractNewRecordState"],
            extract_new_record_state::ExtractNewRecordState,
        ),
        transformation(
            &format!("{PACKAGE}.ToLogicalTopicRouter"),
            &["ToLogicalTopicRouter"],
            logical_topic_router::LogicalTopicRouter::ToLogicalTopic,
        ),
        transformation(
            &format!("{PACKAGE}.ByLogicalTableRouter"),
            &["ByLogicalTableRouter"],
            logical_topic_router::LogicalTopicRouter::ByLogicalTable,
        ),
        transformation(
            &format!("{PACKAGE}.outbox.EventRouter"),
            &["EventRouter"],
            outbox::EventRouter,
        ),
    ]
}
