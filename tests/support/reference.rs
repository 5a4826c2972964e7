//! The reference implementation: the Apache Kafka Connect worker of `scripts/dev-env` (service
//! `connect`, with Debezium's Postgres connector), at `CONNECT_URL`. Tests run the real thing
//! beside Weir on the same input and compare their outputs.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

/// A connector created on the reference worker, deleted when dropped.
pub struct ReferenceConnector {
    url: String,
    name: String,
}

/// The reference worker's URL; it must answer.
pub fn url() -> String {
    let url = std::env::var("CONNECT_URL").unwrap_or_else(|_| "http://127.0.0.1:8183".into());
    assert!(
        super::reachable(url.trim_start_matches("http://")),
        "Kafka Connect (the reference) is not reachable at {url}: start it with `scripts/dev-env up connect` and `eval \"$(scripts/dev-env env)\"`"
    );
    url
}

/// Sends a request to the reference worker; returns the status and the JSON body.
pub async fn request(method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    request_to(&url(), method, path, body).await
}

/// Sends a request to the Kafka Connect worker at `base`; returns the status and the JSON body.
pub async fn request_to(base: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = reqwest::Client::new().request(method, format!("{base}{path}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request to Kafka Connect");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates a connector on the Kafka Connect worker at `base` and waits (up to `timeout`) until
/// it and its tasks run; a FAILED task fails the test with its trace.
pub async fn create_running(base: &str, name: &str, config: Value, timeout: Duration) {
    let (status, body) = request_to(
        base,
        "POST",
        "/connectors",
        Some(serde_json::json!({"name": name, "config": config})),
    )
    .await;
    assert_eq!(status, 201, "creating {name} on Kafka Connect: {body}");
    super::eventually(&format!("{name} to run on Kafka Connect"), timeout, || async {
        let (_, status) = request_to(base, "GET", &format!("/connectors/{name}/status"), None).await;
        let tasks = status["tasks"].as_array().cloned().unwrap_or_default();
        if let Some(failed) = tasks.iter().find(|t| t["state"] == "FAILED") {
            panic!("{name} failed on Kafka Connect: {}", failed["trace"]);
        }
        (status["connector"]["state"] == "RUNNING"
            && !tasks.is_empty()
            && tasks.iter().all(|t| t["state"] == "RUNNING"))
        .then_some(())
    })
    .await;
}

impl ReferenceConnector {
    /// Creates a connector and waits until it and its tasks run.
    pub async fn create(name: &str, config: Value) -> ReferenceConnector {
        let url = url();
        create_running(&url, name, config, Duration::from_secs(60)).await;
        ReferenceConnector {
            url,
            name: name.to_owned(),
        }
    }
}

impl Drop for ReferenceConnector {
    /// Deletes the connector (plain HTTP/1.0 over a socket: `Drop` cannot await).
    fn drop(&mut self) {
        let address = self.url.trim_start_matches("http://").to_owned();
        let request = format!("DELETE /connectors/{} HTTP/1.0\r\nHost: {address}\r\n\r\n", self.name);
        if let Ok(mut stream) = TcpStream::connect(&address) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
            let _ = stream.write_all(request.as_bytes());
            let _ = stream.read_to_end(&mut Vec::new());
        }
    }
}
