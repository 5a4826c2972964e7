//! Request bodies in JSON or YAML, and config maps whose values are kept as strings.
//!
//! A body is bounded before it is parsed: in size (413 past `rest.request.max.bytes`), in
//! nesting depth (400 past `rest.request.max.depth`), and by type (415 unless it says JSON or
//! YAML). It is parsed off the async threads, so a costly one holds no other request up.
//!
//! A refused body is still read to its end (up to [`DRAIN_MAX_BYTES`], for [`DRAIN_TIMEOUT`] at
//! most) and thrown away before the answer goes out: a connection closed with the client's
//! bytes unread is reset, and the reset can reach the client before the answer does.

use std::time::Duration;

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use weir_connector_api::Props;

use super::{AppState, RestError};

/// The most bytes of a refused body read and thrown away before answering.
const DRAIN_MAX_BYTES: usize = 64 << 20;
/// The longest a refused body is read before answering.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A body parsed from JSON, or from YAML when the content type says so.
pub struct Body<T>(pub T);

/// The formats a body may come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Yaml,
}

impl<T: DeserializeOwned + Send + 'static> FromRequest<AppState> for Body<T> {
    type Rejection = RestError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limits = state.body_limits;
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut body = req.into_body();
        let format = if content_type.contains("yaml") {
            Format::Yaml
        } else if content_type.starts_with("application/json") || content_type.contains("+json") {
            Format::Json
        } else {
            drain(&mut body, 0).await;
            return Err(RestError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "HTTP 415 Unsupported Media Type: a body needs Content-Type application/json or application/yaml, not '{content_type}'"
                ),
            ));
        };
        let bytes = read_bounded(&mut body, limits.max_bytes).await?;
        tokio::task::spawn_blocking(move || parse(&bytes, format, limits.max_depth))
            .await
            .map_err(|e| RestError::bad_request(format!("Cannot parse the request body: {e}")))?
            .map(Body)
    }
}

/// A body as raw bytes (of at most `rest.request.max.bytes`), for a request whose signature
/// covers its exact bytes.
pub struct RawBody(pub Vec<u8>);

impl FromRequest<AppState> for RawBody {
    type Rejection = RestError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut body = req.into_body();
        Ok(RawBody(read_bounded(&mut body, state.body_limits.max_bytes).await?))
    }
}

/// Reads a whole body of at most `max_bytes`; a longer one is drained and answered 413.
pub(super) async fn read_bounded(body: &mut axum::body::Body, max_bytes: usize) -> Result<Vec<u8>, RestError> {
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| RestError::bad_request(format!("Cannot read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if bytes.len() + data.len() > max_bytes {
            drain(body, bytes.len() + data.len()).await;
            return Err(RestError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than {max_bytes} bytes (rest.request.max.bytes)"),
            ));
        }
        bytes.extend_from_slice(&data);
    }
    Ok(bytes)
}

/// Reads the rest of a refused body and throws it away, within the drain bounds (`read` bytes
/// of it were read already).
async fn drain(body: &mut axum::body::Body, mut read: usize) {
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while read <= DRAIN_MAX_BYTES {
            match body.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
                _ => break,
            }
        }
    })
    .await;
}

/// Parses a body whose nesting stays within `max_depth`.
fn parse<T: DeserializeOwned>(bytes: &[u8], format: Format, max_depth: usize) -> Result<T, RestError> {
    let depth = nesting_depth(bytes, format == Format::Yaml);
    if depth > max_depth {
        return Err(RestError::bad_request(format!(
            "The request body is nested {depth} levels deep, more than {max_depth} (rest.request.max.depth)"
        )));
    }
    let json: Json = match format {
        Format::Yaml => serde_yaml::from_slice(bytes)
            .map_err(|e| RestError::bad_request(format!("Cannot parse the YAML body: {e}")))?,
        Format::Json => serde_json::from_slice(bytes)
            .map_err(|e| RestError::bad_request(format!("Cannot parse the JSON body: {e}")))?,
    };
    serde_json::from_value(json).map_err(|e| RestError::bad_request(format!("Unexpected request body: {e}")))
}

/// How deeply a JSON or YAML text nests: the brackets and braces open at once outside quoted
/// strings and, for YAML, plus its levels of block indentation and of `- ` items on one line.
/// An upper bound, cheap to take before any parser runs.
fn nesting_depth(text: &[u8], yaml: bool) -> usize {
    let (mut deepest, mut flow) = (0usize, 0usize);
    let mut indents: Vec<usize> = Vec::new();
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    let mut line_start = true;
    let (mut indent, mut dashes) = (0usize, 0usize);
    for &b in text {
        if let Some(q) = quote {
            match b {
                _ if escaped => escaped = false,
                b'\\' if q == b'"' => escaped = true,
                _ if b == q => quote = None,
                _ => {}
            }
            continue;
        }
        if yaml && line_start {
            match b {
                b' ' => {
                    indent += 1;
                    continue;
                }
                b'-' => {
                    dashes += 1;
                    indent += 1;
                    continue;
                }
                b'\n' | b'\r' | b'#' => {}
                _ => {
                    while indents.last().is_some_and(|i| *i >= indent) {
                        indents.pop();
                    }
                    indents.push(indent);
                    line_start = false;
                }
            }
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b'[' | b'{' => flow += 1,
            b']' | b'}' => flow = flow.saturating_sub(1),
            b'\n' => {
                line_start = true;
                (indent, dashes) = (0, 0);
                continue;
            }
            _ => {}
        }
        deepest = deepest.max(flow + indents.len() + dashes);
    }
    deepest
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
    fn depth_is_bounded_before_parsing() {
        assert_eq!(nesting_depth(br#"{"a": {"b": [1, "]]]"]}}"#, false), 3);
        let deep = format!("{}1{}", "{a: ".repeat(50_000), "}".repeat(50_000));
        assert_eq!(nesting_depth(deep.as_bytes(), true), 50_001);
        let block = "a:\n  b:\n    c: 1\n  d: 2\n";
        assert_eq!(nesting_depth(block.as_bytes(), true), 3);
        assert_eq!(nesting_depth(b"- - - - x\n", true), 5);
        let refused = parse::<Json>(deep.as_bytes(), Format::Yaml, 64);
        assert!(refused.is_err_and(|e| e.message().contains("rest.request.max.depth")));
        assert_eq!(
            parse::<Json>(b"a: {b: [1, 2]}", Format::Yaml, 64).unwrap(),
            serde_json::json!({"a": {"b": [1, 2]}})
        );
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
