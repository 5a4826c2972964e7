//! TLS for the REST API's `https://` listeners, and for this worker's requests to other
//! workers' ones, from `listeners.https.ssl.*` (rustls with ring, as for the brokers): the
//! keystore is the certificate served and shown to other workers, the truststore the CAs that
//! clients' and other workers' certificates must chain to.

use std::sync::Arc;

use p12_keystore::{KeyStore, Pkcs12Archive, Pkcs12ImportPolicy};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::rest_listeners::{ClientAuth, RestTlsSettings, Store, StoreType, keys};
use crate::group::tls::{TlsError, certificates};

/// The TLS of the REST API: what its `https://` listeners accept with, and what this worker's
/// requests to other workers connect with.
#[derive(Clone)]
pub struct RestTls {
    acceptor: TlsAcceptor,
    client: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for RestTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RestTls")
    }
}

impl RestTls {
    /// The TLS of `settings`, its files read now; every problem names its key.
    pub fn new(settings: &RestTlsSettings) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (chain, key) = identity(settings)?;
        let roots = Arc::new(trusted(settings.truststore.as_ref())?);
        let server =
            rustls::ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
        let server = match settings.client_auth {
            ClientAuth::None => server.with_no_client_auth(),
            auth => {
                let verifier = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone());
                let verifier = match auth {
                    ClientAuth::Requested => verifier.allow_unauthenticated(),
                    _ => verifier,
                };
                let verifier = verifier
                    .build()
                    .map_err(|e| file_error(keys::TRUSTSTORE_LOCATION, settings, e))?;
                server.with_client_cert_verifier(verifier)
            }
        };
        let mut server = server
            .with_single_cert(chain.clone(), key.clone_key())
            .map_err(|e| file_error(keys::KEYSTORE_LOCATION, settings, e))?;
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|e| file_error(keys::KEYSTORE_LOCATION, settings, e))?;
        Ok(RestTls {
            acceptor: TlsAcceptor::from(Arc::new(server)),
            client: Arc::new(client),
        })
    }

    /// What the `https://` listeners accept connections with.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }

    /// What this worker connects to other workers' `https://` listeners with: their
    /// certificates checked against the truststore, and the keystore's certificate shown.
    pub fn client_config(&self) -> rustls::ClientConfig {
        self.client.as_ref().clone()
    }
}

/// A problem with the file a key names.
fn file_error(key: &'static str, settings: &RestTlsSettings, error: impl std::fmt::Display) -> TlsError {
    let path = match key {
        keys::TRUSTSTORE_LOCATION => settings.truststore.as_ref().map(|t| &t.location),
        _ => Some(&settings.keystore.location),
    };
    TlsError::File {
        key,
        path: path.map(|p| p.display().to_string()).unwrap_or_default(),
        message: error.to_string(),
    }
}

/// The keystore's certificate chain and private key.
fn identity(settings: &RestTlsSettings) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let store = &settings.keystore;
    let error = |message: String| file_error(keys::KEYSTORE_LOCATION, settings, message);
    match store.kind {
        StoreType::Pem => {
            let chain = certificates(keys::KEYSTORE_LOCATION, &store.location)?;
            let key =
                PrivateKeyDer::from_pem_file(&store.location).map_err(|e| error(format!("its private key: {e}")))?;
            Ok((chain, key))
        }
        StoreType::Pkcs12 => {
            let password = store.password.as_ref().map(|p| p.reveal()).unwrap_or_default();
            if let Some(key_password) = &settings.key_password
                && key_password.reveal() != password
            {
                return Err(file_error(
                    keys::KEY_PASSWORD,
                    settings,
                    "a PKCS12 keystore's key must have the keystore's password",
                ));
            }
            let bytes = std::fs::read(&store.location).map_err(|e| error(e.to_string()))?;
            let keystore = KeyStore::from_pkcs12(&bytes, password, Pkcs12ImportPolicy::Strict)
                .map_err(|e| error(format!("not a PKCS12 keystore this password opens: {e}")))?;
            let (_, chain) = keystore
                .private_key_chain()
                .ok_or_else(|| error("no private key with its certificate in it".into()))?;
            let certificates = chain
                .certs()
                .iter()
                .map(|c| CertificateDer::from(c.as_der().to_vec()))
                .collect();
            let key = PrivatePkcs8KeyDer::from(chain.key().as_der().to_vec());
            Ok((certificates, key.into()))
        }
    }
}

/// The CA certificates of the truststore, or the system's without one.
fn trusted(store: Option<&Store>) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    let Some(store) = store else {
        let native = rustls_native_certs::load_native_certs();
        for error in &native.errors {
            tracing::warn!(%error, "a system CA certificate could not be read");
        }
        roots.add_parsable_certificates(native.certs);
        return Ok(roots);
    };
    let error = |message: String| TlsError::File {
        key: keys::TRUSTSTORE_LOCATION,
        path: store.location.display().to_string(),
        message,
    };
    let certificates = match store.kind {
        StoreType::Pem => certificates(keys::TRUSTSTORE_LOCATION, &store.location)?,
        StoreType::Pkcs12 => {
            let bytes = std::fs::read(&store.location).map_err(|e| error(e.to_string()))?;
            let password = store.password.as_ref().map(|p| p.reveal()).unwrap_or_default();
            let archive = Pkcs12Archive::from_pkcs12(&bytes, password)
                .map_err(|e| error(format!("not a PKCS12 truststore this password opens: {e}")))?;
            archive
                .certs
                .iter()
                .map(|bag| CertificateDer::from(bag.cert.as_der().to_vec()))
                .collect()
        }
    };
    if certificates.is_empty() {
        return Err(error("no certificate in it".into()));
    }
    for certificate in certificates {
        roots.add(certificate).map_err(|e| error(e.to_string()))?;
    }
    Ok(roots)
}
