//! The REST API's listeners (`listeners`: `http://` and `https://` URLs) and the TLS of its
//! `https://` ones, in Kafka Connect's `listeners.https.ssl.*` keys: the worker's certificate
//! and key (`ssl.keystore.*`, PKCS12 or PEM), the CAs that sign clients' certificates
//! (`ssl.truststore.*`) and whether clients must show one (`ssl.client.auth`).
//!
//! Kafka Connect falls back to the worker's top-level `ssl.*` keys when no `listeners.https.`
//! key is set; Weir's top-level `ssl.*` keys are the brokers', so an `https://` listener needs
//! `listeners.https.ssl.keystore.location`.

use std::net::SocketAddr;
use std::path::PathBuf;

use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, Importance, Props, Validator};

use super::broker_security::Password;

/// The keys, all under `listeners.https.`.
pub mod keys {
    /// The worker's certificate and private key: a PKCS12 file, or a PEM file holding both.
    pub const KEYSTORE_LOCATION: &str = "listeners.https.ssl.keystore.location";
    /// `PKCS12` or `PEM`.
    pub const KEYSTORE_TYPE: &str = "listeners.https.ssl.keystore.type";
    /// The PKCS12 keystore's password.
    pub const KEYSTORE_PASSWORD: &str = "listeners.https.ssl.keystore.password";
    /// The private key's password, when it differs from the keystore's.
    pub const KEY_PASSWORD: &str = "listeners.https.ssl.key.password";
    /// The CA certificates that sign clients' certificates.
    pub const TRUSTSTORE_LOCATION: &str = "listeners.https.ssl.truststore.location";
    /// `PKCS12` or `PEM`.
    pub const TRUSTSTORE_TYPE: &str = "listeners.https.ssl.truststore.type";
    /// The PKCS12 truststore's password.
    pub const TRUSTSTORE_PASSWORD: &str = "listeners.https.ssl.truststore.password";
    /// `none`, `requested` or `required`.
    pub const CLIENT_AUTH: &str = "listeners.https.ssl.client.auth";
}

/// Whether a listener speaks plain HTTP or HTTPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `http://`.
    Http,
    /// `https://`.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// One of the REST API's listeners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listener {
    /// How it speaks.
    pub scheme: Scheme,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Listener {
    /// Parses `http://host:port` or `https://host:port` (an empty host listens on every
    /// interface).
    pub fn parse(listener: &str) -> Result<Self, String> {
        let (scheme, rest) = if let Some(rest) = listener.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = listener.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else {
            return Err(format!(
                "{listener}: a listener is http://host:port or https://host:port"
            ));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("{listener}: expected {}://host:port", scheme.name()))?;
        let port: u16 = port.parse().map_err(|_| format!("{listener}: bad port {port}"))?;
        let host = match host.trim_start_matches('[').trim_end_matches(']') {
            "" => "0.0.0.0",
            "localhost" => "127.0.0.1",
            h => h,
        };
        let addr = format!("{host}:{port}")
            .parse::<SocketAddr>()
            .or_else(|_| format!("[{host}]:{port}").parse::<SocketAddr>())
            .map_err(|_| format!("{listener}: the host must be an IP address or localhost"))?;
        Ok(Listener { scheme, addr })
    }
}

/// A keystore's or truststore's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreType {
    /// PKCS12 (`.p12`, `.pfx`).
    Pkcs12,
    /// PEM: certificates, and for a keystore an unencrypted private key.
    Pem,
}

/// A keystore or truststore file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Store {
    /// The file.
    pub location: PathBuf,
    /// Its format.
    pub kind: StoreType,
    /// Its password (PKCS12).
    pub password: Option<Password>,
}

/// Whether an HTTPS client must show a certificate (`ssl.client.auth`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientAuth {
    /// No certificate is asked for.
    #[default]
    None,
    /// One is asked for; a client without one is served, one with a certificate the
    /// truststore does not sign is refused.
    Requested,
    /// Every client must show a certificate that the truststore signs.
    Required,
}

/// The TLS of the `https://` listeners.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestTlsSettings {
    /// The worker's certificate chain and private key.
    pub keystore: Store,
    /// The private key's password, when it is not the keystore's.
    pub key_password: Option<Password>,
    /// The CAs that sign the clients' certificates; `None`: the system's.
    pub truststore: Option<Store>,
    /// Whether clients must show a certificate.
    pub client_auth: ClientAuth,
}

/// Adds the keys to a worker's definition.
pub fn define(def: ConfigDef) -> ConfigDef {
    let key =
        |name: &str, kind: ConfigType, doc: &str| ConfigKey::new(name, kind, Importance::Medium, doc).default_null();
    let store_type = Validator::one_of_ignoring_case(&["PKCS12", "PEM", "JKS"]);
    [
        key(
            keys::KEYSTORE_LOCATION,
            ConfigType::String,
            "The https listeners' certificate chain and private key: a PKCS12 file, or a PEM file holding both.",
        ),
        key(keys::KEYSTORE_TYPE, ConfigType::String, "PKCS12 (the default) or PEM.")
            .default_value("PKCS12")
            .validator(store_type.clone()),
        key(keys::KEYSTORE_PASSWORD, ConfigType::Password, "The PKCS12 keystore's password."),
        key(
            keys::KEY_PASSWORD,
            ConfigType::Password,
            "The private key's password in the PKCS12 keystore, when it is not the keystore's.",
        ),
        key(
            keys::TRUSTSTORE_LOCATION,
            ConfigType::String,
            "The CA certificates that sign clients' certificates (PKCS12 or PEM); unset: the system's.",
        ),
        key(keys::TRUSTSTORE_TYPE, ConfigType::String, "PKCS12 (the default) or PEM.")
            .default_value("PKCS12")
            .validator(store_type),
        key(keys::TRUSTSTORE_PASSWORD, ConfigType::Password, "The PKCS12 truststore's password."),
        key(
            keys::CLIENT_AUTH,
            ConfigType::String,
            "none: no client certificate is asked for; requested: one is asked for; required: every client must show one the truststore signs.",
        )
        .default_value("none")
        .validator(Validator::one_of_ignoring_case(&["none", "requested", "required"])),
    ]
    .into_iter()
    .fold(def, |def, key| def.define("Worker", key))
}

impl RestTlsSettings {
    /// The TLS settings of `props`, for a worker with an `https://` listener; every problem is
    /// an error naming its key.
    pub fn from_props(props: &Props) -> Result<Self, Vec<String>> {
        let get = |key: &str| props.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let password = |key: &str| {
            props
                .get(key)
                .filter(|v| !v.is_empty())
                .map(|v| Password::new(v.clone()))
        };
        let mut errors = Vec::new();
        let mut kind = |key: &str| match get(key).unwrap_or("PKCS12").to_ascii_uppercase().as_str() {
            "PEM" => Some(StoreType::Pem),
            "PKCS12" => Some(StoreType::Pkcs12),
            other => {
                errors.push(format!(
                    "{key}: {other} is not read; convert it to PKCS12 (keytool -importkeystore -deststoretype PKCS12) or PEM"
                ));
                None
            }
        };
        let (keystore_type, truststore_type) = (kind(keys::KEYSTORE_TYPE), kind(keys::TRUSTSTORE_TYPE));
        let keystore = match get(keys::KEYSTORE_LOCATION) {
            Some(location) => keystore_type.map(|kind| Store {
                location: PathBuf::from(location),
                kind,
                password: password(keys::KEYSTORE_PASSWORD),
            }),
            None => {
                errors.push(format!(
                    "{}: an https:// listener needs the certificate and key it serves",
                    keys::KEYSTORE_LOCATION
                ));
                None
            }
        };
        let truststore = get(keys::TRUSTSTORE_LOCATION).and_then(|location| {
            truststore_type.map(|kind| Store {
                location: PathBuf::from(location),
                kind,
                password: password(keys::TRUSTSTORE_PASSWORD),
            })
        });
        let client_auth = match get(keys::CLIENT_AUTH).unwrap_or("none").to_ascii_lowercase().as_str() {
            "requested" => ClientAuth::Requested,
            "required" => ClientAuth::Required,
            _ => ClientAuth::None,
        };
        match keystore {
            Some(keystore) if errors.is_empty() => Ok(RestTlsSettings {
                keystore,
                key_password: password(keys::KEY_PASSWORD),
                truststore,
                client_auth,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn listeners_are_http_or_https() {
        let https = Listener::parse("https://localhost:8443").unwrap();
        assert_eq!(
            (https.scheme, https.addr),
            (Scheme::Https, "127.0.0.1:8443".parse().unwrap())
        );
        let http = Listener::parse("http://:8083/").unwrap();
        assert_eq!(
            (http.scheme, http.addr),
            (Scheme::Http, "0.0.0.0:8083".parse().unwrap())
        );
        assert_eq!(
            Listener::parse("http://[::1]:1").unwrap().addr,
            "[::1]:1".parse().unwrap()
        );
        assert!(Listener::parse("ftp://:21").unwrap_err().contains("http://host:port"));
        assert!(
            Listener::parse("https://example.com:1")
                .unwrap_err()
                .contains("IP address")
        );
    }

    #[test]
    fn an_https_listener_needs_a_keystore() {
        let errors = RestTlsSettings::from_props(&Props::new()).unwrap_err();
        assert!(errors[0].starts_with(keys::KEYSTORE_LOCATION), "{errors:?}");
    }

    #[test]
    fn jks_stores_are_refused_naming_the_key() {
        let errors = RestTlsSettings::from_props(&props(&[
            (keys::KEYSTORE_LOCATION, "/k.jks"),
            (keys::KEYSTORE_TYPE, "JKS"),
            (keys::TRUSTSTORE_TYPE, "jks"),
        ]))
        .unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with(keys::KEYSTORE_TYPE) && errors[1].starts_with(keys::TRUSTSTORE_TYPE));
    }

    #[test]
    fn settings_read_with_passwords_hidden() {
        let settings = RestTlsSettings::from_props(&props(&[
            (keys::KEYSTORE_LOCATION, "/w.p12"),
            (keys::KEYSTORE_PASSWORD, "s3cret"),
            (keys::TRUSTSTORE_LOCATION, "/ca.pem"),
            (keys::TRUSTSTORE_TYPE, "pem"),
            (keys::CLIENT_AUTH, "REQUIRED"),
        ]))
        .unwrap();
        assert_eq!(settings.keystore.kind, StoreType::Pkcs12);
        assert_eq!(settings.truststore.as_ref().map(|t| t.kind), Some(StoreType::Pem));
        assert_eq!(settings.client_auth, ClientAuth::Required);
        assert!(!format!("{settings:?}").contains("s3cret"));
    }
}
