//! Helpers for the end-to-end tests: a real `weir` worker process against the real Kafka broker
//! of `scripts/dev-env up`, a REST client, and Kafka and file probes.
//!
//! A missing broker fails the test with a message saying how to start one; tests never skip.

#![allow(dead_code)]

pub mod postgres;
pub mod reference;
pub mod registry;
pub mod s3;

use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde_json::Value;

/// The broker's address, from `scripts/dev-env env`.
pub fn bootstrap_servers() -> String {
    let servers = std::env::var("KAFKA_BOOTSTRAP_SERVERS").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let first = servers.split(',').next().unwrap_or_default();
    assert!(
        reachable(first),
        "Kafka is not reachable at {servers}: start it with `scripts/dev-env up` and `eval \"$(scripts/dev-env env)\"`"
    );
    servers
}

/// The broker's secured listeners, from `scripts/dev-env env`: SASL_SSL (its address, the SASL
/// user and password), SSL with client certificates (its address, the client's certificate and
/// key), and the CA file that signs the broker's and the client's certificates.
pub struct SecureListeners {
    /// The SASL_SSL listener, `host:port`.
    pub sasl_ssl: String,
    /// The user (PLAIN and SCRAM).
    pub username: String,
    /// Its password.
    pub password: String,
    /// The SSL listener, `host:port`, which requires a client certificate.
    pub ssl: String,
    /// The client's certificate (PEM).
    pub certificate_location: String,
    /// The client's key (PEM).
    pub key_location: String,
    /// The CA certificate (PEM).
    pub ca_location: String,
}

/// The broker's secured listeners; a missing one fails the test, saying how to start it.
pub fn secure_listeners() -> SecureListeners {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: start the broker with `scripts/dev-env up` and `eval \"$(scripts/dev-env env)\"`"
            )
        })
    };
    let listeners = SecureListeners {
        sasl_ssl: var("KAFKA_SASL_SSL_BOOTSTRAP_SERVERS"),
        username: var("KAFKA_SASL_USERNAME"),
        password: var("KAFKA_SASL_PASSWORD"),
        ssl: var("KAFKA_SSL_BOOTSTRAP_SERVERS"),
        certificate_location: var("KAFKA_SSL_CERTIFICATE_LOCATION"),
        key_location: var("KAFKA_SSL_KEY_LOCATION"),
        ca_location: var("KAFKA_SSL_CA_LOCATION"),
    };
    for address in [&listeners.sasl_ssl, &listeners.ssl] {
        assert!(
            reachable(address),
            "the broker's listener {address} is not reachable: restart the broker with `scripts/dev-env up`"
        );
    }
    listeners
}

/// Whether a server answers TCP connections at `address` (`host:port`) within 2 s.
pub fn reachable(address: &str) -> bool {
    address
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok())
}

/// A self-signed certificate and its key, made by openssl in `dir` as `<name>.pem` and
/// `<name>.key`: a CA, or a client, that nothing the tests trust has signed.
pub fn self_signed(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (certificate, key) = (dir.join(format!("{name}.pem")), dir.join(format!("{name}.key")));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"])
        .arg("-subj")
        .arg(format!("/CN={name}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&certificate)
        .output()
        .expect("openssl");
    assert!(
        made.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    (certificate, key)
}

/// A name unique to this test run.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

/// A free TCP port on loopback, below the kernel's ephemeral range (32768 and up): a port the
/// kernel hands out to outgoing connections could be taken between this check and the worker's
/// bind, or while a killed worker restarts on it.
pub fn free_port() -> u16 {
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let start = std::process::id()
        .wrapping_mul(7919)
        .wrapping_add(nanos)
        .wrapping_add(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    (0..COUNT)
        .map(|i| FIRST + start.wrapping_add(i) % COUNT)
        .filter_map(|port| u16::try_from(port).ok())
        .find(|port| TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("no free port between 20000 and 32000")
}

/// Polls `check` until it returns `Some`, or panics after `timeout` naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A WebAssembly plugin built by `scripts/build-plugins`, in `plugins/dist`.
pub fn built_plugin(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("plugins/dist")
        .join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: build the plugins with `scripts/build-plugins`",
        path.display()
    );
    path
}

/// The compiled-plugin cache the tests share, so each plugin compiles once per run.
pub fn plugin_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

/// A `weir worker` process with its own internal topics, group and REST port.
pub struct Worker {
    pub dir: tempfile::TempDir,
    pub url: String,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    args: Vec<String>,
    http: reqwest::Client,
    /// The `Authorization` every request carries, if any.
    authorization: Option<String>,
}

impl Worker {
    /// Writes a worker config with unique topics and starts the worker; waits for `/health`.
    pub async fn start() -> Worker {
        Self::start_with("").await
    }

    /// Like [`Worker::start`], with extra worker config lines.
    pub async fn start_with(extra: &str) -> Worker {
        Self::start_in(&unique("weir-test"), extra).await
    }

    /// A worker of group `id` (whose internal topics are named after it), with extra worker
    /// config lines: workers started with one `id` form one cluster.
    pub async fn start_in(id: &str, extra: &str) -> Worker {
        Self::start_on(&bootstrap_servers(), id, extra).await
    }

    /// Like [`Worker::start_in`], on the brokers `bootstrap` (another listener of the broker).
    pub async fn start_on(bootstrap: &str, id: &str, extra: &str) -> Worker {
        Self::launch(bootstrap, id, extra, "http", reqwest::Client::builder()).await
    }

    /// Like [`Worker::start_in`], with the REST API on an `https://` listener (its TLS keys in
    /// `extra`), reached with the TLS settings of `client` (which must trust its certificate).
    pub async fn start_https(id: &str, extra: &str, client: reqwest::ClientBuilder) -> Worker {
        Self::launch(&bootstrap_servers(), id, extra, "https", client).await
    }

    /// Writes the config of a worker of group `id` on `bootstrap` whose listener is of
    /// `scheme`, starts it, and waits until it is healthy through `client`.
    async fn launch(bootstrap: &str, id: &str, extra: &str, scheme: &str, client: reqwest::ClientBuilder) -> Worker {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let config = dir.path().join("worker.yaml");
        std::fs::write(
            &config,
            format!(
                "bootstrap.servers: {bootstrap}\ngroup.id: {id}\nlisteners: {scheme}://127.0.0.1:{port}\n\
                 config.storage.topic: {id}-configs\noffset.storage.topic: {id}-offsets\nstatus.storage.topic: {id}-status\n\
                 config.storage.replication.factor: 1\noffset.storage.replication.factor: 1\nstatus.storage.replication.factor: 1\n\
                 offset.storage.partitions: 5\nstatus.storage.partitions: 2\n\
                 offset.flush.interval.ms: 500\n\
                 key.converter: org.apache.kafka.connect.storage.StringConverter\n\
                 value.converter: org.apache.kafka.connect.storage.StringConverter\n\
                 consumer.topic.metadata.refresh.interval.ms: 1000\nconsumer.session.timeout.ms: 6000\n{extra}"
            ),
        )
        .expect("write worker config");
        let mut worker = Worker {
            log: dir.path().join("worker.log"),
            dir,
            url: format!("{scheme}://127.0.0.1:{port}"),
            config,
            child: None,
            args: Vec::new(),
            authorization: None,
            // Every request bounded, so a worker that stops answering fails the test, never
            // hangs it.
            http: client
                .connect_timeout(Duration::from_secs(5))
                .timeout(Duration::from_secs(120))
                .build()
                .expect("HTTP client"),
        };
        worker.spawn().await;
        worker
    }

    /// The name of the worker's config topic, from its config file.
    pub fn config_topic(&self) -> String {
        self.setting("config.storage.topic")
    }

    /// The name of the worker's offsets topic, from its config file.
    pub fn offsets_topic(&self) -> String {
        self.setting("offset.storage.topic")
    }

    /// A key's value in the worker's config file.
    fn setting(&self, key: &str) -> String {
        let prefix = format!("{key}: ");
        std::fs::read_to_string(&self.config)
            .unwrap_or_default()
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("a {key} line in the worker config"))
    }

    /// Starts the process (again) and waits until it is healthy.
    pub async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("worker log");
        let child = Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["worker", "--config"])
            .arg(&self.config)
            .args(&self.args)
            .env("WEIR_LOG", "info,librdkafka=warn,rdkafka=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start weir");
        self.child = Some(child);
        let http = self.http.clone();
        let url = format!("{}/health", self.url);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // Bounded: a connection the previous process of this port took with it must not
            // hold the wait.
            if let Ok(response) = http.get(&url).timeout(Duration::from_secs(2)).send().await
                && response.status() == 200
            {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("the worker exited ({status}) before it became healthy:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "timed out after 60s waiting for the worker to become healthy"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Extra command line arguments for the next [`Worker::spawn`].
    pub fn set_args(&mut self, args: &[&str]) {
        self.args = args.iter().map(|a| a.to_string()).collect();
    }

    /// The worker's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("worker not running")
    }

    /// Sends a signal (`STOP`, `CONT`, ...) to the worker.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Kills the worker with SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("worker not running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "worker did not exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Makes every later request carry this `Authorization` header (`None`: no header).
    pub fn authorize(&mut self, authorization: Option<&str>) {
        self.authorization = authorization.map(str::to_owned);
    }

    /// Sends a request; returns the status and the JSON body (`Null` when empty).
    pub async fn request(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Sends a raw body with a content type.
    pub async fn request_raw(&self, method: &str, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("Content-Type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// GET, expecting 200; returns the body.
    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.request("GET", path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// A task's figure from `GET /metrics` (Prometheus' text format), if it is there.
    pub async fn metric(&self, name: &str, connector: &str, task: usize) -> Option<f64> {
        let response = self
            .http
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .expect("GET /metrics");
        assert_eq!(response.status(), 200, "GET /metrics");
        let text = response.text().await.unwrap_or_default();
        let series = format!("weir_{name}{{connector=\"{connector}\",task=\"{task}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&series))
            .and_then(|value| value.parse().ok())
    }

    /// Creates a connector, expecting 201.
    pub async fn create(&self, name: &str, config: Value) -> Value {
        let (status, body) = self
            .request(
                "POST",
                "/connectors",
                Some(serde_json::json!({"name": name, "config": config})),
            )
            .await;
        assert_eq!(status, 201, "creating {name}: {body}");
        body
    }

    /// Waits until a connector and its `tasks` tasks are all in `state`.
    pub async fn wait_for_state(&self, name: &str, state: &str, tasks: usize) -> Value {
        let path = format!("/connectors/{name}/status");
        eventually(
            &format!("{name} to be {state} with {tasks} task(s)"),
            Duration::from_secs(60),
            || {
                let path = path.clone();
                async move {
                    let (code, status) = self.request("GET", &path, None).await;
                    let tasks_in_state = status["tasks"]
                        .as_array()
                        .map(|ts| ts.iter().filter(|t| t["state"] == state).count());
                    let all = status["tasks"].as_array().map(Vec::len);
                    (code == 200
                        && status["connector"]["state"] == state
                        && tasks_in_state == Some(tasks)
                        && all == Some(tasks))
                    .then_some(status)
                }
            },
        )
        .await
    }

    /// Waits until a task is in `state`.
    pub async fn wait_for_task(&self, name: &str, task: usize, state: &str) -> Value {
        let path = format!("/connectors/{name}/tasks/{task}/status");
        eventually(
            &format!("task {name}-{task} to be {state}"),
            Duration::from_secs(60),
            || {
                let path = path.clone();
                async move {
                    let (code, status) = self.request("GET", &path, None).await;
                    (code == 200 && status["state"] == state).then_some(status)
                }
            },
        )
        .await
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- worker log ({}) ----\n{}", self.url, self.log());
        }
        self.kill();
    }
}

/// Writes `lines` to a file, one per line.
pub fn write_lines(path: &Path, lines: impl Iterator<Item = String>) {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open"),
    );
    for line in lines {
        writeln!(file, "{line}").expect("write");
    }
    file.flush().expect("flush");
}

/// The lines of a file (empty if it does not exist).
pub fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Waits until a file has at least `count` lines; returns them.
pub async fn wait_for_lines(path: &Path, count: usize, timeout: Duration) -> Vec<String> {
    eventually(
        &format!("{} to hold {count} lines", path.display()),
        timeout,
        || async {
            let lines = read_lines(path);
            (lines.len() >= count).then_some(lines)
        },
    )
    .await
}

/// Waits until a file holds every one of `expected` (in any order, duplicates allowed); returns
/// all its lines.
pub async fn wait_for_all_lines(path: &Path, expected: &[String], timeout: Duration) -> Vec<String> {
    let wanted: std::collections::BTreeSet<&String> = expected.iter().collect();
    eventually(
        &format!("{} to hold all {} expected lines", path.display(), expected.len()),
        timeout,
        || async {
            let lines = read_lines(path);
            let seen: std::collections::BTreeSet<&String> = lines.iter().collect();
            wanted.is_subset(&seen).then(|| lines.clone())
        },
    )
    .await
}

/// How many records a topic holds (sum of its partitions' end offsets; topics here are never compacted).
pub fn topic_record_count(topic: &str) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .create()
        .expect("consumer");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let partitions = metadata.topics().first().map(|t| t.partitions().len()).unwrap_or(0);
    (0..partitions as i32)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .map(|(low, high)| high - low)
                .unwrap_or(0)
        })
        .sum()
}

/// Numbered lines `prefix-0 ..`.
pub fn numbered(prefix: &str, range: std::ops::Range<usize>) -> impl Iterator<Item = String> + '_ {
    range.map(move |i| format!("{prefix}-{i:07}"))
}

/// Runs `scripts/dev-env` (to stop or start a shared service), expecting success.
pub fn dev_env(args: &[&str]) {
    let status = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/dev-env"))
        .args(args)
        .status()
        .expect("dev-env");
    assert!(status.success(), "scripts/dev-env {args:?} failed");
}

/// The PostgreSQL superuser URL, from `scripts/dev-env env`; the server must answer.
pub fn pg_url() -> String {
    let url = std::env::var("PG_URL").unwrap_or_else(|_| "postgres://weir:weir@127.0.0.1:5432/weir".into());
    let reachable = TcpStream::connect_timeout(&"127.0.0.1:5432".parse().expect("addr"), Duration::from_secs(2))
        .is_ok()
        || std::env::var("PGPORT").is_ok_and(|p| {
            TcpStream::connect_timeout(&format!("127.0.0.1:{p}").parse().expect("addr"), Duration::from_secs(2)).is_ok()
        });
    assert!(
        reachable,
        "PostgreSQL is not reachable: start it with `scripts/dev-env up` and `eval \"$(scripts/dev-env env)\"`"
    );
    url
}

/// Drops the replication slots that earlier test processes left behind (a test that failed
/// before its cleanup): an unused slot named `<prefix>_<pid>_<n>`, as [`unique`] names them
/// (behind a prefix of lowercase words), whose process is gone. A leaked slot keeps WAL on the
/// server for good.
pub async fn drop_leftover_slots(conn: &mut sqlx::PgConnection) {
    let unused: Vec<String> = sqlx::query_scalar("SELECT slot_name FROM pg_replication_slots WHERE NOT active")
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_default();
    for slot in unused.into_iter().filter(|s| owner_is_gone(s)) {
        let _ = sqlx::query("SELECT pg_drop_replication_slot($1)")
            .bind(&slot)
            .execute(&mut *conn)
            .await;
    }
}

/// Whether `name` is one of `unique`'s, `<prefix>_<pid>_<n>` with a prefix of lowercase words
/// (`cdc`, `weir_cdc`, `dbz_cdc`), made by a test process that has exited.
pub fn owner_is_gone(name: &str) -> bool {
    let mut parts = name.rsplitn(3, '_');
    let (Some(n), Some(pid), Some(prefix)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let ours = prefix.chars().all(|c| c.is_ascii_lowercase() || c == '_') && n.chars().all(|c| c.is_ascii_digit());
    ours && pid
        .parse::<u32>()
        .is_ok_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
}

/// A record read back from Kafka: key and value as JSON (`None` for null).
#[derive(Clone, Debug)]
pub struct Record {
    pub key: Option<serde_json::Value>,
    pub value: Option<serde_json::Value>,
}

impl Record {
    /// A consumed message, its key and value parsed as JSON (as a JSON string when not JSON).
    fn of(m: &impl rdkafka::Message) -> Record {
        let json = |b: Option<&[u8]>| {
            b.map(|b| serde_json::from_slice(b).unwrap_or(Value::String(String::from_utf8_lossy(b).into())))
        };
        Record {
            key: json(m.key()),
            value: json(m.payload()),
        }
    }
}

/// [`read_topic`] from async code (the Kafka client blocks).
pub async fn read_topic_async(topic: &str, count: usize, timeout: Duration) -> Vec<Record> {
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || read_topic(&topic, count, timeout))
        .await
        .expect("reader")
}

/// Reads a topic from the start until it holds at least `count` records, or panics after `timeout`.
pub fn read_topic(topic: &str, count: usize, timeout: Duration) -> Vec<Record> {
    read_messages(topic, count, timeout, |m| Record::of(m))
}

/// Reads a topic from the start until `count` messages, each as `read` makes it, or panics
/// after `timeout`.
pub fn read_messages<T>(
    topic: &str,
    count: usize,
    timeout: Duration,
    read: impl Fn(&rdkafka::message::BorrowedMessage<'_>) -> T,
) -> Vec<T> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("group.id", unique("reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("topic.metadata.refresh.interval.ms", "500")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let deadline = Instant::now() + timeout;
    let mut records = Vec::new();
    while records.len() < count {
        assert!(
            Instant::now() < deadline,
            "timed out reading {topic}: {} of {count} records",
            records.len()
        );
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            records.push(read(&m));
        }
    }
    records
}

/// The errors a ConfigInfos answer reports for one key.
pub fn config_errors(infos: &Value, key: &str) -> Vec<String> {
    infos["configs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["value"]["name"] == key)
        .and_then(|c| c["value"]["errors"].as_array())
        .map(|errors| errors.iter().filter_map(|e| e.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Every record a topic holds now, in order, from all its partitions (one after another); none
/// when the topic does not exist, and none of a partition that has no leader yet.
pub fn read_to_end(topic: &str) -> Vec<Record> {
    use rdkafka::Message;
    use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let partitions = partition_count(&consumer, topic);
    let mut records = Vec::new();
    for partition in 0..partitions {
        // Right after a topic is created its partitions may have no leader yet
        // (NotLeaderForPartition): such a partition has nothing to read yet, and the callers
        // poll until what they wait for is there.
        let Ok((low, high)) = consumer.fetch_watermarks(topic, partition, Duration::from_secs(10)) else {
            continue;
        };
        if high <= low {
            continue;
        }
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(topic, partition, Offset::Offset(low))
            .expect("partition");
        consumer.assign(&assignment).expect("assign");
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut next = low;
        while next < high {
            assert!(
                Instant::now() < deadline,
                "timed out reading {topic}/{partition} to {high}"
            );
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
                records.push(Record::of(&m));
                next = m.offset() + 1;
            }
        }
    }
    records
}

/// How many partitions `topic` has (0 when it does not exist).
fn partition_count(consumer: &BaseConsumer, topic: &str) -> i32 {
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    metadata
        .topics()
        .first()
        .filter(|t| t.error().is_none())
        .map_or(0, |t| t.partitions().len()) as i32
}

/// Every record of a topic a consumer with this `isolation.level` (`read_committed` or
/// `read_uncommitted`) can read now, partition after partition. Unlike [`read_to_end`] it does
/// not count offsets: transaction markers take offsets of their own, and a read-committed
/// consumer stops where the first open transaction starts. None when the topic does not exist.
pub fn read_isolated(topic: &str, isolation: &str) -> Vec<Record> {
    use rdkafka::error::KafkaError;
    use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", isolation)
        .create()
        .expect("consumer");
    let partitions = partition_count(&consumer, topic);
    let mut records = Vec::new();
    for partition in 0..partitions {
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(topic, partition, Offset::Beginning)
            .expect("partition");
        consumer.assign(&assignment).expect("assign");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(Instant::now() < deadline, "timed out reading {topic}/{partition}");
            match consumer.poll(Duration::from_millis(200)) {
                Some(Ok(m)) => records.push(Record::of(&m)),
                Some(Err(KafkaError::PartitionEOF(_))) => break,
                _ => {}
            }
        }
    }
    records
}
