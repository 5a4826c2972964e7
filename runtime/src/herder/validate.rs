//! Checking connector configs: against their plugin's definition and the common keys, and
//! against what the config topic and REST paths can hold.

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, ConnectorKind, ConnectorPlugin, ExactlyOnceSupport, Importance,
    PluginDescriptor, Props, SourceConnector, TransactionBoundaries,
};

use super::{Herder, HerderError};
use crate::config::client_overrides::ClientOverridePolicy;
use crate::config::connector::{common_definition, validate_common};
use crate::config::providers::ConfigProviders;
use crate::config::{plugin_version, topic_creation, transforms};
use crate::model::Validation;
use crate::worker::{converter_errors, version_errors};

/// The most bytes a connector config may take as a config-topic record: below the producer's
/// and the broker's default limit of 1 MiB, with room for the key and the record's framing.
const MAX_CONNECTOR_CONFIG_BYTES: usize = 1_000_000;

impl Herder {
    fn plugin(&self, class: &str) -> Result<PluginDescriptor, HerderError> {
        self.parts().plugins.connector(class).ok_or_else(|| {
            let all = self.parts().plugins.connectors();
            let known: Vec<_> = all.iter().map(|p| p.class.as_str()).collect();
            HerderError::BadRequest(format!(
                "Failed to find any class that implements Connector and which name matches {class}, available connectors are: {}",
                known.join(", ")
            ))
        })
    }

    /// Validates a connector config against its plugin's definition and the common keys, with
    /// its `${provider:...}` references resolved as a task would see them; the answer shows
    /// each reference as written, never what it resolved to.
    pub async fn validate(&self, raw: &Props) -> Result<Validation, HerderError> {
        let (resolved, unresolved) = self.parts().config.config_providers.resolve_each(raw);
        let mut validation = self.validate_resolved(&resolved).await?;
        for (key, written) in raw {
            if ConfigProviders::has_reference(written)
                && let Some(value) = validation.values.iter_mut().find(|v| v.name == *key)
            {
                value.value = Some(written.clone());
            }
        }
        for failure in unresolved {
            match validation.values.iter_mut().find(|v| v.name == failure.key) {
                Some(value) => value.errors.push(failure.message),
                None => {
                    let mut value = ConfigValue::new(&failure.key, raw.get(&failure.key).cloned());
                    value.errors.push(failure.message);
                    validation.values.push(value);
                }
            }
        }
        Ok(validation)
    }

    async fn validate_resolved(&self, props: &Props) -> Result<Validation, HerderError> {
        let class = props
            .get("connector.class")
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                HerderError::BadRequest(format!(
                    "Connector config {} contains no connector type",
                    serde_json::to_string(props).unwrap_or_default()
                ))
            })?;
        let plugin = self.plugin(class)?;
        let kind = plugin.plugin.kind();
        let common = common_definition(kind);
        let own = plugin.plugin.connector().config_def();
        let plugins = &self.parts().plugins;
        let mut values = common.validate(props);
        validate_common(kind, props, &mut values);
        let version = plugin.plugin.connector().version();
        if let Some(value) = values.iter_mut().find(|v| v.name == plugin_version::CONNECTOR) {
            value.value.get_or_insert_with(|| version.clone());
            value.recommended_values = vec![version.clone()];
        }
        let config = &self.parts().config;
        let errors = converter_errors(plugins, props)
            .into_iter()
            .map(|(key, error)| (key.to_owned(), error))
            .chain(version_errors(&plugin, plugins, config, props));
        for (key, error) in errors {
            if let Some(value) = values.iter_mut().find(|v| v.name == key) {
                value.errors.push(error);
            }
        }
        let (chain, chain_values) = transforms::definition(props, plugins);
        values.extend(chain_values);
        let mut creation = ConfigDef::new();
        if let ConnectorPlugin::Source(source) = &plugin.plugin {
            exactly_once_errors(
                source.as_ref(),
                self.parts().config.exactly_once_source,
                props,
                &mut values,
            );
            if self.parts().config.topic_creation && topic_creation::in_use(props) {
                creation = topic_creation::definition(props);
                let mut creation_values = creation.validate(props);
                topic_creation::validate(props, &mut creation_values);
                values.extend(creation_values);
            }
        }
        let mut own_values = own.validate(props);
        plugin.plugin.connector().validate(props, &mut own_values).await;
        values.extend(own_values);
        let (override_keys, override_values) =
            client_override_reports(&self.parts().config.client_overrides, kind, props);
        values.extend(override_values);
        let mut groups = common.groups();
        for group in chain.groups().into_iter().chain(creation.groups()).chain(own.groups()) {
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
        // Kafka Connect's default for the connector's version is the installed one's.
        let common = common.with_default(plugin_version::CONNECTOR, &version);
        let definition = common.merge(chain).merge(creation).merge(own);
        let mut keys = definition.keys().to_vec();
        keys.extend(override_keys);
        Ok(Validation {
            // As the config names it, alias or not (Kafka Connect's answer does the same).
            class: class.to_owned(),
            groups,
            keys,
            values,
        })
    }

    /// Validates a config and refuses it, listing every error, unless it is valid and small
    /// enough for the config topic.
    pub(super) async fn validated(&self, props: &Props) -> Result<(), HerderError> {
        check_size(props)?;
        let infos = self.validate(props).await?;
        let error_count = infos.error_count();
        if error_count == 0 {
            return Ok(());
        }
        let class = props.get("connector.class").cloned().unwrap_or_default();
        Err(HerderError::BadRequest(format!(
            "Connector configuration is invalid and contains the following {} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{class}/config/validate`",
            error_count,
            infos.errors().join("\n")
        )))
    }
}

/// A report on each client override the policy refuses, with a definition for it (as Kafka
/// Connect's answer lists the overrides of the clients a connector uses).
fn client_override_reports(
    policy: &ClientOverridePolicy,
    kind: ConnectorKind,
    props: &Props,
) -> (Vec<ConfigKey>, Vec<ConfigValue>) {
    policy
        .refused(kind, props)
        .into_iter()
        .map(|(key, why)| {
            // Shown as [hidden], as the Kafka clients type them.
            let secret = ["password", "jaas.config", "secret"].iter().any(|s| key.contains(s));
            let definition = ConfigKey::new(
                &key,
                if secret {
                    ConfigType::Password
                } else {
                    ConfigType::String
                },
                Importance::Low,
                "A Kafka client setting the connector overrides for its own clients.",
            )
            .default_null();
            let mut value = ConfigValue::new(&key, props.get(&key).cloned());
            value.errors.push(why);
            (definition, value)
        })
        .unzip()
}

/// Kafka Connect's checks of `exactly.once.support=required` and `transaction.boundary=connector`
/// against the worker and what the connector says it can do, each skipped when its key
/// already has an error.
fn exactly_once_errors(
    connector: &dyn SourceConnector,
    worker_enabled: bool,
    props: &Props,
    values: &mut [ConfigValue],
) {
    let is = |key: &str, wanted: &str| props.get(key).is_some_and(|v| v.trim().eq_ignore_ascii_case(wanted));
    let mut report = |key: &str, errors: Vec<&str>| {
        if let Some(value) = values.iter_mut().find(|v| v.name == key && v.errors.is_empty()) {
            value.errors.extend(errors.into_iter().map(str::to_owned));
        }
    };
    if is("exactly.once.support", "required") {
        let mut errors = Vec::new();
        if !worker_enabled {
            errors.push("This worker does not have exactly-once source support enabled.");
        }
        match connector.exactly_once_support(props) {
            Some(ExactlyOnceSupport::Supported) => {}
            Some(ExactlyOnceSupport::Unsupported) => {
                errors.push("The connector does not support exactly-once semantics with the provided configuration.")
            }
            None => errors.push(
                "The connector does not implement the API required for preflight validation of exactly-once source support. Please consult the documentation for the connector to determine whether it supports exactly-once semantics, and then consider reconfiguring the connector to use the value \"requested\" for this property (which will disable this preflight check and allow the connector to be created).",
            ),
        }
        report("exactly.once.support", errors);
    }
    if is("transaction.boundary", "connector")
        && connector.transaction_boundaries(props) != TransactionBoundaries::Supported
    {
        report(
            "transaction.boundary",
            vec![
                "The connector does not support connector-defined transaction boundaries with the given configuration. Please reconfigure it to use a different transaction boundary definition.",
            ],
        );
    }
}

/// Refuses a config larger than one record of the config topic can be, naming its largest
/// value (the broker would refuse the write).
fn check_size(props: &Props) -> Result<(), HerderError> {
    let size = serde_json::to_vec(&serde_json::json!({ "properties": props }))
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size <= MAX_CONNECTOR_CONFIG_BYTES {
        return Ok(());
    }
    let (key, value) = props
        .iter()
        .max_by_key(|(k, v)| k.len() + v.len())
        .map(|(k, v)| (k.as_str(), v.len()))
        .unwrap_or_default();
    Err(HerderError::TooLarge(format!(
        "Connector configuration is {size} bytes; a config can be at most {MAX_CONNECTOR_CONFIG_BYTES} bytes (the largest value, of '{key}', is {value} bytes)"
    )))
}

/// Refuses names a URL cannot reach (`.`, `..`, `/`) and names that could mislead a reader
/// (control characters, and the bidirectional formatting ones that reorder text).
fn check_name(name: &str) -> Result<(), HerderError> {
    const BIDI: [char; 12] = [
        '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
        '\u{2067}', '\u{2068}', '\u{2069}',
    ];
    if name.trim().is_empty() {
        return Err(HerderError::BadRequest("Connector name is required".into()));
    }
    if name == "." || name == ".." || name.contains('/') {
        return Err(HerderError::BadRequest(format!(
            "Connector name '{name}' cannot be used in a URL path"
        )));
    }
    if name.chars().any(|c| c.is_control() || BIDI.contains(&c)) {
        return Err(HerderError::BadRequest(format!(
            "Connector name '{}' contains control or bidirectional formatting characters",
            name.escape_default()
        )));
    }
    Ok(())
}

/// Puts `name` into the config, refusing a different `name` already there.
pub(super) fn named(name: &str, mut props: Props) -> Result<Props, HerderError> {
    check_name(name)?;
    match props.get("name") {
        Some(given) if given != name => {
            return Err(HerderError::BadRequest(format!(
                "Connector name configuration ({given}) doesn't match connector name in the URL ({name})"
            )));
        }
        _ => props.insert("name".into(), name.to_owned()),
    };
    Ok(props)
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use weir_connector_api::{ConfigDef, ConnectError, Connector, SourceTask};

    use super::*;
    use crate::config::connector::common_definition;

    /// A source that says what it was built to say about exactly-once.
    struct Declares(Option<ExactlyOnceSupport>, TransactionBoundaries);

    #[async_trait]
    impl Connector for Declares {
        fn version(&self) -> String {
            "1".into()
        }

        fn config_def(&self) -> ConfigDef {
            ConfigDef::new()
        }

        async fn task_configs(&self, _props: &Props, _max_tasks: usize) -> Result<Vec<Props>, ConnectError> {
            Ok(Vec::new())
        }
    }

    impl SourceConnector for Declares {
        fn create_task(&self) -> Box<dyn SourceTask> {
            unreachable!("never run")
        }

        fn exactly_once_support(&self, _props: &Props) -> Option<ExactlyOnceSupport> {
            self.0
        }

        fn transaction_boundaries(&self, _props: &Props) -> TransactionBoundaries {
            self.1
        }
    }

    fn errors(connector: &Declares, worker_enabled: bool, pairs: &[(&str, &str)]) -> Vec<(String, Vec<String>)> {
        let props: Props = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut values = common_definition(weir_connector_api::ConnectorKind::Source).validate(&props);
        exactly_once_errors(connector, worker_enabled, &props, &mut values);
        values
            .into_iter()
            .filter(|v| {
                !v.errors.is_empty() && ["exactly.once.support", "transaction.boundary"].contains(&v.name.as_str())
            })
            .map(|v| (v.name, v.errors))
            .collect()
    }

    #[test]
    fn required_needs_the_worker_and_the_connector() {
        let supported = Declares(Some(ExactlyOnceSupport::Supported), TransactionBoundaries::Unsupported);
        let required = [("exactly.once.support", "required")];
        assert!(errors(&supported, true, &required).is_empty());
        assert_eq!(
            errors(&supported, false, &required),
            [(
                "exactly.once.support".to_owned(),
                vec!["This worker does not have exactly-once source support enabled.".to_owned()]
            )]
        );
        let unsupported = Declares(
            Some(ExactlyOnceSupport::Unsupported),
            TransactionBoundaries::Unsupported,
        );
        let found = errors(&unsupported, false, &required);
        assert_eq!(found[0].1.len(), 2, "{found:?}");
        assert!(found[0].1[1].contains("does not support exactly-once semantics"));
        let silent = Declares(None, TransactionBoundaries::Unsupported);
        let found = errors(&silent, true, &required);
        assert!(found[0].1[0].contains("does not implement the API required for preflight validation"));
        assert!(errors(&silent, false, &[("exactly.once.support", "requested")]).is_empty());
    }

    #[test]
    fn connector_boundaries_need_the_connector() {
        let connector = [("transaction.boundary", "connector")];
        let able = Declares(None, TransactionBoundaries::Supported);
        assert!(errors(&able, false, &connector).is_empty());
        let unable = Declares(None, TransactionBoundaries::Unsupported);
        let found = errors(&unable, false, &connector);
        assert_eq!(found[0].0, "transaction.boundary");
        assert!(found[0].1[0].contains("does not support connector-defined transaction boundaries"));
        let bad = [("transaction.boundary", "sometimes")];
        let found = errors(&unable, false, &bad);
        assert_eq!(found.len(), 1, "a bad value gets its own error only: {found:?}");
        assert!(found[0].1[0].contains("must be one of"), "{found:?}");
    }
}
