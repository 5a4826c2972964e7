//! One connection to a broker, speaking Kafka's wire protocol with the `kafka-protocol` crate's
//! codecs: size-prefixed frames, a request header per request, and the highest version of each
//! API that both this client and the broker support (asked with ApiVersions once).
//!
//! librdkafka cannot join a group of another protocol type than `consumer`, so the group
//! membership of workers (`connect`) has a client of its own.

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::error::ParseResponseErrorCode;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
    /// No answer in time.
    #[error("broker {broker} did not answer in {timeout:?}")]
    Timeout {
        /// The broker's address.
        broker: String,
        /// How long it was given.
        timeout: Duration,
    },
}

/// A connection to one broker.
pub struct Connection {
    broker: String,
    stream: TcpStream,
    client_id: StrBytes,
    correlation_id: i32,
    /// The versions the broker supports, by API key.
    versions: HashMap<i16, (i16, i16)>,
}

impl Connection {
    /// Connects to `broker` (`host:port`) and asks which API versions it supports, within
    /// `timeout` for each.
    pub async fn open(broker: &str, client_id: &str, timeout: Duration) -> Result<Connection, ConnectionError> {
        let io = |source| ConnectionError::Io {
            broker: broker.to_owned(),
            source,
        };
        let stream = tokio::time::timeout(timeout, TcpStream::connect(broker))
            .await
            .map_err(|_| ConnectionError::Timeout {
                broker: broker.to_owned(),
                timeout,
            })?
            .map_err(io)?;
        stream.set_nodelay(true).map_err(io)?;
        let mut connection = Connection {
            broker: broker.to_owned(),
            stream,
            client_id: StrBytes::from_string(client_id.to_owned()),
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
        Ok(connection)
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
