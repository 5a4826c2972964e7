//! Kafka Connect's predicates (`org.apache.kafka.connect.transforms.predicates`), which decide
//! per record whether a transform applies.

mod has_header_key;
mod record_is_tombstone;
mod topic_name_matches;

use weir_connector_api::TransformerDescriptor;

use crate::predicate;

/// The predicates of this module.
pub(crate) fn descriptors() -> Vec<TransformerDescriptor> {
    const PACKAGE: &str = "org.apache.kafka.connect.transforms.predicates";
    vec![
        predicate(
            &format!("{PACKAGE}.TopicNameMatches"),
            &["TopicNameMatches"],
            topic_name_matches::TopicNameMatches,
        ),
        predicate(
            &format!("{PACKAGE}.HasHeaderKey"),
            &["HasHeaderKey"],
            has_header_key::HasHeaderKey,
        ),
        predicate(
            &format!("{PACKAGE}.RecordIsTombstone"),
            &["RecordIsTombstone"],
            record_is_tombstone::RecordIsTombstone,
        ),
    ]
}
