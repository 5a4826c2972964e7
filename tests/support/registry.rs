//! The schema registry of `scripts/dev-env up` (Apicurio Registry, Confluent's API), and a
//! decoder of Confluent's wire format written for the tests: the schema fetched by its id, the
//! payload read with the `apache-avro` crate, the value turned into the JSON that Kafka
//! Connect's JsonConverter (without schemas) writes for the same Connect value.

use std::time::Duration;

use apache_avro::types::Value as Avro;
use base64::Engine;
use rdkafka::Message;
use serde_json::{Value, json};

/// The registry's base URL (its Confluent-compatible API).
pub fn url() -> String {
    std::env::var("SCHEMA_REGISTRY_URL").unwrap_or_else(|_| {
        panic!("SCHEMA_REGISTRY_URL is not set: start the services with `scripts/dev-env up` and `eval \"$(scripts/dev-env env)\"`")
    })
}

/// The keys of `AvroConverter` for keys and values against the registry at `url`.
pub fn avro_converters(url: &str) -> Value {
    json!({
        "key.converter": "io.confluent.connect.avro.AvroConverter",
        "key.converter.schema.registry.url": url,
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": url,
    })
}

/// GET on the registry: status and JSON body.
pub async fn get(path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}{path}", url()))
        .await
        .unwrap_or_else(|e| panic!("the schema registry at {} does not answer: {e}", url()));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Sets a subject's compatibility level.
pub async fn set_compatibility(subject: &str, level: &str) {
    let response = reqwest::Client::new()
        .put(format!("{}/config/{subject}", url()))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(json!({ "compatibility": level }).to_string())
        .send()
        .await
        .expect("registry");
    assert!(
        response.status().is_success(),
        "setting {subject}'s compatibility: {}",
        response.status()
    );
}

/// The versions registered under a subject.
pub async fn versions(subject: &str) -> Vec<i64> {
    let (status, body) = get(&format!("/subjects/{subject}/versions")).await;
    assert_eq!(status, 200, "versions of {subject}: {body}");
    body.as_array()
        .expect("versions")
        .iter()
        .filter_map(Value::as_i64)
        .collect()
}

/// The schema (its JSON) with this id.
pub async fn schema(id: u32) -> Value {
    let (status, body) = get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(status, 200, "schema {id}: {body}");
    serde_json::from_str(body["schema"].as_str().expect("schema text")).expect("schema JSON")
}

/// A key or value in Confluent's wire format, decoded: its schema id, and its value as JSON.
pub async fn decode(framed: &[u8]) -> (u32, Value) {
    assert!(
        framed.len() >= 5 && framed[0] == 0,
        "not in the wire format: {framed:?}"
    );
    let id = u32::from_be_bytes([framed[1], framed[2], framed[3], framed[4]]);
    let schema_json = schema(id).await;
    let schema = apache_avro::Schema::parse_str(&schema_json.to_string()).expect("an Avro schema");
    let mut payload = &framed[5..];
    let value = apache_avro::reader::datum::GenericDatumReader::builder(&schema)
        .build()
        .expect("reader")
        .read_value(&mut payload)
        .expect("an Avro datum");
    assert!(payload.is_empty(), "bytes left after the datum");
    (id, to_json(value))
}

/// An Avro value as JsonConverter writes the Connect value it stands for.
fn to_json(value: Avro) -> Value {
    let base64 = |bytes: &[u8]| Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
    match value {
        Avro::Null => Value::Null,
        Avro::Boolean(b) => b.into(),
        Avro::Int(i) | Avro::Date(i) | Avro::TimeMillis(i) => i.into(),
        Avro::Long(i) | Avro::TimestampMillis(i) | Avro::TimestampMicros(i) | Avro::TimeMicros(i) => i.into(),
        Avro::Float(f) => f64::from(f).into(),
        Avro::Double(f) => f.into(),
        Avro::Bytes(b) | Avro::Fixed(_, b) => base64(&b),
        Avro::Decimal(d) => base64(&Vec::<u8>::try_from(&d).expect("decimal bytes")),
        Avro::String(s) | Avro::Enum(_, s) => s.into(),
        Avro::Union(_, inner) => to_json(*inner),
        Avro::Array(items) => items.into_iter().map(to_json).collect(),
        Avro::Map(map) => map.into_iter().map(|(k, v)| (k, to_json(v))).collect(),
        Avro::Record(fields) => fields.into_iter().map(|(k, v)| (k, to_json(v))).collect(),
        other => panic!("an Avro value the tests do not map: {other:?}"),
    }
}

/// A message's key and value bytes.
pub type RawRecord = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Reads a topic from the start until it holds at least `count` messages, as bytes.
pub fn read_raw(topic: &str, count: usize, timeout: Duration) -> Vec<RawRecord> {
    super::read_messages(topic, count, timeout, |m| {
        (m.key().map(<[u8]>::to_vec), m.payload().map(<[u8]>::to_vec))
    })
}

/// [`read_raw`] from async code.
pub async fn read_raw_async(topic: &str, count: usize, timeout: Duration) -> Vec<RawRecord> {
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || read_raw(&topic, count, timeout))
        .await
        .expect("reader")
}

/// Deletes the subjects whose names start with `prefix`, for good.
pub async fn delete_subjects(prefix: &str) {
    let (_, subjects) = get("/subjects").await;
    let client = reqwest::Client::new();
    for subject in subjects.as_array().into_iter().flatten().filter_map(Value::as_str) {
        if subject.starts_with(prefix) {
            for query in ["", "?permanent=true"] {
                let _ = client
                    .delete(format!("{}/subjects/{subject}{query}", url()))
                    .send()
                    .await;
            }
        }
    }
}

/// The registry frozen (SIGSTOP): it accepts connections and answers nothing, as a registry
/// that hangs. Thawed (SIGCONT) when dropped, even by a failing test.
pub struct Frozen {
    pid: String,
}

/// Freezes the dev registry; only for a test binary of its own, as every test shares it.
pub fn freeze() -> Frozen {
    let status = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/dev-env"))
        .args(["status", "registry"])
        .output()
        .expect("dev-env");
    let line = String::from_utf8_lossy(&status.stdout).into_owned();
    let pid = line
        .split("pid ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("the registry is not up: {line}"))
        .to_owned();
    signal(&pid, "-STOP");
    Frozen { pid }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        signal(&self.pid, "-CONT");
    }
}

fn signal(pid: &str, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, pid])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {signal} {pid}");
}

/// A proxy in front of the registry that can refuse every connection, as a registry that is
/// down: for a test's own connectors, without touching the registry other tests share.
pub struct Gate {
    /// The registry's URL through the proxy.
    pub url: String,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Gate {
    /// A proxy, closed (connections are accepted and dropped at once) or open.
    pub async fn start(open: bool) -> Gate {
        use std::sync::atomic::Ordering;
        let upstream = url();
        let rest = upstream.split_once("://").map_or(upstream.as_str(), |(_, r)| r);
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let authority = authority.to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(open));
        let gate = flag.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !gate.load(Ordering::SeqCst) {
                    continue;
                }
                let authority = authority.clone();
                tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&authority).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Gate {
            url: format!("http://127.0.0.1:{port}/{path}"),
            open: flag,
            task,
        }
    }

    /// Lets connections through, or refuses them.
    pub fn set_open(&self, open: bool) {
        self.open.store(open, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.task.abort();
    }
}
