//! A request this worker cannot take goes to the worker that can (Kafka Connect's
//! `completeOrForwardRequest`): a write on a follower goes to the leader, a task restart to the
//! worker that runs the task. A handler that answers [`HerderError::Elsewhere`] marks its
//! answer with the target; this layer then sends the request there and answers with what that
//! worker answered.
//!
//! The `forward` query parameter bounds the hops: a user's request (no `forward`) is sent on
//! with `forward=true`, which may be sent on once more with `forward=false`, which is not sent
//! on: two hops find the target unless the group is rebalancing, and then the answer is 409.
//!
//! [`HerderError::Elsewhere`]: crate::herder::HerderError::Elsewhere

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::body::read_bounded;
use super::{AppState, RestError};

/// Where a request must go instead, as a handler's answer carries it.
#[derive(Clone, Debug)]
pub struct ForwardTo {
    /// The REST URL of the worker that can take it; `None` while no leader is known.
    pub url: Option<String>,
}

/// Runs a request, and sends it on when its answer says another worker must take it.
pub async fn forward_elsewhere(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() == Method::GET {
        return next.run(request).await;
    }
    let (parts, mut body) = request.into_parts();
    let bytes = match read_bounded(&mut body, state.body_limits.max_bytes).await {
        Ok(bytes) => bytes::Bytes::from(bytes),
        Err(e) => return e.into_response(),
    };
    let answer = next
        .run(Request::from_parts(parts.clone(), Body::from(bytes.clone())))
        .await;
    let Some(ForwardTo { url }) = answer.extensions().get::<ForwardTo>().cloned() else {
        return answer;
    };
    let query = parts.uri.query().unwrap_or_default();
    let (hop, rest) = forward_param(query);
    let next_hop = match hop {
        Some(false) => {
            tracing::error!(method = %parts.method, path = %parts.uri.path(), "request could not find its target worker within two hops");
            return RestError::new(
                StatusCode::CONFLICT,
                "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
            )
            .into_response();
        }
        // Only a user's request may be sent on twice.
        None => true,
        Some(true) => false,
    };
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        return RestError::new(
            StatusCode::CONFLICT,
            "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.",
        )
        .into_response();
    };
    let mut target = format!("{}{}?forward={next_hop}", url.trim_end_matches('/'), parts.uri.path());
    for pair in rest {
        target.push('&');
        target.push_str(pair);
    }
    tracing::debug!(method = %parts.method, %target, "forwarding request");
    match state
        .client
        .forward(parts.method.clone(), &target, &parts.headers, bytes)
        .await
    {
        Ok(forwarded) => {
            let mut response = (forwarded.status, forwarded.body).into_response();
            let content_type = forwarded
                .content_type
                .unwrap_or_else(|| HeaderValue::from_static("application/json"));
            response
                .headers_mut()
                .insert(axum::http::header::CONTENT_TYPE, content_type);
            response
        }
        Err(e) => RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("IO Error trying to forward REST request: {e}"),
        )
        .into_response(),
    }
}

/// The `forward` parameter of a query (`None` when absent or not a boolean), and its other
/// parameters.
fn forward_param(query: &str) -> (Option<bool>, Vec<&str>) {
    let mut forward = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("forward", value)) => forward = value.parse().ok(),
            _ => rest.push(pair),
        }
    }
    (forward, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forward_parameter_is_split_from_the_others() {
        assert_eq!(forward_param(""), (None, vec![]));
        assert_eq!(
            forward_param("includeTasks=true&forward=false&onlyFailed=true"),
            (Some(false), vec!["includeTasks=true", "onlyFailed=true"])
        );
        assert_eq!(forward_param("forward=true"), (Some(true), vec![]));
    }
}
