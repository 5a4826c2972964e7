//! The REST API against a real worker and broker: Kafka Connect's paths, shapes and status codes.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Worker, numbered, read_lines, topic_record_count, unique, wait_for_lines, write_lines};

fn source_config(worker: &Worker, topic: &str) -> Value {
    json!({"connector.class": "FileStreamSource", "file": worker.dir.path().join("in.txt"), "topic": topic})
}

fn sink_config(worker: &Worker, topic: &str) -> Value {
    json!({"connector.class": "FileStreamSink", "file": worker.dir.path().join("out.txt"), "topics": topic})
}

#[tokio::test(flavor = "multi_thread")]
async fn server_info_health_and_plugins() {
    let worker = Worker::start().await;
    let info = worker.get("/").await;
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        info["kafka_cluster_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{info}"
    );
    assert_eq!(worker.get("/health").await["status"], "healthy");
    let openapi = worker.get("/weir/v1/openapi.json").await;
    assert_eq!(openapi["openapi"], "3.0.3", "the API describes itself");

    let plugins = worker.get("/connector-plugins").await;
    let classes: Vec<(&str, &str)> = plugins
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["class"].as_str().unwrap(), p["type"].as_str().unwrap()))
        .collect();
    assert!(
        classes.contains(&("org.apache.kafka.connect.file.FileStreamSourceConnector", "source"))
            && classes.contains(&("org.apache.kafka.connect.file.FileStreamSinkConnector", "sink")),
        "{plugins}"
    );
    assert!(classes.iter().all(|(_, t)| *t == "source" || *t == "sink"));
    let all = worker.get("/connector-plugins?connectorsOnly=false").await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|p| p["class"] == "org.apache.kafka.connect.json.JsonConverter" && p["type"] == "converter")
    );

    let keys = worker.get("/connector-plugins/FileStreamSource/config").await;
    let file = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "file")
        .expect("file key");
    assert_eq!(file["type"], "STRING");
    assert_eq!(file["required"], true);
    let batch = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "batch.size")
        .expect("batch.size key");
    assert_eq!(batch["default_value"], "2000");
    assert_eq!(
        worker
            .request("GET", "/connector-plugins/NoSuchPlugin/config", None)
            .await
            .0,
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn health_is_unhealthy_once_an_internal_topic_cannot_be_read() {
    use rdkafka::admin::{AdminClient, AdminOptions};
    use rdkafka::client::DefaultClientContext;

    let id = unique("health");
    let worker = Worker::start_in(&id, "").await;
    let (status, healthy) = worker.request("GET", "/health", None).await;
    assert_eq!(status, 200, "{healthy}");
    assert_eq!(
        healthy,
        json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."})
    );
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap_servers())
        .create()
        .expect("admin client");
    let topic = format!("{id}-configs");
    for result in admin
        .delete_topics(&[&topic], &AdminOptions::new())
        .await
        .expect("delete the config topic")
    {
        result.unwrap_or_else(|(t, e)| panic!("deleting {t}: {e}"));
    }
    let unhealthy = support::eventually("the worker to say it is unhealthy", Duration::from_secs(60), || async {
        let (status, body) = worker.request("GET", "/health", None).await;
        (status == 500).then_some(body)
    })
    .await;
    assert_eq!(unhealthy["status"], "unhealthy", "{unhealthy}");
    let message = unhealthy["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Worker was unable to handle this request and may be unable to handle other requests.")
            && message.contains(&topic),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn log_levels_change_at_run_time_on_a_worker_and_across_the_cluster() {
    let id = unique("loggers");
    // Alone in its group at first, so that it runs the task whose log lines are looked for.
    let worker = Worker::start_in(&id, "").await;
    let all = worker.get("/admin/loggers").await;
    assert_eq!(all["root"], json!({"level": "INFO", "last_modified": null}), "{all}");

    // Worker scope: the source task's debug lines appear once its Kafka Connect name is DEBUG.
    let topic = unique("loggers");
    write_lines(&worker.dir.path().join("in.txt"), numbered("a", 0..10));
    worker.create("lines", source_config(&worker, &topic)).await;
    support::eventually(
        "the first lines' offsets to be committed",
        Duration::from_secs(30),
        || async {
            let offsets = worker.get("/connectors/lines/offsets").await;
            offsets["offsets"][0]["offset"]["position"].as_i64().map(|_| ())
        },
    )
    .await;
    assert!(
        !worker.log().contains("source offsets committed"),
        "no debug lines at INFO"
    );
    let logger = "org.apache.kafka.connect.runtime.WorkerSourceTask";
    let (status, changed) = worker
        .request(
            "PUT",
            &format!("/admin/loggers/{logger}"),
            Some(json!({"level": "debug"})),
        )
        .await;
    assert_eq!((status, changed), (200, json!([logger])));
    write_lines(&worker.dir.path().join("in.txt"), numbered("b", 0..10));
    support::eventually("a debug line in the log", Duration::from_secs(30), || async {
        worker.log().contains("source offsets committed").then_some(())
    })
    .await;
    let level = worker.get(&format!("/admin/loggers/{logger}")).await;
    assert_eq!(level["level"], "DEBUG", "{level}");
    assert!(level["last_modified"].as_u64().is_some(), "{level}");
    let other = Worker::start_in(&id, "").await;
    assert_eq!(other.get(&format!("/admin/loggers/{logger}")).await["level"], "INFO");

    // Cluster scope: a record on the config topic that every worker applies.
    let (status, _) = other
        .request(
            "PUT",
            "/admin/loggers/io.debezium?scope=cluster",
            Some(json!({"level": "TRACE"})),
        )
        .await;
    assert_eq!(status, 204);
    for w in [&worker, &other] {
        support::eventually("the cluster level on every worker", Duration::from_secs(30), || async {
            (w.get("/admin/loggers/io.debezium").await["level"] == "TRACE").then_some(())
        })
        .await;
    }

    let (status, body) = worker.request("GET", "/admin/loggers/com.example.Unknown", None).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (404, Some("Logger com.example.Unknown not found."))
    );
}

/// Validates a sink config on `worker`.
async fn validate_sink(worker: &Worker, config: &Value) -> (u16, Value) {
    worker
        .request(
            "PUT",
            "/connector-plugins/FileStreamSink/config/validate",
            Some(config.clone()),
        )
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn client_overrides_follow_the_workers_policy() {
    let worker = Worker::start().await;
    let topic = unique("overrides");
    let mut config = sink_config(&worker, &topic);
    config["name"] = json!("evil");
    config["consumer.override.sasl.jaas.config"] = json!("com.example.Evil required password=\"p4ss\";");
    config["consumer.override.fetch.min.bytes"] = json!("1024");
    // Allowlist, the default: the login module is refused, by its key, the tuning is not.
    let (status, infos) = validate_sink(&worker, &config).await;
    assert_eq!(status, 200);
    assert_eq!(infos["error_count"], 1, "{infos}");
    assert_eq!(
        support::config_errors(&infos, "consumer.override.sasl.jaas.config"),
        ["The 'Allowlist' policy does not allow 'sasl.jaas.config' to be overridden in the connector configuration."]
    );
    assert!(
        !infos.to_string().contains("p4ss"),
        "a login module's password is hidden: {infos}"
    );
    let (status, body) = worker
        .request(
            "POST",
            "/connectors",
            Some(json!({"name": "evil", "config": config.clone()})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("consumer.override.sasl.jaas.config"),
        "{body}"
    );
    // None refuses even the tuning; All takes both.
    let none = Worker::start_with("connector.client.config.override.policy: None\n").await;
    let (_, infos) = validate_sink(&none, &config).await;
    assert_eq!(infos["error_count"], 2, "{infos}");
    let all = Worker::start_with(
        "connector.client.config.override.policy: org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy\n",
    )
    .await;
    let (_, infos) = validate_sink(&all, &config).await;
    assert_eq!(infos["error_count"], 0, "{infos}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connector_created_with_initial_offsets_starts_from_them() {
    let worker = Worker::start().await;
    let topic = unique("initial");
    // Lines of 10 bytes (a-0000000): position 20 is the third line.
    write_lines(&worker.dir.path().join("in.txt"), numbered("a", 0..10));
    let file = worker.dir.path().join("in.txt").display().to_string();
    let (status, body) = worker
        .request(
            "POST",
            "/connectors",
            Some(json!({
                "name": "from-third",
                "config": source_config(&worker, &topic),
                "initial_offsets": {"offsets": [{"partition": {"filename": file}, "offset": {"position": 20}}]},
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let records = support::read_topic_async(&topic, 8, Duration::from_secs(60)).await;
    assert_eq!(records[0].value, Some(json!("a-0000002")), "{records:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(topic_record_count(&topic), 8, "nothing before the initial offset");

    // Offsets a sink cannot take refuse the creation, and leave nothing behind.
    let (status, body) = worker
        .request(
            "POST",
            "/connectors",
            Some(json!({
                "name": "bad-offsets",
                "config": sink_config(&worker, &topic),
                "initial_offsets": {"offsets": [{"partition": {"kafka_partition": 0}, "offset": {"kafka_offset": 1}}]},
            })),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = worker.request("GET", "/connectors/bad-offsets", None).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_reports_every_error_in_config_infos() {
    let worker = Worker::start().await;
    let body = json!({"connector.class": "FileStreamSource", "batch.size": "zero", "tasks.max": 0, "errors.tolerance": "some"});
    let (status, infos) = worker
        .request("PUT", "/connector-plugins/FileStreamSource/config/validate", Some(body))
        .await;
    assert_eq!(status, 200, "{infos}");
    assert_eq!(infos["name"], "FileStreamSource");
    for key in ["name", "file", "topic", "batch.size", "tasks.max", "errors.tolerance"] {
        assert_eq!(
            support::config_errors(&infos, key).len(),
            1,
            "one error for {key}: {infos}"
        );
    }
    assert_eq!(infos["error_count"], 6);
    assert!(infos["groups"].as_array().unwrap().contains(&json!("Common")));
    let definition = &infos["configs"][0]["definition"];
    for field in [
        "name",
        "type",
        "required",
        "default_value",
        "importance",
        "documentation",
        "group",
        "order_in_group",
        "width",
        "display_name",
        "dependents",
    ] {
        assert!(definition.get(field).is_some(), "definition has {field}: {definition}");
    }

    let (status, body) = worker
        .request(
            "PUT",
            "/connector-plugins/FileStreamSink/config/validate",
            Some(json!({"connector.class": "FileStreamSource"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let valid = json!({"connector.class": "FileStreamSink", "name": "ok", "file": "/tmp/x", "topics": "t"});
    let (status, infos) = worker
        .request("PUT", "/connector-plugins/file-sink/config/validate", Some(valid))
        .await;
    assert_eq!((status, infos["error_count"].clone()), (200, json!(0)), "{infos}");
}

#[tokio::test(flavor = "multi_thread")]
async fn client_errors_answer_as_kafka_connect_does() {
    let worker = Worker::start().await;
    let topic = unique("errors");
    for (method, path) in [
        ("GET", "/connectors/nope"),
        ("GET", "/connectors/nope/config"),
        ("GET", "/connectors/nope/status"),
        ("GET", "/connectors/nope/tasks"),
        ("GET", "/connectors/nope/offsets"),
        ("DELETE", "/connectors/nope"),
        ("PUT", "/connectors/nope/pause"),
        ("PUT", "/connectors/nope/resume"),
        ("PUT", "/connectors/nope/stop"),
        ("POST", "/connectors/nope/restart"),
        ("POST", "/connectors/nope/tasks/0/restart"),
        ("GET", "/no/such/path"),
    ] {
        let (status, body) = worker.request(method, path, None).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(body["error_code"], 404, "{method} {path}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (status, body) = worker
        .request("PATCH", "/connectors/nope/config", Some(json!({"a": "b"})))
        .await;
    assert_eq!((status, body["error_code"].clone()), (404, json!(404)));

    // Invalid configs: 400 naming every bad key.
    let (status, body) = worker
        .request(
            "POST",
            "/connectors",
            Some(json!({"name": "bad", "config": {"connector.class": "FileStreamSource", "batch.size": -1}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap();
    for needle in [
        "3 error(s)",
        "file",
        "topic",
        "batch.size",
        "/connector-plugins/FileStreamSource/config/validate",
    ] {
        assert!(message.contains(needle), "{needle} in {message}");
    }
    let (status, body) = worker
        .request(
            "POST",
            "/connectors",
            Some(json!({"name": "bad", "config": {"file": "/x"}})),
        )
        .await;
    assert_eq!(status, 400, "no connector.class: {body}");
    let (status, body) = worker
        .request(
            "POST",
            "/connectors",
            Some(json!({"name": "bad", "config": {"connector.class": "NoSuch"}})),
        )
        .await;
    assert_eq!(status, 400, "unknown class: {body}");
    let (status, _) = worker
        .request_raw("POST", "/connectors", "application/json", "{not json")
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        worker.request("GET", "/connectors", None).await.1,
        json!([]),
        "nothing was created"
    );

    // Existing name: 409; name mismatch: 400.
    worker.create("dup", source_config(&worker, &topic)).await;
    let (status, body) = worker
        .request(
            "POST",
            "/connectors",
            Some(json!({"name": "dup", "config": source_config(&worker, &topic)})),
        )
        .await;
    assert_eq!((status, body["error_code"].clone()), (409, json!(409)), "{body}");
    let mut mismatched = source_config(&worker, &topic);
    mismatched["name"] = json!("other");
    let (status, _) = worker.request("PUT", "/connectors/dup/config", Some(mismatched)).await;
    assert_eq!(status, 400);

    // Unknown task: 404; offsets changes while running: 400.
    worker.wait_for_state("dup", "RUNNING", 1).await;
    assert_eq!(
        worker.request("GET", "/connectors/dup/tasks/7/status", None).await.0,
        404
    );
    assert_eq!(
        worker.request("POST", "/connectors/dup/tasks/7/restart", None).await.0,
        404
    );
    assert_eq!(
        worker.request("GET", "/connectors/dup/tasks/x/status", None).await.0,
        404
    );
    let offsets = json!({"offsets": [{"partition": {"filename": "/x"}, "offset": {"position": 0}}]});
    let (status, body) = worker.request("PATCH", "/connectors/dup/offsets", Some(offsets)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("STOPPED"));
    assert_eq!(worker.request("DELETE", "/connectors/dup/offsets", None).await.0, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_read_update_and_yaml_bodies() {
    let worker = Worker::start().await;
    let topic = unique("crud");
    write_lines(&worker.dir.path().join("in.txt"), numbered("x", 0..10));

    let (status, created) = worker
        .request_raw(
            "POST",
            "/connectors",
            "application/yaml",
            &format!("name: yaml-source\nconfig:\n  connector.class: FileStreamSource\n  file: {}\n  topic: {topic}\n  batch.size: 100\n  tasks.max: 1\n", worker.dir.path().join("in.txt").display()),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["config"]["batch.size"], "100", "numbers are kept as strings");
    assert_eq!(created["type"], "source");
    // Like Kafka Connect, the task list is filled in once the connector has
    // generated its task configs, not by the POST itself.
    let status = worker.wait_for_state("yaml-source", "RUNNING", 1).await;
    let info = worker.get("/connectors/yaml-source").await;
    assert_eq!(info["name"], "yaml-source");
    assert_eq!(info["tasks"], json!([{"connector": "yaml-source", "task": 0}]));
    assert_eq!(status["type"], "source");
    assert!(
        status["connector"]["worker_id"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert!(status["connector"].get("trace").is_none(), "trace omitted when empty");

    let tasks = worker.get("/connectors/yaml-source/tasks").await;
    assert_eq!(tasks[0]["id"], json!({"connector": "yaml-source", "task": 0}));
    assert_eq!(tasks[0]["config"]["topic"], topic);

    // PUT creates (201) or updates (200); PATCH changes and removes keys.
    let (status, _) = worker
        .request("PUT", "/connectors/put-sink/config", Some(sink_config(&worker, &topic)))
        .await;
    assert_eq!(status, 201);
    let mut changed = sink_config(&worker, &topic);
    changed["tasks.max"] = json!(2);
    let (status, info) = worker
        .request("PUT", "/connectors/put-sink/config", Some(changed))
        .await;
    assert_eq!((status, info["config"]["tasks.max"].clone()), (200, json!("2")));
    let (status, info) = worker
        .request(
            "PATCH",
            "/connectors/put-sink/config",
            Some(json!({"tasks.max": null, "errors.tolerance": "all"})),
        )
        .await;
    assert_eq!(status, 200, "{info}");
    assert!(info["config"].get("tasks.max").is_none());
    assert_eq!(info["config"]["errors.tolerance"], "all");
    assert_eq!(
        worker.get("/connectors/put-sink/config").await["errors.tolerance"],
        "all"
    );

    let mut names = worker.get("/connectors").await.as_array().unwrap().clone();
    names.sort_by_key(|n| n.as_str().unwrap().to_owned());
    assert_eq!(names, vec![json!("put-sink"), json!("yaml-source")]);
    let expanded = worker.get("/connectors?expand=status&expand=info").await;
    assert_eq!(expanded["yaml-source"]["info"]["name"], "yaml-source");
    assert_eq!(expanded["yaml-source"]["status"]["connector"]["state"], "RUNNING");
    assert!(
        worker.get("/connectors?expand=info").await["put-sink"]
            .get("status")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_resume_stop_and_delete() {
    let worker = Worker::start().await;
    let topic = unique("lifecycle");
    let (input, output) = (worker.dir.path().join("in.txt"), worker.dir.path().join("out.txt"));
    write_lines(&input, numbered("a", 0..100));
    worker.create("source", source_config(&worker, &topic)).await;
    worker.create("sink", sink_config(&worker, &topic)).await;
    wait_for_lines(&output, 100, Duration::from_secs(60)).await;

    assert_eq!(worker.request("PUT", "/connectors/source/pause", None).await.0, 202);
    worker.wait_for_state("source", "PAUSED", 1).await;
    write_lines(&input, numbered("b", 0..50));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(topic_record_count(&topic), 100, "a paused source moves nothing");
    assert_eq!(worker.request("PUT", "/connectors/source/resume", None).await.0, 202);
    worker.wait_for_state("source", "RUNNING", 1).await;
    wait_for_lines(&output, 150, Duration::from_secs(60)).await;

    assert_eq!(worker.request("PUT", "/connectors/sink/stop", None).await.0, 204);
    assert_eq!(
        worker.request("PUT", "/connectors/sink/stop", None).await.0,
        204,
        "stop is idempotent"
    );
    worker.wait_for_state("sink", "STOPPED", 0).await;
    assert_eq!(
        worker.get("/connectors/sink/tasks").await,
        json!([]),
        "a stopped connector has no tasks"
    );
    write_lines(&input, numbered("c", 0..25));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(read_lines(&output).len(), 150, "a stopped sink writes nothing");
    assert_eq!(worker.request("PUT", "/connectors/sink/resume", None).await.0, 202);
    worker.wait_for_state("sink", "RUNNING", 1).await;
    wait_for_lines(&output, 175, Duration::from_secs(60)).await;

    assert_eq!(worker.request("DELETE", "/connectors/source", None).await.0, 204);
    assert_eq!(worker.request("GET", "/connectors/source", None).await.0, 404);
    assert_eq!(worker.get("/connectors").await, json!(["sink"]));
    write_lines(&input, numbered("d", 0..10));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(topic_record_count(&topic), 175, "a deleted source moves nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_with_include_tasks_and_only_failed() {
    let worker = Worker::start().await;
    let topic = unique("restart");
    let missing_dir = worker.dir.path().join("not-yet");
    let output = missing_dir.join("out.txt");
    write_lines(&worker.dir.path().join("in.txt"), numbered("r", 0..20));
    worker.create("source", source_config(&worker, &topic)).await;
    worker
        .create(
            "sink",
            json!({"connector.class": "FileStreamSink", "file": output, "topics": topic}),
        )
        .await;

    // The sink's task fails: its directory does not exist. The connector and the worker go on.
    let failed = worker.wait_for_task("sink", 0, "FAILED").await;
    assert!(
        failed["trace"].as_str().is_some_and(|t| t.contains("not-yet")),
        "the trace says why: {failed}"
    );
    assert_eq!(
        worker.get("/connectors/sink/status").await["connector"]["state"],
        "RUNNING"
    );
    worker.wait_for_state("source", "RUNNING", 1).await;

    // Both flags false: the connector alone restarts, 204; the task stays failed.
    assert_eq!(worker.request("POST", "/connectors/sink/restart", None).await.0, 204);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(worker.get("/connectors/sink/tasks/0/status").await["state"], "FAILED");

    // onlyFailed + includeTasks: only the failed task restarts, shown RESTARTING.
    std::fs::create_dir_all(&missing_dir).unwrap();
    let (status, body) = worker
        .request(
            "POST",
            "/connectors/sink/restart?includeTasks=true&onlyFailed=true",
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body["connector"]["state"], "RUNNING",
        "the running connector is not restarted: {body}"
    );
    assert_eq!(body["tasks"][0]["state"], "RESTARTING");
    worker.wait_for_state("sink", "RUNNING", 1).await;
    wait_for_lines(&output, 20, Duration::from_secs(60)).await;

    // includeTasks alone restarts everything.
    let (status, body) = worker
        .request("POST", "/connectors/source/restart?includeTasks=true", None)
        .await;
    assert_eq!(status, 202);
    assert_eq!(body["connector"]["state"], "RESTARTING");
    assert_eq!(body["tasks"][0]["state"], "RESTARTING");
    worker.wait_for_state("source", "RUNNING", 1).await;

    // A single task restart.
    assert_eq!(
        worker.request("POST", "/connectors/sink/tasks/0/restart", None).await.0,
        204
    );
    worker.wait_for_state("sink", "RUNNING", 1).await;
    write_lines(&worker.dir.path().join("in.txt"), numbered("s", 0..5));
    wait_for_lines(&output, 25, Duration::from_secs(60)).await;
    assert_eq!(worker.request("GET", "/connectors/sink/restart", None).await.0, 405);
}

#[tokio::test(flavor = "multi_thread")]
async fn source_offsets_read_reset_and_honoured() {
    let worker = Worker::start().await;
    let topic = unique("src-offsets");
    let input = worker.dir.path().join("in.txt");
    let lines: Vec<String> = numbered("o", 0..100).collect();
    write_lines(&input, lines.iter().cloned());
    worker.create("source", source_config(&worker, &topic)).await;
    let file_size = std::fs::metadata(&input).unwrap().len();
    let expected = json!({"offsets": [{"partition": {"filename": input}, "offset": {"position": file_size}}]});
    support::eventually("the source offset to be committed", Duration::from_secs(60), || async {
        (worker.get("/connectors/source/offsets").await == expected).then_some(())
    })
    .await;

    // Rewind to line 90 (each line is 10 bytes): the last 10 lines are produced again.
    assert_eq!(worker.request("PUT", "/connectors/source/stop", None).await.0, 204);
    worker.wait_for_state("source", "STOPPED", 0).await;
    let rewind = json!({"offsets": [{"partition": {"filename": input}, "offset": {"position": 900}}]});
    let (status, body) = worker
        .request("PATCH", "/connectors/source/offsets", Some(rewind.clone()))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["message"],
        "The offsets for this connector have been altered successfully"
    );
    assert_eq!(worker.get("/connectors/source/offsets").await, rewind);
    assert_eq!(worker.request("PUT", "/connectors/source/resume", None).await.0, 202);
    support::eventually(
        "the 10 rewound lines to be produced again",
        Duration::from_secs(60),
        || async { (topic_record_count(&topic) == 110).then_some(()) },
    )
    .await;

    // Reset: everything is produced again.
    assert_eq!(worker.request("PUT", "/connectors/source/stop", None).await.0, 204);
    worker.wait_for_state("source", "STOPPED", 0).await;
    let (status, body) = worker.request("DELETE", "/connectors/source/offsets", None).await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            200,
            json!("The offsets for this connector have been reset successfully")
        )
    );
    assert_eq!(worker.get("/connectors/source/offsets").await, json!({"offsets": []}));
    assert_eq!(worker.request("PUT", "/connectors/source/resume", None).await.0, 202);
    support::eventually(
        "the whole file to be produced again",
        Duration::from_secs(60),
        || async { (topic_record_count(&topic) == 210).then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sink_offsets_read_reset_and_honoured() {
    let worker = Worker::start().await;
    let topic = unique("sink-offsets");
    let output = worker.dir.path().join("out.txt");
    write_lines(&worker.dir.path().join("in.txt"), numbered("k", 0..50));
    worker.create("source", source_config(&worker, &topic)).await;
    worker.create("sink", sink_config(&worker, &topic)).await;
    wait_for_lines(&output, 50, Duration::from_secs(60)).await;
    let expected = json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 50}}]});
    support::eventually("the sink offset to be committed", Duration::from_secs(60), || async {
        (worker.get("/connectors/sink/offsets").await == expected).then_some(())
    })
    .await;

    // Move back to offset 40: 10 records are written again.
    assert_eq!(worker.request("PUT", "/connectors/sink/stop", None).await.0, 204);
    worker.wait_for_state("sink", "STOPPED", 0).await;
    let rewind = json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 40}}]});
    let (status, body) = worker
        .request("PATCH", "/connectors/sink/offsets", Some(rewind.clone()))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(worker.get("/connectors/sink/offsets").await, rewind);
    assert_eq!(worker.request("PUT", "/connectors/sink/resume", None).await.0, 202);
    let lines = wait_for_lines(&output, 60, Duration::from_secs(60)).await;
    assert_eq!(lines[50..], lines[40..50]);

    // Reset: the whole topic is written again.
    assert_eq!(worker.request("PUT", "/connectors/sink/stop", None).await.0, 204);
    worker.wait_for_state("sink", "STOPPED", 0).await;
    assert_eq!(worker.request("DELETE", "/connectors/sink/offsets", None).await.0, 200);
    assert_eq!(worker.get("/connectors/sink/offsets").await, json!({"offsets": []}));
    assert_eq!(worker.request("PUT", "/connectors/sink/resume", None).await.0, 202);
    wait_for_lines(&output, 110, Duration::from_secs(60)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connectors_come_back_in_their_target_state_after_a_restart() {
    let mut worker = Worker::start().await;
    let topic = unique("comeback");
    write_lines(&worker.dir.path().join("in.txt"), numbered("z", 0..10));
    worker.create("running", source_config(&worker, &topic)).await;
    let (status, _) = worker
        .request(
            "POST",
            "/connectors",
            Some(json!({"name": "paused", "config": sink_config(&worker, &topic), "initial_state": "PAUSED"})),
        )
        .await;
    assert_eq!(status, 201);
    let mut stopped = sink_config(&worker, &topic);
    stopped["file"] = json!(worker.dir.path().join("stopped.txt"));
    let (status, _) = worker
        .request(
            "POST",
            "/connectors",
            Some(json!({"name": "stopped", "config": stopped, "initial_state": "STOPPED"})),
        )
        .await;
    assert_eq!(status, 201);
    worker.wait_for_state("running", "RUNNING", 1).await;
    worker.wait_for_state("paused", "PAUSED", 1).await;
    worker.wait_for_state("stopped", "STOPPED", 0).await;

    assert!(worker.terminate().success());
    worker.spawn().await;
    worker.wait_for_state("running", "RUNNING", 1).await;
    worker.wait_for_state("paused", "PAUSED", 1).await;
    worker.wait_for_state("stopped", "STOPPED", 0).await;
    assert!(
        read_lines(&worker.dir.path().join("out.txt")).is_empty(),
        "the paused sink wrote nothing"
    );

    worker.kill();
    worker.spawn().await;
    worker.wait_for_state("running", "RUNNING", 1).await;
    worker.wait_for_state("paused", "PAUSED", 1).await;
    assert_eq!(topic_record_count(&topic), 10);
}

/// `admin.listeners`, as Kafka Connect has it: `/admin` served on its own listener and not on
/// the API's, or nowhere when it is empty.
#[tokio::test(flavor = "multi_thread")]
async fn admin_listeners_serve_admin_alone_or_nowhere() {
    let port = support::free_port();
    let worker = Worker::start_with(&format!("admin.listeners: http://127.0.0.1:{port}\n")).await;
    let (status, body) = worker.request("GET", "/admin/loggers", None).await;
    assert_eq!(status, 404, "/admin is not on the API's listener: {body}");
    let admin = format!("http://127.0.0.1:{port}");
    let loggers = reqwest::get(format!("{admin}/admin/loggers"))
        .await
        .expect("admin listener");
    assert_eq!(loggers.status(), 200);
    let loggers: serde_json::Value = loggers.json().await.expect("JSON");
    assert!(loggers["root"]["level"].is_string(), "{loggers}");
    let api = reqwest::get(format!("{admin}/connectors"))
        .await
        .expect("admin listener");
    assert_eq!(api.status(), 404, "the admin listener serves /admin alone");

    let without = Worker::start_with("admin.listeners: \"\"\n").await;
    let (status, body) = without.request("GET", "/admin/loggers", None).await;
    assert_eq!(status, 404, "an empty admin.listeners serves /admin nowhere: {body}");
    assert_eq!(without.get("/connectors").await, json!([]));
}
