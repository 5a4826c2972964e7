//! How the worker reaches its brokers securely: `security.protocol` and its TLS and SASL
//! settings, as a worker config gives them at the top level.
//!
//! Kafka Connect's worker reads these keys in the Java client's names for its group membership
//! and its internal topics; Weir's group client reads them the same way, and every librdkafka
//! client of the worker starts from them ([`BrokerSecurity::librdkafka_settings`]), under its own
//! `producer.*`, `consumer.*` and `admin.*` settings. The Java names that librdkafka lacks are
//! translated ([`to_librdkafka`]): `sasl.jaas.config`'s username and password, and a PEM
//! `ssl.truststore.location`.

use std::fmt;
use std::path::PathBuf;

use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, Importance, Props, Validator};

/// The group the keys are listed under.
const GROUP: &str = "Security";

/// `security.protocol`: how connections to the brokers are made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecurityProtocol {
    /// Neither TLS nor SASL.
    #[default]
    Plaintext,
    /// TLS.
    Ssl,
    /// SASL, without TLS.
    SaslPlaintext,
    /// SASL over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Kafka's name of the protocol.
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// The protocol of this name, in any case.
    fn parse(name: &str) -> Option<Self> {
        [Self::Plaintext, Self::Ssl, Self::SaslPlaintext, Self::SaslSsl]
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether connections use TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// Whether connections authenticate with SASL.
    pub fn uses_sasl(self) -> bool {
        matches!(self, SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl)
    }
}

/// `sasl.mechanism`: the SASL mechanisms the worker's clients speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaslMechanism {
    /// PLAIN (RFC 4616): the password itself, which TLS must protect.
    Plain,
    /// SCRAM-SHA-256 (RFC 7677).
    ScramSha256,
    /// SCRAM-SHA-512.
    ScramSha512,
}

impl SaslMechanism {
    /// The mechanism's SASL name.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }

    /// The mechanism of this name, in any case.
    fn parse(name: &str) -> Option<Self> {
        [Self::Plain, Self::ScramSha256, Self::ScramSha512]
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// A password: shown as `[hidden]` in logs and errors.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// A password of this value.
    pub fn new(value: String) -> Self {
        Password(value)
    }

    /// The password itself, for the one place that sends it.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[hidden]")
    }
}

/// Who the worker authenticates as, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaslCredentials {
    /// `sasl.mechanism`.
    pub mechanism: SaslMechanism,
    /// The user.
    pub username: String,
    /// The user's password.
    pub password: Password,
}

/// What the worker trusts, and the certificate it shows, over TLS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// The CA certificates (PEM) that sign the brokers' certificates; `None`: the system's.
    pub ca_location: Option<PathBuf>,
    /// The worker's own certificate chain (PEM), for brokers that ask for one.
    pub certificate_location: Option<PathBuf>,
    /// The private key (PEM) of that certificate.
    pub key_location: Option<PathBuf>,
    /// Whether a broker's certificate must name the host connected to
    /// (`ssl.endpoint.identification.algorithm`: `https`, the default, or empty).
    pub verify_hostname: bool,
}

/// How the worker reaches its brokers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrokerSecurity {
    /// `security.protocol`.
    pub protocol: SecurityProtocol,
    /// The SASL credentials, when the protocol uses SASL.
    pub sasl: Option<SaslCredentials>,
    /// The TLS settings, when the protocol uses TLS.
    pub tls: Option<TlsSettings>,
}

/// The keys this module reads, with Kafka Connect's names and librdkafka's.
pub mod keys {
    /// `security.protocol`.
    pub const PROTOCOL: &str = "security.protocol";
    /// `sasl.mechanism` (the Java client's name; librdkafka also takes `sasl.mechanisms`).
    pub const MECHANISM: &str = "sasl.mechanism";
    /// librdkafka's name of `sasl.mechanism`.
    pub const MECHANISMS: &str = "sasl.mechanisms";
    /// `sasl.jaas.config`: the Java client's login module line, with username and password.
    pub const JAAS: &str = "sasl.jaas.config";
    /// librdkafka's SASL user.
    pub const USERNAME: &str = "sasl.username";
    /// librdkafka's SASL password.
    pub const PASSWORD: &str = "sasl.password";
    /// librdkafka's CA file.
    pub const CA_LOCATION: &str = "ssl.ca.location";
    /// The Java client's truststore; only `PEM` is read.
    pub const TRUSTSTORE_LOCATION: &str = "ssl.truststore.location";
    /// The truststore's type.
    pub const TRUSTSTORE_TYPE: &str = "ssl.truststore.type";
    /// librdkafka's client certificate (PEM).
    pub const CERTIFICATE_LOCATION: &str = "ssl.certificate.location";
    /// librdkafka's client key (PEM).
    pub const KEY_LOCATION: &str = "ssl.key.location";
    /// Whether a broker's certificate must name its host.
    pub const ENDPOINT_IDENTIFICATION: &str = "ssl.endpoint.identification.algorithm";
}

impl BrokerSecurity {
    /// Adds the keys to a worker's definition.
    pub fn define(def: ConfigDef) -> ConfigDef {
        // Unset unless given, as in Kafka Connect; those with a default set it below.
        let key = |name: &str, kind: ConfigType, doc: &str| {
            ConfigKey::new(name, kind, Importance::Medium, doc).default_null()
        };
        [
            key(
                keys::PROTOCOL,
                ConfigType::String,
                "How the worker's clients connect to the brokers: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.",
            )
            .default_value("PLAINTEXT")
            .validator(Validator::one_of_ignoring_case(&[
                "PLAINTEXT",
                "SSL",
                "SASL_PLAINTEXT",
                "SASL_SSL",
            ])),
            key(
                keys::MECHANISM,
                ConfigType::String,
                "The SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.",
            )
            .default_value("PLAIN")
            .validator(Validator::one_of_ignoring_case(&["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])),
            key(
                keys::JAAS,
                ConfigType::Password,
                "The Java client's login line, e.g. org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\"; only its username and password are read.",
            ),
            key(keys::USERNAME, ConfigType::String, "The SASL user (instead of sasl.jaas.config)."),
            key(
                keys::PASSWORD,
                ConfigType::Password,
                "The SASL user's password (instead of sasl.jaas.config).",
            ),
            key(
                keys::CA_LOCATION,
                ConfigType::String,
                "A PEM file of the CA certificates that sign the brokers' certificates; unset: the system's.",
            ),
            key(
                keys::TRUSTSTORE_LOCATION,
                ConfigType::String,
                "The same as ssl.ca.location, in the Java client's name; ssl.truststore.type must be PEM.",
            ),
            key(
                keys::TRUSTSTORE_TYPE,
                ConfigType::String,
                "The truststore's format: only PEM is read (convert JKS or PKCS12 with keytool or openssl).",
            ),
            key(
                keys::CERTIFICATE_LOCATION,
                ConfigType::String,
                "The worker's certificate chain (PEM), for brokers that authenticate clients by certificate.",
            ),
            key(
                keys::KEY_LOCATION,
                ConfigType::String,
                "The private key (PEM, unencrypted) of ssl.certificate.location.",
            ),
            key(
                keys::ENDPOINT_IDENTIFICATION,
                ConfigType::String,
                "https: a broker's certificate must name its host (the default); empty: it need not.",
            )
            .default_value("https"),
        ]
        .into_iter()
        .fold(def, |def, key| def.define(GROUP, key))
    }

    /// The top-level `security.protocol` of `props` (validated with the other keys already).
    pub fn protocol_of(props: &Props) -> SecurityProtocol {
        props
            .get(keys::PROTOCOL)
            .and_then(|name| SecurityProtocol::parse(name))
            .unwrap_or_default()
    }

    /// The security the top-level keys of `props` ask for, or every reason they cannot work.
    pub fn from_props(props: &Props) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let protocol = Self::protocol_of(props);
        // Kafka Connect's names become librdkafka's first, so each is read in one place.
        let translated = to_librdkafka(props).unwrap_or_else(|e| {
            errors.extend(e);
            props.clone()
        });
        let props = &translated;
        let sasl = protocol
            .uses_sasl()
            .then(|| sasl_credentials(props, &mut errors))
            .flatten();
        let tls = protocol.uses_tls().then(|| tls_settings(props, &mut errors));
        if errors.is_empty() {
            Ok(BrokerSecurity { protocol, sasl, tls })
        } else {
            Err(errors)
        }
    }

    /// These settings in librdkafka's names: what every librdkafka client of the worker starts
    /// from.
    pub fn librdkafka_settings(&self) -> Props {
        let mut settings = Props::new();
        if self.protocol == SecurityProtocol::Plaintext {
            return settings;
        }
        let mut set = |k: &str, v: &str| {
            settings.insert(k.to_owned(), v.to_owned());
        };
        set(keys::PROTOCOL, self.protocol.name());
        if let Some(sasl) = &self.sasl {
            set(keys::MECHANISMS, sasl.mechanism.name());
            set(keys::USERNAME, &sasl.username);
            set(keys::PASSWORD, sasl.password.reveal());
        }
        if let Some(tls) = &self.tls {
            let mut path = |k: &str, p: &Option<PathBuf>| {
                if let Some(p) = p {
                    set(k, &p.to_string_lossy());
                }
            };
            path(keys::CA_LOCATION, &tls.ca_location);
            path(keys::CERTIFICATE_LOCATION, &tls.certificate_location);
            path(keys::KEY_LOCATION, &tls.key_location);
            set(
                keys::ENDPOINT_IDENTIFICATION,
                if tls.verify_hostname { "https" } else { "none" },
            );
        }
        settings
    }
}

/// The SASL credentials of `props`, in librdkafka's names.
fn sasl_credentials(props: &Props, errors: &mut Vec<String>) -> Option<SaslCredentials> {
    let get = |key: &str| props.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mechanism_name = get(keys::MECHANISM)
        .or_else(|| get(keys::MECHANISMS))
        .unwrap_or("PLAIN");
    let Some(mechanism) = SaslMechanism::parse(mechanism_name) else {
        errors.push(format!(
            "{}: {mechanism_name} is not supported (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)",
            keys::MECHANISM
        ));
        return None;
    };
    let (Some(username), Some(password)) = (get(keys::USERNAME), props.get(keys::PASSWORD)) else {
        errors.push(format!(
            "{}: SASL needs a username and a password: set {} and {}, or {}",
            keys::PROTOCOL,
            keys::USERNAME,
            keys::PASSWORD,
            keys::JAAS
        ));
        return None;
    };
    Some(SaslCredentials {
        mechanism,
        username: username.to_owned(),
        password: Password(password.clone()),
    })
}

/// The TLS settings of `props`, in librdkafka's names.
fn tls_settings(props: &Props, errors: &mut Vec<String>) -> TlsSettings {
    let get = |key: &str| props.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    let path = |key: &str| get(key).map(PathBuf::from);
    let settings = TlsSettings {
        ca_location: path(keys::CA_LOCATION),
        certificate_location: path(keys::CERTIFICATE_LOCATION),
        key_location: path(keys::KEY_LOCATION),
        verify_hostname: get(keys::ENDPOINT_IDENTIFICATION).is_none_or(|v| !v.eq_ignore_ascii_case("none")),
    };
    if settings.certificate_location.is_some() != settings.key_location.is_some() {
        errors.push(format!(
            "{}: a client certificate needs both {} and {}",
            keys::CERTIFICATE_LOCATION,
            keys::CERTIFICATE_LOCATION,
            keys::KEY_LOCATION
        ));
    }
    settings
}

/// The `username` and `password` options of a JAAS login line
/// (`<module> required username="u" password="p";`).
fn jaas_credentials(line: &str) -> Result<(String, String), String> {
    let mut options = Props::new();
    let mut rest = line.trim().trim_end_matches(';');
    // Past the module's class name and its flag.
    for _ in 0..2 {
        rest = rest.trim_start();
        rest = rest.split_once(char::is_whitespace).map_or("", |(_, r)| r);
    }
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let (name, value) = rest
            .split_once('=')
            .ok_or_else(|| "expected name=value options after the login module and its flag".to_owned())?;
        let value = value.trim_start();
        let (value, after) = match value.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted
                    .find('"')
                    .ok_or_else(|| format!("the value of {} has no closing quote", name.trim()))?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => value.split_once(char::is_whitespace).unwrap_or((value, "")),
        };
        options.insert(name.trim().to_owned(), value.to_owned());
        rest = after;
    }
    match (options.remove("username"), options.remove("password")) {
        (Some(user), Some(password)) => Ok((user, password)),
        _ => Err("the login line needs username and password options".to_owned()),
    }
}

/// A client's settings (`producer.*` and the like, prefix removed) in librdkafka's names: the
/// Java client's `sasl.jaas.config` becomes `sasl.username` and `sasl.password`, and a PEM
/// truststore becomes `ssl.ca.location`. The other settings are kept as given.
pub fn to_librdkafka(settings: &Props) -> Result<Props, Vec<String>> {
    let mut translated = settings.clone();
    let mut errors = Vec::new();
    if let Some(line) = translated.remove(keys::JAAS) {
        match jaas_credentials(&line) {
            Ok((user, password)) => {
                translated.entry(keys::USERNAME.to_owned()).or_insert(user);
                translated.entry(keys::PASSWORD.to_owned()).or_insert(password);
            }
            Err(e) => errors.push(format!("{}: {e}", keys::JAAS)),
        }
    }
    if let Some(path) = translated.remove(keys::TRUSTSTORE_LOCATION) {
        match translated.remove(keys::TRUSTSTORE_TYPE) {
            Some(kind) if kind.trim().eq_ignore_ascii_case("PEM") => {
                translated.entry(keys::CA_LOCATION.to_owned()).or_insert(path);
            }
            kind => errors.push(format!(
                "{}: a {} truststore cannot be read: set {} to PEM with a PEM file, or use {}",
                keys::TRUSTSTORE_LOCATION,
                kind.as_deref().unwrap_or("JKS"),
                keys::TRUSTSTORE_TYPE,
                keys::CA_LOCATION
            )),
        }
    }
    if let Some(algorithm) = translated.get_mut(keys::ENDPOINT_IDENTIFICATION)
        && algorithm.trim().is_empty()
    {
        "none".clone_into(algorithm);
    }
    if errors.is_empty() { Ok(translated) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn plaintext_needs_nothing() {
        assert_eq!(BrokerSecurity::from_props(&Props::new()), Ok(BrokerSecurity::default()));
        assert!(BrokerSecurity::default().librdkafka_settings().is_empty());
    }

    #[test]
    fn kafka_connect_names_give_sasl_ssl_settings() {
        let security = BrokerSecurity::from_props(&props(&[
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"alice\" password=\"p w;x\";",
            ),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", "/etc/ca.pem"),
        ]))
        .expect("valid");
        assert_eq!(security.protocol, SecurityProtocol::SaslSsl);
        let sasl = security.sasl.clone().expect("sasl");
        assert_eq!(sasl.mechanism, SaslMechanism::ScramSha512);
        assert_eq!(sasl.username, "alice");
        assert_eq!(sasl.password.reveal(), "p w;x");
        let settings = security.librdkafka_settings();
        assert_eq!(settings["security.protocol"], "SASL_SSL");
        assert_eq!(settings["sasl.mechanisms"], "SCRAM-SHA-512");
        assert_eq!(settings["sasl.password"], "p w;x");
        assert_eq!(settings["ssl.ca.location"], "/etc/ca.pem");
        assert_eq!(settings["ssl.endpoint.identification.algorithm"], "https");
    }

    #[test]
    fn the_password_is_hidden_from_debug_output() {
        let security = BrokerSecurity::from_props(&props(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.username", "bob"),
            ("sasl.password", "hunter2"),
        ]))
        .expect("valid");
        let shown = format!("{security:?}");
        assert!(shown.contains("bob") && !shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn every_bad_setting_is_named() {
        let errors = BrokerSecurity::from_props(&props(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "GSSAPI"),
            ("ssl.truststore.location", "/etc/truststore.jks"),
            ("ssl.certificate.location", "/etc/me.pem"),
        ]))
        .expect_err("invalid");
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors[0].starts_with("ssl.truststore.location: a JKS truststore"),
            "{errors:?}"
        );
        assert!(errors[1].starts_with("sasl.mechanism: GSSAPI"), "{errors:?}");
        assert!(errors[2].contains("ssl.key.location"), "{errors:?}");
        let missing = BrokerSecurity::from_props(&props(&[("security.protocol", "SASL_SSL")])).expect_err("no user");
        assert!(missing[0].contains("username and a password"), "{missing:?}");
    }

    #[test]
    fn a_login_line_without_a_password_is_refused() {
        assert!(jaas_credentials("org.example.Login required username=\"u\";").is_err());
        assert!(jaas_credentials("org.example.Login required username=\"u").is_err());
        assert_eq!(
            jaas_credentials("  org.example.Login   required\n username=u  password=\"x y\" ;"),
            Ok(("u".into(), "x y".into()))
        );
    }

    #[test]
    fn client_settings_in_java_names_reach_librdkafka_translated() {
        let translated = to_librdkafka(&props(&[
            ("security.protocol", "SASL_SSL"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";",
            ),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", "/ca.pem"),
            ("ssl.endpoint.identification.algorithm", ""),
            ("linger.ms", "5"),
        ]))
        .expect("valid");
        assert_eq!(
            translated,
            props(&[
                ("security.protocol", "SASL_SSL"),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
                ("ssl.ca.location", "/ca.pem"),
                ("ssl.endpoint.identification.algorithm", "none"),
                ("linger.ms", "5"),
            ])
        );
        let errors = to_librdkafka(&props(&[
            ("ssl.truststore.location", "/t.p12"),
            ("ssl.truststore.type", "PKCS12"),
        ]))
        .expect_err("PKCS12");
        assert!(errors[0].contains("PKCS12 truststore"), "{errors:?}");
    }
}
