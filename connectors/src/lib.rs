//! Weir's built-in connectors, each an implementation of the connector API.

pub mod file;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "s3")]
pub mod s3;

use weir_connector_api::PluginDescriptor;

/// Every built-in connector plugin of this build (its features choose Postgres and S3).
pub fn builtin_plugins() -> Vec<PluginDescriptor> {
    let all = file::plugins().into_iter();
    #[cfg(feature = "postgres")]
    let all = all.chain(postgres::plugins());
    #[cfg(feature = "s3")]
    let all = all.chain(s3::plugins());
    all.collect()
}
