//! The automatic restart of failed tasks (`task.restart.*`, Weir's keys) against a real worker:
//! a file sink whose directory is missing fails at start, until the directory is made.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Worker, eventually, unique};

/// The sink's status once its task reports restart number `attempt`.
async fn wait_for_attempt(worker: &Worker, name: &str, attempt: u64) -> Value {
    eventually(
        &format!("{name}'s task to report automatic restart {attempt}"),
        Duration::from_secs(60),
        || async {
            let (_, status) = worker
                .request("GET", &format!("/connectors/{name}/tasks/0/status"), None)
                .await;
            (status["state"] == "FAILED" && status["auto_restart"]["attempt"] == attempt).then_some(status)
        },
    )
    .await
}

async fn restarts_counted(worker: &Worker) -> f64 {
    let text = reqwest::get(format!("{}/metrics", worker.url))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("body");
    text.lines()
        .find_map(|line| line.strip_prefix("weir_task_auto_restarts_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn sink(dir: &std::path::Path, topic: &str, extra: Value) -> Value {
    let mut config = json!({
        "connector.class": "FileStreamSink",
        "file": dir.join("later").join("out.txt").display().to_string(),
        "topics": topic,
    });
    if let (Some(config), Value::Object(extra)) = (config.as_object_mut(), extra) {
        config.extend(extra);
    }
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_that_fails_twice_is_restarted_with_backoff_and_then_runs() {
    // The worker's policy, inherited by the connector.
    let worker = Worker::start_with(
        "task.restart.policy: on-failure\ntask.restart.backoff.initial.ms: 1000\ntask.restart.backoff.max.ms: 10000\n",
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    worker
        .create("flaky", sink(dir.path(), &unique("restart"), json!({})))
        .await;
    let first = wait_for_attempt(&worker, "flaky", 1).await;
    assert_eq!(first["auto_restart"]["max_attempts"], 5, "{first}");
    let second = wait_for_attempt(&worker, "flaky", 2).await;
    // The second wait is twice the first: due at least 2 s after the first was.
    let due = |s: &Value| s["auto_restart"]["next_attempt_ms"].as_u64().expect("next attempt");
    assert!(due(&second) >= due(&first) + 2000, "{first}\n{second}");
    // The directory appears before the second restart is due (2 s): that restart works.
    std::fs::create_dir_all(dir.path().join("later")).expect("make the directory");
    let running = worker.wait_for_task("flaky", 0, "RUNNING").await;
    assert!(running.get("auto_restart").is_none(), "{running}");
    assert_eq!(restarts_counted(&worker).await, 2.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn restarts_stop_at_the_cap_and_never_is_the_default() {
    let worker = Worker::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    // A connector's own policy, over the worker's default (never).
    worker
        .create(
            "capped",
            sink(
                dir.path(),
                &unique("restart"),
                json!({"task.restart.policy": "on-failure", "task.restart.backoff.initial.ms": "100", "task.restart.max.attempts": "2"}),
            ),
        )
        .await;
    worker
        .create("plain", sink(dir.path(), &unique("restart"), json!({})))
        .await;
    let spent = eventually("the capped task to give up", Duration::from_secs(60), || async {
        let (_, status) = worker.request("GET", "/connectors/capped/tasks/0/status", None).await;
        (status["state"] == "FAILED"
            && status["auto_restart"]["attempt"] == 2
            && status["auto_restart"]["next_attempt_ms"].is_null())
        .then_some(status)
    })
    .await;
    assert_eq!(spent["auto_restart"]["max_attempts"], 2, "{spent}");
    let plain = worker.wait_for_task("plain", 0, "FAILED").await;
    assert!(
        plain.get("auto_restart").is_none(),
        "never restarts by default: {plain}"
    );
    // Well past the last backoff, nothing more was restarted.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(restarts_counted(&worker).await, 2.0);
    let still = worker.get("/connectors/capped/tasks/0/status").await;
    assert_eq!(still["state"], "FAILED");

    // A person's restart gives the attempts back: automatic restarts resume.
    let (status, body) = worker.request("POST", "/connectors/capped/tasks/0/restart", None).await;
    assert!(status == 204 || status == 200, "{status} {body}");
    eventually("automatic restarts to resume", Duration::from_secs(60), || async {
        (restarts_counted(&worker).await >= 3.0).then_some(())
    })
    .await;
}
