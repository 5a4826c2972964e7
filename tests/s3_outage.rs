//! The S3 server stopped for 30 s while the sink writes: the task waits and recovers, and the
//! bucket holds every record exactly once. Its own test binary: it stops the shared server.

mod support;

use std::time::Duration;

use serde_json::json;
use support::s3;
use support::{Worker, dev_env, unique};

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_outage_of_30_seconds_loses_nothing() {
    let worker = Worker::start().await;
    let bucket = s3::new_bucket("outage").await;
    let topic = unique("outage");
    s3::create_topic(&topic, 1).await;
    worker
        .create(
            "archive",
            s3::sink_config(&bucket, &topic, json!({"flush.size": "500"})),
        )
        .await;

    // Records keep coming before, during and after the outage.
    let total = 12_000;
    let producer = {
        let topic = topic.clone();
        tokio::spawn(async move {
            for chunk in 0..total / 200 {
                s3::produce(&topic, s3::numbered_json(0, chunk * 200, 200)).await;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    support::eventually("a first object", Duration::from_secs(60), || async {
        (!s3::keys(&bucket).await.is_empty()).then_some(())
    })
    .await;
    dev_env(&["down", "s3"]);
    tokio::time::sleep(Duration::from_secs(30)).await;
    let status = worker.get("/connectors/archive/status").await;
    assert_eq!(
        status["tasks"][0]["state"], "RUNNING",
        "the task waits out the outage: {status}"
    );
    dev_env(&["up", "s3"]);
    producer.await.expect("producer");

    let expected: Vec<String> = (0..total / 500)
        .map(|i| format!("topics/{topic}/partition=0/{topic}+0+{:010}.json", i * 500))
        .collect();
    s3::wait_for_keys(&bucket, &expected, Duration::from_secs(120)).await;
    let mut seen = Vec::new();
    for key in &expected {
        seen.extend(
            s3::json_lines(&bucket, key)
                .await
                .iter()
                .map(|l| l["n"].as_i64().expect("n")),
        );
    }
    assert_eq!(
        seen,
        (0..total as i64).collect::<Vec<_>>(),
        "every record once, in order"
    );
}
