//! Sink plugins: the trait a sink implements, and the macro that exports it.

use crate::{Config, ConfigError, Error, PluginInfo, SinkRecord, TopicPartitionOffset};

/// A sink connector and its task. The host instantiates the plugin once per task, so the task
/// is a plain value: [`SinkPlugin::open`] makes it, the other methods use it.
pub trait SinkPlugin: Sized + 'static {
    /// The plugin's name (its `connector.class`), version and config keys.
    fn describe() -> PluginInfo;

    /// Checks beyond the declared keys; the default finds nothing wrong.
    fn validate(_config: &Config) -> Vec<ConfigError> {
        Vec::new()
    }

    /// Splits the connector config into task configs; the default gives every task the
    /// connector's config (Kafka's consumer group shares the partitions among them).
    fn task_configs(config: &Config, max_tasks: u32) -> Result<Vec<Config>, Error> {
        Ok(vec![config.clone(); max_tasks.max(1) as usize])
    }

    /// Starts the task.
    fn open(config: &Config) -> Result<Self, Error>;

    /// Takes records; may buffer them until [`SinkPlugin::flush`]. Called with none when no
    /// record came for about a second. After a retriable error the host puts the same records
    /// again: recognise those already taken by their offsets.
    fn put(&mut self, records: Vec<SinkRecord>) -> Result<(), Error>;

    /// Makes every record put so far durable: the host commits `offsets` after this.
    fn flush(&mut self, _offsets: Vec<TopicPartitionOffset>) -> Result<(), Error> {
        Ok(())
    }

    /// Stops the task.
    fn close(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// Exports a [`SinkPlugin`] implementation as the component's `sink-connector`.
#[macro_export]
macro_rules! sink_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub struct __WeirSinkExport;

        $crate::__weir_slot!($plugin);

        impl $crate::sink_bindings::exports::weir::connector::sink_connector::Guest for __WeirSinkExport {
            fn describe() -> $crate::PluginInfo {
                <$plugin as $crate::SinkPlugin>::describe()
            }

            fn validate(config: Vec<(String, String)>) -> Vec<$crate::ConfigError> {
                <$plugin as $crate::SinkPlugin>::validate(&config.into())
            }

            fn task_configs(
                config: Vec<(String, String)>,
                max_tasks: u32,
            ) -> Result<Vec<Vec<(String, String)>>, $crate::Error> {
                let configs = <$plugin as $crate::SinkPlugin>::task_configs(&config.into(), max_tasks)?;
                Ok(configs.into_iter().map($crate::Config::into_pairs).collect())
            }

            fn open(config: Vec<(String, String)>) -> Result<(), $crate::Error> {
                let task = <$plugin as $crate::SinkPlugin>::open(&config.into())?;
                $crate::__slot::set(&__WEIR_PLUGIN, task);
                Ok(())
            }

            fn put(records: Vec<$crate::SinkRecord>) -> Result<(), $crate::Error> {
                $crate::__slot::with(&__WEIR_PLUGIN, "the task is not open", |task| {
                    <$plugin as $crate::SinkPlugin>::put(task, records)
                })
            }

            fn flush(offsets: Vec<$crate::TopicPartitionOffset>) -> Result<(), $crate::Error> {
                $crate::__slot::with(&__WEIR_PLUGIN, "the task is not open", |task| {
                    <$plugin as $crate::SinkPlugin>::flush(task, offsets)
                })
            }

            fn close() -> Result<(), $crate::Error> {
                match $crate::__slot::take(&__WEIR_PLUGIN) {
                    Some(mut task) => <$plugin as $crate::SinkPlugin>::close(&mut task),
                    None => Ok(()),
                }
            }
        }

        $crate::sink_bindings::export_sink_world!(__WeirSinkExport);
    };
}
