//! The same REST calls against Kafka Connect (the reference of `scripts/dev-env`) and Weir, on
//! the same broker and input: the status codes and the JSON fields of the answers must agree.
//! Values that name the worker or the plugin's version differ by nature; their shapes may not.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};
use support::reference::{self, ReferenceConnector};
use support::{Worker, unique, write_lines};

/// A JSON value with every scalar replaced by its type's name: what two answers must share.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => Value::Null,
    }
}

/// The definitions of a validate answer by key name.
fn definitions(infos: &Value) -> BTreeMap<String, Value> {
    infos["configs"]
        .as_array()
        .expect("configs")
        .iter()
        .map(|c| {
            (
                c["definition"]["name"].as_str().expect("name").to_owned(),
                c["definition"].clone(),
            )
        })
        .collect()
}

/// Validates `config` as `plugin` on both: Weir defines every key Kafka Connect defines, laid
/// out alike, and the same keys have errors.
async fn same_definitions(weir: &Worker, plugin: &str, config: Value) {
    let path = format!("/connector-plugins/{plugin}/config/validate");
    let (theirs_status, theirs) = reference::request("PUT", &path, Some(config.clone())).await;
    let (ours_status, ours) = weir.request("PUT", &path, Some(config)).await;
    assert_eq!((ours_status, theirs_status), (200, 200), "{ours}\n{theirs}");
    assert_eq!(ours["name"], theirs["name"], "the connector class as given");
    let with_errors = |infos: &Value| -> BTreeSet<String> {
        infos["configs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["value"]["errors"].as_array().is_some_and(|e| !e.is_empty()))
            .filter_map(|c| c["value"]["name"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        with_errors(&ours),
        with_errors(&theirs),
        "{plugin}: the keys with errors"
    );
    let (theirs, ours) = (definitions(&theirs), definitions(&ours));
    let missing: Vec<&String> = theirs.keys().filter(|k| !ours.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "{plugin}: keys Kafka Connect defines and Weir does not: {missing:?}"
    );
    let shared: Vec<&String> = ours.keys().filter(|k| theirs.contains_key(*k)).collect();
    for key in shared {
        let (t, o) = (&theirs[key], &ours[key]);
        assert_eq!(
            o.as_object().map(|m| m.keys().collect::<BTreeSet<_>>()),
            t.as_object().map(|m| m.keys().collect::<BTreeSet<_>>()),
            "{plugin} {key}: the definition's fields"
        );
        for field in ["type", "importance", "group", "order_in_group", "width", "display_name"] {
            assert_eq!(o[field], t[field], "{plugin} {key}: {field}");
        }
    }
}

/// One file source of the same name on each, reading one input into a topic of each side's own,
/// both running.
struct SourcePair {
    name: String,
    input: std::path::PathBuf,
    theirs_topic: String,
    ours_topic: String,
    _reference: ReferenceConnector,
}

impl SourcePair {
    async fn start(weir: &Worker, prefix: &str) -> SourcePair {
        let input = weir.dir.path().join("in.txt");
        write_lines(&input, ["a".to_owned(), "b".to_owned()].into_iter());
        let name = unique(prefix);
        let (theirs_topic, ours_topic) = (unique(&format!("{prefix}-kc")), unique(&format!("{prefix}-weir")));
        let reference = ReferenceConnector::create(&name, source_config(&input, &theirs_topic)).await;
        weir.create(&name, source_config(&input, &ours_topic)).await;
        weir.wait_for_state(&name, "RUNNING", 1).await;
        SourcePair {
            name,
            input,
            theirs_topic,
            ours_topic,
            _reference: reference,
        }
    }

    /// The connector's config, writing to `topic`.
    fn config(&self, topic: &str) -> Value {
        source_config(&self.input, topic)
    }
}

/// A file source of `input` into `topic`.
fn source_config(input: &std::path::Path, topic: &str) -> Value {
    json!({"connector.class": "FileStreamSource", "file": input, "topic": topic, "tasks.max": "1"})
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rest_api_answers_as_kafka_connects_does() {
    let weir = Worker::start().await;

    // A healthy worker says so in the same words (KIP-1017).
    assert_eq!(
        weir.request("GET", "/health", None).await,
        reference::request("GET", "/health", None).await
    );

    // Log levels: the same answers to a bad request, and the same shape of a level.
    for (body, why) in [(json!({"level": "LOUD"}), "an unknown level"), (json!({}), "no level")] {
        let path = "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSinkTask";
        assert_eq!(
            weir.request("PUT", path, Some(body.clone())).await,
            reference::request("PUT", path, Some(body)).await,
            "{why}"
        );
    }
    let (_, theirs) = reference::request("GET", "/admin/loggers/root", None).await;
    assert_eq!(shape(&weir.get("/admin/loggers/root").await), shape(&theirs));
    // A worker-scope change answers the loggers it changed, and the level reads back.
    let sink_task = "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSinkTask";
    let debug = json!({"level": "DEBUG"});
    let theirs = reference::request("PUT", sink_task, Some(debug.clone())).await;
    assert_eq!(weir.request("PUT", sink_task, Some(debug)).await, theirs);
    let (_, theirs_level) = reference::request("GET", sink_task, None).await;
    let ours_level = weir.get(sink_task).await;
    assert_eq!(
        (&ours_level["level"], shape(&ours_level)),
        (&theirs_level["level"], shape(&theirs_level))
    );
    reference::request("PUT", sink_task, Some(json!({"level": "INFO"}))).await;

    // The built-in file connectors are listed by Kafka Connect's class names.
    let plugins = |list: &Value| -> BTreeSet<(String, String)> {
        list.as_array()
            .expect("plugins")
            .iter()
            .map(|p| {
                (
                    p["class"].as_str().unwrap_or_default().to_owned(),
                    p["type"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .filter(|(class, _)| class.starts_with("org.apache.kafka.connect.file."))
            .collect()
    };
    let (_, theirs) = reference::request("GET", "/connector-plugins", None).await;
    let ours = weir.get("/connector-plugins").await;
    assert_eq!(plugins(&ours), plugins(&theirs));
    assert_eq!(plugins(&ours).len(), 2);

    same_definitions(
        &weir,
        "FileStreamSourceConnector",
        json!({"connector.class": "FileStreamSource", "name": "n", "file": "/tmp/in", "topic": "t"}),
    )
    .await;
    same_definitions(
        &weir,
        "FileStreamSinkConnector",
        json!({"connector.class": "FileStreamSink", "name": "n", "file": "/tmp/out", "topics": "t"}),
    )
    .await;
    // Values both refuse: a boolean that is not one, an action that is none.
    same_definitions(
        &weir,
        "FileStreamSourceConnector",
        json!({"connector.class": "FileStreamSource", "name": "n", "file": "/tmp/in", "topic": "t",
               "tasks.max.enforce": "maybe", "config.action.reload": "never"}),
    )
    .await;
    // A version that is not installed. Kafka Connect 4.3.1 gave this error once here, then a 500
    // (a NullPointerException in VersionedPluginLoadingException) to the same request: its
    // message is checked as it was given.
    let asked = json!({"connector.class": "FileStreamSource", "name": "n", "file": "/tmp/in", "topic": "t",
                       "connector.plugin.version": "9.9"});
    let (_, ours) = weir
        .request(
            "PUT",
            "/connector-plugins/FileStreamSource/config/validate",
            Some(asked),
        )
        .await;
    let configs = ours["configs"].as_array().cloned().unwrap_or_default();
    let entry = configs
        .iter()
        .find(|c| c["value"]["name"] == "connector.plugin.version")
        .expect("connector.plugin.version");
    let installed = entry["definition"]["default_value"].as_str().unwrap_or_default();
    assert!(!installed.is_empty(), "the default is the installed version: {entry}");
    assert_eq!(
        entry["value"]["errors"],
        json!([format!(
            "Plugin org.apache.kafka.connect.file.FileStreamSourceConnector not found that matches the version range [9.9,9.9], available versions: [{installed}]"
        )])
    );

    // One file source on each, on one input.
    let pair = SourcePair::start(&weir, "compat").await;
    let (name, theirs_topic, ours_topic) = (&pair.name, &pair.theirs_topic, &pair.ours_topic);

    let same = |what: &str, ours: &Value, theirs: &Value| {
        assert_eq!(shape(ours), shape(theirs), "{what}:\n weir: {ours}\n   kc: {theirs}");
    };
    for path in [
        format!("/connectors/{name}/status"),
        format!("/connectors/{name}/tasks/0/status"),
        format!("/connectors/{name}"),
        format!("/connectors/{name}/config"),
        "/connectors?expand=info".to_owned(),
    ] {
        let (theirs_status, theirs) = reference::request("GET", &path, None).await;
        let (ours_status, ours) = weir.request("GET", &path, None).await;
        assert_eq!(ours_status, theirs_status, "GET {path}");
        let pick = |v: &Value| {
            if path.starts_with("/connectors?") {
                v[&name].clone()
            } else {
                v.clone()
            }
        };
        same(&format!("GET {path}"), &pick(&ours), &pick(&theirs));
    }
    let status = weir.get(&format!("/connectors/{name}/status")).await;
    assert!(status["connector"]["version"].is_string() && status["tasks"][0]["version"].is_string());

    // Task configs: the connector's keys, and the task's class.
    let (_, theirs) = reference::request("GET", &format!("/connectors/{name}/tasks"), None).await;
    let ours = weir.get(&format!("/connectors/{name}/tasks")).await;
    let keys = |tasks: &Value| -> BTreeSet<String> {
        tasks[0]["config"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(
        keys(&ours),
        keys(&theirs),
        "task config keys:\n weir: {ours}\n   kc: {theirs}"
    );
    assert_eq!(ours[0]["config"]["task.class"], theirs[0]["config"]["task.class"]);
    assert_eq!(ours[0]["id"], json!({"connector": name, "task": 0}));

    // Topic tracking (KIP-558): each answers with the topic its own task wrote to, and forgets
    // it on a reset; a name never created used no topic.
    let topics_path = format!("/connectors/{name}/topics");
    for (what, topic) in [("kc", theirs_topic), ("weir", ours_topic)] {
        let topic = topic.clone();
        support::eventually(&format!("{what} to record its topic"), Duration::from_secs(60), || {
            let (path, topic, name) = (topics_path.clone(), topic.clone(), name.clone());
            let weir = &weir;
            async move {
                let (_, body) = if what == "kc" {
                    reference::request("GET", &path, None).await
                } else {
                    weir.request("GET", &path, None).await
                };
                (body[&name]["topics"] == json!([topic])).then_some(())
            }
        })
        .await;
    }
    let reset = format!("/connectors/{name}/topics/reset");
    let (theirs_status, theirs) = reference::request("PUT", &reset, None).await;
    let (ours_status, ours) = weir.request("PUT", &reset, None).await;
    assert_eq!((ours_status, theirs_status), (202, 202));
    same("PUT topics/reset", &ours, &theirs);
    // Kafka Connect forgets the topics once it reads its tombstones back.
    let forgotten = || async {
        let (_, body) = reference::request("GET", &format!("/connectors/{name}/topics"), None).await;
        (body[&name]["topics"] == json!([])).then_some(())
    };
    support::eventually("kc to forget the topics", Duration::from_secs(30), forgotten).await;
    for path in [topics_path, "/connectors/never-created/topics".to_owned()] {
        let (theirs_status, theirs) = reference::request("GET", &path, None).await;
        let (ours_status, ours) = weir.request("GET", &path, None).await;
        assert_eq!((ours_status, ours.clone()), (theirs_status, theirs), "GET {path}");
    }

    // A restart's answer.
    let path = format!("/connectors/{name}/restart?includeTasks=true");
    let (theirs_status, theirs) = reference::request("POST", &path, None).await;
    let (ours_status, ours) = weir.request("POST", &path, None).await;
    assert_eq!((ours_status, theirs_status), (202, 202));
    same("POST restart", &ours, &theirs);
}

/// A connector's life through the REST API, the same calls on both: create, update, pause,
/// resume, stop, read, alter and reset its offsets, delete; then calls on what does not exist.
/// The status codes must agree, and so must the answers' shapes (their messages too where they
/// name nothing of the worker).
#[tokio::test(flavor = "multi_thread")]
async fn a_connectors_life_answers_as_kafka_connects_does() {
    let weir = Worker::start().await;
    // Deleted by the steps below, and by the pair's guard if a step fails first.
    let pair = SourcePair::start(&weir, "life").await;
    let (name, theirs_topic, ours_topic) = (&pair.name, &pair.theirs_topic, &pair.ours_topic);

    let both = |method: &'static str, path: String, body: Option<Value>| {
        let weir = &weir;
        async move {
            let theirs = reference::request(method, &path, body.clone()).await;
            let ours = weir.request(method, &path, body).await;
            assert_eq!(
                ours.0, theirs.0,
                "{method} {path}:\n weir: {}\n   kc: {}",
                ours.1, theirs.1
            );
            assert_eq!(
                shape(&ours.1),
                shape(&theirs.1),
                "{method} {path}:\n weir: {}\n   kc: {}",
                ours.1,
                theirs.1
            );
            (ours.1, theirs.1)
        }
    };
    let at = |suffix: &str| format!("/connectors/{name}{suffix}");
    let mut updated = pair.config("unused");
    updated["batch.size"] = json!("100");
    // The update names each side's own topic, so each keeps writing where it did.
    let (ours, theirs) = {
        let mut ours_config = updated.clone();
        ours_config["topic"] = json!(ours_topic);
        let mut theirs_config = updated.clone();
        theirs_config["topic"] = json!(theirs_topic);
        let theirs = reference::request("PUT", &at("/config"), Some(theirs_config)).await;
        let ours = weir.request("PUT", &at("/config"), Some(ours_config)).await;
        (ours, theirs)
    };
    assert_eq!(ours.0, theirs.0, "PUT config: {} / {}", ours.1, theirs.1);
    assert_eq!(
        shape(&ours.1),
        shape(&theirs.1),
        "PUT config: {} / {}",
        ours.1,
        theirs.1
    );

    for (method, suffix) in [("PUT", "/pause"), ("PUT", "/resume"), ("PUT", "/stop")] {
        both(method, at(suffix), None).await;
    }
    for (what, side) in [("kc", true), ("weir", false)] {
        support::eventually(&format!("{what} to stop"), Duration::from_secs(60), || {
            let (path, weir) = (at("/status"), &weir);
            async move {
                let (_, status) = if side {
                    reference::request("GET", &path, None).await
                } else {
                    weir.request("GET", &path, None).await
                };
                (status["connector"]["state"] == "STOPPED").then_some(())
            }
        })
        .await;
    }
    let (ours, theirs) = both("GET", at("/offsets"), None).await;
    assert_eq!(
        ours["offsets"][0]["partition"].as_object().map(|p| p.len()),
        theirs["offsets"][0]["partition"].as_object().map(|p| p.len())
    );
    let partition = json!({"filename": pair.input});
    let altered = json!({"offsets": [{"partition": partition, "offset": {"position": 0}}]});
    let (ours, theirs) = both("PATCH", at("/offsets"), Some(altered)).await;
    assert_eq!(ours["message"], theirs["message"]);
    let (ours, theirs) = both("DELETE", at("/offsets"), None).await;
    assert_eq!(ours["message"], theirs["message"]);
    both("DELETE", at(""), None).await;

    // What does not exist: the same codes and messages.
    for (method, path, body) in [
        ("GET", at(""), None),
        ("GET", at("/status"), None),
        ("PUT", at("/pause"), None),
        ("PUT", at("/resume"), None),
        ("PUT", at("/stop"), None),
        ("POST", at("/restart"), None),
        ("POST", at("/tasks/0/restart"), None),
        ("DELETE", at(""), None),
        ("GET", "/connectors/never-created/tasks/0/status".to_owned(), None),
        ("GET", "/connector-plugins/NoSuchPlugin/config".to_owned(), None),
    ] {
        let (ours, theirs) = both(method, path.clone(), body).await;
        assert_eq!(ours, theirs, "{method} {path}");
    }
}
