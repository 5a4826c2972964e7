//! Config providers (`${file:...}`, `${directory:...}`, `${env:...}`) against a real worker,
//! broker and PostgreSQL: the config topic and the REST API keep the reference, the task gets
//! the value, and a password never shows in an answer, a status or the log.

mod support;

use std::time::Duration;

use serde_json::json;
use support::postgres::{self, database, sql};
use support::{Worker, numbered, read_to_end, unique, write_lines};

/// A worker whose providers read under `dir` only.
async fn worker(dir: &std::path::Path) -> Worker {
    let dir = dir.display();
    Worker::start_with(&format!(
        "config.providers: file,secrets,env\n\
         config.providers.file.class: org.apache.kafka.common.config.provider.FileConfigProvider\n\
         config.providers.file.param.allowed.paths: {dir}\n\
         config.providers.secrets.class: org.apache.kafka.common.config.provider.DirectoryConfigProvider\n\
         config.providers.secrets.param.allowed.paths: {dir}\n\
         config.providers.env.class: org.apache.kafka.common.config.provider.EnvVarConfigProvider\n"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn references_are_resolved_in_the_task_and_kept_on_the_config_topic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("input.txt");
    write_lines(&input, numbered("line", 0..5));
    let topic = unique("providers");
    std::fs::write(
        dir.path().join("source.properties"),
        format!("file = {}\n", input.display()),
    )
    .expect("properties");
    std::fs::create_dir(dir.path().join("secrets")).expect("secrets dir");
    std::fs::write(dir.path().join("secrets").join("topic"), &topic).expect("secret");
    let worker = worker(dir.path()).await;

    let file_ref = format!("${{file:{}/source.properties:file}}", dir.path().display());
    let topic_ref = format!("${{secrets:{}/secrets:topic}}", dir.path().display());
    worker
        .create(
            "refs",
            json!({"connector.class": "FileStreamSource", "file": file_ref, "topic": topic_ref}),
        )
        .await;
    // The records reach the topic the secret names, read from the file the properties name.
    let records = support::read_topic_async(&topic, 5, Duration::from_secs(60)).await;
    assert_eq!(records.len(), 5);
    // The API and the task configs keep the references.
    let config = worker.get("/connectors/refs/config").await;
    assert_eq!(
        (&config["file"], &config["topic"]),
        (&json!(file_ref), &json!(topic_ref))
    );
    let tasks = worker.get("/connectors/refs/tasks").await;
    assert_eq!(tasks[0]["config"]["file"], json!(file_ref), "{tasks}");
    // So does the config topic: no record holds the resolved path.
    let config_topic = worker.config_topic();
    let stored: Vec<String> = read_to_end(&config_topic)
        .iter()
        .filter_map(|r| r.value.as_ref().map(|v| v.to_string()))
        .collect();
    assert!(stored.iter().any(|v| v.contains("${file:")), "{stored:?}");
    assert!(
        !stored.iter().any(|v| v.contains(&input.display().to_string())),
        "a resolved value on the config topic: {stored:?}"
    );

    // A reference outside the allowed paths is a 400 naming the key.
    let (status, body) = worker
        .request(
            "PUT",
            "/connectors/refs/config",
            Some(json!({"connector.class": "FileStreamSource", "file": "${file:/etc/passwd:root}", "topic": topic})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("file") && message.contains("not allowed"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_from_a_file_is_never_shown() {
    const SECRET: &str = "Hunter2-never-printed";
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("db.properties"), format!("password={SECRET}\n")).expect("properties");
    let (mut conn, schema) = database().await;
    sql(&mut conn, &format!("CREATE TABLE {schema}.t (id integer PRIMARY KEY)")).await;
    let worker = worker(dir.path()).await;
    let reference = format!("${{file:{}/db.properties:password}}", dir.path().display());
    let config = postgres::cdc_config(&schema, &schema, &["t"], json!({"database.password": reference}));

    // Validate shows the password as [hidden], whether written as a reference or in the clear.
    let validate = "/connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate";
    let mut clear = config.clone();
    clear["database.password"] = json!(SECRET);
    for body in [config.clone(), clear] {
        let (status, infos) = worker.request("PUT", validate, Some(body)).await;
        assert_eq!(status, 200);
        let password = infos["configs"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["value"]["name"] == "database.password"))
            .map(|c| c["value"]["value"].clone());
        assert_eq!(password, Some(json!("[hidden]")), "{infos}");
        assert!(!infos.to_string().contains(SECRET));
    }

    // A wrong password is refused at creation, without being repeated.
    let (status, refused) = worker
        .request("POST", "/connectors", Some(json!({"name": schema, "config": config})))
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused.to_string().contains("password authentication failed"),
        "{refused}"
    );
    assert!(!refused.to_string().contains(SECRET));

    // The right one, from the file: the connector runs.
    let password = postgres::database_keys()["database.password"].clone();
    let properties = dir.path().join("db.properties");
    std::fs::write(
        &properties,
        format!("password={}\n", password.as_str().unwrap_or_default()),
    )
    .expect("properties");
    worker.create(&schema, config).await;
    worker.wait_for_state(&schema, "RUNNING", 1).await;

    // The secret rotated to a wrong one: a restart reads it again, and fails; neither the
    // status, the config nor the log holds it.
    std::fs::write(&properties, format!("password={SECRET}\n")).expect("properties");
    let (code, _) = worker
        .request("POST", &format!("/connectors/{schema}/restart?includeTasks=true"), None)
        .await;
    assert_eq!(code, 202);
    let status = support::eventually(
        "the restart to fail on the wrong password",
        Duration::from_secs(60),
        || async {
            let (_, status) = worker
                .request("GET", &format!("/connectors/{schema}/status"), None)
                .await;
            let failed = status["tasks"][0]["state"] == "FAILED" || status["connector"]["state"] == "FAILED";
            failed.then_some(status)
        },
    )
    .await;
    assert!(
        status.to_string().contains("password authentication failed"),
        "{status}"
    );
    for (what, text) in [
        ("status", status.to_string()),
        ("config", worker.get(&format!("/connectors/{schema}")).await.to_string()),
        ("log", worker.log()),
    ] {
        assert!(!text.contains(SECRET), "the password is in the {what}");
    }
    let (_, _) = worker.request("DELETE", &format!("/connectors/{schema}"), None).await;
    postgres::cleanup(&mut conn, &schema, &[&schema]).await;
}
