//! The worker config: a flat YAML map with Kafka Connect's key names.
//!
//! Every key is checked at start; an unknown key or a bad value stops the worker with a message
//! naming the key. `producer.*`, `consumer.*` and `admin.*` keys go to the Kafka clients as they
//! are (minus the prefix), which is how TLS and SASL are set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use weir_connector_api::config::ParsedConfig;
use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, Importance, Props, Validator};

use crate::config::broker_security::{self, BrokerSecurity, SecurityProtocol};
use crate::config::client_overrides::{self, ClientOverridePolicy};
use crate::config::providers::ConfigProviders;
use crate::config::rest_listeners::{self, Listener, RestTlsSettings, Scheme};
use crate::config::restart::RestartPolicy;
use crate::group::ConnectProtocol;
use crate::metrics::history::HistorySettings;
use crate::model::MacAlgorithm;

/// Why a worker config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WorkerConfigError {
    /// The file could not be read.
    #[error("cannot read worker config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a flat YAML map.
    #[error("worker config is not a flat YAML map of keys to values: {0}")]
    Syntax(String),
    /// One or more keys are unknown or have bad values.
    #[error("invalid worker config:\n  {}", .0.join("\n  "))]
    Invalid(Vec<String>),
}

/// Prefixes whose keys are passed through (the converters' own keys, the Kafka clients', and
/// the config providers', checked by [`ConfigProviders::from_worker`]).
const PASS_THROUGH_PREFIXES: [&str; 7] = [
    "config.providers.",
    "key.converter.",
    "value.converter.",
    "header.converter.",
    "producer.",
    "consumer.",
    "admin.",
];

/// An internal topic's name, partition count and replication factor.
#[derive(Clone, Debug, PartialEq)]
pub struct InternalTopic {
    /// The topic name.
    pub name: String,
    /// Its partition count.
    pub partitions: i32,
    /// Its replication factor; -1 takes the broker's default.
    pub replication_factor: i32,
}

/// The parsed worker config.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// `bootstrap.servers`.
    pub bootstrap_servers: String,
    /// `group.id`: the workers sharing one set of connectors.
    pub group_id: String,
    /// The REST API's listeners (`listeners`).
    pub listeners: Vec<Listener>,
    /// Where `/admin` is served (`admin.listeners`): `None` on [`listeners`](Self::listeners),
    /// else on these alone (none: nowhere).
    pub admin_listeners: Option<Vec<Listener>>,
    /// The TLS of the `https://` listeners, when there is one.
    pub rest_tls: Option<RestTlsSettings>,
    /// This worker's REST URL as other workers reach it
    /// (`<advertised listener>://<advertised host>:<port>/`).
    pub advertised_url: String,
    /// How this worker takes part in its group.
    pub group: GroupSettings,
    /// How workers sign their requests to each other.
    pub inter_worker: InterWorkerKeys,
    /// The `host:port` this worker is known by (`worker_id` in statuses).
    pub worker_id: String,
    /// The config topic.
    pub config_topic: InternalTopic,
    /// The offsets topic.
    pub offset_topic: InternalTopic,
    /// The status topic.
    pub status_topic: InternalTopic,
    /// Whether source tasks deliver exactly once (`exactly.once.source.support=enabled`).
    pub exactly_once_source: bool,
    /// `topic.creation.enable`: whether source connectors' `topic.creation.*` settings create
    /// the topics their records go to.
    pub topic_creation: bool,
    /// Whether the topics tasks use are recorded (`topic.tracking.enable`).
    pub topic_tracking: bool,
    /// Whether a connector's recorded topics may be reset (`topic.tracking.allow.reset`).
    pub topic_tracking_reset: bool,
    /// How often source offsets and sink consumer offsets are committed.
    pub offset_flush_interval: Duration,
    /// How long a final offset commit may take at shutdown.
    pub offset_flush_timeout: Duration,
    /// How long a task may take to stop before it is abandoned.
    pub task_shutdown_timeout: Duration,
    /// The default key converter class, and its `key.converter.*` settings.
    pub key_converter: (String, Props),
    /// The default value converter class, and its `value.converter.*` settings.
    pub value_converter: (String, Props),
    /// The default header converter class, and its `header.converter.*` settings.
    pub header_converter: (String, Props),
    /// Directories scanned for plugins.
    pub plugin_path: Vec<PathBuf>,
    /// Where compiled WebAssembly plugins are cached, if anywhere.
    pub plugin_cache_dir: Option<PathBuf>,
    /// How the worker reaches its brokers (`security.protocol`, `sasl.*`, `ssl.*`): its group
    /// membership, and the base of every Kafka client.
    pub broker_security: BrokerSecurity,
    /// `producer.*` settings, prefix removed, in librdkafka's names.
    pub producer: Props,
    /// `consumer.*` settings, prefix removed, in librdkafka's names.
    pub consumer: Props,
    /// `admin.*` settings, prefix removed, in librdkafka's names.
    pub admin: Props,
    /// The REST API's bounds on its clients.
    pub rest: RestLimits,
    /// The most a WebAssembly connector's config may grant itself.
    pub wasm: WasmLimits,
    /// Whether the web console is served (`console.enable`).
    pub console: bool,
    /// Who may call the REST API (`rest.auth.credentials.file`); `None`: anyone.
    pub rest_credentials: Option<PathBuf>,
    /// How each task's throughput is sampled and kept for the console (`console.history.*`).
    pub history: HistorySettings,
    /// Whether and when failed tasks are restarted (`task.restart.*`).
    pub restart: RestartPolicy,
    /// What `${provider:...}` references in connector configs resolve with (`config.providers`).
    pub config_providers: ConfigProviders,
    /// Which client settings connectors may override (`connector.client.config.override.*`).
    pub client_overrides: ClientOverridePolicy,
}

/// How a worker takes part in its group: Kafka Connect's distributed-mode keys.
#[derive(Clone, Debug)]
pub struct GroupSettings {
    /// `connect.protocol`.
    pub protocol: ConnectProtocol,
    /// `session.timeout.ms`: how long the coordinator waits for a heartbeat before it drops
    /// the worker (and the worker stops its work).
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `rebalance.timeout.ms`: how long members may take to rejoin.
    pub rebalance_timeout: Duration,
    /// `worker.sync.timeout.ms`: how long reading the config topic to an assignment's offset
    /// may take.
    pub sync_timeout: Duration,
    /// `worker.unsync.backoff.ms`: how long a worker that could not read that far stays out.
    pub unsync_backoff: Duration,
    /// `scheduled.rebalance.max.delay.ms`: how long a departed worker's work waits for it.
    pub max_delay: Duration,
}

/// How workers sign their requests to each other: Kafka Connect's `inter.worker.*` keys.
#[derive(Clone, Debug)]
pub struct InterWorkerKeys {
    /// `inter.worker.key.generation.algorithm`.
    pub key_algorithm: MacAlgorithm,
    /// `inter.worker.key.size`, in bits (the algorithm's default when unset).
    pub key_bits: usize,
    /// `inter.worker.key.ttl.ms`: how often the leader rotates the key.
    pub key_ttl: Duration,
    /// `inter.worker.signature.algorithm`.
    pub signature_algorithm: MacAlgorithm,
    /// `inter.worker.verification.algorithms`.
    pub verification_algorithms: Vec<MacAlgorithm>,
}

/// The REST API's bounds on its clients (Weir's keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestLimits {
    /// `rest.request.max.bytes` and `rest.request.max.depth`.
    pub body: BodyLimits,
    /// `rest.header.read.timeout.ms` and `rest.max.connections`.
    pub connections: ConnectionLimits,
}

/// How large and how deep a request body may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimits {
    /// The most bytes of a body.
    pub max_bytes: usize,
    /// The deepest nesting of a body's maps and lists.
    pub max_depth: usize,
}

/// How the REST server bounds its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's head; then its connection is closed.
    pub header_read_timeout: Duration,
    /// How many connections may be open at once; one more is closed as soon as it is accepted.
    pub max_connections: usize,
}

/// The worker's ceilings on what a WebAssembly connector's config may set (Weir's keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WasmLimits {
    /// `wasm.call.timeout.max.ms`: the most `wasm.call.timeout.ms` may be.
    pub max_call_timeout: Duration,
    /// `wasm.memory.max.bytes.limit`: the most `wasm.memory.max.bytes` may be.
    pub max_memory_bytes: u64,
}

impl WasmLimits {
    /// No ceiling.
    pub const UNBOUNDED: WasmLimits = WasmLimits {
        max_call_timeout: Duration::MAX,
        max_memory_bytes: u64::MAX,
    };
}

/// The declared worker keys (the pass-through prefixes aside).
fn definition() -> ConfigDef {
    let key = |name: &str, kind: ConfigType, doc: &str| ConfigKey::new(name, kind, Importance::High, doc);
    let topic = |prefix: &str, name: &str, partitions: Option<&str>| {
        let mut def = ConfigDef::new()
            .define(
                "Internal topics",
                key(
                    &format!("{prefix}.storage.topic"),
                    ConfigType::String,
                    "Name of the internal topic.",
                )
                .default_value(name)
                .validator(Validator::NonEmpty),
            )
            .define(
                "Internal topics",
                key(
                    &format!("{prefix}.storage.replication.factor"),
                    ConfigType::Short,
                    "Replication factor of the internal topic; -1 for the broker's default.",
                )
                .default_value("3")
                .validator(Validator::between(-1.0, 32767.0)),
            );
        if let Some(partitions) = partitions {
            def = def.define(
                "Internal topics",
                key(
                    &format!("{prefix}.storage.partitions"),
                    ConfigType::Int,
                    "Partition count of the internal topic.",
                )
                .default_value(partitions)
                .validator(Validator::at_least(1.0)),
            );
        }
        def
    };
    let millis = |name: &str, default: &str, doc: &str| {
        key(name, ConfigType::Long, doc)
            .default_value(default)
            .validator(Validator::at_least(0.0))
    };
    let def = ConfigDef::new()
        .define(
            "Worker",
            key(
                "bootstrap.servers",
                ConfigType::List,
                "Kafka brokers to connect to, host:port,...",
            )
            .default_value("localhost:9092")
            .validator(Validator::NonEmpty),
        )
        .define(
            "Worker",
            key(
                "group.id",
                ConfigType::String,
                "The group of workers sharing connectors.",
            )
            .validator(Validator::NonEmpty),
        )
        .define(
            "Worker",
            key(
                "listeners",
                ConfigType::List,
                "The REST API's listeners: http://host:port or https://host:port, separated by commas.",
            )
            .default_value("http://127.0.0.1:8083"),
        )
        .define(
            "Worker",
            key(
                "admin.listeners",
                ConfigType::List,
                "Where the /admin endpoints are served: http:// or https:// URLs (an https one with the listeners.https.ssl.* settings), separated by commas; empty: nowhere; unset: on the listeners.",
            )
            .default_null(),
        )
        .define(
            "Worker",
            key(
                "rest.advertised.host.name",
                ConfigType::String,
                "The host name other workers and statuses use for this worker.",
            )
            .default_value(""),
        )
        .define(
            "Worker",
            key(
                "rest.advertised.port",
                ConfigType::Int,
                "The port other workers and statuses use for this worker.",
            )
            .default_value("0")
            .validator(Validator::between(0.0, 65535.0)),
        )
        .define(
            "Worker",
            key(
                "rest.advertised.listener",
                ConfigType::String,
                "The listener other workers reach this worker by, http or https; unset: http if a listener is http, else https.",
            )
            .default_null()
            .validator(Validator::one_of_ignoring_case(&["http", "https"])),
        )
        .define(
            "Group",
            key(
                "connect.protocol",
                ConfigType::String,
                "How the group rebalances: sessioned (incremental, with signed requests between workers) or compatible (incremental). Kafka Connect's eager mode is not supported.",
            )
            .default_value("sessioned")
            .validator(Validator::one_of(&["sessioned", "compatible"])),
        )
        .define(
            "Group",
            millis(
                "session.timeout.ms",
                "10000",
                "How long the group coordinator waits for a worker's heartbeat before it drops the worker; a worker cut off that long stops its work.",
            ),
        )
        .define(
            "Group",
            millis("heartbeat.interval.ms", "3000", "How often a worker heartbeats to the group coordinator."),
        )
        .define(
            "Group",
            millis("rebalance.timeout.ms", "60000", "How long the workers may take to rejoin when the group rebalances."),
        )
        .define(
            "Group",
            millis(
                "worker.sync.timeout.ms",
                "3000",
                "How long a worker may take to read the config topic to its assignment's offset.",
            ),
        )
        .define(
            "Group",
            millis(
                "worker.unsync.backoff.ms",
                "300000",
                "How long a worker that could not read the config topic that far stays out of the group.",
            ),
        )
        .define(
            "Group",
            millis(
                "scheduled.rebalance.max.delay.ms",
                "5000",
                "How long the work of a departed worker waits for it to come back before it goes to the others (Kafka Connect's default is 300000).",
            ),
        )
        .define(
            "Group",
            key(
                "inter.worker.key.generation.algorithm",
                ConfigType::String,
                "The algorithm of the session key the leader generates.",
            )
            .default_value("HmacSHA256")
            .validator(Validator::one_of(&MacAlgorithm::ALL.map(MacAlgorithm::name))),
        )
        .define(
            "Group",
            key(
                "inter.worker.key.size",
                ConfigType::Int,
                "The session key's size in bits; unset for the algorithm's default.",
            )
            .default_null()
            .validator(Validator::between(8.0, 8192.0)),
        )
        .define(
            "Group",
            millis("inter.worker.key.ttl.ms", "3600000", "How often the leader rotates the session key."),
        )
        .define(
            "Group",
            key(
                "inter.worker.signature.algorithm",
                ConfigType::String,
                "The algorithm that signs requests between workers.",
            )
            .default_value("HmacSHA256")
            .validator(Validator::one_of(&MacAlgorithm::ALL.map(MacAlgorithm::name))),
        )
        .define(
            "Group",
            key(
                "inter.worker.verification.algorithms",
                ConfigType::List,
                "The algorithms a worker accepts signatures of; must include inter.worker.signature.algorithm.",
            )
            .default_value("HmacSHA256"),
        )
        .define(
            "REST limits",
            key(
                "rest.request.max.bytes",
                ConfigType::Int,
                "The largest request body the REST API reads (a larger one is answered 413).",
            )
            .default_value("1048576")
            .validator(Validator::at_least(1024.0)),
        )
        .define(
            "REST limits",
            key(
                "rest.request.max.depth",
                ConfigType::Int,
                "The deepest nesting of maps and lists a request body may have (deeper is answered 400).",
            )
            .default_value("64")
            .validator(Validator::between(2.0, 1000.0)),
        )
        .define(
            "REST limits",
            millis(
                "rest.header.read.timeout.ms",
                "10000",
                "How long a client may take to send a request's head before its connection is closed.",
            )
            .validator(Validator::at_least(100.0)),
        )
        .define(
            "REST limits",
            key(
                "rest.max.connections",
                ConfigType::Int,
                "How many REST connections may be open at once; more are closed when accepted.",
            )
            .default_value("512")
            .validator(Validator::at_least(1.0)),
        )
        .define(
            "WebAssembly limits",
            millis(
                "wasm.call.timeout.max.ms",
                "60000",
                "The most a connector's wasm.call.timeout.ms may be.",
            )
            .validator(Validator::at_least(10.0)),
        )
        .define(
            "WebAssembly limits",
            key(
                "wasm.memory.max.bytes.limit",
                ConfigType::Long,
                "The most a connector's wasm.memory.max.bytes may be.",
            )
            .default_value("1073741824")
            .validator(Validator::at_least(1_048_576.0)),
        )
        .define(
            "Worker",
            key(
                client_overrides::POLICY_KEY,
                ConfigType::String,
                "Which Kafka client settings a connector may override (producer.override.*, consumer.override.*, admin.override.*): None, Principal (its SASL identity), All, or Allowlist (those of connector.client.config.override.allowlist).",
            )
            .default_value("Allowlist")
            .validator(Validator::one_of_ignoring_case(&client_overrides::POLICY_NAMES)),
        )
        .define(
            "Worker",
            key(
                client_overrides::ALLOWLIST_KEY,
                ConfigType::List,
                "The client settings a connector may override under the Allowlist policy.",
            )
            .default_value(client_overrides::DEFAULT_ALLOWLIST),
        )
        .define(
            "Worker",
            key(
                "config.providers",
                ConfigType::List,
                "Names of the config providers that resolve ${name:path:key} references in connector configs; each needs config.providers.<name>.class.",
            )
            .default_value(""),
        )
        .define(
            "REST limits",
            key(
                "rest.auth.credentials.file",
                ConfigType::String,
                "A YAML file of the users (Argon2id password hashes) and bearer tokens (SHA-256 digests) allowed to call the REST API, each a viewer or an admin; empty leaves the API open.",
            )
            .default_value(""),
        )
        .define(
            "Console",
            key(
                "console.enable",
                ConfigType::Boolean,
                "Whether the worker serves its web console at /ui/.",
            )
            .default_value("true"),
        )
        .define(
            "Console",
            millis(
                "console.history.interval.ms",
                "5000",
                "How often each task's throughput is sampled for the console's graphs.",
            )
            .validator(Validator::at_least(100.0)),
        )
        .define(
            "Console",
            millis(
                "console.history.retention.ms",
                "3600000",
                "How far back each task's samples reach while console.history.max.samples allows.",
            ),
        )
        .define(
            "Console",
            key(
                "console.history.max.samples",
                ConfigType::Int,
                "The most samples kept over every task (32 bytes each); with many tasks, each keeps a shorter past.",
            )
            .default_value("200000")
            .validator(Validator::at_least(2.0)),
        )
        .merge(topic("config", "weir-configs", None))
        .merge(topic("offset", "weir-offsets", Some("25")))
        .merge(topic("status", "weir-status", Some("5")))
        .define(
            "Worker",
            key(
                "exactly.once.source.support",
                ConfigType::String,
                "Whether source tasks write their records and offsets in Kafka transactions, so that each record reaches Kafka once: enabled, or disabled. preparing is accepted for a rolling change of a Kafka Connect cluster and runs tasks as disabled does.",
            )
            .default_value("disabled")
            .validator(Validator::one_of(&["disabled", "preparing", "enabled"])),
        )
        .define(
            "Worker",
            key(
                "topic.creation.enable",
                ConfigType::Boolean,
                "Whether source connectors whose config has topic.creation.* keys get the topics their records go to created with those settings.",
            )
            .default_value("true"),
        )
        .define(
            "Worker",
            key(
                "topic.tracking.enable",
                ConfigType::Boolean,
                "Whether the topics each connector's tasks use are recorded on the status topic and shown by GET /connectors/{c}/topics.",
            )
            .default_value("true"),
        )
        .define(
            "Worker",
            key(
                "topic.tracking.allow.reset",
                ConfigType::Boolean,
                "Whether PUT /connectors/{c}/topics/reset may forget a connector's topics.",
            )
            .default_value("true"),
        )
        .define(
            "Worker",
            millis("offset.flush.interval.ms", "60000", "How often offsets are committed.")
                .validator(Validator::at_least(1.0)),
        )
        .define(
            "Worker",
            millis(
                "offset.flush.timeout.ms",
                "5000",
                "How long a final offset commit may take.",
            ),
        )
        .define(
            "Worker",
            millis(
                "task.shutdown.graceful.timeout.ms",
                "5000",
                "How long a task may take to stop.",
            ),
        )
        .define(
            "Converters",
            key("key.converter", ConfigType::Class, "Default key converter.")
                .default_value("org.apache.kafka.connect.json.JsonConverter"),
        )
        .define(
            "Converters",
            key("value.converter", ConfigType::Class, "Default value converter.")
                .default_value("org.apache.kafka.connect.json.JsonConverter"),
        )
        .define(
            "Converters",
            key(
                "header.converter",
                ConfigType::Class,
                "Default header converter: it writes the headers transforms add, and reads headers for them.",
            )
            .default_value("org.apache.kafka.connect.storage.SimpleHeaderConverter"),
        )
        .define(
            "Worker",
            key("plugin.path", ConfigType::List, "Directories holding plugins.").default_value(""),
        )
        .define(
            "Worker",
            key(
                "plugin.cache.dir",
                ConfigType::String,
                "Where compiled WebAssembly plugins are cached; empty for $XDG_CACHE_HOME/weir/plugins or ~/.cache/weir/plugins.",
            )
            .default_value(""),
        );
    rest_listeners::define(BrokerSecurity::define(RestartPolicy::define(def, true)))
}

/// The default cache of compiled plugins, if the environment names a home for it.
fn default_plugin_cache() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("weir").join("plugins"))
}

impl WorkerConfig {
    /// Reads and checks a worker config file.
    pub fn load(path: &Path) -> Result<Self, WorkerConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| WorkerConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml(&text)
    }

    /// Parses and checks a worker config from YAML text.
    pub fn from_yaml(text: &str) -> Result<Self, WorkerConfigError> {
        let raw: BTreeMap<String, serde_yaml::Value> =
            serde_yaml::from_str(text).map_err(|e| WorkerConfigError::Syntax(e.to_string()))?;
        let mut errors = Vec::new();
        let mut props = Props::new();
        for (key, value) in raw {
            match yaml_scalar(&value) {
                Some(text) => {
                    props.insert(key, text);
                }
                None => errors.push(format!("{key}: the value must be a string, number or boolean")),
            }
        }
        let def = definition();
        for key in props.keys() {
            let known = def.key(key).is_some() || PASS_THROUGH_PREFIXES.iter().any(|p| key.starts_with(p));
            if !known {
                errors.push(format!("{key}: unknown key"));
            }
        }
        errors.extend(def.validate(&props).into_iter().flat_map(|r| r.errors));
        if !errors.is_empty() {
            return Err(WorkerConfigError::Invalid(errors));
        }
        let parsed = def
            .parse(&props)
            .map_err(|e| WorkerConfigError::Invalid(vec![e.to_string()]))?;
        let string = |k: &str| parsed.string(k).unwrap_or_default().to_owned();
        let int = |k: &str| parsed.int(k).unwrap_or_default();
        let millis = |k: &str| Duration::from_millis(int(k).max(0) as u64);

        let (listeners, advertised) = listeners_of(&parsed, &props)?;
        let admin_listeners = match props.get("admin.listeners") {
            None => None,
            Some(_) => Some(
                parsed
                    .list("admin.listeners")
                    .unwrap_or_default()
                    .iter()
                    .map(|l| Listener::parse(l))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| WorkerConfigError::Invalid(vec![format!("admin.listeners: {e}")]))?,
            ),
        };
        let https = listeners
            .iter()
            .chain(admin_listeners.iter().flatten())
            .any(|l| l.scheme == Scheme::Https);
        let rest_tls = match https {
            true => Some(RestTlsSettings::from_props(&props).map_err(WorkerConfigError::Invalid)?),
            false => None,
        };
        let advertised_host = match string("rest.advertised.host.name") {
            h if !h.is_empty() => h,
            _ if advertised.addr.ip().is_unspecified() => "127.0.0.1".into(),
            _ => advertised.addr.ip().to_string(),
        };
        let advertised_port = match int("rest.advertised.port") {
            0 => advertised.addr.port(),
            p => p as u16,
        };
        let group = GroupSettings {
            protocol: string("connect.protocol").parse().unwrap_or_default(),
            session_timeout: millis("session.timeout.ms"),
            heartbeat_interval: millis("heartbeat.interval.ms"),
            rebalance_timeout: millis("rebalance.timeout.ms"),
            sync_timeout: millis("worker.sync.timeout.ms"),
            unsync_backoff: millis("worker.unsync.backoff.ms"),
            max_delay: millis("scheduled.rebalance.max.delay.ms"),
        };
        let inter_worker = inter_worker_keys(&parsed)?;
        let (broker_security, [producer, consumer, admin]) = match BrokerSecurity::from_props(&props) {
            Ok(security) => {
                let clients = client_settings(&props, security.protocol).map_err(WorkerConfigError::Invalid)?;
                (security, clients)
            }
            Err(mut errors) => {
                let protocol = BrokerSecurity::protocol_of(&props);
                errors.extend(client_settings(&props, protocol).err().unwrap_or_default());
                return Err(WorkerConfigError::Invalid(errors));
            }
        };
        let url_host = if advertised_host.contains(':') {
            format!("[{advertised_host}]")
        } else {
            advertised_host.clone()
        };
        let topic = |prefix: &str, partitions: Option<i32>| InternalTopic {
            name: string(&format!("{prefix}.storage.topic")),
            partitions: partitions.unwrap_or_else(|| int(&format!("{prefix}.storage.partitions")) as i32),
            replication_factor: int(&format!("{prefix}.storage.replication.factor")) as i32,
        };
        Ok(WorkerConfig {
            bootstrap_servers: parsed.list("bootstrap.servers").unwrap_or_default().join(","),
            group_id: string("group.id"),
            listeners,
            admin_listeners,
            rest_tls,
            advertised_url: format!("{}://{url_host}:{advertised_port}/", advertised.scheme.name()),
            group,
            inter_worker,
            worker_id: format!("{advertised_host}:{advertised_port}"),
            config_topic: topic("config", Some(1)),
            offset_topic: topic("offset", None),
            status_topic: topic("status", None),
            exactly_once_source: string("exactly.once.source.support").eq_ignore_ascii_case("enabled"),
            topic_creation: parsed.bool("topic.creation.enable").unwrap_or(true),
            topic_tracking: parsed.bool("topic.tracking.enable").unwrap_or(true),
            topic_tracking_reset: parsed.bool("topic.tracking.allow.reset").unwrap_or(true),
            offset_flush_interval: millis("offset.flush.interval.ms"),
            offset_flush_timeout: millis("offset.flush.timeout.ms"),
            task_shutdown_timeout: millis("task.shutdown.graceful.timeout.ms"),
            key_converter: (string("key.converter"), strip_prefix(&props, "key.converter.")),
            value_converter: (string("value.converter"), strip_prefix(&props, "value.converter.")),
            header_converter: (string("header.converter"), strip_prefix(&props, "header.converter.")),
            plugin_path: parsed
                .list("plugin.path")
                .unwrap_or_default()
                .iter()
                .map(PathBuf::from)
                .collect(),
            plugin_cache_dir: match string("plugin.cache.dir").as_str() {
                "" => default_plugin_cache(),
                dir => Some(PathBuf::from(dir)),
            },
            broker_security,
            producer,
            consumer,
            admin,
            rest: RestLimits {
                body: BodyLimits {
                    max_bytes: int("rest.request.max.bytes").max(1024) as usize,
                    max_depth: int("rest.request.max.depth").max(2) as usize,
                },
                connections: ConnectionLimits {
                    header_read_timeout: millis("rest.header.read.timeout.ms"),
                    max_connections: int("rest.max.connections").max(1) as usize,
                },
            },
            wasm: WasmLimits {
                max_call_timeout: millis("wasm.call.timeout.max.ms"),
                max_memory_bytes: int("wasm.memory.max.bytes.limit").max(0) as u64,
            },
            console: parsed.bool("console.enable").unwrap_or(true),
            rest_credentials: Some(string("rest.auth.credentials.file"))
                .filter(|f| !f.is_empty())
                .map(PathBuf::from),
            history: HistorySettings {
                interval: millis("console.history.interval.ms"),
                retention: millis("console.history.retention.ms"),
                max_samples: usize::try_from(int("console.history.max.samples")).unwrap_or(2),
            },
            restart: RestartPolicy::default().overridden_by(&props),
            config_providers: ConfigProviders::from_worker(parsed.list("config.providers").unwrap_or_default(), &props)
                .map_err(WorkerConfigError::Invalid)?,
            client_overrides: ClientOverridePolicy::parse(
                &string(client_overrides::POLICY_KEY),
                &parsed
                    .list(client_overrides::ALLOWLIST_KEY)
                    .unwrap_or_default()
                    .join(","),
            ),
        })
    }
}

/// The `producer.*`, `consumer.*` and `admin.*` settings, prefix removed and in librdkafka's
/// names. A `security.protocol` among them must be the worker's own: the group membership
/// connects with that one, to the same brokers.
fn client_settings(props: &Props, protocol: SecurityProtocol) -> Result<[Props; 3], Vec<String>> {
    let mut errors = Vec::new();
    let settings = ["producer.", "consumer.", "admin."].map(|prefix| {
        let mut own = strip_prefix(props, prefix);
        // `admin.listeners` is the worker's own key, not the admin client's.
        own.retain(|key, _| prefix != "admin." || !key.starts_with("listeners"));
        if let Some(theirs) = own.get(broker_security::keys::PROTOCOL)
            && !theirs.trim().eq_ignore_ascii_case(protocol.name())
        {
            errors.push(format!(
                "{prefix}security.protocol: {theirs} is not the worker's security.protocol ({}): set security.protocol, with its sasl.* and ssl.* keys, at the top level, where the group membership and every client read it",
                protocol.name()
            ));
        }
        broker_security::to_librdkafka(&own).unwrap_or_else(|e| {
            errors.extend(e.into_iter().map(|e| format!("{prefix}{e}")));
            own
        })
    });
    if errors.is_empty() { Ok(settings) } else { Err(errors) }
}

/// The `inter.worker.*` keys, checked against each other.
fn inter_worker_keys(parsed: &ParsedConfig) -> Result<InterWorkerKeys, WorkerConfigError> {
    // The single-algorithm keys are validated against the known names already.
    let algorithm = |k: &str| {
        parsed
            .string(k)
            .and_then(MacAlgorithm::parse)
            .unwrap_or(MacAlgorithm::HmacSha256)
    };
    let key_algorithm = algorithm("inter.worker.key.generation.algorithm");
    let signature_algorithm = algorithm("inter.worker.signature.algorithm");
    let mut errors = Vec::new();
    let mut verification_algorithms = Vec::new();
    for name in parsed.list("inter.worker.verification.algorithms").unwrap_or_default() {
        match MacAlgorithm::parse(name) {
            Some(a) => verification_algorithms.push(a),
            None => errors.push(format!(
                "inter.worker.verification.algorithms: {name} is none of {}",
                MacAlgorithm::ALL.map(MacAlgorithm::name).join(", ")
            )),
        }
    }
    if !verification_algorithms.contains(&signature_algorithm) {
        errors.push(format!(
            "inter.worker.verification.algorithms: must include inter.worker.signature.algorithm ({})",
            signature_algorithm.name()
        ));
    }
    if !errors.is_empty() {
        return Err(WorkerConfigError::Invalid(errors));
    }
    Ok(InterWorkerKeys {
        key_algorithm,
        key_bits: parsed
            .int("inter.worker.key.size")
            .and_then(|bits| usize::try_from(bits).ok())
            .unwrap_or_else(|| key_algorithm.default_key_bits()),
        key_ttl: Duration::from_millis(parsed.int("inter.worker.key.ttl.ms").unwrap_or_default().max(0) as u64),
        signature_algorithm,
        verification_algorithms,
    })
}

/// The text of a YAML scalar; `None` for maps, sequences and null.
pub fn yaml_scalar(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The keys of `props` that start with `prefix`, with the prefix removed.
pub fn strip_prefix(props: &Props, prefix: &str) -> Props {
    props
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_owned(), v.clone())))
        .collect()
}

/// The REST API's listeners, and the one other workers reach this worker by: the first of
/// `rest.advertised.listener`'s scheme (unset: http if a listener is http, else https), as Kafka
/// Connect chooses it.
fn listeners_of(parsed: &ParsedConfig, props: &Props) -> Result<(Vec<Listener>, Listener), WorkerConfigError> {
    let invalid = |e: String| WorkerConfigError::Invalid(vec![format!("listeners: {e}")]);
    let listeners = parsed
        .list("listeners")
        .unwrap_or_default()
        .iter()
        .map(|l| Listener::parse(l))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let scheme = match props
        .get("rest.advertised.listener")
        .map(|s| s.trim().to_ascii_lowercase())
    {
        Some(s) if s == "https" => Scheme::Https,
        Some(s) if s == "http" => Scheme::Http,
        _ if listeners.iter().any(|l| l.scheme == Scheme::Http) => Scheme::Http,
        _ => Scheme::Https,
    };
    let advertised = listeners.iter().find(|l| l.scheme == scheme).copied().ok_or_else(|| {
        WorkerConfigError::Invalid(vec![format!(
            "rest.advertised.listener: no {} listener in listeners",
            scheme.name()
        )])
    })?;
    Ok((listeners, advertised))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_protocol_other_than_the_workers_is_refused_by_name() {
        let err = WorkerConfig::from_yaml(
            "group.id: g\nproducer.security.protocol: SASL_SSL\nadmin.security.protocol: plaintext\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("producer.security.protocol: SASL_SSL is not the worker's"),
            "{err}"
        );
        assert!(!err.contains("admin."), "PLAINTEXT is the worker's too: {err}");
    }

    #[test]
    fn top_level_security_reaches_the_group_and_client_settings_are_translated() {
        let config = WorkerConfig::from_yaml(
            "group.id: g\nsecurity.protocol: SASL_SSL\nsasl.mechanism: SCRAM-SHA-256\n\
             sasl.jaas.config: 'org.apache.kafka.common.security.scram.ScramLoginModule required username=\"w\" password=\"s\";'\n\
             ssl.ca.location: /ca.pem\n\
             consumer.security.protocol: SASL_SSL\n\
             consumer.sasl.jaas.config: 'org.apache.kafka.common.security.plain.PlainLoginModule required username=\"c\" password=\"t\";'\n",
        )
        .expect("valid");
        let sasl = config.broker_security.sasl.expect("sasl");
        assert_eq!((sasl.username.as_str(), sasl.password.reveal()), ("w", "s"));
        assert_eq!(config.consumer.get("sasl.username").map(String::as_str), Some("c"));
        assert!(!config.consumer.contains_key("sasl.jaas.config"));
        let err = WorkerConfig::from_yaml(
            "group.id: g\nsecurity.protocol: SASL_SSL\nproducer.ssl.truststore.location: /t.jks\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("username and a password"), "{err}");
        assert!(
            err.contains("producer.ssl.truststore.location: a JKS truststore"),
            "{err}"
        );
    }

    #[test]
    fn defaults_apply() {
        let config = WorkerConfig::from_yaml("bootstrap.servers: 127.0.0.1:9092\ngroup.id: g\n").unwrap();
        assert_eq!(config.listeners[0].addr, "127.0.0.1:8083".parse().unwrap());
        assert_eq!(config.worker_id, "127.0.0.1:8083");
        assert_eq!(
            config.config_topic,
            InternalTopic {
                name: "weir-configs".into(),
                partitions: 1,
                replication_factor: 3
            }
        );
        assert_eq!(config.offset_topic.partitions, 25);
        assert_eq!(config.status_topic.partitions, 5);
        assert_eq!(config.offset_flush_interval, Duration::from_secs(60));
        assert_eq!(config.value_converter.0, "org.apache.kafka.connect.json.JsonConverter");
    }

    #[test]
    fn numbers_and_pass_through_keys_are_accepted() {
        let config = WorkerConfig::from_yaml(
            "group.id: g\nlisteners: http://:9000\noffset.flush.interval.ms: 1000\nproducer.linger.ms: 5\n\
             value.converter.schemas.enable: false\nconfig.storage.replication.factor: 1\n",
        )
        .unwrap();
        assert_eq!(config.listeners[0].addr, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.worker_id, "127.0.0.1:9000");
        assert_eq!(config.producer.get("linger.ms").map(String::as_str), Some("5"));
        assert_eq!(
            config.value_converter.1.get("schemas.enable").map(String::as_str),
            Some("false")
        );
        assert_eq!(config.config_topic.replication_factor, 1);
    }

    #[test]
    fn plugin_paths_and_cache_are_read() {
        let config = WorkerConfig::from_yaml(
            "group.id: g\nplugin.path: /opt/weir/plugins, /srv/plugins\nplugin.cache.dir: /var/cache/weir\n",
        )
        .unwrap();
        assert_eq!(
            config.plugin_path,
            vec![PathBuf::from("/opt/weir/plugins"), PathBuf::from("/srv/plugins")]
        );
        assert_eq!(config.plugin_cache_dir, Some(PathBuf::from("/var/cache/weir")));
    }

    #[test]
    fn every_bad_key_is_named() {
        let err = WorkerConfig::from_yaml(
            "bootstrap.server: x\noffset.flush.interval.ms: soon\nstatus.storage.partitions: 0\n",
        )
        .unwrap_err()
        .to_string();
        for needle in [
            "bootstrap.server: unknown key",
            "Missing required configuration \"group.id\"",
            "Invalid value soon for configuration offset.flush.interval.ms",
            "Invalid value 0 for configuration status.storage.partitions",
        ] {
            assert!(err.contains(needle), "{needle} not in {err}");
        }
    }

    #[test]
    fn admin_listeners_are_the_listeners_others_or_none() {
        let with = WorkerConfig::from_yaml("group.id: g\nadmin.listeners: http://127.0.0.1:9999\n").unwrap();
        assert!(with.admin.is_empty(), "not an admin client setting: {:?}", with.admin);
        let admin = |extra: &str| WorkerConfig::from_yaml(&format!("group.id: g\n{extra}")).map(|c| c.admin_listeners);
        assert_eq!(admin("").unwrap(), None);
        assert_eq!(admin("admin.listeners: \"\"\n").unwrap(), Some(Vec::new()));
        let own = admin("admin.listeners: http://127.0.0.1:9999\n").unwrap().unwrap();
        assert_eq!(own, vec![Listener::parse("http://127.0.0.1:9999").unwrap()]);
        let err = admin("admin.listeners: https://127.0.0.1:9999\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("listeners.https.ssl.keystore.location"), "{err}");
    }

    #[test]
    fn the_advertised_listener_is_chosen_as_kafka_connect_chooses_it() {
        let tls = "listeners.https.ssl.keystore.location: /w.p12\n";
        let url = |extra: &str| {
            WorkerConfig::from_yaml(&format!("group.id: g\n{tls}{extra}"))
                .map(|c| (c.advertised_url, c.listeners.len(), c.rest_tls.is_some()))
        };
        let both = "listeners: https://127.0.0.1:8443,http://127.0.0.1:8083\n";
        assert_eq!(url(both).unwrap(), ("http://127.0.0.1:8083/".into(), 2, true));
        let advertised = format!("{both}rest.advertised.listener: HTTPS\n");
        assert_eq!(url(&advertised).unwrap().0, "https://127.0.0.1:8443/");
        assert_eq!(url("listeners: https://:8443\n").unwrap().0, "https://127.0.0.1:8443/");
        let err = url("listeners: http://:8083\nrest.advertised.listener: https\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("rest.advertised.listener: no https listener"), "{err}");
        let plain = WorkerConfig::from_yaml("group.id: g\n").unwrap();
        assert!(
            plain.rest_tls.is_none(),
            "TLS settings are read only for an https listener"
        );
        let err = WorkerConfig::from_yaml("group.id: g\nlisteners: https://:8443\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("listeners.https.ssl.keystore.location"), "{err}");
    }

    #[test]
    fn group_keys_default_to_kafka_connects_but_failover_waits_seconds() {
        let config = WorkerConfig::from_yaml("group.id: g\nrest.advertised.host.name: w1.example\n").unwrap();
        assert_eq!(config.advertised_url, "http://w1.example:8083/");
        assert_eq!(config.group.protocol, ConnectProtocol::Sessioned);
        assert_eq!(config.group.session_timeout, Duration::from_secs(10));
        assert_eq!(config.group.heartbeat_interval, Duration::from_secs(3));
        assert_eq!(config.group.rebalance_timeout, Duration::from_secs(60));
        assert_eq!(config.group.max_delay, Duration::from_secs(5));
        assert_eq!(config.inter_worker.key_algorithm, MacAlgorithm::HmacSha256);
        assert_eq!(config.inter_worker.key_bits, 256);
        assert_eq!(
            config.inter_worker.verification_algorithms,
            vec![MacAlgorithm::HmacSha256]
        );
    }

    #[test]
    fn eager_rebalancing_and_unverifiable_signatures_are_refused() {
        let err = WorkerConfig::from_yaml("group.id: g\nconnect.protocol: eager\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("connect.protocol"), "{err}");
        let err = WorkerConfig::from_yaml(
            "group.id: g\ninter.worker.signature.algorithm: HmacSHA512\ninter.worker.verification.algorithms: HmacSHA256,HmacMD5\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("HmacMD5 is none of"), "{err}");
        assert!(
            err.contains("must include inter.worker.signature.algorithm (HmacSHA512)"),
            "{err}"
        );
    }

    #[test]
    fn nested_values_are_rejected() {
        let err = WorkerConfig::from_yaml("group.id: g\nproducer:\n  acks: all\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("producer: the value must be a string"), "{err}");
    }
}
