//! Transform plugins: the trait a record transform implements, and the macro that exports it.

use crate::{Config, Error, PluginInfo, SourceRecord};

/// A record transform (a Single Message Transform). The host runs each configured transform in
/// an instance of the plugin of its own, so the transform is a plain value:
/// [`TransformPlugin::configure`] makes it, [`TransformPlugin::apply`] uses it.
pub trait TransformPlugin: Sized + 'static {
    /// The plugin's name (the type a connector config gives its transform), version and config
    /// keys.
    fn describe() -> PluginInfo;

    /// Makes the transform from its config; a later call replaces it.
    fn configure(config: &Config) -> Result<Self, Error>;

    /// Transforms a batch of records: a record may be changed, dropped (left out of the answer)
    /// or become several.
    fn apply(&mut self, records: Vec<SourceRecord>) -> Result<Vec<SourceRecord>, Error>;
}

/// Exports a [`TransformPlugin`] implementation as the component's `transform`.
#[macro_export]
macro_rules! transform_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub struct __WeirTransformExport;

        $crate::__weir_slot!($plugin);

        impl $crate::transform_bindings::exports::weir::connector::transform::Guest for __WeirTransformExport {
            fn describe() -> $crate::PluginInfo {
                <$plugin as $crate::TransformPlugin>::describe()
            }

            fn configure(config: Vec<(String, String)>) -> Result<(), $crate::Error> {
                let transform = <$plugin as $crate::TransformPlugin>::configure(&config.into())?;
                $crate::__slot::set(&__WEIR_PLUGIN, transform);
                Ok(())
            }

            fn apply(records: Vec<$crate::SourceRecord>) -> Result<Vec<$crate::SourceRecord>, $crate::Error> {
                $crate::__slot::with(&__WEIR_PLUGIN, "the transform is not configured", |transform| {
                    <$plugin as $crate::TransformPlugin>::apply(transform, records)
                })
            }
        }

        $crate::transform_bindings::export_transform_world!(__WeirTransformExport);
    };
}
