//! Kafka Connect's and Debezium's single message transforms and predicates.
//!
//! Each transform lives in its own module and implements the connector API's
//! [`TransformationPlugin`](weir_connector_api::TransformationPlugin) or
//! [`PredicatePlugin`](weir_connector_api::PredicatePlugin); nothing here knows the runtime.
//! [`builtin`] lists them under Kafka Connect's and Debezium's class names (with `$Key`/`$Value`
//! variants where Kafka Connect has them) and short aliases. Their behaviour is checked against
//! the real Java classes: `oracle/` runs those on a corpus, and `tests/fixtures.rs` asserts that
//! Weir gives the same outputs.

mod debezium;
mod kafka;
mod predicates;
mod util;

use std::sync::Arc;

use weir_connector_api::{PredicatePlugin, TransformationPlugin, TransformerDescriptor, TransformerPlugin};

/// Every built-in transform and predicate.
pub fn builtin() -> Vec<TransformerDescriptor> {
    let mut all = kafka::descriptors();
    all.extend(debezium::descriptors());
    all.extend(predicates::descriptors());
    all
}

/// The descriptor of a transform class, with its short aliases.
pub(crate) fn transformation(
    class: &str,
    aliases: &[&str],
    plugin: impl TransformationPlugin + 'static,
) -> TransformerDescriptor {
    TransformerDescriptor {
        class: class.to_owned(),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        plugin: TransformerPlugin::Transformation(Arc::new(plugin)),
    }
}

/// The descriptor of a predicate class, with its short aliases.
pub(crate) fn predicate(
    class: &str,
    aliases: &[&str],
    plugin: impl PredicatePlugin + 'static,
) -> TransformerDescriptor {
    TransformerDescriptor {
        class: class.to_owned(),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        plugin: TransformerPlugin::Predicate(Arc::new(plugin)),
    }
}
