//! The worker's WebAssembly engine: one per worker. It compiles components (caching the
//! compiled code on disk, keyed by the component's hash), instantiates them in sandboxed
//! stores, and implements the host functions plugins import.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine};

use super::bindings::v0_1::{host, source, types};
use super::plugin::ComponentKind;
use super::sandbox::InstanceState;
use super::{WasmError, log_gate};
use crate::config::worker::WasmLimits;

/// How often the engine's epoch advances: the granularity of call time limits.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The interface version this worker speaks.
const INTERFACE: &str = "weir:connector";
const VERSION: &str = "0.1.0";

/// The engine, the linker of host functions, and the compiled-code cache.
pub struct WasmHost {
    engine: Engine,
    linker: Linker<InstanceState>,
    cache_dir: Option<PathBuf>,
    limits: WasmLimits,
}

impl WasmHost {
    /// A new engine; compiled components are cached in `cache_dir` when given; no connector may
    /// set limits past `limits`.
    pub fn new(cache_dir: Option<PathBuf>, limits: WasmLimits) -> Result<Arc<WasmHost>, WasmError> {
        let mut config = Config::new();
        config.wasm_component_model(true).epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| WasmError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| WasmError::Engine(format!("{e:#}")))?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(|e| WasmError::Engine(format!("{e:#}")))?;
        source::Source::add_to_linker::<InstanceState, HasSelf<InstanceState>>(&mut linker, |state| state)
            .map_err(|e| WasmError::Engine(format!("{e:#}")))?;
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("wasm-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .map_err(|e| WasmError::Engine(format!("starting the epoch thread: {e}")))?;
        Ok(Arc::new(WasmHost {
            engine,
            linker,
            cache_dir,
            limits,
        }))
    }

    /// The worker's ceilings on connectors' sandbox settings.
    pub fn limits(&self) -> &WasmLimits {
        &self.limits
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The linker with the host functions and WASI.
    pub fn linker(&self) -> &Linker<InstanceState> {
        &self.linker
    }

    /// Compiles a component file, or loads its compiled code from the cache. Blocking: call it
    /// off the async threads.
    pub fn compile(&self, file: &Path) -> Result<Component, WasmError> {
        let bytes = read_component(file)?;
        let mut hasher = Sha256::new();
        hasher.update(&bytes);
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        let digest: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let cached = self.cache_dir.as_ref().map(|dir| dir.join(format!("{digest}.cwasm")));
        if let Some(path) = &cached
            && path.exists()
        {
            // SAFETY: the file was written by `Component::serialize` of this same Weir build
            // (the key includes its version) into the worker's own cache directory.
            match unsafe { Component::deserialize_file(&self.engine, path) } {
                Ok(component) => return Ok(component),
                Err(e) => {
                    tracing::warn!(cache = %path.display(), error = %e, "compiled code unusable; compiling again")
                }
            }
        }
        let component = Component::new(&self.engine, &bytes).map_err(|e| WasmError::Invalid {
            file: file.to_owned(),
            reason: format!("{e:#}"),
        })?;
        if let Some(path) = &cached {
            store_compiled(path, &component);
        }
        Ok(component)
    }

    /// Which kind of plugin a component is, from the interface it exports.
    pub fn kind(&self, file: &Path, component: &Component) -> Result<ComponentKind, WasmError> {
        let invalid = |reason: String| WasmError::Invalid {
            file: file.to_owned(),
            reason,
        };
        let ty = component.component_type();
        for (name, _) in ty.exports(&self.engine) {
            let Some((interface, version)) = name.split_once('@') else {
                continue;
            };
            let kind = match interface.strip_prefix(INTERFACE) {
                Some("/source-connector") => ComponentKind::Source,
                Some("/sink-connector") => ComponentKind::Sink,
                Some("/transform") => ComponentKind::Transform,
                _ => continue,
            };
            if version != VERSION {
                return Err(invalid(format!(
                    "it speaks {INTERFACE}@{version}; this worker speaks {INTERFACE}@{VERSION}"
                )));
            }
            return Ok(kind);
        }
        Err(invalid(format!(
            "it exports none of {INTERFACE}/source-connector, {INTERFACE}/sink-connector, {INTERFACE}/transform"
        )))
    }
}

/// The most bytes a component file may have.
pub const MAX_COMPONENT_BYTES: u64 = 256 << 20;

/// Reads a component file: a regular file (not a FIFO, a device or a directory, which could
/// block or never end) of at most [`MAX_COMPONENT_BYTES`]. It is opened without blocking, and
/// what it is checked on the open file.
fn read_component(file: &Path) -> Result<Vec<u8>, WasmError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| WasmError::Io {
        file: file.to_owned(),
        source,
    };
    let invalid = |reason: String| WasmError::Invalid {
        file: file.to_owned(),
        reason,
    };
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(file)
        .map_err(io)?;
    let meta = opened.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(invalid("not a regular file".into()));
    }
    if meta.len() > MAX_COMPONENT_BYTES {
        return Err(invalid(format!(
            "{} bytes, more than a component may have ({MAX_COMPONENT_BYTES})",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    opened
        .take(MAX_COMPONENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_COMPONENT_BYTES {
        return Err(invalid(format!(
            "more than a component may have ({MAX_COMPONENT_BYTES} bytes)"
        )));
    }
    Ok(bytes)
}

/// Writes compiled code to the cache; a failure only costs a compilation next time.
fn store_compiled(path: &Path, component: &Component) {
    let written = component.serialize().map_err(|e| e.to_string()).and_then(|code| {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        // Unique per process: workers sharing a cache may compile the same component at once.
        let partial = path.with_extension(format!("{}.partial", std::process::id()));
        std::fs::write(&partial, code).map_err(|e| e.to_string())?;
        std::fs::rename(&partial, path).map_err(|e| e.to_string())
    });
    if let Err(e) = written {
        tracing::warn!(cache = %path.display(), error = %e, "could not cache compiled code");
    }
}

impl host::Host for InstanceState {
    /// A plugin's log message: at a bounded rate, cut to a bounded size, and kept in a field
    /// (escaped), so it can neither flood the log nor forge lines of it.
    fn log(&mut self, level: host::Level, message: String) {
        let plugin = self.plugin.clone();
        let gate = self.log_gate();
        if let Some((dropped, dropped_total)) = gate.report() {
            tracing::warn!(
                %plugin,
                dropped,
                dropped_total,
                "plugin log messages dropped: more than {} a second",
                log_gate::RATE_PER_SECOND
            );
        }
        if !gate.admit() {
            return;
        }
        let text = log_gate::clip(message);
        match level {
            host::Level::Trace => tracing::trace!(%plugin, text = ?text, "plugin log"),
            host::Level::Debug => tracing::debug!(%plugin, text = ?text, "plugin log"),
            host::Level::Info => tracing::info!(%plugin, text = ?text, "plugin log"),
            host::Level::Warn => tracing::warn!(%plugin, text = ?text, "plugin log"),
            host::Level::Error => tracing::error!(%plugin, text = ?text, "plugin log"),
        }
    }

    fn committed_offset(&mut self, source_partition: String) -> Option<String> {
        let partition = match serde_json::from_str(&source_partition) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return None,
        };
        let offset = self.offsets.as_ref()?.offset(&partition)?;
        Some(serde_json::Value::Object(offset).to_string())
    }
}

impl types::Host for InstanceState {}
