//! `/admin/loggers`: log levels read and changed at run time, as Kafka Connect's (KIP-495,
//! KIP-976 for `?scope=cluster`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value as JsonValue;

use super::body::Body;
use super::connectors::query_values;
use super::{AppState, RestError};
use crate::logging::{Level, LoggerLevel};

/// A logger's level as Kafka Connect answers it.
#[derive(Serialize)]
struct LoggerLevelInfo {
    level: &'static str,
    last_modified: Option<u64>,
}

impl From<LoggerLevel> for LoggerLevelInfo {
    fn from(level: LoggerLevel) -> Self {
        LoggerLevelInfo {
            level: level.level.name(),
            last_modified: level.last_modified,
        }
    }
}

/// `GET /admin/loggers`: every logger with a level of its own.
pub async fn list(State(state): State<AppState>) -> Result<Response, RestError> {
    let all: BTreeMap<String, LoggerLevelInfo> = state
        .herder()?
        .log_levels()
        .all()
        .into_iter()
        .map(|(name, level)| (name, level.into()))
        .collect();
    Ok(Json(all).into_response())
}

/// `GET /admin/loggers/{logger}`.
pub async fn get(State(state): State<AppState>, Path(logger): Path<String>) -> Result<Response, RestError> {
    let level = state
        .herder()?
        .log_levels()
        .get(&logger)
        .ok_or_else(|| RestError::new(StatusCode::NOT_FOUND, format!("Logger {logger} not found.")))?;
    Ok(Json(LoggerLevelInfo::from(level)).into_response())
}

/// `PUT /admin/loggers/{logger}?scope=worker|cluster` with `{"level": "DEBUG"}`: on this worker,
/// 200 with the loggers changed; on every worker, 204.
pub async fn set(
    State(state): State<AppState>,
    Path(logger): Path<String>,
    RawQuery(query): RawQuery,
    Body(body): Body<serde_json::Map<String, JsonValue>>,
) -> Result<Response, RestError> {
    let herder = state.herder()?;
    let given = body
        .get("level")
        .and_then(JsonValue::as_str)
        .ok_or_else(|| RestError::bad_request("Desired 'level' parameter was not specified in request."))?;
    // Kafka Connect answers an unknown level 404.
    let level = Level::parse(given)
        .ok_or_else(|| RestError::new(StatusCode::NOT_FOUND, format!("invalid log level '{given}'.")))?;
    let scope = query_values(&query, "scope")
        .last()
        .cloned()
        .unwrap_or_else(|| "worker".into());
    if scope.eq_ignore_ascii_case("cluster") {
        herder.set_cluster_logger_level(&logger, level).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if !scope.eq_ignore_ascii_case("worker") {
        tracing::warn!(%scope, "unknown scope in a request to change a log level; using worker");
    }
    let affected = herder.log_levels().set(&logger, level).map_err(|e| {
        RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Cannot change the log level: {e}"),
        )
    })?;
    Ok(Json(affected).into_response())
}
