//! The registry's REST API, as Confluent's serializers call it, with the caches that keep a
//! steady stream of records from making any call: schema by id, and id by subject and schema.
//!
//! Calls block: converters are synchronous, as Kafka Connect's are. On a multi-threaded Tokio
//! runtime a call first tells the runtime that this thread blocks, so other tasks move on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::json;

use weir_connector_api::ConversionError;

use super::config::{RegistryConfig, without_user_info};

/// What a subject name may hold unescaped in a URL path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The media type of the registry's API.
const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The formats a registry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SchemaKind {
    /// Apache Avro (the registry's default when an answer names no `schemaType`).
    Avro,
}

impl SchemaKind {
    /// Its `schemaType` in the API, which Confluent's serializers send for Avro too.
    fn api_name(self) -> &'static str {
        match self {
            SchemaKind::Avro => "AVRO",
        }
    }

    /// The kind an answer's `schemaType` names (absent: Avro).
    fn from_api(name: Option<&str>) -> Result<Self, String> {
        match name {
            None | Some("AVRO") => Ok(SchemaKind::Avro),
            Some(other) => Err(format!("a schema of type {other}")),
        }
    }
}

/// A schema as the registry holds it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RegisteredSchema {
    /// Its format.
    pub kind: SchemaKind,
    /// Its text.
    pub text: String,
    /// The schemas it refers to by name, defined elsewhere in the registry (as Apicurio's
    /// converter registers a record nested in another).
    pub references: Vec<SchemaReference>,
}

/// A schema another one refers to: a name, and the subject version that defines it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
pub(crate) struct SchemaReference {
    /// The name it is referred to by.
    pub name: String,
    /// The subject that holds it.
    pub subject: String,
    /// Its version there.
    pub version: i64,
}

/// A failed call to the registry.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RegistryError {
    /// No registry could be reached, or each answered with a server error.
    #[error("Schema registry unavailable at {url}: {reason}")]
    Unavailable {
        /// The last URL tried, without credentials.
        url: String,
        /// What went wrong there.
        reason: String,
    },
    /// The registry answered, and refused.
    #[error("Schema registry at {url} refused to {action}: {message} (HTTP {status}, error code {code})")]
    Refused {
        /// The URL, without credentials.
        url: String,
        /// What was asked.
        action: String,
        /// The HTTP status.
        status: u16,
        /// The registry's `error_code`.
        code: i64,
        /// The registry's `message`.
        message: String,
    },
    /// The registry's answer could not be read.
    #[error("Schema registry at {url} answered {action} with what Weir cannot read: {reason}")]
    BadAnswer {
        /// The URL, without credentials.
        url: String,
        /// What was asked.
        action: String,
        /// What is wrong with the answer.
        reason: String,
    },
}

impl From<RegistryError> for ConversionError {
    /// An unreachable registry is a failure for now, which the runtime retries.
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::Unavailable { .. } => ConversionError::retriable(error.to_string()),
            _ => ConversionError::new(error.to_string()),
        }
    }
}

/// A registry's error body.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error_code: i64,
    #[serde(default)]
    message: String,
}

/// A registry answer naming a schema id.
#[derive(Deserialize)]
struct IdAnswer {
    id: u32,
}

/// A registry answer holding a schema.
#[derive(Deserialize)]
struct SchemaAnswer {
    schema: String,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<SchemaReference>,
}

/// One registry request.
struct Request<'a> {
    method: &'static str,
    path: String,
    body: Option<String>,
    action: &'a str,
}

/// A client of one or more registries (tried in turn), with its caches.
pub(crate) struct RegistryClient {
    urls: Vec<String>,
    authorization: Option<String>,
    normalize: bool,
    max_cached: usize,
    agent: ureq::Agent,
    /// The URL to try first: the one that answered last.
    current: AtomicUsize,
    by_id: Mutex<HashMap<u32, Arc<RegisteredSchema>>>,
    by_version: Mutex<HashMap<(String, i64), Arc<RegisteredSchema>>>,
    ids: Mutex<HashMap<(String, Arc<RegisteredSchema>), u32>>,
}

impl RegistryClient {
    /// A client with these settings.
    pub(crate) fn new(config: &RegistryConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.request_timeout))
            .build()
            .new_agent();
        RegistryClient {
            urls: config.urls.clone(),
            authorization: config
                .user_info
                .as_ref()
                .map(|user_info| format!("Basic {}", BASE64.encode(user_info))),
            normalize: config.normalize,
            max_cached: config.max_schemas,
            agent,
            current: AtomicUsize::new(0),
            by_id: Mutex::new(HashMap::new()),
            by_version: Mutex::new(HashMap::new()),
            ids: Mutex::new(HashMap::new()),
        }
    }

    /// The id of `schema` under `subject`: registered there if `register`, else looked up.
    pub(crate) fn id_of(
        &self,
        subject: &str,
        schema: &Arc<RegisteredSchema>,
        register: bool,
    ) -> Result<u32, RegistryError> {
        let key = (subject.to_owned(), schema.clone());
        if let Some(id) = lock(&self.ids).get(&key) {
            return Ok(*id);
        }
        let body = json!({ "schemaType": schema.kind.api_name(), "schema": schema.text });
        let segment = utf8_percent_encode(subject, SEGMENT);
        let query = if self.normalize { "?normalize=true" } else { "" };
        let (path, action) = if register {
            (
                format!("/subjects/{segment}/versions{query}"),
                format!("register a schema under subject {subject}"),
            )
        } else {
            (
                format!("/subjects/{segment}{query}"),
                format!("look up a schema under subject {subject}"),
            )
        };
        let answer: IdAnswer = self.call(Request {
            method: "POST",
            path,
            body: Some(body.to_string()),
            action: &action,
        })?;
        insert_bounded(&self.ids, key, answer.id, self.max_cached);
        insert_bounded(&self.by_id, answer.id, schema.clone(), self.max_cached);
        Ok(answer.id)
    }

    /// The schema with this id.
    pub(crate) fn schema_by_id(&self, id: u32) -> Result<Arc<RegisteredSchema>, RegistryError> {
        if let Some(schema) = lock(&self.by_id).get(&id) {
            return Ok(schema.clone());
        }
        let schema = self.fetch(format!("/schemas/ids/{id}"), &format!("fetch schema {id}"))?;
        insert_bounded(&self.by_id, id, schema.clone(), self.max_cached);
        Ok(schema)
    }

    /// The schema a subject holds at this version (that a reference names).
    pub(crate) fn schema_by_version(
        &self,
        subject: &str,
        version: i64,
    ) -> Result<Arc<RegisteredSchema>, RegistryError> {
        let key = (subject.to_owned(), version);
        if let Some(schema) = lock(&self.by_version).get(&key) {
            return Ok(schema.clone());
        }
        let segment = utf8_percent_encode(subject, SEGMENT);
        let schema = self.fetch(
            format!("/subjects/{segment}/versions/{version}"),
            &format!("fetch version {version} of subject {subject}"),
        )?;
        insert_bounded(&self.by_version, key, schema.clone(), self.max_cached);
        Ok(schema)
    }

    /// A schema the registry answers with.
    fn fetch(&self, path: String, action: &str) -> Result<Arc<RegisteredSchema>, RegistryError> {
        let answer: SchemaAnswer = self.call(Request {
            method: "GET",
            path,
            body: None,
            action,
        })?;
        let kind = SchemaKind::from_api(answer.schema_type.as_deref()).map_err(|reason| RegistryError::BadAnswer {
            url: self.shown_url(),
            action: action.to_owned(),
            reason,
        })?;
        Ok(Arc::new(RegisteredSchema {
            kind,
            text: answer.schema,
            references: answer.references,
        }))
    }

    /// Sends a request to each registry in turn until one answers; reads its answer.
    fn call<T: for<'de> Deserialize<'de>>(&self, request: Request<'_>) -> Result<T, RegistryError> {
        let first = self.current.load(Ordering::Relaxed);
        let mut last_error = None;
        for attempt in 0..self.urls.len() {
            let index = (first + attempt) % self.urls.len();
            let url = &self.urls[index];
            match blocking(|| self.send(url, &request)) {
                Ok((status, body)) if status < 500 => {
                    self.current.store(index, Ordering::Relaxed);
                    return read_answer(without_user_info(url), request.action, status, &body);
                }
                Ok((status, body)) => {
                    last_error = Some(RegistryError::Unavailable {
                        url: without_user_info(url),
                        reason: format!("HTTP {status}: {}", error_message(&body)),
                    })
                }
                Err(reason) => {
                    last_error = Some(RegistryError::Unavailable {
                        url: without_user_info(url),
                        reason,
                    })
                }
            }
        }
        Err(last_error.unwrap_or_else(|| RegistryError::Unavailable {
            url: String::new(),
            reason: "no registry URL".into(),
        }))
    }

    /// One HTTP exchange: the status and body, or why there was none.
    fn send(&self, base: &str, request: &Request<'_>) -> Result<(u16, String), String> {
        let url = format!("{}{}", strip_user_info(base), request.path);
        let response = match request.method {
            "GET" => self.with_headers(self.agent.get(&url)).call(),
            _ => self
                .with_headers(self.agent.post(&url))
                .header("Content-Type", CONTENT_TYPE)
                .send(request.body.as_deref().unwrap_or_default()),
        };
        let mut response = response.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
        Ok((status, body))
    }

    /// A request with the headers every call carries.
    fn with_headers<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        let request = request.header(
            "Accept",
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5",
        );
        match &self.authorization {
            Some(authorization) => request.header("Authorization", authorization),
            None => request,
        }
    }

    /// The URL tried first, for messages.
    fn shown_url(&self) -> String {
        without_user_info(&self.urls[self.current.load(Ordering::Relaxed) % self.urls.len()])
    }
}

/// A 2xx answer as `T`; any other as the registry's refusal.
fn read_answer<T: for<'de> Deserialize<'de>>(
    url: String,
    action: &str,
    status: u16,
    body: &str,
) -> Result<T, RegistryError> {
    if (200..300).contains(&status) {
        return serde_json::from_str(body).map_err(|e| RegistryError::BadAnswer {
            url,
            action: action.to_owned(),
            reason: e.to_string(),
        });
    }
    let error: Option<ErrorBody> = serde_json::from_str(body).ok();
    Err(RegistryError::Refused {
        url,
        action: action.to_owned(),
        status,
        code: error.as_ref().map_or(0, |e| e.error_code),
        message: error.map_or_else(|| body.chars().take(500).collect(), |e| e.message),
    })
}

/// The message of an error body, or the body's start.
fn error_message(body: &str) -> String {
    serde_json::from_str::<ErrorBody>(body).map_or_else(|_| body.chars().take(200).collect(), |e| e.message)
}

/// A URL without user info (sent as a header instead).
fn strip_user_info(url: &str) -> std::borrow::Cow<'_, str> {
    if url.contains('@') {
        without_user_info(url).into()
    } else {
        url.into()
    }
}

/// Runs a blocking call, telling a multi-threaded Tokio runtime first.
fn blocking<T>(call: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(call),
        _ => call(),
    }
}

/// Locks a cache; a panic elsewhere while it was held leaves it usable.
pub(crate) fn lock<T>(cache: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Caches an entry, emptying the cache first when it is full (schemas are few; a cache that
/// fills is one whose schemas keep changing).
fn insert_bounded<K: std::hash::Hash + Eq, V>(cache: &Mutex<HashMap<K, V>>, key: K, value: V, max: usize) {
    let mut cache = lock(cache);
    if cache.len() >= max {
        cache.clear();
    }
    cache.insert(key, value);
}
