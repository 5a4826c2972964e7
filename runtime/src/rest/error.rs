//! Errors as Kafka Connect answers them: `{"error_code": <status>, "message": "..."}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::forward::ForwardTo;
use crate::herder::HerderError;

/// An error answer.
#[derive(Debug)]
pub struct RestError {
    status: StatusCode,
    message: String,
    /// Another worker must take the request: the forwarding layer sends it there.
    forward: Option<ForwardTo>,
}

impl RestError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        RestError {
            status,
            message: message.into(),
            forward: None,
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        RestError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<HerderError> for RestError {
    fn from(error: HerderError) -> Self {
        let status = match &error {
            HerderError::NotFound(_) => StatusCode::NOT_FOUND,
            HerderError::AlreadyExists(_) | HerderError::Conflict(_) | HerderError::Elsewhere { .. } => {
                StatusCode::CONFLICT
            }
            HerderError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HerderError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HerderError::Forbidden(_) => StatusCode::FORBIDDEN,
            HerderError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HerderError::Storage(_) | HerderError::Kafka(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %error, "request failed");
        }
        let forward = match &error {
            HerderError::Elsewhere { url, .. } => Some(ForwardTo { url: url.clone() }),
            _ => None,
        };
        RestError {
            forward,
            ..RestError::new(status, error.to_string())
        }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(json!({"error_code": self.status.as_u16(), "message": self.message})),
        )
            .into_response();
        if let Some(forward) = self.forward {
            response.extensions_mut().insert(forward);
        }
        response
    }
}
