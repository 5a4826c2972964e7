//! File -> Kafka -> file through a real worker and broker: exact copies, following appended
//! lines, and no loss across SIGKILL and graceful restarts.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use support::{
    Worker, numbered, read_lines, topic_record_count, unique, wait_for_all_lines, wait_for_lines, write_lines,
};

/// Creates a file source and a file sink joined by `topic`.
async fn pipeline(worker: &Worker, topic: &str, input: &Path, output: &Path) {
    worker
        .create(
            "source",
            json!({"connector.class": "FileStreamSource", "file": input, "topic": topic, "batch.size": 5000}),
        )
        .await;
    worker
        .create(
            "sink",
            json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "file": output, "topics": topic}),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn copies_100000_lines_exactly_and_follows_appends() {
    let worker = Worker::start().await;
    let (input, output) = (worker.dir.path().join("in.txt"), worker.dir.path().join("out.txt"));
    let expected: Vec<String> = numbered("line", 0..100_000).collect();
    write_lines(&input, expected.iter().cloned());
    let topic = unique("copy");
    pipeline(&worker, &topic, &input, &output).await;

    let copied = wait_for_lines(&output, expected.len(), Duration::from_secs(120)).await;
    assert_eq!(copied, expected, "the output is an exact, ordered copy");
    // Every record is counted once on each side (the counts follow the acknowledgements).
    for (name, connector) in [
        ("source_records_written_total", "source"),
        ("sink_records_put_total", "sink"),
    ] {
        support::eventually(&format!("{name} to reach 100000"), Duration::from_secs(30), || async {
            (worker.metric(name, connector, 0).await == Some(100_000.0)).then_some(())
        })
        .await;
    }

    let appended: Vec<String> = numbered("later", 0..500).collect();
    write_lines(&input, appended.iter().cloned());
    let copied = wait_for_lines(&output, expected.len() + appended.len(), Duration::from_secs(60)).await;
    assert_eq!(&copied[expected.len()..], appended.as_slice());
    assert_eq!(topic_record_count(&topic), 100_500);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_stream_loses_nothing_and_resumes() {
    let mut worker = Worker::start().await;
    let (input, output) = (worker.dir.path().join("in.txt"), worker.dir.path().join("out.txt"));
    let total = 300_000;
    let topic = unique("kill");
    pipeline(&worker, &topic, &input, &output).await;

    // A writer appends to the file throughout; the worker is killed and restarted meanwhile.
    let writer = {
        let input = input.clone();
        std::thread::spawn(move || {
            for chunk in 0..total / 1000 {
                write_lines(&input, numbered("line", chunk * 1000..(chunk + 1) * 1000));
                std::thread::sleep(Duration::from_millis(25));
            }
        })
    };
    wait_for_lines(&output, 30_000, Duration::from_secs(120)).await;
    // Resuming is only testable once an offset is committed: before that, starting over is right.
    support::eventually("the source to commit an offset", Duration::from_secs(60), || async {
        let offsets = worker.get("/connectors/source/offsets").await;
        offsets["offsets"][0]["offset"]["position"].as_u64().filter(|p| *p > 0)
    })
    .await;
    worker.kill();
    let at_kill = read_lines(&output).len();
    assert!(
        at_kill < total,
        "the kill came mid-stream ({at_kill} of {total} lines copied)"
    );
    // What the source had produced when it died: starting over would duplicate all of it.
    let produced_at_kill = topic_record_count(&topic);
    tokio::time::sleep(Duration::from_secs(1)).await;
    worker.spawn().await;
    writer.join().expect("writer");

    let expected: Vec<String> = numbered("line", 0..total).collect();
    let lines = wait_for_all_lines(&output, &expected, Duration::from_secs(180)).await;
    let distinct: std::collections::BTreeSet<&String> = lines.iter().collect();
    assert_eq!(distinct.len(), total, "every line arrived, and nothing else");
    let produced = topic_record_count(&topic);
    assert!(
        produced < total as i64 + produced_at_kill,
        "the source resumed from its committed offset, not from the start ({produced} records for {total} lines)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn graceful_restart_duplicates_nothing() {
    let mut worker = Worker::start().await;
    let (input, output) = (worker.dir.path().join("in.txt"), worker.dir.path().join("out.txt"));
    write_lines(&input, numbered("first", 0..20_000));
    let topic = unique("graceful");
    pipeline(&worker, &topic, &input, &output).await;
    wait_for_lines(&output, 20_000, Duration::from_secs(60)).await;

    let status = worker.terminate();
    assert!(status.success(), "SIGTERM exits 0, got {status:?}");
    write_lines(&input, numbered("second", 0..5_000));
    worker.spawn().await;

    let expected: Vec<String> = numbered("first", 0..20_000)
        .chain(numbered("second", 0..5_000))
        .collect();
    let lines = wait_for_lines(&output, expected.len(), Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        read_lines(&output),
        expected,
        "no line duplicated or lost across the restart"
    );
    assert_eq!(lines.len(), expected.len());
    assert_eq!(topic_record_count(&topic), 25_000);
}

#[tokio::test(flavor = "multi_thread")]
async fn follows_a_rotated_or_truncated_file() {
    let worker = Worker::start().await;
    let (input, output) = (worker.dir.path().join("in.txt"), worker.dir.path().join("out.txt"));
    write_lines(&input, numbered("before", 0..100));
    let topic = unique("rotate");
    pipeline(&worker, &topic, &input, &output).await;
    wait_for_lines(&output, 100, Duration::from_secs(60)).await;

    // Rotation by rename: a new file, already longer than what was read of the old one, takes
    // the name (its size alone cannot tell it apart).
    std::fs::rename(&input, worker.dir.path().join("in.txt.1")).unwrap();
    write_lines(&input, numbered("rotated", 0..300));
    let lines = wait_for_lines(&output, 400, Duration::from_secs(60)).await;
    assert_eq!(lines[100..].to_vec(), numbered("rotated", 0..300).collect::<Vec<_>>());

    // Truncation in place (copytruncate), then new lines.
    std::fs::write(&input, "").unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    write_lines(&input, numbered("truncated", 0..5));
    let lines = wait_for_lines(&output, 405, Duration::from_secs(60)).await;
    assert_eq!(lines[400..].to_vec(), numbered("truncated", 0..5).collect::<Vec<_>>());
}

/// The last position a topic holds for the file source `source` reading `input`.
fn last_position(topic: &str, input: &Path) -> Option<serde_json::Value> {
    let key = json!(["source", {"filename": input}]);
    support::read_to_end(topic)
        .into_iter()
        .rfind(|r| r.key.as_ref() == Some(&key))
        .and_then(|r| r.value)
        .map(|v| v["position"].clone())
}

/// A file source with a topic of its own (`offsets.storage.topic`): its offsets are written
/// there and copied to the worker's topic, and a graceful restart resumes from them.
#[tokio::test(flavor = "multi_thread")]
async fn a_connectors_own_offsets_topic_holds_its_offsets() {
    let mut worker = Worker::start().await;
    let input = worker.dir.path().join("in.txt");
    let (topic, own) = (unique("own"), unique("own-offsets"));
    write_lines(&input, numbered("first", 0..1_000));
    worker
        .create(
            "source",
            json!({"connector.class": "FileStreamSource", "file": input, "topic": topic, "offsets.storage.topic": own}),
        )
        .await;
    let at_end = |input: &Path| json!(std::fs::metadata(input).expect("input").len());
    for (what, offsets) in [
        ("its own topic", own.clone()),
        ("the worker's topic", worker.offsets_topic()),
    ] {
        support::eventually(
            &format!("the offset at the end of the file in {what}"),
            Duration::from_secs(60),
            || {
                let (offsets, input) = (offsets.clone(), input.clone());
                async move { (last_position(&offsets, &input) == Some(at_end(&input))).then_some(()) }
            },
        )
        .await;
    }

    let status = worker.terminate();
    assert!(status.success(), "SIGTERM exits 0, got {status:?}");
    write_lines(&input, numbered("second", 0..500));
    worker.spawn().await;
    support::eventually(
        "the new lines' offset in its own topic",
        Duration::from_secs(60),
        || async { (last_position(&own, &input) == Some(at_end(&input))).then_some(()) },
    )
    .await;
    assert_eq!(
        topic_record_count(&topic),
        1_500,
        "resumed from its own topic: nothing twice"
    );
    let offsets = worker.get("/connectors/source/offsets").await;
    assert_eq!(offsets["offsets"][0]["offset"]["position"], at_end(&input), "{offsets}");
}
