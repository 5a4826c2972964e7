//! A connector's `transforms` and `predicates` keys, as Kafka Connect reads them: each alias has
//! a `type` (a class or alias) and its own keys under `transforms.<alias>.` or
//! `predicates.<alias>.`; a transform may name a `predicate` (and `negate` it).
//!
//! [`definition`] is what validation checks, in the groups `Transforms: <alias>` and
//! `Predicates: <alias>`; [`chain`] is what each task instantiates.

use std::sync::Arc;

use weir_connector_api::config::parse_list;
use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, PredicatePlugin, Props, TransformationPlugin,
    TransformerPlugin,
};

use super::worker::strip_prefix;
use crate::plugins::Plugins;

/// The key listing the transforms' aliases.
pub const TRANSFORMS: &str = "transforms";
/// The key listing the predicates' aliases.
pub const PREDICATES: &str = "predicates";
/// A transform's key naming its predicate.
const PREDICATE: &str = "predicate";
/// A transform's key inverting its predicate.
const NEGATE: &str = "negate";

/// A predicate of a connector's chain: its alias, class and config.
#[derive(Clone)]
pub struct PredicateSpec {
    /// Its alias.
    pub alias: String,
    /// Its class, as registered.
    pub class: String,
    /// The class.
    pub plugin: Arc<dyn PredicatePlugin>,
    /// Its keys, the `predicates.<alias>.` prefix removed.
    pub props: Props,
}

/// One transform of a connector's chain: its alias, class, config and predicate.
#[derive(Clone)]
pub struct TransformSpec {
    /// Its alias.
    pub alias: String,
    /// Its class, as registered.
    pub class: String,
    /// The class.
    pub plugin: Arc<dyn TransformationPlugin>,
    /// Its keys, the `transforms.<alias>.` prefix removed (and `predicate`, `negate`).
    pub props: Props,
    /// The predicate deciding where it applies, and whether that is negated.
    pub predicate: Option<(PredicateSpec, bool)>,
}

/// The aliases of a list key, each once, in order.
fn aliases(props: &Props, key: &str) -> Vec<String> {
    let mut aliases: Vec<String> = Vec::new();
    for alias in parse_list(props.get(key).map(String::as_str).unwrap_or_default()) {
        if !aliases.contains(&alias) {
            aliases.push(alias);
        }
    }
    aliases
}

/// A transform or predicate class named by `type_key`, or why not.
fn class_of(
    props: &Props,
    type_key: &str,
    plugins: &Plugins,
    want: &str,
) -> Result<(String, TransformerPlugin), String> {
    let class = props.get(type_key).map(|c| c.trim()).unwrap_or_default();
    if class.is_empty() {
        return Err(format!(
            "Missing required configuration \"{type_key}\" which has no default value."
        ));
    }
    let descriptor = plugins.transformer(class).ok_or_else(|| {
        format!("Invalid value {class} for configuration {type_key}: Class {class} could not be found.")
    })?;
    if descriptor.plugin.kind() != want {
        return Err(format!(
            "Invalid value {class} for configuration {type_key}: Not a {}",
            if want == "predicate" {
                "Predicate"
            } else {
                "Transformation"
            }
        ));
    }
    Ok((descriptor.class, descriptor.plugin))
}

/// The keys the transforms and predicates of `props` add to a connector's definition, each
/// under its alias's group, and the errors found in them.
pub fn definition(props: &Props, plugins: &Plugins) -> (ConfigDef, Vec<ConfigValue>) {
    let mut def = ConfigDef::new();
    let mut errors: Vec<(String, String)> = Vec::new();
    let predicates = aliases(props, PREDICATES);
    for (list, group, want) in [
        (TRANSFORMS, "Transforms", "transformation"),
        (PREDICATES, "Predicates", "predicate"),
    ] {
        for alias in aliases(props, list) {
            let prefix = format!("{list}.{alias}.");
            let group = format!("{group}: {alias}");
            let type_key = format!("{prefix}type");
            let kind = if want == "predicate" {
                "predicate"
            } else {
                "transformation"
            };
            def = def.define(
                &group,
                ConfigKey::new(
                    &type_key,
                    ConfigType::Class,
                    Importance::High,
                    &format!("Class for the '{alias}' {kind}."),
                )
                .display_name(&format!(
                    "{} type for {alias}",
                    if want == "predicate" {
                        "Predicate"
                    } else {
                        "Transformation"
                    }
                )),
            );
            if list == TRANSFORMS {
                def = def
                    .define(
                        &group,
                        ConfigKey::new(
                            &format!("{prefix}{PREDICATE}"),
                            ConfigType::String,
                            Importance::Medium,
                            "The alias of a predicate used to determine whether to apply this transformation.",
                        )
                        .default_null(),
                    )
                    .define(
                        &group,
                        ConfigKey::new(
                            &format!("{prefix}{NEGATE}"),
                            ConfigType::Boolean,
                            Importance::Medium,
                            "Whether the configured predicate should be negated.",
                        )
                        .default_value("false"),
                    );
                let predicate = props.get(&format!("{prefix}{PREDICATE}")).map(|p| p.trim());
                if props.contains_key(&format!("{prefix}{NEGATE}")) && predicate.is_none() {
                    errors.push((
                        format!("{prefix}{NEGATE}"),
                        format!(
                            "Config '{prefix}{NEGATE}' was provided but there is no config '{prefix}{PREDICATE}' defining a predicate to be negated."
                        ),
                    ));
                }
                if let Some(predicate) = predicate.filter(|p| !predicates.iter().any(|a| a == p)) {
                    errors.push((
                        format!("{prefix}{PREDICATE}"),
                        format!("Invalid value {predicate} for configuration {prefix}{PREDICATE}: no predicate of that alias in '{PREDICATES}'"),
                    ));
                }
            }
            match class_of(props, &type_key, plugins, want) {
                Ok((_, plugin)) => {
                    for key in plugin.config_def().keys() {
                        if list == TRANSFORMS && (key.name == PREDICATE || key.name == NEGATE) {
                            continue;
                        }
                        let mut key = key.clone();
                        key.name = format!("{prefix}{}", key.name);
                        def = def.define(&group, key);
                    }
                }
                Err(e) => errors.push((type_key, e)),
            }
        }
    }
    let mut values = def.validate(props);
    for (key, error) in errors {
        if let Some(value) = values.iter_mut().find(|v| v.name == key) {
            value
                .errors
                .retain(|e| !e.starts_with("Missing required configuration"));
            value.errors.push(error);
        }
    }
    (def, values)
}

/// The chain of a connector config, in order, resolved against the installed classes: what each
/// task instantiates. A config that passed validation resolves.
pub fn chain(props: &Props, plugins: &Plugins) -> Result<Vec<TransformSpec>, String> {
    let predicate = |alias: &str| -> Result<PredicateSpec, String> {
        let prefix = format!("{PREDICATES}.{alias}.");
        let (class, plugin) = class_of(props, &format!("{prefix}type"), plugins, "predicate")?;
        let TransformerPlugin::Predicate(plugin) = plugin else {
            return Err(format!("{class} is not a predicate"));
        };
        Ok(PredicateSpec {
            alias: alias.to_owned(),
            class,
            plugin,
            props: strip_prefix(props, &prefix),
        })
    };
    aliases(props, TRANSFORMS)
        .into_iter()
        .map(|alias| {
            let prefix = format!("{TRANSFORMS}.{alias}.");
            let (class, plugin) = class_of(props, &format!("{prefix}type"), plugins, "transformation")?;
            let TransformerPlugin::Transformation(plugin) = plugin else {
                return Err(format!("{class} is not a transformation"));
            };
            let mut own = strip_prefix(props, &prefix);
            let negate = own
                .remove(NEGATE)
                .is_some_and(|n| n.trim().eq_ignore_ascii_case("true"));
            let predicate = match own.remove(PREDICATE) {
                Some(p) => Some((predicate(p.trim())?, negate)),
                None => None,
            };
            Ok(TransformSpec {
                alias,
                class,
                plugin,
                props: own,
                predicate,
            })
        })
        .collect()
}
