//! `http-sink`: each batch of records is POSTed to `http.api.url` as a JSON array of their
//! values (Confluent's HTTP sink keys). A batch is acknowledged only once the server answered
//! 2xx; 5xx and lost connections are retried, 4xx fail the task. The host must grant the
//! URL's host in `wasm.allow.http.hosts`.

use std::collections::BTreeMap;

use serde_json::Value;
use wasi::http::outgoing_handler;
use wasi::http::types::{ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, Scheme};
use weir_plugin_sdk::*;

/// Bytes written to the request body per call (the stream's limit).
const CHUNK: usize = 4096;

/// Where batches go, split from `http.api.url`.
struct Endpoint {
    scheme: Scheme,
    authority: String,
    path: String,
}

impl Endpoint {
    fn parse(url: &str) -> Result<Endpoint, Error> {
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else {
            return Err(Error::config(format!(
                "http.api.url {url:?} is not an http:// or https:// URL"
            )));
        };
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(Error::config(format!("http.api.url {url:?} has no host")));
        }
        Ok(Endpoint {
            scheme,
            authority: authority.to_owned(),
            path: path.to_owned(),
        })
    }
}

struct HttpSink {
    endpoint: Endpoint,
    batch_size: usize,
    headers: Vec<(String, Vec<u8>)>,
    /// The last offset posted per topic and partition: a batch put again after a failure
    /// skips what already went out.
    posted: BTreeMap<(String, i32), i64>,
}

impl HttpSink {
    /// POSTs one batch; answers once the server has it.
    fn post(&self, values: &[Value]) -> Result<(), Error> {
        let body = serde_json::to_vec(values).map_err(|e| Error::Data(format!("encoding a batch: {e}")))?;
        let mut headers = self.headers.clone();
        headers.push(("content-length".to_owned(), body.len().to_string().into_bytes()));
        let headers = Fields::from_list(&headers).map_err(|e| Error::config(format!("headers: {e:?}")))?;
        let request = OutgoingRequest::new(headers);
        let invalid = |what: &str| Error::config(format!("http.api.url: invalid {what}"));
        request.set_method(&Method::Post).map_err(|()| invalid("method"))?;
        request
            .set_scheme(Some(&self.endpoint.scheme))
            .map_err(|()| invalid("scheme"))?;
        request
            .set_authority(Some(&self.endpoint.authority))
            .map_err(|()| invalid("host"))?;
        request
            .set_path_with_query(Some(&self.endpoint.path))
            .map_err(|()| invalid("path"))?;
        let outgoing = request
            .body()
            .map_err(|()| Error::fatal("the request body was already taken"))?;
        let pending = outgoing_handler::handle(request, None).map_err(|e| self.failure(e))?;
        let wait = || loop {
            match pending.get() {
                Some(result) => break result,
                None => pending.subscribe().block(),
            }
        };
        let sent = {
            let stream = outgoing
                .write()
                .map_err(|()| Error::fatal("the request body stream was already taken"))?;
            body.chunks(CHUNK)
                .try_for_each(|chunk| stream.blocking_write_and_flush(chunk))
        };
        if let Err(stream_error) = sent {
            // A refused request closes the body stream: its response says why.
            return match wait() {
                Ok(Err(e)) => Err(self.failure(e)),
                _ => Err(Error::retriable(format!(
                    "sending to {}: {stream_error:?}",
                    self.endpoint.authority
                ))),
            };
        }
        OutgoingBody::finish(outgoing, None).map_err(|e| self.failure(e))?;
        let response = wait()
            .map_err(|()| Error::fatal("the response was already taken"))?
            .map_err(|e| self.failure(e))?;
        match response.status() {
            200..=299 => Ok(()),
            status @ (408 | 429 | 500..=599) => Err(Error::retriable(format!(
                "{} answered {status}",
                self.endpoint.authority
            ))),
            status => Err(Error::fatal(format!(
                "{} refused a batch with {status}",
                self.endpoint.authority
            ))),
        }
    }

    fn failure(&self, error: ErrorCode) -> Error {
        match error {
            ErrorCode::HttpRequestDenied => Error::fatal(format!(
                "the request to {} was denied: grant the host in wasm.allow.http.hosts",
                self.endpoint.authority
            )),
            other => Error::retriable(format!("sending to {}: {other:?}", self.endpoint.authority)),
        }
    }
}

impl SinkPlugin for HttpSink {
    fn describe() -> PluginInfo {
        PluginInfo::new("http-sink", env!("CARGO_PKG_VERSION"))
            .key(ConfigKey::string("http.api.url", "Where batches are POSTed.").importance(Importance::High))
            .key(
                ConfigKey::new("batch.max.size", ConfigType::Int, "The most records in one request.")
                    .default_value("500")
                    .between(Some(1.0), Some(100_000.0)),
            )
            .key(
                ConfigKey::string("headers", "Extra request headers: name:value pairs separated by |.")
                    .default_value(""),
            )
    }

    fn validate(config: &Config) -> Vec<ConfigError> {
        match config.get("http.api.url").map(Endpoint::parse) {
            Some(Err(Error::Config(message))) => vec![ConfigError {
                key: "http.api.url".into(),
                message,
            }],
            _ => Vec::new(),
        }
    }

    fn open(config: &Config) -> Result<Self, Error> {
        let mut headers = vec![("content-type".to_owned(), b"application/json".to_vec())];
        for pair in config
            .get("headers")
            .unwrap_or_default()
            .split('|')
            .filter(|p| !p.trim().is_empty())
        {
            let (name, value) = pair
                .split_once(':')
                .ok_or_else(|| Error::config(format!("headers: {pair:?} is not name:value")))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().as_bytes().to_vec()));
        }
        Ok(HttpSink {
            endpoint: Endpoint::parse(config.require("http.api.url")?)?,
            batch_size: config.parse_or("batch.max.size", 500)?,
            headers,
            posted: BTreeMap::new(),
        })
    }

    fn put(&mut self, records: Vec<SinkRecord>) -> Result<(), Error> {
        let fresh: Vec<&SinkRecord> = records
            .iter()
            .filter(|r| {
                self.posted
                    .get(&(r.topic.clone(), r.partition))
                    .is_none_or(|posted| r.offset > *posted)
            })
            .collect();
        for batch in fresh.chunks(self.batch_size) {
            let values: Vec<Value> = batch.iter().map(|r| r.value.to_json().unwrap_or(Value::Null)).collect();
            self.post(&values)?;
            for record in batch {
                self.posted
                    .insert((record.topic.clone(), record.partition), record.offset);
            }
        }
        Ok(())
    }
}

sink_plugin!(HttpSink);
