//! Weir's built-in connectors, each an implementation of the connector API.

pub mod file;
pub mod postgres;
pub mod s3;

use weir_connector_api::PluginDescriptor;

/// Every built-in connector plugin.
pub fn builtin_plugins() -> Vec<PluginDescriptor> {
    file::plugins()
        .into_iter()
        .chain(postgres::plugins())
        .chain(s3::plugins())
        .collect()
}
