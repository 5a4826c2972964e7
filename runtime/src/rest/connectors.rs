//! `/connectors` endpoints.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value as JsonValue;

use super::body::{Body, RawBody, config_map, config_patch};
use super::entities::{
    ActiveTopicsInfo, ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, InstanceState, Message, TaskInfo,
};
use super::{AppState, RestError};
use crate::group::{SIGNATURE_ALGORITHM_HEADER, SIGNATURE_HEADER};
use crate::herder::RequestSignature;
use crate::model::TargetState;

/// The values of a query parameter, in order (repeated keys allowed).
pub(super) fn query_values(query: &Option<String>, key: &str) -> Vec<String> {
    query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v.to_owned())
        .collect()
}

/// A boolean query parameter (absent is false).
fn query_flag(query: &Option<String>, key: &str) -> Result<bool, RestError> {
    match query_values(query, key).last().map(String::as_str) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(RestError::bad_request(format!(
            "Query parameter {key} must be true or false, not '{v}'"
        ))),
    }
}

fn task_number(task: &str, name: &str) -> Result<usize, RestError> {
    task.parse()
        .map_err(|_| RestError::new(StatusCode::NOT_FOUND, format!("Unknown task {name}-{task}")))
}

/// `GET /connectors`, with `?expand=status` and `?expand=info`.
pub async fn list(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, RestError> {
    let herder = state.herder()?;
    let expand = query_values(&query, "expand");
    let names = herder.connectors();
    if expand.is_empty() {
        return Ok(Json(names).into_response());
    }
    let mut expanded = BTreeMap::new();
    for name in names {
        let mut entry = serde_json::Map::new();
        if expand.iter().any(|e| e == "status")
            && let Ok(status) = herder.connector_status(&name)
        {
            let status = ConnectorStateInfo::from(status);
            entry.insert("status".into(), serde_json::to_value(status).unwrap_or_default());
        }
        if expand.iter().any(|e| e == "info")
            && let Ok(info) = herder.connector_info(&name)
        {
            let info = ConnectorInfo::from(info);
            entry.insert("info".into(), serde_json::to_value(info).unwrap_or_default());
        }
        expanded.insert(name, entry);
    }
    Ok(Json(expanded).into_response())
}

/// The body of `POST /connectors`.
#[derive(Deserialize)]
pub struct CreateRequest {
    name: Option<String>,
    config: Option<serde_json::Map<String, JsonValue>>,
    initial_state: Option<String>,
    /// KIP-995 (Weir takes it; Kafka Connect 4.3 does not yet): offsets written before the
    /// connector first starts, in the body format of `PATCH /connectors/{name}/offsets`.
    initial_offsets: Option<ConnectorOffsets>,
}

/// `POST /connectors`.
pub async fn create(State(state): State<AppState>, Body(request): Body<CreateRequest>) -> Result<Response, RestError> {
    let herder = state.herder()?;
    let config = config_map(request.config.unwrap_or_default())?;
    let name = request.name.or_else(|| config.get("name").cloned()).unwrap_or_default();
    let initial = match request.initial_state.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("RUNNING") => None,
        Some("PAUSED") => Some(TargetState::Paused),
        Some("STOPPED") => Some(TargetState::Stopped),
        Some(other) => {
            return Err(RestError::bad_request(format!(
                "Invalid initial state {other}; expected RUNNING, PAUSED or STOPPED"
            )));
        }
    };
    let offsets = request.initial_offsets.map(Vec::from).unwrap_or_default();
    let info = ConnectorInfo::from(herder.create_connector(&name, config, initial, offsets).await?);
    let location = format!("/connectors/{}", info.name);
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(info)).into_response())
}

/// `GET /connectors/{name}`.
pub async fn info(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, RestError> {
    Ok(Json(ConnectorInfo::from(state.herder()?.connector_info(&name)?)).into_response())
}

/// `DELETE /connectors/{name}`.
pub async fn delete(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, RestError> {
    state.herder()?.delete_connector(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /connectors/{name}/config`.
pub async fn config(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, RestError> {
    Ok(Json(state.herder()?.connector_config(&name)?).into_response())
}

/// `PUT /connectors/{name}/config`: 201 when created, 200 when updated.
pub async fn put_config(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Body(body): Body<serde_json::Map<String, JsonValue>>,
) -> Result<Response, RestError> {
    let (created, info) = state.herder()?.put_connector_config(&name, config_map(body)?).await?;
    let info = ConnectorInfo::from(info);
    if created {
        let location = format!("/connectors/{}", info.name);
        Ok((StatusCode::CREATED, [(LOCATION, location)], Json(info)).into_response())
    } else {
        Ok(Json(info).into_response())
    }
}

/// `PATCH /connectors/{name}/config`: `null` removes a key.
pub async fn patch_config(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Body(body): Body<serde_json::Map<String, JsonValue>>,
) -> Result<Response, RestError> {
    let info = state
        .herder()?
        .patch_connector_config(&name, config_patch(body)?)
        .await?;
    Ok(Json(ConnectorInfo::from(info)).into_response())
}

/// `GET /connectors/{name}/status`.
pub async fn status(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, RestError> {
    Ok(Json(ConnectorStateInfo::from(state.herder()?.connector_status(&name)?)).into_response())
}

/// `GET /connectors/{name}/topics`: `{name: {"topics": [...]}}`.
pub async fn topics(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, RestError> {
    let topics = state.herder()?.active_topics(&name)?;
    Ok(Json(BTreeMap::from([(name, ActiveTopicsInfo { topics })])).into_response())
}

/// `PUT /connectors/{name}/topics/reset`: 202.
pub async fn reset_topics(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, RestError> {
    state.herder()?.reset_active_topics(&name).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `GET /connectors/{name}/tasks`.
pub async fn tasks(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, RestError> {
    let tasks: Vec<TaskInfo> = state.herder()?.tasks(&name)?.into_iter().map(TaskInfo::from).collect();
    Ok(Json(tasks).into_response())
}

/// `POST /connectors/{name}/tasks`: task configs that another worker's connector asked for, for
/// the leader to write (signed with the session key in a `sessioned` group).
pub async fn put_tasks(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: axum::http::HeaderMap,
    RawBody(body): RawBody,
) -> Result<StatusCode, RestError> {
    state
        .herder()?
        .put_task_configs(&name, &body, signature_of(&headers))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /connectors/{name}/fence`: another worker's request that the leader fence the
/// connector's older exactly-once tasks before its new ones start (signed with the session key
/// in a `sessioned` group). Answers once they are.
pub async fn fence(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: axum::http::HeaderMap,
    RawBody(body): RawBody,
) -> Result<StatusCode, RestError> {
    state
        .herder()?
        .fence_zombies(&name, &body, signature_of(&headers))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The internal-request signature the headers carry, if any.
fn signature_of(headers: &axum::http::HeaderMap) -> Option<RequestSignature> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    match (header(SIGNATURE_ALGORITHM_HEADER), header(SIGNATURE_HEADER)) {
        (Some(algorithm), Some(signature)) => Some(RequestSignature { algorithm, signature }),
        _ => None,
    }
}

/// `GET /connectors/{name}/tasks/{task}/status`.
pub async fn task_status(
    State(state): State<AppState>,
    Path((name, task)): Path<(String, String)>,
) -> Result<Response, RestError> {
    let task = task_number(&task, &name)?;
    Ok(Json(InstanceState::from(state.herder()?.task_status(&name, task)?)).into_response())
}

/// `POST /connectors/{name}/tasks/{task}/restart`.
pub async fn restart_task(
    State(state): State<AppState>,
    Path((name, task)): Path<(String, String)>,
) -> Result<StatusCode, RestError> {
    let task = task_number(&task, &name)?;
    state.herder()?.restart_task(&name, task).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /connectors/{name}/restart?includeTasks=&onlyFailed=`.
pub async fn restart(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, RestError> {
    let include_tasks = query_flag(&query, "includeTasks")?;
    let only_failed = query_flag(&query, "onlyFailed")?;
    match state
        .herder()?
        .restart_connector(&name, include_tasks, only_failed)
        .await?
    {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(status) => Ok((StatusCode::ACCEPTED, Json(ConnectorStateInfo::from(status))).into_response()),
    }
}

async fn set_target(state: &AppState, name: &str, target: TargetState) -> Result<(), RestError> {
    Ok(state.herder()?.set_target_state(name, target).await?)
}

/// `PUT /connectors/{name}/pause`.
pub async fn pause(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, RestError> {
    set_target(&state, &name, TargetState::Paused).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PUT /connectors/{name}/resume`.
pub async fn resume(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, RestError> {
    set_target(&state, &name, TargetState::Started).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PUT /connectors/{name}/stop`.
pub async fn stop(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, RestError> {
    set_target(&state, &name, TargetState::Stopped).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /connectors/{name}/offsets`.
pub async fn offsets(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, RestError> {
    Ok(Json(ConnectorOffsets::from(state.herder()?.offsets(&name).await?)).into_response())
}

/// `PATCH /connectors/{name}/offsets` (the connector must be STOPPED).
pub async fn alter_offsets(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Body(body): Body<ConnectorOffsets>,
) -> Result<Response, RestError> {
    let message = state.herder()?.alter_offsets(&name, body.into()).await?;
    Ok(Json(Message { message }).into_response())
}

/// `DELETE /connectors/{name}/offsets` (the connector must be STOPPED).
pub async fn reset_offsets(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, RestError> {
    let message = state.herder()?.reset_offsets(&name).await?;
    Ok(Json(Message { message }).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_query_keys() {
        let q = Some("expand=status&expand=info&x".to_owned());
        assert_eq!(query_values(&q, "expand"), vec!["status", "info"]);
        assert!(!query_flag(&q, "includeTasks").unwrap());
        assert!(query_flag(&Some("includeTasks=true".into()), "includeTasks").unwrap());
        assert!(query_flag(&Some("includeTasks=yes".into()), "includeTasks").is_err());
    }
}
