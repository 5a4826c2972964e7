//! Workers on the broker's secured listeners, each a real `weir` process: their group
//! membership and every Kafka client authenticate (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN, or a
//! client certificate) over TLS that the dev-env CA signs, with Kafka Connect's key names or
//! librdkafka's; a wrong password or an untrusted broker stops the worker with a message that
//! says so and does not show the password.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::{
    SecureListeners, Worker, numbered, secure_listeners, self_signed, unique, wait_for_all_lines, write_lines,
};

const WAIT: Duration = Duration::from_secs(90);

/// Worker keys in Kafka Connect's names (the Java client's), for SCRAM-SHA-512.
fn kafka_connect_keys(listener: &SecureListeners, password: &str) -> String {
    format!(
        "security.protocol: SASL_SSL\nsasl.mechanism: SCRAM-SHA-512\n\
         sasl.jaas.config: 'org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{}\" password=\"{password}\";'\n\
         ssl.truststore.type: PEM\nssl.truststore.location: {}\n",
        listener.username, listener.ca_location
    )
}

/// A file source (with the `source_keys` added to its config) and a file sink joined by a
/// topic, created through `worker`; waits until the sink wrote every line.
async fn copies_lines(worker: &Worker, lines: usize, source_keys: serde_json::Value) {
    let (input, output) = (worker.dir.path().join("in.txt"), worker.dir.path().join("out.txt"));
    let expected: Vec<String> = numbered("secured", 0..lines).collect();
    write_lines(&input, expected.iter().cloned());
    let topic = unique("secured");
    let mut source = json!({"connector.class": "FileStreamSource", "file": input, "topic": topic, "tasks.max": 1});
    if let (Some(config), Some(extra)) = (source.as_object_mut(), source_keys.as_object()) {
        config.extend(extra.clone());
    }
    worker.create("source", source).await;
    worker
        .create(
            "sink",
            json!({"connector.class": "FileStreamSink", "file": output, "topics": topic}),
        )
        .await;
    wait_for_all_lines(&output, &expected, WAIT).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_form_a_group_over_sasl_ssl_with_scram_and_copy_records() {
    let listener = secure_listeners();
    let id = unique("sasl-group");
    let keys = kafka_connect_keys(&listener, &listener.password);
    let first = Worker::start_on(&listener.sasl_ssl, &id, &keys).await;
    let second = Worker::start_on(&listener.sasl_ssl, &id, &keys).await;
    // Both are members of one group: its membership ran over TLS and SCRAM too.
    support::eventually("both workers in one group", WAIT, || async {
        let (a, b) = (first.get("/").await, second.get("/").await);
        let members = |info: &serde_json::Value| info["group"]["members"].as_array().map_or(0, Vec::len);
        (members(&a) == 2 && members(&b) == 2 && a["group"]["leader_url"] == b["group"]["leader_url"]).then_some(())
    })
    .await;
    copies_lines(&second, 2_000, json!({})).await;
    for worker in [&first, &second] {
        assert!(
            !worker.log().contains(&listener.password),
            "the password reached the log:\n{}",
            worker.log()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_and_scram_sha_256_with_librdkafka_key_names_and_a_connector_login_copy_records() {
    let listener = secure_listeners();
    for mechanism in ["PLAIN", "SCRAM-SHA-256"] {
        let keys = format!(
            "security.protocol: SASL_SSL\nsasl.mechanism: {mechanism}\nsasl.username: {}\nsasl.password: {}\nssl.ca.location: {}\n\
             connector.client.config.override.policy: Principal\n",
            listener.username, listener.password, listener.ca_location
        );
        let worker = Worker::start_on(&listener.sasl_ssl, &unique("sasl-librdkafka"), &keys).await;
        // A connector's own login, in Kafka Connect's name, which librdkafka does not know: the
        // source's producer fails unless it is translated.
        let login = format!(
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"{}\" password=\"{}\";",
            listener.username, listener.password
        );
        copies_lines(&worker, 500, json!({"producer.override.sasl.jaas.config": login})).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_form_a_group_with_client_certificates_and_copy_records() {
    let listener = secure_listeners();
    let id = unique("mtls-group");
    let keys = format!(
        "security.protocol: SSL\nssl.ca.location: {}\nssl.certificate.location: {}\nssl.key.location: {}\n",
        listener.ca_location, listener.certificate_location, listener.key_location
    );
    let first = Worker::start_on(&listener.ssl, &id, &keys).await;
    let second = Worker::start_on(&listener.ssl, &id, &keys).await;
    support::eventually("both workers in one group", WAIT, || async {
        let members = |info: serde_json::Value| info["group"]["members"].as_array().map_or(0, Vec::len);
        (members(first.get("/").await) == 2 && members(second.get("/").await) == 2).then_some(())
    })
    .await;
    copies_lines(&first, 1_000, json!({})).await;
}

/// Starts a worker with the security `keys` the broker must refuse, and returns what it wrote
/// before it stopped, which it must do within 30 s.
fn refused_start(listener: &SecureListeners, keys: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("worker.yaml");
    let id = unique("sasl-refused");
    std::fs::write(
        &config,
        format!(
            "bootstrap.servers: {}\ngroup.id: {id}\nlisteners: http://127.0.0.1:{}\n\
             config.storage.topic: {id}-configs\noffset.storage.topic: {id}-offsets\nstatus.storage.topic: {id}-status\n\
             config.storage.replication.factor: 1\noffset.storage.replication.factor: 1\nstatus.storage.replication.factor: 1\n{keys}",
            listener.sasl_ssl,
            support::free_port(),
        ),
    )
    .expect("write config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["worker", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start weir");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the worker did not stop within 30 s, with {keys}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = child.wait_with_output().expect("output");
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!status.success(), "{log}");
    log
}

#[test]
fn a_wrong_password_stops_the_worker_naming_the_failure_not_the_password() {
    let listener = secure_listeners();
    let wrong = "not-the-password-4711";
    let log = refused_start(&listener, &kafka_connect_keys(&listener, wrong));
    // At once, with the broker's reason.
    assert!(
        log.contains("SASL SCRAM-SHA-512 authentication failed") && log.contains("invalid credentials"),
        "the reason is given:\n{log}"
    );
    assert!(!log.contains(wrong), "the password reached the log:\n{log}");
}

#[test]
fn an_untrusted_broker_certificate_stops_the_worker_saying_so() {
    let listener = secure_listeners();
    // A CA of its own that signed nothing the broker has.
    let dir = tempfile::tempdir().expect("temp dir");
    let (other, _) = self_signed(dir.path(), "another-CA");
    let keys = format!(
        "security.protocol: SASL_SSL\nsasl.mechanism: PLAIN\nsasl.username: {}\nsasl.password: {}\nssl.ca.location: {}\n",
        listener.username,
        listener.password,
        other.display()
    );
    let log = refused_start(&listener, &keys);
    assert!(log.contains("TLS handshake failed"), "the reason is given:\n{log}");
    assert!(log.contains("UnknownIssuer"), "the reason is given:\n{log}");
}
