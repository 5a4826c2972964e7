//! The REST API behind credentials (`rest.auth.credentials.file`): against two real workers of
//! one group. Nothing but the health check answers without credentials; a viewer reads, an
//! admin also writes; requests forwarded between workers keep working; no secret is logged.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::json;
use support::{Worker, unique};

const ADMIN_PASSWORD: &str = "correct horse battery staple";
const VIEWER_PASSWORD: &str = "viewer-only-pass";

/// `weir hash-password`, fed `password`.
fn hash(password: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("weir hash-password");
    writeln!(child.stdin.take().expect("stdin"), "{password}").expect("write the password");
    let out = child.wait_with_output().expect("its output");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("text").trim().to_owned()
}

/// `weir new-token`: the token and its digest.
fn token() -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("new-token")
        .output()
        .expect("weir new-token");
    let text = String::from_utf8(out.stdout).expect("text");
    let line = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .expect("a line")
            .trim()
            .to_owned()
    };
    (line("token:"), line("token_sha256:"))
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_health_check_answers_without_credentials() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (token, digest) = token();
    let file = dir.path().join("credentials.yaml");
    std::fs::write(
        &file,
        format!(
            "users:\n  - name: alice\n    role: admin\n    password_hash: \"{}\"\n  - name: bob\n    role: viewer\n    password_hash: \"{}\"\n\
             tokens:\n  - name: dashboard\n    role: viewer\n    token_sha256: {digest}\n",
            hash(ADMIN_PASSWORD),
            hash(VIEWER_PASSWORD)
        ),
    )
    .expect("credentials file");
    let id = unique("auth");
    let extra = format!("rest.auth.credentials.file: {}\n", file.display());
    let mut first = Worker::start_in(&id, &extra).await;
    let mut second = Worker::start_in(&id, &extra).await;

    // Without credentials: the health check, and nothing else, the console included.
    assert_eq!(first.request("GET", "/health", None).await.0, 200);
    for path in [
        "/",
        "/connectors",
        "/connector-plugins",
        "/ui/",
        "/metrics",
        "/admin/loggers",
    ] {
        let (status, body) = first.request("GET", path, None).await;
        assert_eq!((status, &body["error_code"]), (401, &json!(401)), "{path}: {body}");
    }
    let challenge = reqwest::get(format!("{}/connectors", first.url)).await.expect("GET");
    assert_eq!(
        challenge.headers()["www-authenticate"],
        "Basic realm=\"Weir\", charset=\"UTF-8\""
    );
    first.authorize(Some(&basic("alice", "wrong")));
    assert_eq!(first.request("GET", "/connectors", None).await.0, 401);

    // A viewer reads and may not write; so does a token of a viewer.
    let config =
        json!({"connector.class": "FileStreamSource", "file": dir.path().join("in.txt"), "topic": unique("auth")});
    for viewer in [basic("bob", VIEWER_PASSWORD), format!("Bearer {token}")] {
        first.authorize(Some(&viewer));
        assert_eq!(first.request("GET", "/connectors", None).await.0, 200);
        let (status, body) = first
            .request("POST", "/connectors", Some(json!({"name": "no", "config": config})))
            .await;
        assert_eq!(status, 403, "{body}");
    }

    // An admin writes, through either worker: a follower forwards the request with its
    // credentials, and the workers' own signed requests (task configs) pass.
    first.authorize(Some(&basic("alice", ADMIN_PASSWORD)));
    second.authorize(Some(&basic("alice", ADMIN_PASSWORD)));
    for (worker, name) in [(&first, "one"), (&second, "two")] {
        let (status, body) = worker
            .request("POST", "/connectors", Some(json!({"name": name, "config": {"tasks.max": "1", "connector.class": "FileStreamSource", "file": dir.path().join(format!("{name}.txt")), "topic": unique(name)}})))
            .await;
        assert_eq!(status, 201, "{name}: {body}");
    }
    first.wait_for_state("one", "RUNNING", 1).await;
    first.wait_for_state("two", "RUNNING", 1).await;

    assert!(first.log().contains("REST request refused"), "refusals are logged");
    for worker in [&first, &second] {
        let log = worker.log();
        for secret in [ADMIN_PASSWORD, VIEWER_PASSWORD, token.as_str()] {
            assert!(!log.contains(secret), "a secret in the log");
        }
    }
}
