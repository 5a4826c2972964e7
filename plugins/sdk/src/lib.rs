//! Write Weir connectors in Rust: implement [`SourcePlugin`] or [`SinkPlugin`], add one macro
//! line ([`source_plugin!`] or [`sink_plugin!`]), and build with
//! `cargo build --release --target wasm32-wasip2`. Drop the `.wasm` file into the worker's
//! `plugin.path`.
//!
//! The crate speaks `weir:connector@0.1.0` (the WIT files in the repository's `wit/`). Enable
//! the feature of your plugin's kind, `source` or `sink`, and only that one.
//!
//! ```ignore
//! use weir_plugin_sdk::*;
//!
//! struct Counter { next: u64 }
//!
//! impl SourcePlugin for Counter {
//!     fn describe() -> PluginInfo {
//!         PluginInfo::new("counter", "0.1.0").key(ConfigKey::string("topic", "Where records go."))
//!     }
//!     fn open(config: &Config) -> Result<Self, Error> {
//!         Ok(Counter { next: 0 })
//!     }
//!     fn poll(&mut self, max: u32) -> Result<Vec<SourceRecord>, Error> {
//!         ...
//!     }
//! }
//!
//! source_plugin!(Counter);
//! ```

mod config;
mod payload;

#[cfg(feature = "sink")]
mod sink;
#[cfg(feature = "source")]
mod source;

pub use config::Config;
#[cfg(feature = "sink")]
pub use sink::SinkPlugin;
#[cfg(feature = "source")]
pub use source::SourcePlugin;

/// The generated bindings of the `source` world.
#[cfg(feature = "source")]
pub mod source_bindings {
    wit_bindgen::generate!({
        path: "../../wit/v0.1",
        world: "source",
        pub_export_macro: true,
        export_macro_name: "export_source_world",
        default_bindings_module: "weir_plugin_sdk::source_bindings",
    });
}

/// The generated bindings of the `sink` world.
#[cfg(all(feature = "sink", not(feature = "source")))]
pub mod sink_bindings {
    wit_bindgen::generate!({
        path: "../../wit/v0.1",
        world: "sink",
        pub_export_macro: true,
        export_macro_name: "export_sink_world",
        default_bindings_module: "weir_plugin_sdk::sink_bindings",
    });
}

/// With both features (as `cargo clippy --workspace` builds it), the sink world shares the
/// source world's types.
#[cfg(all(feature = "sink", feature = "source"))]
pub mod sink_bindings {
    wit_bindgen::generate!({
        path: "../../wit/v0.1",
        world: "sink",
        pub_export_macro: true,
        export_macro_name: "export_sink_world",
        default_bindings_module: "weir_plugin_sdk::sink_bindings",
        with: {
            "weir:connector/types@0.1.0": crate::source_bindings::weir::connector::types,
            "weir:connector/host@0.1.0": crate::source_bindings::weir::connector::host,
        },
    });
}

#[cfg(feature = "source")]
use source_bindings::weir::connector as wit;

#[cfg(all(feature = "sink", not(feature = "source")))]
use sink_bindings::weir::connector as wit;

pub use wit::host::{Level, committed_offset};
pub use wit::types::{
    ConfigError, ConfigKey, ConfigType, Data, Error, Header, Importance, Payload, PluginInfo, SinkRecord, SourceRecord,
    TopicPartitionOffset,
};

/// The task of this instance, in a global: the host runs one task per instance. Used by
/// [`source_plugin!`] and [`sink_plugin!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __weir_task_slot {
    ($plugin:ty) => {
        thread_local! {
            static __WEIR_TASK: ::std::cell::RefCell<Option<$plugin>> = const { ::std::cell::RefCell::new(None) };
        }

        fn __weir_set_task(task: $plugin) {
            __WEIR_TASK.with(|slot| *slot.borrow_mut() = Some(task));
        }

        fn __weir_take_task() -> Option<$plugin> {
            __WEIR_TASK.with(|slot| slot.borrow_mut().take())
        }

        fn __weir_with_task<R>(f: impl FnOnce(&mut $plugin) -> Result<R, $crate::Error>) -> Result<R, $crate::Error> {
            __WEIR_TASK.with(|task| match task.borrow_mut().as_mut() {
                Some(task) => f(task),
                None => Err($crate::Error::Fatal("the task is not open".into())),
            })
        }
    };
}

/// Writes to the worker's log, inside the task's span.
pub fn log(level: Level, message: &str) {
    wit::host::log(level, message);
}

impl PluginInfo {
    /// A plugin with no config keys yet.
    pub fn new(name: &str, version: &str) -> PluginInfo {
        PluginInfo {
            name: name.to_owned(),
            version: version.to_owned(),
            config: Vec::new(),
        }
    }

    /// Declares a config key.
    pub fn key(mut self, key: ConfigKey) -> PluginInfo {
        self.config.push(key);
        self
    }
}

impl ConfigKey {
    /// A required key of a type.
    pub fn new(name: &str, kind: ConfigType, documentation: &str) -> ConfigKey {
        ConfigKey {
            name: name.to_owned(),
            type_: kind,
            default_value: None,
            importance: Importance::Medium,
            documentation: documentation.to_owned(),
            group: None,
            allowed_values: Vec::new(),
            min: None,
            max: None,
        }
    }

    /// A required string key.
    pub fn string(name: &str, documentation: &str) -> ConfigKey {
        ConfigKey::new(name, ConfigType::String, documentation)
    }

    /// A required 64-bit integer key.
    pub fn long(name: &str, documentation: &str) -> ConfigKey {
        ConfigKey::new(name, ConfigType::Long, documentation)
    }

    /// The key's default: it is no longer required.
    pub fn default_value(mut self, value: &str) -> ConfigKey {
        self.default_value = Some(value.to_owned());
        self
    }

    /// The values the key may take.
    pub fn one_of(mut self, values: &[&str]) -> ConfigKey {
        self.allowed_values = values.iter().map(|v| v.to_string()).collect();
        self
    }

    /// Bounds of a number, inclusive.
    pub fn between(mut self, min: Option<f64>, max: Option<f64>) -> ConfigKey {
        self.min = min;
        self.max = max;
        self
    }

    /// How much the key matters.
    pub fn importance(mut self, importance: Importance) -> ConfigKey {
        self.importance = importance;
        self
    }
}

impl Error {
    /// A failure that ends the task.
    pub fn fatal(message: impl std::fmt::Display) -> Error {
        Error::Fatal(message.to_string())
    }

    /// A transient failure: the host calls again after a back-off.
    pub fn retriable(message: impl std::fmt::Display) -> Error {
        Error::Retriable(message.to_string())
    }

    /// An unusable configuration.
    pub fn config(message: impl std::fmt::Display) -> Error {
        Error::Config(message.to_string())
    }
}
