//! Write Weir plugins in Rust: implement [`SourcePlugin`], [`SinkPlugin`] or
//! [`TransformPlugin`], add one macro line ([`source_plugin!`], [`sink_plugin!`] or
//! [`transform_plugin!`]), and build with `cargo build --release --target wasm32-wasip2`. Drop
//! the `.wasm` file into the worker's `plugin.path`.
//!
//! The crate speaks `weir:connector@0.1.0` (the WIT files in the repository's `wit/`). Enable
//! the feature of your plugin's kind, `source`, `sink` or `transform` (the `record-transform`
//! world), and only that one: each generates the bindings of its world, and a component exports
//! every world it links. (Several at once do build, as `cargo clippy --workspace` builds the
//! crate: the worlds then share one set of types.)
//!
//! A source:
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
//!
//! A transform (a Single Message Transform), configured once and then given batches of records;
//! `plugins/pii-mask` is a complete one:
//!
//! ```ignore
//! use weir_plugin_sdk::*;
//!
//! struct Retopic { topic: String }
//!
//! impl TransformPlugin for Retopic {
//!     fn describe() -> PluginInfo {
//!         PluginInfo::new("retopic", "0.1.0").key(ConfigKey::string("topic", "Where records go instead."))
//!     }
//!     fn configure(config: &Config) -> Result<Self, Error> {
//!         Ok(Retopic { topic: config.require("topic")?.to_owned() })
//!     }
//!     fn apply(&mut self, records: Vec<SourceRecord>) -> Result<Vec<SourceRecord>, Error> {
//!         Ok(records.into_iter().map(|record| SourceRecord { topic: self.topic.clone(), ..record }).collect())
//!     }
//! }
//!
//! transform_plugin!(Retopic);
//! ```

/// Generates the bindings of a WIT world of `wit/v0.1` in the module it is called in, with the
/// export macro the plugin macro of that world calls. With `shared`, the world uses the types
/// and host interface of the world generated first ([`wit`]) instead of generating its own: that
/// is how several features can be enabled at once (as `cargo clippy --workspace` builds the SDK)
/// while the SDK's types stay one set.
macro_rules! world_bindings {
    ($world:literal, $export_macro:literal, $module:literal) => {
        wit_bindgen::generate!({
            path: "../../wit/v0.1",
            world: $world,
            pub_export_macro: true,
            export_macro_name: $export_macro,
            default_bindings_module: $module,
        });
    };
    ($world:literal, $export_macro:literal, $module:literal, shared) => {
        wit_bindgen::generate!({
            path: "../../wit/v0.1",
            world: $world,
            pub_export_macro: true,
            export_macro_name: $export_macro,
            default_bindings_module: $module,
            with: {
                "weir:connector/types@0.1.0": crate::wit::types,
                "weir:connector/host@0.1.0": crate::wit::host,
            },
        });
    };
}

mod config;
mod payload;

#[cfg(feature = "sink")]
mod sink;
#[cfg(feature = "source")]
mod source;
#[cfg(feature = "transform")]
mod transform;

pub use config::Config;
#[cfg(feature = "sink")]
pub use sink::SinkPlugin;
#[cfg(feature = "source")]
pub use source::SourcePlugin;
#[cfg(feature = "transform")]
pub use transform::TransformPlugin;

/// The generated bindings of the `source` world.
#[cfg(feature = "source")]
pub mod source_bindings {
    world_bindings!("source", "export_source_world", "weir_plugin_sdk::source_bindings");
}

/// The generated bindings of the `sink` world; with `source` too, on the source world's types.
#[cfg(feature = "sink")]
pub mod sink_bindings {
    #[cfg(not(feature = "source"))]
    world_bindings!("sink", "export_sink_world", "weir_plugin_sdk::sink_bindings");
    #[cfg(feature = "source")]
    world_bindings!("sink", "export_sink_world", "weir_plugin_sdk::sink_bindings", shared);
}

/// The generated bindings of the `record-transform` world; with `source` or `sink` too, on the
/// types of the world generated first.
#[cfg(feature = "transform")]
pub mod transform_bindings {
    #[cfg(not(any(feature = "source", feature = "sink")))]
    world_bindings!(
        "record-transform",
        "export_transform_world",
        "weir_plugin_sdk::transform_bindings"
    );
    #[cfg(any(feature = "source", feature = "sink"))]
    world_bindings!(
        "record-transform",
        "export_transform_world",
        "weir_plugin_sdk::transform_bindings",
        shared
    );
}

// `wit`: the interfaces every world shares (`types`, `host`), from the world generated first.
#[cfg(feature = "source")]
use source_bindings::weir::connector as wit;

#[cfg(all(feature = "sink", not(feature = "source")))]
use sink_bindings::weir::connector as wit;

#[cfg(all(feature = "transform", not(any(feature = "source", feature = "sink"))))]
use transform_bindings::weir::connector as wit;

pub use wit::host::{Level, committed_offset};
pub use wit::types::{
    ConfigError, ConfigKey, ConfigType, Data, Error, Header, Importance, Payload, PluginInfo, SinkRecord, SourceRecord,
    TopicPartitionOffset,
};

/// Declares the global holding this instance's plugin value (a source or sink task, a
/// configured transform), which the functions of [`__slot`] take: the host runs one per
/// instance. Used by [`source_plugin!`], [`sink_plugin!`] and [`transform_plugin!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __weir_slot {
    ($plugin:ty) => {
        thread_local! {
            static __WEIR_PLUGIN: ::std::cell::RefCell<Option<$plugin>> = const { ::std::cell::RefCell::new(None) };
        }
    };
}

#[doc(hidden)]
pub mod __slot {
    //! The value a plugin instance holds between calls (a source or sink task, a configured
    //! transform), in a global of the plugin's crate: the host runs one per instance. The plugin
    //! macros declare the global with [`__weir_slot!`](crate::__weir_slot) and go through these
    //! functions.

    use std::cell::RefCell;
    use std::thread::LocalKey;

    use super::Error;

    /// The global a plugin macro declares: empty until the plugin opens or is configured.
    pub type Slot<T> = LocalKey<RefCell<Option<T>>>;

    /// Puts `value` in the slot, dropping the one it held.
    pub fn set<T>(slot: &'static Slot<T>, value: T) {
        slot.with(|slot| *slot.borrow_mut() = Some(value));
    }

    /// Takes the value out, leaving the slot empty.
    pub fn take<T>(slot: &'static Slot<T>) -> Option<T> {
        slot.with(|slot| slot.borrow_mut().take())
    }

    /// Calls `f` with the value, or fails the call with `missing` when the slot is empty.
    pub fn with<T, R>(
        slot: &'static Slot<T>,
        missing: &str,
        f: impl FnOnce(&mut T) -> Result<R, Error>,
    ) -> Result<R, Error> {
        slot.with(|slot| match slot.borrow_mut().as_mut() {
            Some(value) => f(value),
            None => Err(Error::Fatal(missing.to_owned())),
        })
    }
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
