//! The REST API, wire-compatible with Kafka Connect's: same paths, JSON shapes and status codes.
//! Bodies may also be YAML (`Content-Type: application/yaml`).

mod auth;
mod body;
mod connectors;
pub mod entities;
mod error;
mod forward;
mod live;
mod loggers;
mod plugins;
mod server;
mod tls;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::json;

use crate::config::worker::BodyLimits;
use crate::group::WorkerClient;
use crate::herder::Herder;
use crate::metrics::{self as task_metrics, MetricsRegistry};
pub use auth::{Credentials, CredentialsError, hash_password, new_token};
pub use body::config_map;
use entities::{GroupInfo, ServerInfo};
pub use error::RestError;
pub use server::serve;
pub use tls::RestTls;

/// What the handlers share: the herder, once the worker has started, the worker's figures, and
/// the client that forwards requests to other workers.
#[derive(Clone)]
pub struct AppState {
    herder: Arc<OnceLock<Herder>>,
    info: Arc<OnceLock<ServerInfo>>,
    metrics: MetricsRegistry,
    body_limits: BodyLimits,
    client: WorkerClient,
    /// Who may call the API; `None`: anyone.
    credentials: Option<Arc<Credentials>>,
}

impl AppState {
    /// A state whose herder is not ready yet: requests get 503 until [`AppState::ready`]
    /// (`/metrics` answers at once, with no task yet). With `credentials`, every request but
    /// the health check needs them.
    pub fn starting(
        metrics: MetricsRegistry,
        body_limits: BodyLimits,
        client: WorkerClient,
        credentials: Option<Arc<Credentials>>,
    ) -> Self {
        AppState {
            herder: Arc::default(),
            info: Arc::default(),
            metrics,
            body_limits,
            client,
            credentials,
        }
    }

    /// Makes the API serve requests with this herder.
    pub fn ready(&self, herder: Herder, info: ServerInfo) {
        let _ = self.info.set(info);
        let _ = self.herder.set(herder);
    }

    fn herder(&self) -> Result<&Herder, RestError> {
        self.herder.get().ok_or_else(|| {
            RestError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Request cannot be completed because the worker is still starting up",
            )
        })
    }
}

/// The API's routes, with the web console's when `console` is set and `/admin`'s when `admin`
/// is (when no `admin.listeners` serve it elsewhere).
pub fn router(state: AppState, console: bool, admin: bool) -> Router {
    let router = if console {
        crate::console::routes()
    } else {
        Router::new()
    };
    let router = router
        .route("/", get(server_info))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/connectors", get(connectors::list).post(connectors::create))
        .route("/connectors/{name}", get(connectors::info).delete(connectors::delete))
        .route(
            "/connectors/{name}/config",
            get(connectors::config)
                .put(connectors::put_config)
                .patch(connectors::patch_config),
        )
        .route("/connectors/{name}/status", get(connectors::status))
        .route("/connectors/{name}/topics", get(connectors::topics))
        .route("/connectors/{name}/topics/reset", put(connectors::reset_topics))
        .route(
            "/connectors/{name}/tasks",
            get(connectors::tasks).post(connectors::put_tasks),
        )
        .route("/connectors/{name}/fence", put(connectors::fence))
        .route("/connectors/{name}/tasks/{task}/status", get(connectors::task_status))
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            post(connectors::restart_task),
        )
        .route("/connectors/{name}/restart", post(connectors::restart))
        .route("/connectors/{name}/pause", put(connectors::pause))
        .route("/connectors/{name}/resume", put(connectors::resume))
        .route("/connectors/{name}/stop", put(connectors::stop))
        .route(
            "/connectors/{name}/offsets",
            get(connectors::offsets)
                .patch(connectors::alter_offsets)
                .delete(connectors::reset_offsets),
        )
        .route("/connector-plugins", get(plugins::list))
        .route("/connector-plugins/{plugin}/config", get(plugins::config))
        .route("/connector-plugins/{plugin}/config/validate", put(plugins::validate))
        .route("/weir/v1/history", get(live::history))
        .route("/weir/v1/connectors/{name}/history", get(live::connector_history))
        .route("/weir/v1/connectors/{name}/lag", get(live::lag))
        .route("/weir/v1/openapi.json", get(openapi));
    let router = if admin { router.merge(admin_routes()) } else { router };
    with_defaults(router, state)
}

/// The `/admin` routes alone, for the listeners of `admin.listeners`.
pub fn admin_router(state: AppState) -> Router {
    with_defaults(admin_routes(), state)
}

/// `/admin`: the log levels.
fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/loggers", get(loggers::list))
        .route("/admin/loggers/{logger}", get(loggers::get).put(loggers::set))
}

/// Kafka Connect's answers to an unknown path or method, forwarding and authentication.
fn with_defaults(router: Router<AppState>, state: AppState) -> Router {
    router
        .fallback(|| async { RestError::new(StatusCode::NOT_FOUND, "HTTP 404 Not Found") })
        .method_not_allowed_fallback(|| async {
            RestError::new(StatusCode::METHOD_NOT_ALLOWED, "HTTP 405 Method Not Allowed")
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            forward::forward_elsewhere,
        ))
        // Outermost: a request is authenticated before anything else, forwarding included.
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::require))
        .with_state(state)
}

/// `GET /`: Kafka Connect's server info, and this worker's place in its group.
async fn server_info(State(state): State<AppState>) -> Result<Response, RestError> {
    let herder = state.herder()?;
    let mut info = serde_json::to_value(state.info.get()).unwrap_or_default();
    let group = GroupInfo::new(herder.worker_id(), herder.group_view().as_deref());
    if let Some(map) = info.as_object_mut() {
        map.insert("group".into(), serde_json::to_value(group).unwrap_or_default());
    }
    Ok(axum::Json(info).into_response())
}

/// `GET /health` (KIP-1017): 200 healthy, 503 while starting, 500 when the worker cannot
/// reach its internal topics or its loop is stuck.
async fn health(State(state): State<AppState>) -> Response {
    match state.herder.get() {
        Some(herder) => match herder.health().await {
            Ok(()) => axum::Json(
                json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}),
            )
            .into_response(),
            Err(details) => {
                tracing::warn!(%details, "health check failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    axum::Json(json!({
                        "status": "unhealthy",
                        "message": format!("Worker was unable to handle this request and may be unable to handle other requests. {details}"),
                    })),
                )
                    .into_response()
            }
        },
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "starting", "message": "Worker is still starting up."})),
        )
            .into_response(),
    }
}

/// The OpenAPI document of every route here, `docs/openapi.json`, compiled in.
const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// `GET /weir/v1/openapi.json`.
async fn openapi() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, task_metrics::CONTENT_TYPE)],
        state.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::OPENAPI;

    /// The (method, path) pairs `router` declares, read from this file's source.
    fn routed() -> BTreeSet<(String, String)> {
        let source = include_str!("mod.rs");
        let start = source.find("pub fn router(").expect("the router");
        let end = source[start..].find(".fallback(").expect("its fallback") + start;
        let mut routes = BTreeSet::new();
        for chunk in source[start..end].split(".route(").skip(1) {
            let path = chunk.split('"').nth(1).expect("a quoted path").to_owned();
            for method in ["get", "put", "post", "patch", "delete"] {
                let called = chunk.match_indices(&format!("{method}(")).any(|(i, _)| {
                    i == 0 || !chunk.as_bytes()[i - 1].is_ascii_alphanumeric() && chunk.as_bytes()[i - 1] != b'_'
                });
                if called {
                    routes.insert((method.to_owned(), path.clone()));
                }
            }
        }
        routes
    }

    #[test]
    fn the_openapi_document_describes_every_route_and_no_other() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("the document is JSON");
        assert_eq!(doc["openapi"], "3.0.3");
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .into_iter()
                    .flat_map(|ops| ops.keys())
                    .map(move |method| (method.clone(), path.clone()))
            })
            .collect();
        let routed = routed();
        assert!(routed.len() > 30, "the routes were read: {routed:?}");
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty(),
            "routes missing from docs/openapi.json: {undocumented:?}"
        );
        assert!(unrouted.is_empty(), "documented but not routed: {unrouted:?}");
    }
}
