//! One connection to a broker, speaking Kafka's wire protocol with the `kafka-protocol` crate's
//! codecs: size-prefixed frames, a request header per request, and the highest version of each
//! API that both this client and the broker support (asked with ApiVersions once).
//!
//! librdkafka cannot join a group of another protocol type than `consumer`, so the group
//! membership of workers (`connect`) has a client of its own. It connects as the worker's
//! `security.protocol` says: over TLS ([`TlsConnector`]) and authenticated with SASL
//! ([`super::sasl`]) after ApiVersions, as librdkafka does.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::error::ParseResponseErrorCode;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::tls::TlsConnector;
use crate::config::broker_security::SaslCredentials;

/// How long a request that the coordinator answers at once may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest response frame read (the group's metadata of every member fits easily).
const MAX_FRAME: usize = 64 << 20;

/// Why talking to a broker failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The network failed, or the broker closed the connection.
    #[error("broker {broker}: {source}")]
    Io {
        /// The broker's address.
        broker: String,
        /// The error.
        source: std::io::Error,
    },
    /// A request or response did not encode or decode.
    #[error("broker {broker}: {message}")]
    Protocol {
        /// The broker's address.
        broker: String,
        /// What was wrong.
        message: String,
    },
    /// The broker supports no version of an API this client speaks.
    #[error("broker {broker} does not support {api:?} in versions {min}..={max}")]
    Unsupported {
        /// The broker's address.
        broker: String,
        /// The API.
        api: ApiKey,
        /// The lowest version this client speaks.
        min: i16,
        /// The highest version this client speaks.
        max: i16,
    },
    /// The TLS handshake failed: the broker's certificate is not trusted, or not for its name.
    #[error("broker {broker}: TLS handshake failed: {source}")]
    Tls {
        /// The broker's address.
        broker: String,
        /// The error.
        source: std::io::Error,
    },
    /// The broker did not accept the worker's credentials.
    #[error("broker {broker}: SASL {mechanism} authentication failed: {message}")]
    Authentication {
        /// The broker's address.
        broker: String,
        /// The mechanism.
        mechanism: &'static str,
        /// The broker's reason, or the mechanism's.
        message: String,
    },
    /// No answer in time.
    #[error("broker {broker} did not answer in {timeout:?}")]
    Timeout {
        /// The broker's address.
        broker: String,
        /// How long it was given.
        timeout: Duration,
    },
}

impl ConnectionError {
    /// Whether the broker refused who the worker is (its certificate check or its
    /// credentials), which retrying cannot fix, rather than not answering.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ConnectionError::Tls { .. } | ConnectionError::Authentication { .. }
        )
    }
}

/// Connects to the brokers of `bootstrap` one after another, as `settings` say, until one
/// accepts: the first refusal ([`ConnectionError::is_refusal`]) is returned at once, and
/// brokers that do not answer are left for the clients' own retries to report.
pub async fn check_acceptance(
    bootstrap: &[String],
    settings: &ConnectionSettings,
    timeout: Duration,
) -> Result<(), ConnectionError> {
    for broker in bootstrap {
        match Connection::open(broker, settings, timeout).await {
            Ok(_) => return Ok(()),
            Err(e) if e.is_refusal() => return Err(e),
            Err(e) => tracing::debug!(%broker, error = %e, "broker not reached to check the connection settings"),
        }
    }
    Ok(())
}

/// How connections are made: who the client says it is, and whether it uses TLS and SASL.
#[derive(Clone, Debug)]
pub struct ConnectionSettings {
    /// The client id the broker logs requests under.
    pub client_id: String,
    /// TLS, when `security.protocol` asks for it.
    pub tls: Option<Arc<TlsConnector>>,
    /// SASL, when `security.protocol` asks for it.
    pub sasl: Option<SaslCredentials>,
}

/// A byte stream to a broker: TCP, or TLS over TCP.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Stream for S {}

/// A connection to one broker.
pub struct Connection {
    broker: String,
    stream: Box<dyn Stream>,
    client_id: StrBytes,
    correlation_id: i32,
    /// The versions the broker supports, by API key.
    versions: HashMap<i16, (i16, i16)>,
}

impl Connection {
    /// Connects to `broker` (`host:port`) as `settings` say, asks which API versions it
    /// supports and authenticates, within `timeout` for each step.
    pub async fn open(
        broker: &str,
        settings: &ConnectionSettings,
        timeout: Duration,
    ) -> Result<Connection, ConnectionError> {
        let io = |source| ConnectionError::Io {
            broker: broker.to_owned(),
            source,
        };
        let timed_out = || ConnectionError::Timeout {
            broker: broker.to_owned(),
            timeout,
        };
        let tcp = tokio::time::timeout(timeout, TcpStream::connect(broker))
            .await
            .map_err(|_| timed_out())?
            .map_err(io)?;
        tcp.set_nodelay(true).map_err(io)?;
        let stream: Box<dyn Stream> = match &settings.tls {
            Some(tls) => {
                let host = broker.rsplit_once(':').map_or(broker, |(host, _)| host);
                Box::new(
                    tokio::time::timeout(timeout, tls.connect(host, tcp))
                        .await
                        .map_err(|_| timed_out())?
                        .map_err(|source| ConnectionError::Tls {
                            broker: broker.to_owned(),
                            source,
                        })?,
                )
            }
            None => Box::new(tcp),
        };
        let mut connection = Connection {
            broker: broker.to_owned(),
            stream,
            client_id: StrBytes::from_string(settings.client_id.clone()),
            correlation_id: 0,
            versions: HashMap::new(),
        };
        // ApiVersions v3, as librdkafka sends it; the broker refuses (INVALID_REQUEST) a client
        // software name or version that is empty or not of `[a-zA-Z0-9.-]`.
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("weir"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let versions = connection.send_at(request, 3, timeout).await?;
        if versions.error_code != 0 {
            return Err(ConnectionError::Protocol {
                broker: broker.to_owned(),
                message: format!("ApiVersions: {:?}", versions.error_code.err()),
            });
        }
        connection.versions = versions
            .api_keys
            .iter()
            .map(|v| (v.api_key, (v.min_version, v.max_version)))
            .collect();
        if let Some(credentials) = &settings.sasl {
            super::sasl::authenticate(&mut connection, credentials, timeout).await?;
        }
        Ok(connection)
    }

    /// The broker's address.
    pub fn broker(&self) -> &str {
        &self.broker
    }

    /// Sends the request `build` makes for the highest version both sides speak (fields differ
    /// between versions), and reads its response, waiting `timeout` at most.
    pub async fn send<R: Request>(
        &mut self,
        build: impl FnOnce(i16) -> R,
        timeout: Duration,
    ) -> Result<R::Response, ConnectionError> {
        let (theirs_min, theirs_max) = self.versions.get(&R::KEY).copied().unwrap_or((0, -1));
        let version = R::VERSIONS.max.min(theirs_max);
        if version < R::VERSIONS.min.max(theirs_min) {
            return Err(ConnectionError::Unsupported {
                broker: self.broker.clone(),
                api: ApiKey::try_from(R::KEY).unwrap_or(ApiKey::ApiVersions),
                min: R::VERSIONS.min,
                max: R::VERSIONS.max,
            });
        }
        self.send_at(build(version), version, timeout).await
    }

    /// Sends a request at `version`, and reads its response. A request that times out leaves
    /// the connection unusable (its answer may still come): the caller drops it.
    async fn send_at<R: Request>(
        &mut self,
        request: R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response, ConnectionError> {
        let broker = self.broker.clone();
        let protocol = |e: anyhow::Error| ConnectionError::Protocol {
            broker: broker.clone(),
            message: format!("{e:#}"),
        };
        self.correlation_id = self.correlation_id.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(self.client_id.clone()));
        let mut frame = BytesMut::new();
        frame.put_i32(0);
        header
            .encode(&mut frame, R::header_version(version))
            .map_err(protocol)?;
        request.encode(&mut frame, version).map_err(protocol)?;
        let size = i32::try_from(frame.len() - 4).map_err(|e| protocol(e.into()))?;
        frame[..4].copy_from_slice(&size.to_be_bytes());
        let exchange = async {
            self.stream.write_all(&frame).await?;
            let size = self.stream.read_i32().await?;
            let size = usize::try_from(size)
                .ok()
                .filter(|s| *s <= MAX_FRAME)
                .ok_or_else(|| std::io::Error::other(format!("a response frame of {size} bytes")))?;
            let mut body = vec![0; size];
            self.stream.read_exact(&mut body).await?;
            Ok::<_, std::io::Error>(Bytes::from(body))
        };
        let mut body = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| ConnectionError::Timeout {
                broker: broker.clone(),
                timeout,
            })?
            .map_err(|source| ConnectionError::Io {
                broker: broker.clone(),
                source,
            })?;
        let response_header =
            ResponseHeader::decode(&mut body, R::Response::header_version(version)).map_err(protocol)?;
        if response_header.correlation_id != self.correlation_id {
            return Err(protocol(anyhow::anyhow!(
                "answered request {} where {} was asked",
                response_header.correlation_id,
                self.correlation_id
            )));
        }
        let response = R::Response::decode(&mut body, version).map_err(protocol)?;
        if body.has_remaining() {
            tracing::debug!(%broker, left = body.remaining(), "response longer than its message");
        }
        Ok(response)
    }
}
