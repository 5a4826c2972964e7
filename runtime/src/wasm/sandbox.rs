//! The sandbox of a plugin instance: its limits, the capabilities its config grants, and the
//! store holding its state.
//!
//! Nothing is granted by default: no environment variable, no directory, no network. Memory is
//! capped by a [`StoreLimits`]; each call into the guest has a time budget enforced through
//! epoch interruption, yielding to other tasks meanwhile.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::http::HttpGrants;
use super::log_gate::LogGate;
use super::stderr::StderrTail;
use crate::config::worker::WasmLimits;
use weir_connector_api::config::ParsedConfig;
use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, ConnectError, Importance, OffsetReader, Props, Validator};

/// Linear memories an instance may have (each capped by `wasm.memory.max.bytes`): enough for
/// a component's own and its adapters', few enough to bound the total.
const MAX_MEMORIES: usize = 4;
/// Tables, table entries and core instances an instance may have.
const MAX_TABLES: usize = 64;
const MAX_TABLE_ELEMENTS: usize = 1 << 20;
const MAX_INSTANCES: usize = 256;
/// Host-side resources (streams, HTTP requests) an instance may hold at once.
const MAX_RESOURCES: usize = 4096;

/// The sandbox keys every WebAssembly connector accepts (Weir's own).
pub fn definition() -> ConfigDef {
    let group = "Sandbox";
    ConfigDef::new()
        .define(
            group,
            ConfigKey::new(
                "wasm.memory.max.bytes",
                ConfigType::Long,
                Importance::Medium,
                "The most linear memory a task's plugin instance may use.",
            )
            .default_value("134217728")
            .validator(Validator::at_least(1_048_576.0)),
        )
        .define(
            group,
            ConfigKey::new(
                "wasm.call.timeout.ms",
                ConfigType::Long,
                Importance::Medium,
                "The longest one call into the plugin (a poll, a put) may run before the task fails.",
            )
            .default_value("10000")
            .validator(Validator::at_least(10.0)),
        )
        .define(
            group,
            ConfigKey::new(
                "wasm.allow.env",
                ConfigType::List,
                Importance::Low,
                "Environment variables of the worker the plugin may read, by name.",
            )
            .default_value(""),
        )
        .define(
            group,
            ConfigKey::new(
                "wasm.allow.dirs",
                ConfigType::List,
                Importance::Low,
                "Directories the plugin may open: <path>, read-only, or <path>:rw; seen at the same path inside.",
            )
            .default_value(""),
        )
        .define(
            group,
            ConfigKey::new(
                "wasm.allow.http.hosts",
                ConfigType::List,
                Importance::Low,
                "Hosts (host or host:port) the plugin may send HTTP requests to.",
            )
            .default_value(""),
        )
}

/// A directory granted to a plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantedDir {
    /// The directory, on the worker and as the plugin sees it.
    pub path: PathBuf,
    /// Whether the plugin may write.
    pub writable: bool,
}

/// The limits and grants of one connector's instances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxSettings {
    /// The memory cap.
    pub memory_max_bytes: usize,
    /// The time budget of one call.
    pub call_timeout: Duration,
    /// Variables passed through from the worker's environment.
    pub env: Vec<String>,
    /// Directories opened to the plugin.
    pub dirs: Vec<GrantedDir>,
    /// Hosts the plugin may reach over HTTP.
    pub http_hosts: Vec<String>,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            memory_max_bytes: 128 << 20,
            call_timeout: Duration::from_secs(10),
            env: Vec::new(),
            dirs: Vec::new(),
            http_hosts: Vec::new(),
        }
    }
}

impl SandboxSettings {
    /// The settings a connector config gives, within the worker's ceilings.
    pub fn from_props(props: &Props, limits: &WasmLimits) -> Result<SandboxSettings, ConnectError> {
        let config: ParsedConfig = definition().parse(props)?;
        let list = |key: &str| config.list(key).unwrap_or_default().to_vec();
        let dirs: Vec<GrantedDir> = list("wasm.allow.dirs")
            .into_iter()
            .map(|entry| match entry.strip_suffix(":rw") {
                Some(path) => GrantedDir {
                    path: path.into(),
                    writable: true,
                },
                None => GrantedDir {
                    path: entry.strip_suffix(":ro").unwrap_or(&entry).into(),
                    writable: false,
                },
            })
            .collect();
        // The config is the cluster's; a relative path would mean each worker's own directory.
        if let Some(relative) = dirs.iter().find(|d| d.path.is_relative()) {
            return Err(ConnectError::Config(format!(
                "wasm.allow.dirs: {} is not an absolute path",
                relative.path.display()
            )));
        }
        let number = |key: &str| config.int(key).and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
        let settings = SandboxSettings {
            memory_max_bytes: usize::try_from(number("wasm.memory.max.bytes")).unwrap_or(usize::MAX),
            call_timeout: Duration::from_millis(number("wasm.call.timeout.ms")),
            env: list("wasm.allow.env"),
            dirs,
            http_hosts: list("wasm.allow.http.hosts"),
        };
        match settings.over_limits(limits).into_iter().next() {
            Some((_, error)) => Err(ConnectError::Config(error)),
            None => Ok(settings),
        }
    }

    /// The keys whose values pass the worker's ceilings, each with the error to report: a
    /// connector cannot raise its own limits past what the worker allows.
    pub fn over_limits(&self, limits: &WasmLimits) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        if self.call_timeout > limits.max_call_timeout {
            errors.push((
                "wasm.call.timeout.ms",
                format!(
                    "wasm.call.timeout.ms is {} ms; this worker allows at most {} ms (wasm.call.timeout.max.ms)",
                    self.call_timeout.as_millis(),
                    limits.max_call_timeout.as_millis()
                ),
            ));
        }
        if self.memory_max_bytes as u64 > limits.max_memory_bytes {
            errors.push((
                "wasm.memory.max.bytes",
                format!(
                    "wasm.memory.max.bytes is {}; this worker allows at most {} (wasm.memory.max.bytes.limit)",
                    self.memory_max_bytes, limits.max_memory_bytes
                ),
            ));
        }
        errors
    }
}

/// The table of host-side resources, bounded.
fn resource_table() -> ResourceTable {
    let mut table = ResourceTable::new();
    table.set_max_capacity(MAX_RESOURCES);
    table
}

/// What a task's store holds: the WASI context with its grants, the limits, and what the host
/// functions need.
pub struct InstanceState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    http_grants: HttpGrants,
    table: ResourceTable,
    limits: StoreLimits,
    memory_max_bytes: usize,
    stderr: StderrTail,
    /// The plugin's name, for logs.
    pub plugin: String,
    /// The committed offsets of a source task.
    pub offsets: Option<Arc<dyn OffsetReader>>,
    /// When the current call started, and its budget.
    call: Option<(Instant, Duration)>,
    /// Why the instance crashed, once it has: it cannot be called again.
    crashed: Option<String>,
    /// What the plugin may still log.
    log_gate: LogGate,
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            hooks: &mut self.http_grants,
            table: &mut self.table,
            ctx: &mut self.http,
        }
    }
}

impl InstanceState {
    /// The bounds on what the plugin logs.
    pub fn log_gate(&mut self) -> &mut LogGate {
        &mut self.log_gate
    }

    /// What the guest wrote to its standard error (a panic message, say), as text.
    pub fn stderr(&self) -> String {
        self.stderr.contents()
    }
}

/// A new store for one instance of a plugin, with the sandbox's grants and limits.
pub fn new_store(
    engine: &Engine,
    plugin: &str,
    settings: &SandboxSettings,
    offsets: Option<Arc<dyn OffsetReader>>,
) -> Result<Store<InstanceState>, ConnectError> {
    let stderr = StderrTail::default();
    let mut wasi = WasiCtxBuilder::new();
    wasi.stderr(stderr.clone());
    for name in &settings.env {
        if let Ok(value) = std::env::var(name) {
            wasi.env(name, value);
        }
    }
    for dir in &settings.dirs {
        let perms = if dir.writable {
            FsPerms::ReadWrite
        } else {
            FsPerms::ReadOnly
        };
        let guest_path = dir.path.to_string_lossy().into_owned();
        wasi.preopened_dir(&dir.path, &guest_path, perms)
            .map_err(|e| ConnectError::Config(format!("wasm.allow.dirs: cannot open {}: {e}", dir.path.display())))?;
    }
    let state = InstanceState {
        wasi: wasi.build(),
        http: WasiHttpCtx::new(),
        http_grants: HttpGrants::new(plugin, settings.http_hosts.clone()),
        table: resource_table(),
        limits: StoreLimitsBuilder::new()
            .memory_size(settings.memory_max_bytes)
            .memories(MAX_MEMORIES)
            .tables(MAX_TABLES)
            .table_elements(MAX_TABLE_ELEMENTS)
            .instances(MAX_INSTANCES)
            .trap_on_grow_failure(true)
            .build(),
        memory_max_bytes: settings.memory_max_bytes,
        stderr,
        plugin: plugin.to_owned(),
        offsets,
        call: None,
        crashed: None,
        log_gate: LogGate::default(),
    };
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.limits);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|context| {
        let state = context.data();
        match state.call {
            Some((started, budget)) if started.elapsed() > budget => Err(over_budget(budget)),
            // Let the worker's other tasks run, then continue.
            _ => Ok(UpdateDeadline::Yield(1)),
        }
    });
    Ok(store)
}

impl InstanceState {
    /// Starts the time budget of a call into the guest.
    fn begin_call(&mut self, budget: Duration) {
        self.call = Some((Instant::now(), budget));
    }

    /// Ends a call: its answer, the guest's own error, or a trap explained (the plugin, the
    /// call, the limit it crossed, what it wrote to standard error).
    fn end_call<R>(
        &mut self,
        call: &str,
        outcome: wasmtime::Result<Result<R, super::convert::GuestError>>,
    ) -> Result<R, ConnectError> {
        self.call = None;
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(super::convert::guest_error(
                error,
                &format!("plugin {} in {call}", self.plugin),
            )),
            Err(trap) => {
                if let Some(earlier) = &self.crashed {
                    return Err(ConnectError::Fatal(format!(
                        "plugin {} cannot run {call}: it crashed earlier: {earlier}",
                        self.plugin
                    )));
                }
                let error = explain_trap(self, call, &trap);
                self.crashed = Some(error.to_string());
                Err(error)
            }
        }
    }
}

/// How long past its budget a call may wait in a host function (an HTTP request) before it is
/// abandoned; guest code itself is stopped at the budget by epoch interruption.
const HOST_WAIT_GRACE: Duration = Duration::from_secs(1);

/// The error of a call that ran past its budget.
fn over_budget(budget: Duration) -> wasmtime::Error {
    wasmtime::Error::msg(format!(
        "ran longer than its limit of {} ms (wasm.call.timeout.ms)",
        budget.as_millis()
    ))
}

/// Runs one call into the guest: under its time budget (epoch interruption for guest code, the
/// wall clock for waits in host functions), and with a trap turned into a clear error naming the
/// plugin and the call.
pub async fn call_guest<R>(
    store: &mut Store<InstanceState>,
    budget: Duration,
    name: &str,
    call: impl AsyncFnOnce(&mut Store<InstanceState>) -> wasmtime::Result<Result<R, super::convert::GuestError>>,
) -> Result<R, ConnectError> {
    store.data_mut().begin_call(budget);
    let outcome = within(budget, call(&mut *store)).await;
    store.data_mut().end_call(name, outcome)
}

/// Bounds a call into the guest in wall-clock time too, so that a wait in a host function
/// cannot outlast the budget. An abandoned call leaves the instance unusable, like a trap.
async fn within<T>(budget: Duration, call: impl Future<Output = wasmtime::Result<T>>) -> wasmtime::Result<T> {
    match tokio::time::timeout(budget + HOST_WAIT_GRACE, call).await {
        Ok(outcome) => outcome,
        Err(_) => Err(over_budget(budget)),
    }
}

/// A crash of the guest as the task's failure reason.
fn explain_trap(state: &InstanceState, call: &str, trap: &wasmtime::Error) -> ConnectError {
    let chain = format!("{trap:#}");
    let reason = if chain.contains("growing memory") || chain.contains("forcing a memory growth failure") {
        format!(
            "exceeded its memory limit of {} bytes (wasm.memory.max.bytes)",
            state.memory_max_bytes
        )
    } else if chain.contains("wasm.call.timeout.ms") {
        trap.root_cause().to_string()
    } else if call == "instantiate" {
        format!("cannot be instantiated: {chain}")
    } else {
        format!("crashed: {chain}")
    };
    let stderr = state.stderr();
    let said = if stderr.is_empty() {
        String::new()
    } else {
        format!("; it wrote: {stderr}")
    };
    ConnectError::Fatal(format!("plugin {} {reason} in {call}{said}", state.plugin))
}
