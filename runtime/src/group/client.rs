//! Requests between the workers of a group, over their REST APIs: a request forwarded to the
//! worker that must take it (the leader, for writes), the task configs a connector asked for,
//! sent to the leader to write, and a request for the leader to fence a connector's older
//! exactly-once tasks. A request the group must trust is signed with the session key
//! (`X-Connect-Authorization`, Kafka Connect's `InternalRequestSignature`).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use weir_connector_api::Props;

use crate::model::{MacAlgorithm, SessionKey};

/// The header holding a request's signature, base64.
pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";

/// The header naming the signature's algorithm.
pub const SIGNATURE_ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";

/// How long another worker may take to answer (Kafka Connect's REST request timeout).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// The headers a forwarded request keeps: what it is, who sent it, and its signature.
const FORWARDED_HEADERS: [&str; 5] = [
    "content-type",
    "accept",
    "authorization",
    SIGNATURE_HEADER,
    SIGNATURE_ALGORITHM_HEADER,
];

/// Why a request to another worker failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The worker could not be reached, or did not answer in time.
    #[error("worker {url} could not be reached: {source}")]
    Unreachable {
        /// Where the request went.
        url: String,
        /// The HTTP client's error.
        source: reqwest::Error,
    },
    /// The worker refused the request.
    #[error("worker {url} answered {status}: {message}")]
    Refused {
        /// Where the request went.
        url: String,
        /// Its status.
        status: StatusCode,
        /// Its message.
        message: String,
    },
}

/// A request signer: the session key and the algorithm (`inter.worker.signature.algorithm`).
#[derive(Clone, Copy, Debug)]
pub struct Signer<'a> {
    /// The group's session key.
    pub key: &'a SessionKey,
    /// The signature algorithm.
    pub algorithm: MacAlgorithm,
}

impl Signer<'_> {
    /// The signature headers of `body`.
    pub fn headers(&self, body: &[u8]) -> [(&'static str, String); 2] {
        [
            (SIGNATURE_HEADER, BASE64.encode(self.key.sign(self.algorithm, body))),
            (SIGNATURE_ALGORITHM_HEADER, self.algorithm.name().to_owned()),
        ]
    }
}

/// Another worker's answer.
#[derive(Debug)]
pub struct Answer {
    /// Its status.
    pub status: StatusCode,
    /// Its content type, if it gave one.
    pub content_type: Option<HeaderValue>,
    /// Its body.
    pub body: Bytes,
}

/// The client a worker reaches the others with.
#[derive(Clone, Debug, Default)]
pub struct WorkerClient {
    http: reqwest::Client,
}

impl WorkerClient {
    /// A client with Kafka Connect's request timeout, reaching `https://` workers with `tls`
    /// (the REST API's own TLS settings, as in Kafka Connect) when it is given.
    pub fn new(tls: Option<rustls::ClientConfig>) -> Self {
        let builder = reqwest::Client::builder().timeout(REQUEST_TIMEOUT);
        let builder = match tls {
            Some(config) => builder.use_preconfigured_tls(config),
            None => builder,
        };
        WorkerClient {
            http: builder.build().unwrap_or_default(),
        }
    }

    /// Sends `method url` with `body` and the forwardable ones of `headers`, and returns the
    /// answer whatever its status.
    pub async fn forward(
        &self,
        method: Method,
        url: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Answer, ClientError> {
        let mut request = self.http.request(method, url).body(body);
        for name in FORWARDED_HEADERS {
            for value in headers.get_all(name) {
                request = request.header(name, value);
            }
        }
        let unreachable = |source| ClientError::Unreachable {
            url: url.to_owned(),
            source,
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let content_type = response.headers().get(http::header::CONTENT_TYPE).cloned();
        let body = response.bytes().await.map_err(unreachable)?;
        Ok(Answer {
            status,
            content_type,
            body,
        })
    }

    /// Sends a connector's task configs to the leader at `leader_url`, signed when `signer` is
    /// given (`POST /connectors/{name}/tasks`).
    pub async fn put_task_configs(
        &self,
        leader_url: &str,
        connector: &str,
        configs: &[Props],
        signer: Option<Signer<'_>>,
    ) -> Result<(), ClientError> {
        let body = Bytes::from(serde_json::to_vec(configs).unwrap_or_default());
        self.signed(Method::POST, leader_url, connector, "tasks", body, signer)
            .await
    }

    /// Asks the leader at `leader_url` to fence a connector's older exactly-once tasks, signed
    /// when `signer` is given (`PUT /connectors/{name}/fence`, no body), and returns once it
    /// has.
    pub async fn fence(
        &self,
        leader_url: &str,
        connector: &str,
        signer: Option<Signer<'_>>,
    ) -> Result<(), ClientError> {
        self.signed(Method::PUT, leader_url, connector, "fence", Bytes::new(), signer)
            .await
    }

    /// Sends `method <leader_url>/connectors/<connector>/<action>` with a JSON `body`, signed
    /// when `signer` is given; an answer other than a success is an error with its message.
    async fn signed(
        &self,
        method: Method,
        leader_url: &str,
        connector: &str,
        action: &str,
        body: Bytes,
        signer: Option<Signer<'_>>,
    ) -> Result<(), ClientError> {
        let url = format!(
            "{}/connectors/{}/{action}?forward=true",
            leader_url.trim_end_matches('/'),
            encode_segment(connector)
        );
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(signer) = signer {
            for (name, value) in signer.headers(&body) {
                if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value))
                {
                    headers.insert(name, value);
                }
            }
        }
        let answer = self.forward(method, &url, &headers, body).await?;
        if answer.status.is_success() {
            return Ok(());
        }
        let message = serde_json::from_slice::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&answer.body).into_owned());
        Err(ClientError::Refused {
            url,
            status: answer.status,
            message,
        })
    }
}

/// A path segment with everything but unreserved characters percent-encoded.
pub fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment("a b/c%"), "a%20b%2Fc%25");
        assert_eq!(encode_segment("plain-name_1.x~"), "plain-name_1.x~");
    }
}
