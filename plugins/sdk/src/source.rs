//! Source plugins: the trait a source implements, and the macro that exports it.

use crate::{Config, ConfigError, Error, PluginInfo, SourceRecord};

/// A source connector and its task. The host instantiates the plugin once per task, so the
/// task is a plain value: [`SourcePlugin::open`] makes it, the other methods use it.
pub trait SourcePlugin: Sized + 'static {
    /// The plugin's name (its `connector.class`), version and config keys.
    fn describe() -> PluginInfo;

    /// Checks beyond the declared keys; the default finds nothing wrong.
    fn validate(_config: &Config) -> Vec<ConfigError> {
        Vec::new()
    }

    /// Splits the connector config into task configs; the default runs one task.
    fn task_configs(config: &Config, _max_tasks: u32) -> Result<Vec<Config>, Error> {
        Ok(vec![config.clone()])
    }

    /// Starts the task; read committed offsets with [`crate::committed_offset`].
    fn open(config: &Config) -> Result<Self, Error>;

    /// At most `max` records; an empty list when none are ready.
    fn poll(&mut self, max: u32) -> Result<Vec<SourceRecord>, Error>;

    /// These offsets (source partition, source offset; JSON objects) are in Kafka.
    fn commit(&mut self, _offsets: Vec<(String, String)>) -> Result<(), Error> {
        Ok(())
    }

    /// Stops the task.
    fn close(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// Exports a [`SourcePlugin`] implementation as the component's `source-connector`.
#[macro_export]
macro_rules! source_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub struct __WeirSourceExport;

        $crate::__weir_slot!($plugin);

        impl $crate::source_bindings::exports::weir::connector::source_connector::Guest for __WeirSourceExport {
            fn describe() -> $crate::PluginInfo {
                <$plugin as $crate::SourcePlugin>::describe()
            }

            fn validate(config: Vec<(String, String)>) -> Vec<$crate::ConfigError> {
                <$plugin as $crate::SourcePlugin>::validate(&config.into())
            }

            fn task_configs(
                config: Vec<(String, String)>,
                max_tasks: u32,
            ) -> Result<Vec<Vec<(String, String)>>, $crate::Error> {
                let configs = <$plugin as $crate::SourcePlugin>::task_configs(&config.into(), max_tasks)?;
                Ok(configs.into_iter().map($crate::Config::into_pairs).collect())
            }

            fn open(config: Vec<(String, String)>) -> Result<(), $crate::Error> {
                let task = <$plugin as $crate::SourcePlugin>::open(&config.into())?;
                $crate::__slot::set(&__WEIR_PLUGIN, task);
                Ok(())
            }

            fn poll(max: u32) -> Result<Vec<$crate::SourceRecord>, $crate::Error> {
                $crate::__slot::with(&__WEIR_PLUGIN, "the task is not open", |task| {
                    <$plugin as $crate::SourcePlugin>::poll(task, max)
                })
            }

            fn commit(offsets: Vec<(String, String)>) -> Result<(), $crate::Error> {
                $crate::__slot::with(&__WEIR_PLUGIN, "the task is not open", |task| {
                    <$plugin as $crate::SourcePlugin>::commit(task, offsets)
                })
            }

            fn close() -> Result<(), $crate::Error> {
                match $crate::__slot::take(&__WEIR_PLUGIN) {
                    Some(mut task) => <$plugin as $crate::SourcePlugin>::close(&mut task),
                    None => Ok(()),
                }
            }
        }

        $crate::source_bindings::export_source_world!(__WeirSourceExport);
    };
}
