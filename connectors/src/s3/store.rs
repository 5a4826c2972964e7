//! The bucket the S3 connectors read and write: connection keys, the client, and what its errors
//! mean to a task (retry, or fail with a reason).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use weir_connector_api::config::ParsedConfig;
use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, ConnectError, Importance, Validator};

/// The keys naming the bucket and how to reach it, shared by sink and source.
pub fn definition() -> ConfigDef {
    let group = "S3";
    ConfigDef::new()
        .define(
            group,
            ConfigKey::new("s3.bucket.name", ConfigType::String, Importance::High, "The bucket.")
                .validator(Validator::NonEmpty),
        )
        .define(
            group,
            ConfigKey::new(
                "s3.region",
                ConfigType::String,
                Importance::Medium,
                "The bucket's region.",
            )
            .default_value("us-east-1")
            .validator(Validator::NonEmpty),
        )
        .define(
            group,
            ConfigKey::new(
                "store.url",
                ConfigType::String,
                Importance::High,
                "Endpoint of an S3-compatible store (MinIO, Ceph, Garage, R2); empty for AWS S3.",
            )
            .default_value(""),
        )
        .define(
            group,
            ConfigKey::new(
                "s3.path.style.access.enabled",
                ConfigType::Boolean,
                Importance::Low,
                "Address the bucket in the path rather than the host name (needed by most S3-compatible stores).",
            )
            .default_value("true"),
        )
        .define(
            group,
            ConfigKey::new(
                "aws.access.key.id",
                ConfigType::String,
                Importance::High,
                "Access key; empty to use the standard AWS credential chain.",
            )
            .default_value(""),
        )
        .define(
            group,
            ConfigKey::new(
                "aws.secret.access.key",
                ConfigType::Password,
                Importance::High,
                "Secret key, with aws.access.key.id.",
            )
            .default_value(""),
        )
        .define(
            group,
            ConfigKey::new(
                "topics.dir",
                ConfigType::String,
                Importance::Medium,
                "The top folder of the objects: <topics.dir>/<topic>/...",
            )
            .default_value("topics")
            .validator(Validator::NonEmpty),
        )
}

/// A bucket and a client for it.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    bucket: String,
}

/// One part of a multipart upload, as S3 acknowledged it.
#[derive(Clone, Debug)]
pub struct UploadedPart {
    number: i32,
    etag: Option<String>,
}

impl Store {
    /// Connects to the bucket a config names. Credentials come from the config when both keys
    /// are set, else from the standard AWS chain (environment, profile, instance role).
    pub async fn connect(config: &ParsedConfig) -> Store {
        let text = |key: &str| config.string(key).unwrap_or_default().to_owned();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(text("s3.region")));
        let (key_id, secret) = (text("aws.access.key.id"), text("aws.secret.access.key"));
        if !key_id.is_empty() && !secret.is_empty() {
            loader = loader.credentials_provider(Credentials::new(key_id, secret, None, None, "weir-config"));
        }
        let shared = loader.load().await;
        let mut builder = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(config.bool("s3.path.style.access.enabled").unwrap_or(true))
            // S3-compatible stores do not all know the newer default checksums.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(120))
                    .build(),
            );
        let endpoint = text("store.url");
        if !endpoint.is_empty() {
            builder = builder.endpoint_url(endpoint);
        }
        Store {
            client: Client::from_conf(builder.build()),
            bucket: text("s3.bucket.name"),
        }
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Checks that the bucket exists and the credentials may use it.
    pub async fn check(&self) -> Result<(), ConnectError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(|e| self.error("checking the bucket", e))?;
        Ok(())
    }

    /// Writes a whole object.
    pub async fn put(&self, key: &str, body: Bytes) -> Result<(), ConnectError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| self.error(&format!("writing {key}"), e))?;
        Ok(())
    }

    /// Starts a multipart upload; answers its id.
    pub async fn start_upload(&self, key: &str) -> Result<String, ConnectError> {
        let started = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.error(&format!("starting the upload of {key}"), e))?;
        started
            .upload_id()
            .map(str::to_owned)
            .ok_or_else(|| ConnectError::Fatal(format!("S3 answered no upload id for {key}")))
    }

    /// Uploads part `number` (from 1) of an upload.
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: i32,
        body: Bytes,
    ) -> Result<UploadedPart, ConnectError> {
        let uploaded = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| self.error(&format!("uploading part {number} of {key}"), e))?;
        Ok(UploadedPart {
            number,
            etag: uploaded.e_tag().map(str::to_owned),
        })
    }

    /// Completes an upload from its parts: the object appears whole, at once.
    pub async fn complete_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> Result<(), ConnectError> {
        let parts = parts
            .iter()
            .map(|p| {
                CompletedPart::builder()
                    .part_number(p.number)
                    .set_e_tag(p.etag.clone())
                    .build()
            })
            .collect();
        let completed = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await;
        match completed {
            Ok(_) => Ok(()),
            // A completion retried after its answer was lost: the upload is gone because the
            // object is there.
            Err(e) if e.code() == Some("NoSuchUpload") && self.exists(key).await? => {
                tracing::info!(key, "upload already completed");
                Ok(())
            }
            Err(e) => Err(self.error(&format!("completing the upload of {key}"), e)),
        }
    }

    /// Whether an object exists.
    pub async fn exists(&self, key: &str) -> Result<bool, ConnectError> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => Ok(false),
            Err(e) => Err(self.error(&format!("looking for {key}"), e)),
        }
    }

    /// Abandons an upload; its parts are deleted. Best effort: a failure is only logged.
    pub async fn abort_upload(&self, key: &str, upload_id: &str) {
        let aborted = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await;
        if let Err(e) = aborted {
            tracing::warn!(key, error = %self.error("aborting an upload", e), "an unfinished upload is left in the bucket");
        }
    }

    /// The keys of every object under a prefix, in order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, ConnectError> {
        let mut objects = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| self.error(&format!("listing {prefix}"), e))?;
            objects.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
            match page.next_continuation_token() {
                Some(next) if page.is_truncated().unwrap_or(false) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        objects.sort();
        Ok(objects)
    }

    /// Reads a whole object.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, ConnectError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.error(&format!("reading {key}"), e))?;
        let body = object
            .body
            .collect()
            .await
            .map_err(|e| ConnectError::Retriable(format!("reading {key} from bucket {}: {e}", self.bucket)))?;
        Ok(body.into_bytes().to_vec())
    }

    /// What an S3 failure means: throttling, 5xx, timeouts and lost connections may pass and are
    /// retriable; anything else (credentials, a missing bucket, a refused request) fails the task.
    fn error<E>(&self, doing: &str, error: SdkError<E, HttpResponse>) -> ConnectError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let context = format!("S3 bucket {}: {doing}", self.bucket);
        let (status, code, message) = match &error {
            SdkError::ServiceError(service) => (
                Some(service.raw().status().as_u16()),
                service.err().code().map(str::to_owned),
                service.err().message().map(str::to_owned),
            ),
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
                let detail = aws_sdk_s3::error::DisplayErrorContext(&error);
                return ConnectError::Retriable(format!("{context}: {detail}"));
            }
            _ => (None, None, None),
        };
        let code = code.unwrap_or_default();
        let detail = match (&code, message, status) {
            (c, Some(m), Some(s)) if !c.is_empty() => format!("{c}: {m} (HTTP {s})"),
            (c, None, Some(s)) if !c.is_empty() => format!("{c} (HTTP {s})"),
            (_, _, Some(s)) => format!("HTTP {s}"),
            _ => aws_sdk_s3::error::DisplayErrorContext(&error).to_string(),
        };
        let throttled = matches!(
            code.as_str(),
            "SlowDown"
                | "Throttling"
                | "ThrottlingException"
                | "RequestTimeout"
                | "InternalError"
                | "ServiceUnavailable"
        );
        if throttled || status.is_some_and(|s| s >= 500 || s == 429) {
            return ConnectError::Retriable(format!("{context}: {detail}"));
        }
        match status {
            Some(401 | 403) => ConnectError::Fatal(format!(
                "{context}: access denied ({detail}); check aws.access.key.id and aws.secret.access.key, or the credentials of the AWS chain, and the bucket's policy"
            )),
            _ if code == "NoSuchBucket" || status == Some(404) && doing.starts_with("checking") => {
                ConnectError::Fatal(format!("{context}: the bucket does not exist ({detail})"))
            }
            _ => ConnectError::Fatal(format!("{context}: {detail}")),
        }
    }
}
