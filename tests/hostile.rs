//! Hostile input and stuck plugins, against a real worker: each probe fails only the offending
//! request or task, the worker stays fast (`GET /` is timed meanwhile), its memory and log stay
//! bounded, and it stops within its graceful timeout.

mod support;

use std::io::Write as _;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{Worker, unique};

/// How long `GET /` may take while the worker is probed (it answers in milliseconds).
const RESPONSIVE: Duration = Duration::from_secs(1);

/// Times `GET /` on the worker.
async fn time_root(worker: &Worker) -> Duration {
    let started = Instant::now();
    let (status, _) = worker.request("GET", "/", None).await;
    assert_eq!(status, 200, "GET / while probed");
    started.elapsed()
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
