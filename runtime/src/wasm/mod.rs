//! WebAssembly connectors: components implementing `weir:connector` (the WIT in `wit/`), run
//! by wasmtime in a sandbox per task, registered beside the built-in connectors.

mod bindings;
mod connector;
mod convert;
mod host;
mod http;
mod instance;
mod log_gate;
mod plugin;
mod registry;
mod sandbox;
mod sink_task;
mod source_task;
mod stderr;
mod transform;

use std::path::PathBuf;

pub use connector::WasmConnector;
pub use host::WasmHost;
pub use plugin::LoadedPlugin;
pub use registry::WasmPlugins;
pub use transform::WasmTransformPlugin;

/// What can go wrong with the engine or a component file.
#[derive(Debug, thiserror::Error)]
pub enum WasmError {
    /// The engine could not be set up.
    #[error("the WebAssembly engine: {0}")]
    Engine(String),
    /// A file could not be read.
    #[error("reading {}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not a usable component.
    #[error("{} is not a usable plugin: {reason}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Why.
        reason: String,
    },
}
