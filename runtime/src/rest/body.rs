//! Request bodies in JSON or YAML, and config maps whose values are kept as strings.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use weir_connector_api::Props;

use super::RestError;

/// A body parsed from JSON, or from YAML when the content type says so.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = RestError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let yaml = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("yaml"));
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| RestError::bad_request(format!("Cannot read the request body: {e}")))?;
        let json: Json = if yaml {
            serde_yaml::from_slice(&bytes)
                .map_err(|e| RestError::bad_request(format!("Cannot parse the YAML body: {e}")))?
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| RestError::bad_request(format!("Cannot parse the JSON body: {e}")))?
        };
        serde_json::from_value(json)
            .map(Body)
            .map_err(|e| RestError::bad_request(format!("Unexpected request body: {e}")))
    }
}

/// A config value as Kafka Connect keeps it: a string. Numbers and booleans keep their text;
/// a list of scalars becomes a comma-separated list. `None` for null.
fn config_value(key: &str, value: &Json) -> Result<Option<String>, RestError> {
    Ok(Some(match value {
        Json::Null => return Ok(None),
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::Array(_) | Json::Object(_) | Json::Null => Err(RestError::bad_request(format!(
                    "Config value of '{key}' must be a string, number, boolean or list of them"
                ))),
                other => Ok(config_value(key, other)?.unwrap_or_default()),
            })
            .collect::<Result<Vec<_>, _>>()?
            .join(","),
        Json::Object(_) => {
            return Err(RestError::bad_request(format!(
                "Config value of '{key}' must be a string, number or boolean, not an object"
            )));
        }
    }))
}

/// A full config map: every value present.
pub fn config_map(map: serde_json::Map<String, Json>) -> Result<Props, RestError> {
    map.iter()
        .map(|(k, v)| match config_value(k, v)? {
            Some(v) => Ok((k.clone(), v)),
            None => Err(RestError::bad_request(format!(
                "Config value of '{k}' must not be null"
            ))),
        })
        .collect()
}

/// A partial config map: `None` removes the key.
pub fn config_patch(map: serde_json::Map<String, Json>) -> Result<Vec<(String, Option<String>)>, RestError> {
    map.iter().map(|(k, v)| Ok((k.clone(), config_value(k, v)?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_become_strings() {
        let map = serde_json::json!({"tasks.max": 2, "errors.log.enable": true, "topics": ["a", "b"], "file": "/x"});
        let props = config_map(map.as_object().cloned().unwrap()).unwrap();
        assert_eq!(props["tasks.max"], "2");
        assert_eq!(props["errors.log.enable"], "true");
        assert_eq!(props["topics"], "a,b");
    }

    #[test]
    fn nulls_and_objects_are_refused_or_removed() {
        let map = serde_json::json!({"a": null});
        assert!(config_map(map.as_object().cloned().unwrap()).is_err());
        assert_eq!(
            config_patch(map.as_object().cloned().unwrap()).unwrap(),
            vec![("a".to_owned(), None)]
        );
        let nested = serde_json::json!({"a": {"b": 1}});
        assert!(config_map(nested.as_object().cloned().unwrap()).is_err());
    }
}
