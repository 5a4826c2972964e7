//! The settings every registry-backed converter shares, under the names of Confluent's
//! `AbstractKafkaSchemaSerDeConfig`.

use std::time::Duration;

use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, ConversionError, Importance, Props, Validator};

use super::subject::SubjectNameStrategy;

const URL: &str = "schema.registry.url";
const CREDENTIALS_SOURCE: &str = "basic.auth.credentials.source";
const USER_INFO: &str = "basic.auth.user.info";
const AUTO_REGISTER: &str = "auto.register.schemas";
const USE_LATEST: &str = "use.latest.version";
const LATEST_STRICT: &str = "latest.compatibility.strict";
const NORMALIZE: &str = "normalize.schemas";
const KEY_STRATEGY: &str = "key.subject.name.strategy";
const VALUE_STRATEGY: &str = "value.subject.name.strategy";
const MAX_SCHEMAS: &str = "max.schemas.per.subject";
const REQUEST_TIMEOUT: &str = "schema.registry.request.timeout.ms";

/// The registry keys, as Confluent declares them.
pub(crate) fn config_def() -> ConfigDef {
    let strategy_doc = "Determines how to construct the subject name under which the schema is registered \
                        with the schema registry. By default, <topic>-key or <topic>-value is used.";
    ConfigDef::new()
        .define_key(ConfigKey::new(
            URL,
            ConfigType::List,
            Importance::High,
            "Comma-separated list of URLs for schema registry instances that can be used to register or look up schemas.",
        ))
        .define_key(
            ConfigKey::new(
                CREDENTIALS_SOURCE,
                ConfigType::String,
                Importance::Medium,
                "Specify how to pick the credentials for the Basic authentication header: URL (the user info \
                 of the registry's URL) or USER_INFO (basic.auth.user.info).",
            )
            .default_value("URL")
            .validator(Validator::one_of(&["URL", "USER_INFO"])),
        )
        .define_key(
            ConfigKey::new(
                USER_INFO,
                ConfigType::Password,
                Importance::Medium,
                "Specify the user info for Basic authentication in the form of {username}:{password}.",
            )
            .default_value(""),
        )
        .define_key(
            ConfigKey::new(
                AUTO_REGISTER,
                ConfigType::Boolean,
                Importance::Medium,
                "Specify if the serializer should attempt to register the schema with the schema registry.",
            )
            .default_value("true"),
        )
        .define_key(
            ConfigKey::new(
                USE_LATEST,
                ConfigType::Boolean,
                Importance::Low,
                "Specify if the serializer should use the latest subject version for serialization. \
                 Not supported by Weir yet: true is refused.",
            )
            .default_value("false"),
        )
        .define_key(
            ConfigKey::new(
                LATEST_STRICT,
                ConfigType::Boolean,
                Importance::Low,
                "Only applies when use.latest.version is set to true.",
            )
            .default_value("true"),
        )
        .define_key(
            ConfigKey::new(
                NORMALIZE,
                ConfigType::Boolean,
                Importance::Low,
                "Whether to ask the registry to normalize schemas when registering or looking them up.",
            )
            .default_value("false"),
        )
        .define_key(
            ConfigKey::new(KEY_STRATEGY, ConfigType::Class, Importance::Medium, strategy_doc)
                .default_value(SubjectNameStrategy::DEFAULT_CLASS),
        )
        .define_key(
            ConfigKey::new(VALUE_STRATEGY, ConfigType::Class, Importance::Medium, strategy_doc)
                .default_value(SubjectNameStrategy::DEFAULT_CLASS),
        )
        .define_key(
            ConfigKey::new(
                MAX_SCHEMAS,
                ConfigType::Int,
                Importance::Low,
                "Maximum number of schemas to create or cache locally.",
            )
            .default_value("1000")
            .validator(Validator::at_least(1.0)),
        )
        .define_key(
            ConfigKey::new(
                REQUEST_TIMEOUT,
                ConfigType::Int,
                Importance::Low,
                "How long one request to the registry may take, in milliseconds.",
            )
            .default_value("30000")
            .validator(Validator::at_least(1.0)),
        )
}

/// A converter's registry settings, read.
#[derive(Clone, Debug)]
pub(crate) struct RegistryConfig {
    /// The registries' base URLs, tried in turn.
    pub urls: Vec<String>,
    /// `user:password` for Basic authentication, from the URL or `basic.auth.user.info`.
    pub user_info: Option<String>,
    /// Whether unknown schemas are registered (else looked up).
    pub auto_register: bool,
    /// Whether the registry normalizes what it is given.
    pub normalize: bool,
    /// How the subject of a key or value schema is named.
    pub strategy: SubjectNameStrategy,
    /// How many schemas are kept in each cache.
    pub max_schemas: usize,
    /// How long one request may take.
    pub request_timeout: Duration,
}

impl RegistryConfig {
    /// The settings of a key (`is_key`) or value converter.
    pub(crate) fn from_props(props: &Props, is_key: bool) -> Result<Self, ConversionError> {
        let parsed = config_def()
            .parse(props)
            .map_err(|e| ConversionError::new(e.to_string()))?;
        let urls: Vec<String> = parsed
            .list(URL)
            .unwrap_or_default()
            .iter()
            .map(|url| url.trim_end_matches('/').to_owned())
            .collect();
        if urls.is_empty() {
            return Err(ConversionError::new(format!(
                "Missing required configuration \"{URL}\" which has no default value."
            )));
        }
        if parsed.bool(USE_LATEST) == Some(true) {
            return Err(ConversionError::new(format!(
                "{USE_LATEST}=true is not supported by Weir yet: schemas are registered or looked up as the record carries them"
            )));
        }
        let user_info = match parsed.string(CREDENTIALS_SOURCE) {
            Some("USER_INFO") => Some(parsed.string(USER_INFO).unwrap_or_default().to_owned()),
            _ => urls.iter().find_map(|url| url_user_info(url)),
        };
        let strategy_key = if is_key { KEY_STRATEGY } else { VALUE_STRATEGY };
        let strategy = SubjectNameStrategy::from_class(
            strategy_key,
            parsed
                .string(strategy_key)
                .unwrap_or(SubjectNameStrategy::DEFAULT_CLASS),
        )?;
        let positive = |key| parsed.int(key).and_then(|n| u64::try_from(n).ok()).unwrap_or(1);
        Ok(RegistryConfig {
            urls,
            user_info,
            auto_register: parsed.bool(AUTO_REGISTER).unwrap_or(true),
            normalize: parsed.bool(NORMALIZE).unwrap_or(false),
            strategy,
            max_schemas: usize::try_from(positive(MAX_SCHEMAS)).unwrap_or(usize::MAX),
            request_timeout: Duration::from_millis(positive(REQUEST_TIMEOUT)),
        })
    }
}

/// The `user:password` of a URL such as `https://user:password@host/`, percent-decoded.
fn url_user_info(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let (user_info, _host) = authority.rsplit_once('@')?;
    Some(
        percent_encoding::percent_decode_str(user_info)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// A URL without its user info, to be shown in messages.
pub(crate) fn without_user_info(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split('/').next().and_then(|a| a.rsplit_once('@')) {
            Some((user_info, _)) => format!("{scheme}://{}", &rest[user_info.len() + 1..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_confluents() {
        let config = RegistryConfig::from_props(&props(&[(URL, "http://a:8081/, http://b:8081")]), false).unwrap();
        assert_eq!(config.urls, ["http://a:8081", "http://b:8081"]);
        assert!(config.auto_register);
        assert_eq!(config.strategy, SubjectNameStrategy::Topic);
        assert_eq!(config.user_info, None);
        assert_eq!(config.max_schemas, 1000);
    }

    #[test]
    fn credentials_come_from_the_url_or_the_user_info_key() {
        let from_url = RegistryConfig::from_props(&props(&[(URL, "http://al%40x:s3cret@reg:8081/api")]), true).unwrap();
        assert_eq!(from_url.user_info.as_deref(), Some("al@x:s3cret"));
        assert_eq!(without_user_info(&from_url.urls[0]), "http://reg:8081/api");
        let from_key = RegistryConfig::from_props(
            &props(&[
                (URL, "http://reg"),
                (CREDENTIALS_SOURCE, "USER_INFO"),
                (USER_INFO, "bob:pw"),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(from_key.user_info.as_deref(), Some("bob:pw"));
    }

    #[test]
    fn bad_settings_are_named() {
        let missing = RegistryConfig::from_props(&Props::new(), false).unwrap_err().message;
        assert!(missing.contains(URL), "{missing}");
        let strategy = RegistryConfig::from_props(&props(&[(URL, "http://r"), (VALUE_STRATEGY, "a.B")]), false)
            .unwrap_err()
            .message;
        assert!(strategy.contains(VALUE_STRATEGY), "{strategy}");
        let hidden = RegistryConfig::from_props(
            &props(&[
                (URL, "http://r"),
                (CREDENTIALS_SOURCE, "SASL_INHERIT"),
                (USER_INFO, "u:pw"),
            ]),
            false,
        )
        .unwrap_err()
        .message;
        assert!(
            hidden.contains(CREDENTIALS_SOURCE) && !hidden.contains("u:pw"),
            "{hidden}"
        );
    }
}
