//! The baseline of the Kafka -> S3 benchmark (`bench/run s3-sink`): the same bytes uploaded
//! with the plain AWS SDK, as objects of the same size, one after another, with no Kafka and no
//! encoding. What the sink does beyond this is its cost.
//!
//! ```sh
//! cargo run --release --example s3_upload_baseline -- <bucket> <total bytes> <object bytes>
//! ```
//! The endpoint and credentials come from `S3_ENDPOINT`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_REGION` (`scripts/dev-env env`). Prints one JSON line:
//! `{"bytes": .., "objects": .., "seconds": ..}`.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, RequestChecksumCalculation};
use aws_sdk_s3::primitives::ByteStream;

fn env(name: &str) -> Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set (eval \"$(scripts/dev-env env)\")"))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bucket, total, object] = args.as_slice() else {
        bail!("usage: s3_upload_baseline <bucket> <total bytes> <object bytes>");
    };
    let total: usize = total.parse().context("total bytes")?;
    let object: usize = object.parse().context("object bytes")?;
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(env("AWS_REGION")?))
        .credentials_provider(Credentials::new(
            env("AWS_ACCESS_KEY_ID")?,
            env("AWS_SECRET_ACCESS_KEY")?,
            None,
            None,
            "env",
        ))
        .endpoint_url(env("S3_ENDPOINT")?)
        .force_path_style(true)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let body: Vec<u8> = (0..object).map(|i| b'a' + (i % 26) as u8).collect();
    let started = Instant::now();
    let (mut sent, mut objects) = (0, 0);
    while sent < total {
        let size = object.min(total - sent);
        client
            .put_object()
            .bucket(bucket)
            .key(format!("baseline/object-{objects:010}"))
            .body(ByteStream::from(body[..size].to_vec()))
            .send()
            .await
            .with_context(|| format!("uploading object {objects}"))?;
        sent += size;
        objects += 1;
    }
    println!(
        "{}",
        serde_json::json!({"bytes": sent, "objects": objects, "seconds": started.elapsed().as_secs_f64()})
    );
    Ok(())
}
