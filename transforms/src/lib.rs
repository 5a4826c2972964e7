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

use crate::util::operand::Operand;

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

/// The `$Key` and `$Value` classes of a transform of `package`, e.g. `...ExtractField$Key` (alias
/// `ExtractField$Key`), each made by `plugin` for its operand.
pub(crate) fn key_and_value<P: TransformationPlugin + 'static>(
    package: &str,
    simple_name: &str,
    plugin: impl Fn(Operand) -> P,
) -> [TransformerDescriptor; 2] {
    [("Key", Operand::Key), ("Value", Operand::Value)].map(|(variant, operand)| {
        let alias = format!("{simple_name}${variant}");
        transformation(&format!("{package}.{alias}"), &[alias.as_str()], plugin(operand))
    })
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
