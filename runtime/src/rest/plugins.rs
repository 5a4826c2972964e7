//! `/connector-plugins` endpoints.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value as JsonValue;

use super::body::{Body, config_map};
use super::entities::{ConfigInfos, ConfigKeyInfo, PluginInfo};
use super::{AppState, RestError};

/// `GET /connector-plugins?connectorsOnly=true|false` (default true).
pub async fn list(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, RestError> {
    let connectors_only = !query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .any(|p| p.eq_ignore_ascii_case("connectorsOnly=false"));
    let plugins: Vec<PluginInfo> = state
        .herder()?
        .plugins(connectors_only)
        .into_iter()
        .map(PluginInfo::from)
        .collect();
    Ok(Json(plugins).into_response())
}

/// `GET /connector-plugins/{plugin}/config`.
pub async fn config(State(state): State<AppState>, Path(plugin): Path<String>) -> Result<Response, RestError> {
    let keys: Vec<ConfigKeyInfo> = state
        .herder()?
        .plugin_config(&plugin)?
        .iter()
        .map(ConfigKeyInfo::from)
        .collect();
    Ok(Json(keys).into_response())
}

/// `PUT /connector-plugins/{plugin}/config/validate`: 200 with every error listed.
pub async fn validate(
    State(state): State<AppState>,
    Path(plugin): Path<String>,
    Body(body): Body<serde_json::Map<String, JsonValue>>,
) -> Result<Response, RestError> {
    let herder = state.herder()?;
    let mut props = config_map(body)?;
    let class = props
        .entry("connector.class".into())
        .or_insert_with(|| plugin.clone())
        .clone();
    if class != plugin && !herder.same_plugin(&class, &plugin) {
        return Err(RestError::bad_request(format!(
            "Included connector type {class} does not match request type {plugin}"
        )));
    }
    Ok(Json(ConfigInfos::from(herder.validate(&props).await?)).into_response())
}
