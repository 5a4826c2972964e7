//! The REST API, wire-compatible with Kafka Connect's: same paths, JSON shapes and status codes.
//! Bodies may also be YAML (`Content-Type: application/yaml`).

mod body;
mod connectors;
pub mod entities;
mod error;
mod plugins;
mod server;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::json;

use crate::config::worker::BodyLimits;
use crate::herder::Herder;
use crate::metrics::{self as task_metrics, MetricsRegistry};
pub use body::config_map;
use entities::ServerInfo;
pub use error::RestError;
pub use server::serve;

/// What the handlers share: the herder, once the worker has started, and the tasks' figures.
#[derive(Clone)]
pub struct AppState {
    herder: Arc<OnceLock<Herder>>,
    info: Arc<OnceLock<ServerInfo>>,
    metrics: MetricsRegistry,
    body_limits: BodyLimits,
}

impl AppState {
    /// A state whose herder is not ready yet: requests get 503 until [`AppState::ready`]
    /// (`/metrics` answers at once, with no task yet).
    pub fn starting(metrics: MetricsRegistry, body_limits: BodyLimits) -> Self {
        AppState {
            herder: Arc::default(),
            info: Arc::default(),
            metrics,
            body_limits,
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

/// The API's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
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
        .route("/connectors/{name}/tasks", get(connectors::tasks))
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
        .fallback(|| async { RestError::new(StatusCode::NOT_FOUND, "HTTP 404 Not Found") })
        .method_not_allowed_fallback(|| async {
            RestError::new(StatusCode::METHOD_NOT_ALLOWED, "HTTP 405 Method Not Allowed")
        })
        .with_state(state)
}

async fn server_info(State(state): State<AppState>) -> Result<Response, RestError> {
    state.herder()?;
    let info = state.info.get().cloned();
    Ok(axum::Json(info).into_response())
}

async fn health(State(state): State<AppState>) -> Response {
    match state.herder.get() {
        Some(_) => axum::Json(
            json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}),
        )
        .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "starting", "message": "Worker is still starting up."})),
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, task_metrics::CONTENT_TYPE)],
        state.metrics.render(),
    )
        .into_response()
}
