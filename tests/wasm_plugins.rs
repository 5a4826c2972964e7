//! WebAssembly connectors end to end: the example plugins of `plugins/` (built by
//! `scripts/build-plugins`) in a real worker against the real broker.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Worker, built_plugin, eventually, plugin_cache, read_topic_async, unique};

const WAIT: Duration = Duration::from_secs(60);

/// A plugin directory holding these plugins, and a worker loading it.
async fn worker_with_plugins(plugins: &[&str]) -> (Worker, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("plugin dir");
    for plugin in plugins {
        std::fs::copy(built_plugin(plugin), dir.path().join(format!("{plugin}.wasm"))).expect("copy plugin");
    }
    let worker = Worker::start_with(&format!(
        "plugin.path: {}\nplugin.cache.dir: {}\n",
        dir.path().display(),
        plugin_cache().display()
    ))
    .await;
    (worker, dir)
}

fn datagen_config(topic: &str, iterations: u64, rate: u64) -> Value {
    json!({
        "connector.class": "datagen",
        "kafka.topic": topic,
        "iterations": iterations.to_string(),
        "records.per.second": rate.to_string(),
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "true",
    })
}

fn order_ids(records: &[support::Record]) -> Vec<i64> {
    records
        .iter()
        .map(|r| {
            let value = r.value.as_ref().expect("a value");
            value["payload"]["orderid"].as_i64().expect("orderid")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn datagen_records_flow_and_its_offsets_survive_a_restart() {
    let (mut worker, _dir) = worker_with_plugins(&["datagen"]).await;
    let plugins = worker.get("/connector-plugins").await;
    assert!(
        plugins
            .as_array()
            .expect("plugins")
            .contains(&json!({"class": "datagen", "type": "source", "version": "0.1.0"})),
        "{plugins}"
    );
    assert!(
        std::fs::read_dir(plugin_cache())
            .expect("cache dir")
            .any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "cwasm"))),
        "the compiled plugin is cached"
    );

    let topic = unique("datagen");
    worker.create("orders", datagen_config(&topic, 1000, 250)).await;
    let first = read_topic_async(&topic, 200, WAIT).await;
    let value = first[0].value.as_ref().expect("value");
    assert_eq!(value["schema"]["name"], "datagen.order", "{value}");
    assert_eq!(first[0].key, Some(json!(0)), "the key is the order id");

    let status = worker.terminate();
    assert!(status.success());
    worker.spawn().await;
    let all = read_topic_async(&topic, 1000, WAIT).await;
    assert_eq!(
        order_ids(&all),
        (0..1000).collect::<Vec<i64>>(),
        "the restarted task continued the sequence"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        support::topic_record_count(&topic),
        1000,
        "and stopped at its iterations"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn misbehaving_plugins_fail_only_their_own_task() {
    let (worker, _dir) = worker_with_plugins(&["datagen", "misbehaving"]).await;
    let healthy = unique("healthy");
    worker.create("healthy", datagen_config(&healthy, 1_000_000, 20)).await;

    let misbehaving = |behaviour: &str, extra: Value| {
        let mut config = json!({"connector.class": "misbehaving", "behaviour": behaviour});
        if let (Value::Object(config), Value::Object(extra)) = (&mut config, extra) {
            config.extend(extra);
        }
        config
    };
    let cases = [
        (
            "loop",
            json!({"wasm.call.timeout.ms": "1000"}),
            "ran longer than its limit of 1000 ms",
        ),
        (
            "allocate",
            json!({"wasm.memory.max.bytes": "33554432"}),
            "exceeded its memory limit of 33554432 bytes",
        ),
        ("trap", json!({}), "panics on purpose"),
        (
            "read-env",
            json!({"variable": "HOME"}),
            "variable HOME is not available",
        ),
        (
            "read-dir",
            json!({"directory": "/etc"}),
            "directory /etc is not available",
        ),
    ];
    for (behaviour, extra, _) in &cases {
        worker.create(behaviour, misbehaving(behaviour, extra.clone())).await;
    }
    for (behaviour, _, reason) in &cases {
        let status = worker.wait_for_task(behaviour, 0, "FAILED").await;
        let trace = status["trace"].as_str().unwrap_or_default();
        assert!(trace.contains(reason), "{behaviour}: {trace}");
        assert!(trace.contains("misbehaving"), "the trace names the plugin: {trace}");
    }
    let status = worker.get("/connectors/healthy/status").await;
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    let (code, _) = worker.request("GET", "/health", None).await;
    assert_eq!(code, 200);
    read_topic_async(&healthy, 20, WAIT).await;

    // What a config grants, the plugin gets; a new config recovers a failed connector.
    let granted_dir = tempfile::tempdir().expect("dir");
    std::fs::write(granted_dir.path().join("visible.txt"), "x").expect("file");
    let found = unique("found");
    let grants = [
        (
            "read-env",
            json!({"variable": "HOME", "wasm.allow.env": "HOME", "topic": found}),
        ),
        (
            "read-dir",
            json!({"directory": granted_dir.path().display().to_string(), "wasm.allow.dirs": granted_dir.path().display().to_string(), "topic": found}),
        ),
    ];
    for (behaviour, extra) in grants {
        let (code, body) = worker
            .request(
                "PUT",
                &format!("/connectors/{behaviour}/config"),
                Some(misbehaving(behaviour, extra)),
            )
            .await;
        assert_eq!(code, 200, "{body}");
        worker.wait_for_task(behaviour, 0, "RUNNING").await;
    }
    let records = read_topic_async(&found, 2, WAIT).await;
    let values: Vec<Value> = records.into_iter().filter_map(|r| r.value).collect();
    assert!(
        values.contains(&json!(std::env::var("HOME").expect("HOME"))),
        "{values:?}"
    );
    assert!(values.contains(&json!("visible.txt")), "{values:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_dropped_into_plugin_path_becomes_usable() {
    let (worker, dir) = worker_with_plugins(&[]).await;
    std::fs::write(dir.path().join("broken.wasm"), b"not a component").expect("broken file");
    let listed = |plugins: &Value| {
        plugins
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["class"] == "datagen")
    };
    assert!(!listed(&worker.get("/connector-plugins").await));

    std::fs::copy(built_plugin("datagen"), dir.path().join("datagen.wasm")).expect("copy");
    eventually("datagen to be listed", WAIT, || async {
        listed(&worker.get("/connector-plugins").await).then_some(())
    })
    .await;

    let (code, infos) = worker
        .request(
            "PUT",
            "/connector-plugins/datagen/config/validate",
            Some(json!({"name": "dropped", "connector.class": "datagen", "records.per.second": "0"})),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(infos["error_count"], 2, "{infos}");
    assert!(!support::config_errors(&infos, "kafka.topic").is_empty(), "{infos}");
    assert!(
        !support::config_errors(&infos, "records.per.second").is_empty(),
        "{infos}"
    );

    let topic = unique("dropped");
    worker.create("dropped", datagen_config(&topic, 50, 500)).await;
    assert_eq!(
        order_ids(&read_topic_async(&topic, 50, WAIT).await),
        (0..50).collect::<Vec<i64>>()
    );
}

/// A minimal HTTP/1.1 server that answers 200 to every request and keeps the JSON bodies.
async fn receiving_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let received = bodies.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let received = received.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(socket);
                loop {
                    let mut length = 0;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    if let Ok(json) = serde_json::from_slice(&body) {
                        received.lock().expect("bodies").push(json);
                    }
                    let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    if reader.get_mut().write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (address, bodies)
}

#[tokio::test(flavor = "multi_thread")]
async fn http_sink_posts_generated_records_to_a_granted_host_only() {
    let (worker, _dir) = worker_with_plugins(&["datagen", "http-sink"]).await;
    let (address, bodies) = receiving_server().await;
    let topic = unique("to-http");
    worker.create("orders", datagen_config(&topic, 300, 1000)).await;
    let sink = |allow: &str| {
        json!({
            "connector.class": "http-sink",
            "topics": topic,
            "http.api.url": format!("http://{address}/ingest"),
            "batch.max.size": "100",
            "wasm.allow.http.hosts": allow,
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true",
        })
    };
    worker.create("to-http", sink(&address)).await;
    worker.create("not-granted", sink("")).await;

    let status = worker.wait_for_task("not-granted", 0, "FAILED").await;
    let trace = status["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("denied") && trace.contains("wasm.allow.http.hosts"),
        "{trace}"
    );

    let ids = eventually("300 orders at the server", WAIT, || {
        let bodies = bodies.clone();
        async move {
            let bodies = bodies.lock().expect("bodies");
            let mut ids: Vec<i64> = bodies
                .iter()
                .flat_map(|b| b.as_array().cloned().unwrap_or_default())
                .filter_map(|v| v["orderid"].as_i64())
                .collect();
            ids.sort();
            ids.dedup();
            (ids.len() == 300).then_some(ids)
        }
    })
    .await;
    assert_eq!(ids, (0..300).collect::<Vec<i64>>());
    assert!(
        bodies
            .lock()
            .expect("bodies")
            .iter()
            .all(|b| b.as_array().is_some_and(|a| a.len() <= 100)),
        "batches hold at most batch.max.size records"
    );
    assert_eq!(
        worker.get("/connectors/to-http/status").await["tasks"][0]["state"],
        "RUNNING"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_plugin_runs_like_a_rust_one() {
    let (worker, _dir) = worker_with_plugins(&["python-counter"]).await;
    let topic = unique("python");
    worker
        .create(
            "counter",
            json!({
                "connector.class": "python-counter",
                "topic": topic,
                "count": "50",
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "false",
            }),
        )
        .await;
    let records = read_topic_async(&topic, 50, WAIT).await;
    let keys: Vec<Value> = records.iter().filter_map(|r| r.key.clone()).collect();
    assert_eq!(keys, (0..50).map(|n| json!(n)).collect::<Vec<_>>());
    let ns: Vec<i64> = records
        .iter()
        .map(|r| r.value.as_ref().and_then(|v| v["n"].as_i64()).expect("n"))
        .collect();
    assert_eq!(ns, (0..50).collect::<Vec<i64>>());
}

/// A file sink reading `topic` as schemaless JSON through `transforms` (keys added to the config).
fn sink_through(topic: &str, file: &Path, transforms: Value) -> Value {
    let mut config = json!({"connector.class": "FileStreamSink", "topics": topic, "file": file,
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false"});
    if let (Some(config), Some(more)) = (config.as_object_mut(), transforms.as_object()) {
        config.extend(more.clone());
    }
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wasm_transform_masks_a_sinks_records() {
    let (worker, _dir) = worker_with_plugins(&["pii-mask"]).await;
    let plugins = worker.get("/connector-plugins?connectorsOnly=false").await;
    assert!(
        plugins
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["class"] == "pii-mask" && p["type"] == "transformation"),
        "{plugins}"
    );
    let topic = unique("pii");
    let values =
        [r#"{"name": "ann", "ssn": "123-45", "note": "write to ann@example.com"}"#].map(|v| support::s3::Produce {
            partition: 0,
            timestamp: None,
            value: v.as_bytes().to_vec(),
        });
    support::s3::produce(&topic, values).await;
    let output = worker.dir.path().join("masked.txt");
    let transforms = json!({"transforms": "mask", "transforms.mask.type": "pii-mask",
                            "transforms.mask.fields": "ssn"});
    worker.create("masked", sink_through(&topic, &output, transforms)).await;
    let lines = support::wait_for_lines(&output, 1, WAIT).await;
    let row: Value = serde_json::from_str(&lines[0]).expect("a JSON line");
    assert_eq!(row, json!({"name": "ann", "ssn": "****", "note": "write to ****"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn wasm_transforms_that_misbehave_fail_only_their_task() {
    let (worker, _dir) = worker_with_plugins(&["misbehaving-transform"]).await;
    let topic = unique("misbehaving-transform");
    let values = ["a", "b"].map(|v| support::s3::Produce {
        partition: 0,
        timestamp: None,
        value: format!("\"{v}\"").into_bytes(),
    });
    support::s3::produce(&topic, values).await;
    let with = |behaviour: &str| {
        json!({"transforms": "t", "transforms.t.type": "misbehaving-transform",
               "transforms.t.behaviour": behaviour, "transforms.t.wasm.call.timeout.ms": "1000"})
    };
    let file = |name: &str| worker.dir.path().join(format!("{name}.txt"));
    for behaviour in ["loop", "trap", "uppercase"] {
        worker
            .create(behaviour, sink_through(&topic, &file(behaviour), with(behaviour)))
            .await;
    }
    let looped = worker.wait_for_task("loop", 0, "FAILED").await;
    assert!(
        looped["trace"]
            .as_str()
            .unwrap_or_default()
            .contains("wasm.call.timeout.ms"),
        "{looped}"
    );
    let trapped = worker.wait_for_task("trap", 0, "FAILED").await;
    assert!(
        trapped["trace"].as_str().unwrap_or_default().contains("panic"),
        "{trapped}"
    );
    let lines = support::wait_for_lines(&file("uppercase"), 2, WAIT).await;
    assert_eq!(lines, vec!["A", "B"]);
    let healthy = worker.get("/connectors/uppercase/status").await;
    assert_eq!(healthy["tasks"][0]["state"], "RUNNING", "{healthy}");
}
