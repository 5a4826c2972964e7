//! A worker process: start the REST API, create and read the internal topics, resume every
//! connector, serve until told to stop, then stop tasks gracefully (in-flight records flushed,
//! offsets committed).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;
use tokio::sync::watch;
use weir_connector_api::Props;

use crate::config::WorkerConfig;
use crate::config::rest_listeners::Scheme;
use crate::group::{self, ConnectionSettings, MemberConfig, TlsConnector, WorkerClient};
use crate::herder::{Herder, HerderError, HerderParts, LoopInputs};
use crate::kafka::{KafkaClients, KafkaOpError, ensure_internal_topic};
use crate::logging::LogLevels;
use crate::metrics::MetricsRegistry;
use crate::plugins::Plugins;
use crate::rest::{self, AppState, RestTls, entities::ServerInfo};
use crate::storage::{ConfigStore, KafkaLogs, OffsetStore, OffsetStores, StatusStore, StorageError};
#[cfg(feature = "wasm")]
use crate::wasm::{WasmError, WasmHost, WasmPlugins};
use crate::worker::{StatusWriter, Worker, WorkerContext};

/// Why a worker could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The REST listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// The REST API's TLS settings cannot be used.
    #[error("the REST API's TLS: {0}")]
    RestTls(crate::group::TlsError),
    /// Kafka refused or is unreachable.
    #[error(transparent)]
    Kafka(#[from] KafkaOpError),
    /// An internal topic could not be read.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The REST API's credentials file is unusable.
    #[error(transparent)]
    Credentials(#[from] rest::CredentialsError),
    /// The TLS settings for the brokers are unusable.
    #[error(transparent)]
    Tls(#[from] group::TlsError),
    /// A broker refused the worker's certificate check or credentials.
    #[error("the brokers refused this worker: {0}")]
    BrokerRefused(group::ConnectionError),
    /// A `--connector` file is unusable.
    #[error("connector file {path}: {reason}")]
    ConnectorFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The WebAssembly engine could not start.
    #[cfg(feature = "wasm")]
    #[error(transparent)]
    Wasm(#[from] WasmError),
    /// `plugin.path` is set, but this build runs no WebAssembly.
    #[cfg(not(feature = "wasm"))]
    #[error("plugin.path is set, but this build of Weir has no WebAssembly support (the `wasm` feature)")]
    NoWasm,
}

/// The built-in plugins, and the components in `plugin.path` (watched for new ones).
async fn load_plugins(config: &WorkerConfig, plugins: Plugins) -> Result<Plugins, DaemonError> {
    if config.plugin_path.is_empty() {
        return Ok(plugins);
    }
    #[cfg(feature = "wasm")]
    {
        let host = WasmHost::new(config.plugin_cache_dir.clone(), config.wasm)?;
        let wasm = WasmPlugins::new(host, config.plugin_path.clone());
        wasm.refresh().await;
        wasm.watch();
        Ok(plugins.with_source(wasm))
    }
    #[cfg(not(feature = "wasm"))]
    Err(DaemonError::NoWasm)
}

/// Reads a connector file: YAML or JSON, a `{name, config}` body or a flat config with `name`.
pub fn read_connector_file(path: &Path) -> Result<(String, Props), DaemonError> {
    let fail = |reason: String| DaemonError::ConnectorFile {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let json: Json = serde_yaml::from_str(&text).map_err(|e| fail(format!("not YAML or JSON: {e}")))?;
    let Json::Object(mut map) = json else {
        return Err(fail("expected a map".into()));
    };
    let config = match map.remove("config") {
        Some(Json::Object(config)) => {
            if let Some(name) = map.remove("name") {
                let mut config = config;
                config.insert("name".into(), name);
                config
            } else {
                config
            }
        }
        Some(_) => return Err(fail("'config' must be a map".into())),
        None => map,
    };
    let props = rest::config_map(config).map_err(|e| fail(e.message().to_owned()))?;
    let name = props
        .get("name")
        .cloned()
        .ok_or_else(|| fail("the config has no 'name'".into()))?;
    Ok((name, props))
}

/// Runs a worker with the binary's built-in `plugins` until `shutdown` completes; `/admin/loggers`
/// changes `log_levels`.
pub async fn run(
    config: WorkerConfig,
    plugins: Plugins,
    connector_files: Vec<PathBuf>,
    log_levels: LogLevels,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let connectors = connector_files
        .iter()
        .map(|p| read_connector_file(p))
        .collect::<Result<Vec<_>, _>>()?;
    let config = Arc::new(config);
    let metrics = MetricsRegistry::new(config.history);
    // Sampling ends with this function, whichever way it returns.
    let _history = tokio_util::task::AbortOnDropHandle::new(tokio::spawn(metrics.clone().keep_history()));
    let rest_tls = match &config.rest_tls {
        Some(settings) => Some(RestTls::new(settings).map_err(DaemonError::RestTls)?),
        None => None,
    };
    let client = WorkerClient::new(rest_tls.as_ref().map(RestTls::client_config));
    let credentials = match &config.rest_credentials {
        Some(path) => Some(Arc::new(rest::Credentials::load(path)?)),
        None => None,
    };
    let state = AppState::starting(metrics.clone(), config.rest.body, client.clone(), credentials);
    let (stop_tx, stop_rx) = watch::channel(false);
    let app = rest::router(state.clone(), config.console, config.admin_listeners.is_none());
    let admin = rest::admin_router(state.clone());
    let served = config.listeners.iter().map(|l| (l, &app, "the API"));
    let served = served.chain(config.admin_listeners.iter().flatten().map(|l| (l, &admin, "/admin")));
    let mut servers = Vec::new();
    for (listener, app, serves) in served {
        let socket = tokio::net::TcpListener::bind(listener.addr)
            .await
            .map_err(|source| DaemonError::Listen {
                addr: listener.addr,
                source,
            })?;
        let tls = match listener.scheme {
            Scheme::Https => rest_tls.as_ref().map(RestTls::acceptor),
            Scheme::Http => None,
        };
        let mut stop = stop_rx.clone();
        servers.push(tokio::spawn(rest::serve(
            socket,
            tls,
            app.clone(),
            config.rest.connections,
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
        )));
        tracing::info!(listener = %format!("{}://{}", listener.scheme.name(), listener.addr), serves, worker_id = %config.worker_id, "REST API listening");
    }

    let member = member_config(&config)?;
    // librdkafka reports a failed TLS handshake or login only as a timeout of what waited on
    // it; the group client's own connection names the broker's reason at once.
    group::check_acceptance(&member.bootstrap_servers, &member.connection, BROKER_CHECK_TIMEOUT)
        .await
        .map_err(DaemonError::BrokerRefused)?;
    let clients = KafkaClients::new(&config);
    clients.check()?;
    ensure_internal_topic(&clients, &config.config_topic, true).await?;
    ensure_internal_topic(&clients, &config.offset_topic, false).await?;
    ensure_internal_topic(&clients, &config.status_topic, false).await?;
    let logs = Arc::new(KafkaLogs::new(clients.clone()));
    let configs = ConfigStore::start(logs.as_ref(), &config.config_topic.name).await?;
    let offsets = OffsetStore::start(logs.as_ref(), &config.offset_topic.name).await?;
    let statuses = StatusStore::start(logs.as_ref(), &config.status_topic.name).await?;
    let notices = configs.read_to_end().await?;
    offsets.read_to_end().await?;
    statuses.read_to_end().await?;
    let offsets = OffsetStores::new(offsets, logs, config.offset_topic.clone());
    let cluster_id = clients.cluster_id().await;
    tracing::info!(cluster = ?cluster_id, "internal topics read");

    let plugins = Arc::new(load_plugins(&config, plugins).await?);
    let (leave_tx, leave_rx) = watch::channel(false);
    let (group, group_events, member) = group::start(member, configs.clone(), metrics.group(), leave_rx);
    let (fences_tx, fences) = tokio::sync::mpsc::unbounded_channel();
    let (auto_restarts_tx, auto_restarts) = tokio::sync::mpsc::unbounded_channel();
    let context = WorkerContext {
        config: config.clone(),
        clients: clients.clone(),
        offsets: offsets.clone(),
        statuses: StatusWriter::new(statuses.clone(), &config),
        plugins: plugins.clone(),
        metrics,
        fences: fences_tx,
        auto_restarts: auto_restarts_tx,
    };
    let (generated_tx, generated) = tokio::sync::mpsc::unbounded_channel();
    let (herder, event_loop) = Herder::new(HerderParts {
        worker_id: config.worker_id.clone(),
        config: config.clone(),
        group: group.clone(),
        client: client.clone(),
        configs,
        offsets,
        statuses,
        worker: Worker::new(Arc::new(context), generated_tx),
        plugins,
        clients,
        log_levels,
    });
    let running = tokio::spawn(event_loop.run(LoopInputs {
        notices,
        generated,
        fences,
        auto_restarts,
        group: group_events,
        shutdown: stop_rx,
    }));
    let stop = || async {
        // Stop what the loop started, then leave the group: nothing runs twice.
        let _ = stop_tx.send(true);
        let _ = running.await;
        let _ = leave_tx.send(true);
        let _ = member.await;
    };
    tracing::info!(group = %config.group_id, "joining the group");
    tokio::pin!(shutdown);
    tokio::select! {
        _ = group.joined() => {}
        _ = &mut shutdown => {
            tracing::info!("stopped before joining the group");
            stop().await;
            return Ok(());
        }
    }
    for (name, props) in connectors {
        match apply_connector_file(&herder, &client, &config, &name, props).await {
            Ok(()) => tracing::info!(connector = %name, "connector from file applied"),
            Err(e) => {
                stop().await;
                return Err(connector_error(&connector_files, &name, e));
            }
        }
    }
    state.ready(
        herder,
        ServerInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            commit: option_env!("WEIR_COMMIT").unwrap_or("unknown").into(),
            kafka_cluster_id: cluster_id,
        },
    );
    tracing::info!("worker started");

    (&mut shutdown).await;
    tracing::info!("shutting down: stopping tasks and committing offsets");
    stop().await;
    for server in servers {
        if let Err(e) = server.await {
            tracing::error!(error = %e, "REST server task failed");
        }
    }
    tracing::info!("worker stopped");
    Ok(())
}

/// How long the check of the connection settings at start waits for a broker's answer.
const BROKER_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How this worker joins its group, from its config (its TLS files read now).
fn member_config(config: &WorkerConfig) -> Result<MemberConfig, DaemonError> {
    let settings = &config.group;
    let security = &config.broker_security;
    let tls = match &security.tls {
        Some(tls) => Some(Arc::new(TlsConnector::new(tls)?)),
        None => None,
    };
    Ok(MemberConfig {
        group_id: config.group_id.clone(),
        bootstrap_servers: config
            .bootstrap_servers
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        connection: ConnectionSettings {
            client_id: format!("weir-{}", config.worker_id),
            tls,
            sasl: security.sasl.clone(),
        },
        url: config.advertised_url.clone(),
        protocol: settings.protocol,
        session_timeout: settings.session_timeout,
        heartbeat_interval: settings.heartbeat_interval,
        rebalance_timeout: settings.rebalance_timeout,
        max_delay: settings.max_delay,
    })
}

/// Creates or updates a connector from a `--connector` file once this worker is in its group:
/// itself when it leads, else through the leader (as a REST client would).
async fn apply_connector_file(
    herder: &Herder,
    client: &WorkerClient,
    config: &WorkerConfig,
    name: &str,
    props: Props,
) -> Result<(), HerderError> {
    let deadline = tokio::time::Instant::now() + config.group.rebalance_timeout + config.group.session_timeout;
    loop {
        match herder.put_connector_config(name, props.clone()).await {
            Ok(_) => return Ok(()),
            Err(HerderError::Elsewhere { url: Some(url), .. }) => {
                let target = format!(
                    "{}/connectors/{}/config",
                    url.trim_end_matches('/'),
                    group::encode_segment(name)
                );
                let body = serde_json::to_vec(&props).unwrap_or_default();
                let mut headers = axum::http::HeaderMap::new();
                headers.insert(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static("application/json"),
                );
                match client
                    .forward(axum::http::Method::PUT, &target, &headers, body.into())
                    .await
                {
                    Ok(answer) if answer.status.is_success() => return Ok(()),
                    Ok(answer) if answer.status != axum::http::StatusCode::CONFLICT => {
                        return Err(HerderError::BadRequest(
                            String::from_utf8_lossy(&answer.body).into_owned(),
                        ));
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(connector = %name, error = %e, "could not reach the leader; retrying"),
                }
            }
            Err(HerderError::Elsewhere { url: None, .. }) => {}
            Err(e) => return Err(e),
        }
        if tokio::time::Instant::now() > deadline {
            return Err(HerderError::Conflict(
                "the worker did not join its group in time to apply the connector file".into(),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

fn connector_error(files: &[PathBuf], name: &str, error: HerderError) -> DaemonError {
    let path = files
        .iter()
        .find(|p| read_connector_file(p).is_ok_and(|(n, _)| n == name))
        .cloned()
        .unwrap_or_default();
    DaemonError::ConnectorFile {
        path,
        reason: error.to_string(),
    }
}
