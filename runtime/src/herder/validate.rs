//! Checking connector configs: against their plugin's definition and the common keys, and
//! against what the config topic and REST paths can hold.

use weir_connector_api::{PluginDescriptor, Props};

use super::{Herder, HerderError};
use crate::config::connector::{common_definition, validate_common};
use crate::config::transforms;
use crate::model::Validation;
use crate::worker::converter_errors;

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

    /// Validates a connector config against its plugin's definition and the common keys.
    pub async fn validate(&self, props: &Props) -> Result<Validation, HerderError> {
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
        for (key, error) in converter_errors(plugins, props) {
            if let Some(value) = values.iter_mut().find(|v| v.name == key) {
                value.errors.push(error);
            }
        }
        let (chain, chain_values) = transforms::definition(props, plugins);
        values.extend(chain_values);
        let mut own_values = own.validate(props);
        plugin.plugin.connector().validate(props, &mut own_values).await;
        values.extend(own_values);
        let mut groups = common.groups();
        for group in chain.groups().into_iter().chain(own.groups()) {
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
        let definition = common.merge(chain).merge(own);
        Ok(Validation {
            class: plugin.class.clone(),
            groups,
            keys: definition.keys().to_vec(),
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
