//! TLS for the group client's connections to the brokers, with rustls: the CA certificates of
//! `ssl.ca.location` (or the system's), the worker's own certificate when it has one, and the
//! broker's name checked unless `ssl.endpoint.identification.algorithm` is empty, as librdkafka
//! and the Java client do.

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::config::broker_security::{TlsSettings, keys};

/// Why the TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file could not be read.
    #[error("{key}: {path}: {message}")]
    File {
        /// The key naming the file.
        key: &'static str,
        /// The file.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// rustls refused the settings.
    #[error("TLS settings: {0}")]
    Config(#[from] rustls::Error),
}

/// Makes TLS connections to brokers.
#[derive(Clone)]
pub struct TlsConnector {
    connector: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConnector")
    }
}

impl TlsConnector {
    /// A connector for `settings`, its files read now.
    pub fn new(settings: &TlsSettings) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = Arc::new(root_store(settings)?);
        let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| TlsError::Config(rustls::Error::General(e.to_string())))?;
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(BrokerVerifier {
                inner: verifier,
                verify_hostname: settings.verify_hostname,
            }));
        let config = match (&settings.certificate_location, &settings.key_location) {
            (Some(certificate), Some(key)) => {
                let chain = certificates(keys::CERTIFICATE_LOCATION, certificate)?;
                let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::File {
                    key: keys::KEY_LOCATION,
                    path: key.display().to_string(),
                    message: e.to_string(),
                })?;
                builder.with_client_auth_cert(chain, key).map_err(|e| TlsError::File {
                    key: keys::CERTIFICATE_LOCATION,
                    path: certificate.display().to_string(),
                    message: e.to_string(),
                })?
            }
            _ => builder.with_no_client_auth(),
        };
        Ok(TlsConnector {
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }

    /// Starts TLS on `stream`, to the broker at `host`.
    pub async fn connect(&self, host: &str, stream: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_owned())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{host}: {e}")))?;
        self.connector.connect(name, stream).await
    }
}

/// The CA certificates the brokers' certificates must chain to.
fn root_store(settings: &TlsSettings) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    match &settings.ca_location {
        Some(path) => {
            for certificate in certificates(keys::CA_LOCATION, path)? {
                roots.add(certificate)?;
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            for error in &native.errors {
                tracing::warn!(%error, "a system CA certificate could not be read");
            }
            roots.add_parsable_certificates(native.certs);
        }
    }
    Ok(roots)
}

/// The certificates of a PEM file; none is an error.
pub(crate) fn certificates(key: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let file_error = |message: String| TlsError::File {
        key,
        path: path.display().to_string(),
        message,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| file_error(e.to_string()))?;
    if certificates.is_empty() {
        return Err(file_error("no PEM certificate in it".into()));
    }
    Ok(certificates)
}

/// The web PKI's checks of a broker's certificate, the name's left out when the worker says so.
#[derive(Debug)]
struct BrokerVerifier {
    inner: Arc<WebPkiServerVerifier>,
    verify_hostname: bool,
}

impl ServerCertVerifier for BrokerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.verify_hostname => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
