//! A fuzzing pass over the REST API: random methods, paths, content types and bodies (JSON of
//! every shape, YAML, garbage) against a real worker, a bounded number of times. No answer may
//! be a server error, and the worker stays healthy and fast.

mod support;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use support::Worker;

/// How many random requests one run sends.
const CASES: u32 = 300;

/// JSON values of every shape, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A connector-ish body: sometimes well formed, with random keys and values.
fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string()),
        (".{0,10}", json_value()).prop_map(|(name, config)| json!({"name": name, "config": config}).to_string()),
        prop::collection::btree_map("[a-z.]{1,20}", ".{0,20}", 0..8)
            .prop_map(|m| json!({"name": "fuzz", "config": m}).to_string()),
        ".{0,200}",
    ]
}

/// A path under the API, with random segments (escaped) where names go.
fn path() -> impl Strategy<Value = String> {
    let segment = "[a-zA-Z0-9._~%-]{0,12}|\\PC{0,6}".prop_map(|s| {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'_' | b'~' | b'-' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    });
    let template = prop::sample::select(vec![
        "/connectors/{}",
        "/connectors/{}/config",
        "/connectors/{}/status",
        "/connectors/{}/tasks",
        "/connectors/{}/tasks/{}/status",
        "/connectors/{}/tasks/{}/restart",
        "/connectors/{}/restart?includeTasks={}&onlyFailed={}",
        "/connectors/{}/pause",
        "/connectors/{}/resume",
        "/connectors/{}/stop",
        "/connectors/{}/offsets",
        "/connector-plugins/{}/config",
        "/connector-plugins/{}/config/validate",
        "/connectors?expand={}",
        "/{}",
    ]);
    (template, prop::collection::vec(segment, 3)).prop_map(|(template, segments)| {
        let mut path = template.to_owned();
        for segment in segments {
            path = path.replacen("{}", &segment, 1);
        }
        path
    })
}

#[test]
fn random_requests_get_no_server_error() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let worker = runtime.block_on(Worker::start());
    let http = reqwest::Client::new();
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE"]);
    let content_type = prop::sample::select(vec!["application/json", "application/yaml", "text/plain", ""]);
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &(method, path(), content_type, body()),
            |(method, path, content_type, body)| {
                let status = runtime.block_on(async {
                    let mut request = http
                        .request(method.parse().expect("method"), format!("{}{path}", worker.url))
                        .body(body.clone());
                    if !content_type.is_empty() {
                        request = request.header("Content-Type", content_type);
                    }
                    request.send().await.map(|r| r.status().as_u16())
                });
                let status = status.map_err(|e| TestCaseError::fail(format!("{method} {path}: {e}")))?;
                prop_assert!(
                    status < 500,
                    "{} {} ({}) {:?}: {}",
                    method,
                    path,
                    content_type,
                    body,
                    status
                );
                Ok(())
            },
        )
        .expect("no request gets a server error");
    let started = Instant::now();
    let (status, _) = runtime.block_on(worker.request("GET", "/", None));
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_secs(1));
}
