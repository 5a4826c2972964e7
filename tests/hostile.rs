//! Hostile input and stuck plugins, against a real worker: each probe fails only the offending
//! request or task, the worker stays fast (`GET /` is timed meanwhile), its memory and log stay
//! bounded, and it stops within its graceful timeout.

mod support;

use std::io::Write as _;
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Worker, built_plugin, eventually, plugin_cache, unique};

/// How long `GET /` may take while the worker is probed (it answers in milliseconds).
const RESPONSIVE: Duration = Duration::from_secs(1);

/// Times `GET /` on the worker.
async fn time_root(worker: &Worker) -> Duration {
    let started = Instant::now();
    let (status, _) = worker.request("GET", "/", None).await;
    assert_eq!(status, 200, "GET / while probed");
    started.elapsed()
}

/// The worker's resident memory, in MiB.
fn rss_mib(worker: &Worker) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", worker.pid())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// A worker with the misbehaving fixture (and whatever `extra` puts) in its plugin path.
async fn worker_with_misbehaving(extra: impl FnOnce(&Path), config: &str) -> (Worker, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("plugin dir");
    std::fs::copy(built_plugin("misbehaving"), dir.path().join("misbehaving.wasm")).expect("copy plugin");
    extra(dir.path());
    let cache = plugin_cache();
    let worker = Worker::start_with(&format!(
        "plugin.path: {}\nplugin.cache.dir: {}\n{config}",
        dir.path().display(),
        cache.display()
    ))
    .await;
    (worker, dir)
}

/// Makes a FIFO.
fn fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Sends SIGTERM and asserts the worker exits 0 within its graceful timeout (and margin).
fn stops_in_time(worker: &mut Worker) {
    let started = Instant::now();
    let status = worker.terminate();
    assert!(status.success(), "exit status {status}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the worker took {:?} to stop",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deep_large_and_untyped_bodies_are_refused_fast() {
    let worker = Worker::start().await;
    // 50,000 levels of YAML flow maps once took 10 s of a runtime thread to parse.
    let nested = format!("{}1{}", "{a: ".repeat(50_000), "}".repeat(50_000));
    let probes: Vec<_> = (0..4)
        .map(|_| worker.request_raw("POST", "/connectors", "application/yaml", &nested))
        .collect();
    let started = Instant::now();
    for (status, body) in futures::future::join_all(probes).await {
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("rest.request.max.depth"),
            "{body}"
        );
    }
    assert!(started.elapsed() < RESPONSIVE, "refusing took {:?}", started.elapsed());
    assert!(time_root(&worker).await < RESPONSIVE);

    let big = format!(
        "{{\"name\": \"big\", \"config\": {{\"x\": \"{}\"}}}}",
        "y".repeat(2 << 20)
    );
    let (status, body) = worker
        .request_raw("POST", "/connectors", "application/json", &big)
        .await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("rest.request.max.bytes"),
        "{body}"
    );
    let (status, body) = worker.request_raw("POST", "/connectors", "", r#"{"name": "x"}"#).await;
    assert_eq!(status, 415, "{body}");
    let (status, body) = worker
        .request_raw("POST", "/connectors", "text/plain", r#"{"name": "x"}"#)
        .await;
    assert_eq!(status, 415, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_name_is_created_once_and_names_must_be_reachable() {
    let worker = Worker::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = json!({"connector.class": "FileStreamSink", "topics": unique("race"),
                        "file": dir.path().join("out").display().to_string()});
    let creates: Vec<_> = (0..20)
        .map(|_| worker.request("POST", "/connectors", Some(json!({"name": "race", "config": config}))))
        .collect();
    let statuses: Vec<u16> = futures::future::join_all(creates)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19, "{statuses:?}");

    for name in [".", "..", "a\u{202E}b", "tab\there", "new\nline"] {
        let (status, body) = worker
            .request("POST", "/connectors", Some(json!({"name": name, "config": config})))
            .await;
        assert_eq!(status, 400, "{name:?}: {body}");
    }

    // A config the config topic cannot hold: refused with the key and the limit named.
    let large = "z".repeat(600_000);
    let (status, body) = worker
        .request("PATCH", "/connectors/race/config", Some(json!({"first": large})))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = worker
        .request("PATCH", "/connectors/race/config", Some(json!({"second": large})))
        .await;
    assert_eq!(status, 413, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("1000000") && message.contains("'second'"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_clients_cannot_starve_the_api() {
    let worker = Worker::start_with("rest.header.read.timeout.ms: 1000\n").await;
    let address = worker.url.trim_start_matches("http://").to_owned();
    let mut slow: Vec<TcpStream> = (0..450)
        .map(|_| {
            let mut stream = TcpStream::connect(&address).expect("connect");
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
                .expect("partial head");
            stream
        })
        .collect();
    assert!(time_root(&worker).await < RESPONSIVE);
    // Past the header timeout, the worker has closed them.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut closed = 0;
    for stream in &mut slow {
        use std::io::Read;
        stream.set_read_timeout(Some(Duration::from_secs(2))).expect("timeout");
        // An end of stream (or a last answer) rather than a read that times out.
        if stream.read(&mut [0; 256]).is_ok() {
            closed += 1;
        }
    }
    assert_eq!(closed, 450);
    assert!(time_root(&worker).await < RESPONSIVE);
}

#[tokio::test(flavor = "multi_thread")]
async fn special_files_in_plugin_path_are_left_out() {
    let (mut worker, _dir) = worker_with_misbehaving(
        |dir| {
            fifo(&dir.join("x.wasm"));
            std::os::unix::fs::symlink("/dev/zero", dir.join("z.wasm")).expect("symlink");
            std::fs::create_dir(dir.join("d.wasm")).expect("dir");
        },
        "",
    )
    .await;
    let plugins = worker.get("/connector-plugins").await;
    assert!(plugins.to_string().contains("misbehaving"), "{plugins}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(rss_mib(&worker) < 400, "RSS {} MiB", rss_mib(&worker));
    assert!(time_root(&worker).await < RESPONSIVE);
    stops_in_time(&mut worker);
}

/// Creates a misbehaving source and waits for its task to fail; returns the trace.
async fn failed_trace(worker: &Worker, name: &str, config: Value) -> String {
    worker.create(name, config).await;
    let task = worker.wait_for_task(name, 0, "FAILED").await;
    task["trace"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guest_stuck_reading_a_fifo_fails_its_task_and_the_worker_still_stops() {
    let granted = tempfile::tempdir().expect("granted dir");
    fifo(&granted.path().join("pipe"));
    let (mut worker, _dir) = worker_with_misbehaving(|_| {}, "").await;
    let trace = failed_trace(
        &worker,
        "fifo",
        json!({"connector.class": "misbehaving", "behaviour": "read-file",
               "file": granted.path().join("pipe").display().to_string(),
               "wasm.allow.dirs": granted.path().display().to_string(), "wasm.call.timeout.ms": "1000"}),
    )
    .await;
    assert!(trace.contains("wasm.call.timeout.ms"), "{trace}");
    assert!(time_root(&worker).await < RESPONSIVE);
    stops_in_time(&mut worker);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_flood_is_cut_and_cannot_forge_lines() {
    let (mut worker, _dir) = worker_with_misbehaving(|_| {}, "").await;
    worker
        .create(
            "flood",
            json!({"connector.class": "misbehaving", "behaviour": "flood-log", "wasm.call.timeout.ms": "5000"}),
        )
        .await;
    let before = rss_mib(&worker);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(time_root(&worker).await < RESPONSIVE);
    let log = worker.log();
    assert!(log.len() < 8 << 20, "the log grew to {} bytes", log.len());
    assert!(log.contains("plugin log messages dropped"), "drops are counted");
    assert!(
        !log.lines()
            .any(|l| l.starts_with("2026-01-01T00:00:00Z ERROR task{connector=victim")),
        "a plugin forged a log line"
    );
    assert!(
        rss_mib(&worker) < before + 300,
        "RSS grew from {before} to {} MiB",
        rss_mib(&worker)
    );
    stops_in_time(&mut worker);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_batch_fails_its_task() {
    let (worker, _dir) = worker_with_misbehaving(|_| {}, "").await;
    let trace = failed_trace(
        &worker,
        "big",
        json!({"connector.class": "misbehaving", "behaviour": "oversized-batch"}),
    )
    .await;
    assert!(
        trace.contains("20000 records") && trace.contains("at most 2000"),
        "{trace}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_plugin_holds_no_other_connector_up() {
    let (worker, _dir) = worker_with_misbehaving(|_| {}, "wasm.call.timeout.max.ms: 30000\n").await;
    let hang = json!({"connector.class": "misbehaving", "behaviour": "hang-task-configs"});
    // A connector may not raise its own limits past the worker's.
    let mut greedy = hang.clone();
    greedy["wasm.call.timeout.ms"] = json!("86400000");
    let (status, body) = worker
        .request("POST", "/connectors", Some(json!({"name": "greedy", "config": greedy})))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("wasm.call.timeout.max.ms"),
        "{body}"
    );

    let mut stuck = hang;
    stuck["wasm.call.timeout.ms"] = json!("25000");
    worker.create("stuck", stuck).await;
    let dir = tempfile::tempdir().expect("dir");
    for i in 0..3 {
        let started = Instant::now();
        let name = format!("other-{i}");
        worker
            .create(
                &name,
                json!({"connector.class": "FileStreamSink", "topics": unique("other"),
                       "file": dir.path().join(&name).display().to_string()}),
            )
            .await;
        worker.wait_for_state(&name, "RUNNING", 1).await;
        let (status, _) = worker.request("DELETE", &format!("/connectors/{name}"), None).await;
        assert_eq!(status, 204);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
    }
    let started = Instant::now();
    let (status, _) = worker.request("DELETE", "/connectors/stuck", None).await;
    assert_eq!(status, 204);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "deleting took {:?}",
        started.elapsed()
    );
    assert!(time_root(&worker).await < RESPONSIVE);
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_that_never_pass_show_in_the_status() {
    let dir = tempfile::tempdir().expect("plugin dir");
    std::fs::copy(built_plugin("http-sink"), dir.path().join("http-sink.wasm")).expect("copy plugin");
    let cache = plugin_cache();
    let worker = Worker::start_with(&format!(
        "plugin.path: {}\nplugin.cache.dir: {}\n",
        dir.path().display(),
        cache.display()
    ))
    .await;
    let topic = unique("unreachable");
    let values = ["a", "b"].map(|v| support::s3::Produce {
        partition: 0,
        timestamp: None,
        value: v.as_bytes().to_vec(),
    });
    support::s3::produce(&topic, values).await;
    worker
        .create(
            "unreachable",
            json!({"connector.class": "http-sink", "topics": topic, "http.api.url": "http://127.0.0.1:9/",
                   "wasm.allow.http.hosts": "127.0.0.1:9", "errors.retry.delay.max.ms": "200"}),
        )
        .await;
    let trace = eventually("the status to show the retries", Duration::from_secs(60), || async {
        let (_, status) = worker
            .request("GET", "/connectors/unreachable/tasks/0/status", None)
            .await;
        let trace = status["trace"].as_str().unwrap_or_default().to_owned();
        (status["state"] == "RUNNING" && trace.contains("time(s) in a row")).then_some(trace)
    })
    .await;
    assert!(trace.contains("put failed"), "{trace}");
    eventually("the retries to be counted", Duration::from_secs(30), || async {
        let retries = worker.metric("task_retries_total", "unreachable", 0).await;
        retries.filter(|r| *r >= 2.0)
    })
    .await;
}
