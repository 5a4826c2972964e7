//! Config definitions: the keys a connector declares, and their validation.
//!
//! A [`ConfigDef`] is what `GET /connector-plugins/{p}/config` lists and what
//! `PUT /connector-plugins/{p}/config/validate` checks: every key's type, whether it is required,
//! and its allowed values or range. [`ConfigDef::parse`] turns a valid config into typed values.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::ConnectError;

/// A connector or task configuration: string keys to string values, as Kafka Connect stores them.
pub type Props = BTreeMap<String, String>;

/// The type of a config value, named as Kafka Connect names it (`STRING`, `INT`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigType {
    /// `true` or `false`.
    Boolean,
    /// Any string.
    String,
    /// A 32-bit integer.
    Int,
    /// A 16-bit integer.
    Short,
    /// A 64-bit integer.
    Long,
    /// A double.
    Double,
    /// A comma-separated list.
    List,
    /// A class name.
    Class,
    /// A string hidden in answers.
    Password,
}

/// How much a key matters to a user, as shown by tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Importance {
    /// Set it.
    High,
    /// Look at it.
    Medium,
    /// Rarely needed.
    Low,
}

/// The display width hint of a key, as in Kafka Connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// No hint.
    None,
    /// Short.
    Short,
    /// Medium.
    Medium,
    /// Long.
    Long,
}

macro_rules! upper_display {
    ($ty:ty { $($variant:ident => $name:literal),* $(,)? }) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $(Self::$variant => $name),* })
            }
        }
    };
}

upper_display!(ConfigType { Boolean => "BOOLEAN", String => "STRING", Int => "INT", Short => "SHORT",
    Long => "LONG", Double => "DOUBLE", List => "LIST", Class => "CLASS", Password => "PASSWORD" });
upper_display!(Importance { High => "HIGH", Medium => "MEDIUM", Low => "LOW" });
upper_display!(Width { None => "NONE", Short => "SHORT", Medium => "MEDIUM", Long => "LONG" });

/// A constraint on a key's value beyond its type.
#[derive(Clone, Debug, PartialEq)]
pub enum Validator {
    /// A number within bounds, both inclusive.
    Range {
        /// The smallest allowed value.
        min: Option<f64>,
        /// The largest allowed value.
        max: Option<f64>,
    },
    /// One of these strings, compared case-insensitively.
    OneOf(Vec<String>),
    /// One of these strings, compared case-insensitively, refused with the message of Kafka
    /// Connect's `CaseInsensitiveValidString`.
    OneOfIgnoringCase(Vec<String>),
    /// A string that is not empty.
    NonEmpty,
}

impl Validator {
    /// At least `min`.
    pub fn at_least(min: f64) -> Self {
        Validator::Range {
            min: Some(min),
            max: None,
        }
    }

    /// Between `min` and `max`, inclusive.
    pub fn between(min: f64, max: f64) -> Self {
        Validator::Range {
            min: Some(min),
            max: Some(max),
        }
    }

    /// One of these values.
    pub fn one_of(values: &[&str]) -> Self {
        Validator::OneOf(values.iter().map(|v| v.to_string()).collect())
    }

    /// One of these values, in any case, as Kafka Connect's `CaseInsensitiveValidString`.
    pub fn one_of_ignoring_case(values: &[&str]) -> Self {
        Validator::OneOfIgnoringCase(values.iter().map(|v| v.to_string()).collect())
    }

    /// The values a tool may offer for this key.
    pub fn recommended_values(&self) -> Vec<String> {
        match self {
            Validator::OneOf(values) | Validator::OneOfIgnoringCase(values) => values.clone(),
            _ => Vec::new(),
        }
    }

    fn check(&self, value: &Typed) -> Result<(), String> {
        match (self, value) {
            (Validator::Range { min, max }, typed) => {
                let Some(n) = typed.as_f64() else {
                    return Ok(());
                };
                match (min, max) {
                    (Some(lo), Some(hi)) if n < *lo || n > *hi => Err(format!(
                        "Value must be no less than {} and no more than {}",
                        fmt_num(*lo),
                        fmt_num(*hi)
                    )),
                    (Some(lo), None) if n < *lo => Err(format!("Value must be at least {}", fmt_num(*lo))),
                    (None, Some(hi)) if n > *hi => Err(format!("Value must be no more than {}", fmt_num(*hi))),
                    _ => Ok(()),
                }
            }
            (Validator::OneOf(allowed), Typed::Str(s)) => {
                if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) {
                    Ok(())
                } else {
                    Err(format!("String must be one of: {}", allowed.join(", ")))
                }
            }
            (Validator::OneOfIgnoringCase(allowed), Typed::Str(s)) => {
                if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) {
                    Ok(())
                } else {
                    let upper: Vec<String> = allowed.iter().map(|a| a.to_uppercase()).collect();
                    let listed = crate::java::string::hash_set_order(upper.iter().map(String::as_str));
                    Err(format!(
                        "String must be one of (case insensitive): {}",
                        listed.join(", ")
                    ))
                }
            }
            (Validator::NonEmpty, Typed::Str(s)) if s.trim().is_empty() => Err("String may not be empty".into()),
            (Validator::NonEmpty, Typed::List(l)) if l.is_empty() => Err("List may not be empty".into()),
            _ => Ok(()),
        }
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// The declaration of one config key.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigKey {
    /// The key.
    pub name: String,
    /// Its type.
    pub kind: ConfigType,
    /// The default value; `None` makes the key required, unless [`ConfigKey::null_default`].
    pub default: Option<String>,
    /// Whether the key's default is null (Kafka Connect's `null` default, unlike its
    /// `NO_DEFAULT_VALUE`): the key is optional and, when not given, has no value at all.
    pub null_default: bool,
    /// How much it matters.
    pub importance: Importance,
    /// What it does.
    pub documentation: String,
    /// The group it is shown in.
    pub group: Option<String>,
    /// Its position within the group.
    pub order: i32,
    /// Display width hint.
    pub width: Width,
    /// A human name.
    pub display_name: String,
    /// A further constraint on the value.
    pub validator: Option<Validator>,
}

impl ConfigKey {
    /// A required key.
    pub fn new(name: &str, kind: ConfigType, importance: Importance, documentation: &str) -> Self {
        ConfigKey {
            name: name.to_owned(),
            kind,
            default: None,
            null_default: false,
            importance,
            documentation: documentation.to_owned(),
            group: None,
            order: -1,
            width: Width::None,
            display_name: name.to_owned(),
            validator: None,
        }
    }

    /// The same key, optional with this default.
    pub fn default_value(mut self, default: &str) -> Self {
        self.default = Some(default.to_owned());
        self
    }

    /// The same key, optional with a null default: when not given it has no value (the typed
    /// getters of [`ParsedConfig`] return `None`), as Kafka Connect's keys defined with `null`.
    pub fn default_null(mut self) -> Self {
        self.default = None;
        self.null_default = true;
        self
    }

    /// The same key, with a constraint.
    pub fn validator(mut self, validator: Validator) -> Self {
        self.validator = Some(validator);
        self
    }

    /// The same key, with a human name.
    pub fn display_name(mut self, name: &str) -> Self {
        self.display_name = name.to_owned();
        self
    }

    /// Whether the key has no default (neither a value nor null).
    pub fn required(&self) -> bool {
        self.default.is_none() && !self.null_default
    }

    /// Checks one raw value: its type, then its validator.
    fn check(&self, raw: &str) -> Result<Typed, String> {
        // A password is never repeated in an error, which reaches answers and logs.
        let shown = if self.kind == ConfigType::Password {
            "[hidden]"
        } else {
            raw
        };
        let typed = Typed::parse(self.kind, raw)
            .map_err(|expected| format!("Invalid value {shown} for configuration {}: {expected}", self.name))?;
        if let Some(validator) = &self.validator {
            validator
                .check(&typed)
                .map_err(|e| format!("Invalid value {shown} for configuration {}: {e}", self.name))?;
        }
        Ok(typed)
    }
}

/// The result of validating one key: the value seen and what is wrong with it.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigValue {
    /// The key.
    pub name: String,
    /// The value given, or the default.
    pub value: Option<String>,
    /// Values a tool may offer.
    pub recommended_values: Vec<String>,
    /// What is wrong; empty when valid.
    pub errors: Vec<String>,
    /// Whether a tool should show the key.
    pub visible: bool,
}

impl ConfigValue {
    /// A report on a key, with no error yet.
    pub fn new(name: &str, value: Option<String>) -> Self {
        ConfigValue {
            name: name.to_owned(),
            value,
            recommended_values: Vec::new(),
            errors: Vec::new(),
            visible: true,
        }
    }
}

/// A parsed value.
#[derive(Clone, Debug, PartialEq)]
enum Typed {
    Bool(bool),
    Str(String),
    Int(i64),
    Double(f64),
    List(Vec<String>),
}

impl Typed {
    /// Parses `raw` as `kind`; the error names the expected type.
    fn parse(kind: ConfigType, raw: &str) -> Result<Typed, String> {
        let trimmed = raw.trim();
        let number = |bits: &str| format!("Not a number of type {bits}");
        Ok(match kind {
            ConfigType::Boolean => match trimmed.to_ascii_lowercase().as_str() {
                "true" => Typed::Bool(true),
                "false" => Typed::Bool(false),
                _ => return Err("Expected value to be either true or false".into()),
            },
            ConfigType::String | ConfigType::Class | ConfigType::Password => Typed::Str(trimmed.to_owned()),
            ConfigType::Short => Typed::Int(trimmed.parse::<i16>().map_err(|_| number("SHORT"))?.into()),
            ConfigType::Int => Typed::Int(trimmed.parse::<i32>().map_err(|_| number("INT"))?.into()),
            ConfigType::Long => Typed::Int(trimmed.parse::<i64>().map_err(|_| number("LONG"))?),
            ConfigType::Double => Typed::Double(trimmed.parse::<f64>().map_err(|_| number("DOUBLE"))?),
            ConfigType::List => Typed::List(parse_list(trimmed)),
        })
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Typed::Int(i) => Some(*i as f64),
            Typed::Double(d) => Some(*d),
            _ => None,
        }
    }
}

/// Splits a comma-separated list, trimming items and dropping empty ones.
pub fn parse_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The keys a connector declares.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

impl ConfigDef {
    /// An empty definition.
    pub fn new() -> Self {
        ConfigDef::default()
    }

    /// Adds a key in a group; its order is its position within the group.
    pub fn define(mut self, group: &str, mut key: ConfigKey) -> Self {
        key.order = self.keys.iter().filter(|k| k.group.as_deref() == Some(group)).count() as i32 + 1;
        key.group = Some(group.to_owned());
        self.keys.push(key);
        self
    }

    /// Adds a key outside any group: Kafka Connect's `group` null and order -1, as transforms
    /// and most plugins declare their keys.
    pub fn define_key(mut self, key: ConfigKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Sets how the defined key `name` is shown: its position in its group, its width and its
    /// human name (for a layout that must match another's, such as Kafka Connect's own keys).
    pub fn shown(mut self, name: &str, order: i32, width: Width, display_name: &str) -> Self {
        if let Some(key) = self.keys.iter_mut().find(|k| k.name == name) {
            key.order = order;
            key.width = width;
            key.display_name = display_name.to_owned();
        }
        self
    }

    /// Gives the defined key `name` this default (for a default known only with the plugin,
    /// such as the plugin's version).
    pub fn with_default(mut self, name: &str, default: &str) -> Self {
        if let Some(key) = self.keys.iter_mut().find(|k| k.name == name) {
            key.default = Some(default.to_owned());
            key.null_default = false;
        }
        self
    }

    /// Appends every key of `other`.
    pub fn merge(mut self, other: ConfigDef) -> Self {
        self.keys.extend(other.keys);
        self
    }

    /// The keys, in declaration order.
    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    /// The key with this name.
    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// The groups, in order of first appearance.
    pub fn groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = Vec::new();
        for group in self.keys.iter().filter_map(|k| k.group.as_ref()) {
            if !groups.contains(group) {
                groups.push(group.clone());
            }
        }
        groups
    }

    /// Checks every declared key of `props`: present when required, of its type, within its
    /// constraint. One report per key, in declaration order.
    pub fn validate(&self, props: &Props) -> Vec<ConfigValue> {
        self.keys
            .iter()
            .map(|key| {
                let given = props.get(&key.name).cloned();
                let mut report = ConfigValue::new(&key.name, given.clone().or_else(|| key.default.clone()));
                report.recommended_values = key
                    .validator
                    .as_ref()
                    .map(Validator::recommended_values)
                    .unwrap_or_default();
                match given.as_deref().or(key.default.as_deref()) {
                    None if key.null_default => {}
                    None => report.errors.push(format!(
                        "Missing required configuration \"{}\" which has no default value.",
                        key.name
                    )),
                    Some(raw) => {
                        if let Err(e) = key.check(raw) {
                            report.errors.push(e);
                        }
                    }
                }
                report
            })
            .collect()
    }

    /// Parses `props` into typed values, or fails listing every error.
    pub fn parse(&self, props: &Props) -> Result<ParsedConfig, ConnectError> {
        let mut values = BTreeMap::new();
        let mut errors = Vec::new();
        for key in &self.keys {
            match props.get(&key.name).or(key.default.as_ref()) {
                None if key.null_default => {}
                None => errors.push(format!("Missing required configuration \"{}\"", key.name)),
                Some(raw) => match key.check(raw) {
                    Ok(typed) => {
                        values.insert(key.name.clone(), typed);
                    }
                    Err(e) => errors.push(e),
                },
            }
        }
        if errors.is_empty() {
            Ok(ParsedConfig { values })
        } else {
            Err(ConnectError::Config(errors.join("; ")))
        }
    }
}

/// A config whose every declared key was checked; getters return the typed value or default.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedConfig {
    values: BTreeMap<String, Typed>,
}

impl ParsedConfig {
    /// A string, class or password value.
    pub fn string(&self, key: &str) -> Option<&str> {
        match self.values.get(key) {
            Some(Typed::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// An integer value (INT, SHORT or LONG).
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.values.get(key) {
            Some(Typed::Int(i)) => Some(*i),
            _ => None,
        }
    }

    /// A double value.
    pub fn double(&self, key: &str) -> Option<f64> {
        match self.values.get(key) {
            Some(Typed::Double(d)) => Some(*d),
            _ => None,
        }
    }

    /// A boolean value.
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.values.get(key) {
            Some(Typed::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// A list value.
    pub fn list(&self, key: &str) -> Option<&[String]> {
        match self.values.get(key) {
            Some(Typed::List(l)) => Some(l),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .define(
                "Common",
                ConfigKey::new("file", ConfigType::String, Importance::High, "the file"),
            )
            .define(
                "Common",
                ConfigKey::new("batch.size", ConfigType::Int, Importance::Low, "lines per poll")
                    .default_value("2000")
                    .validator(Validator::at_least(1.0)),
            )
            .define(
                "Errors",
                ConfigKey::new("errors.tolerance", ConfigType::String, Importance::Medium, "tolerance")
                    .default_value("none")
                    .validator(Validator::one_of(&["none", "all"])),
            )
    }

    #[test]
    fn validate_reports_every_bad_key() {
        let props = Props::from([
            ("batch.size".to_owned(), "0".to_owned()),
            ("errors.tolerance".to_owned(), "some".to_owned()),
        ]);
        let reports = def().validate(&props);
        let errors: Vec<_> = reports.iter().flat_map(|r| r.errors.clone()).collect();
        assert_eq!(
            errors,
            vec![
                "Missing required configuration \"file\" which has no default value.".to_owned(),
                "Invalid value 0 for configuration batch.size: Value must be at least 1".to_owned(),
                "Invalid value some for configuration errors.tolerance: String must be one of: none, all".to_owned(),
            ]
        );
        assert_eq!(reports[2].recommended_values, vec!["none", "all"]);
    }

    #[test]
    fn type_errors_name_the_type() {
        let props = Props::from([
            ("file".to_owned(), "x".to_owned()),
            ("batch.size".to_owned(), "ten".to_owned()),
        ]);
        let err = def().parse(&props).unwrap_err().to_string();
        assert!(
            err.contains("Invalid value ten for configuration batch.size: Not a number of type INT"),
            "{err}"
        );
    }

    #[test]
    fn parse_applies_defaults_and_types() {
        let props = Props::from([("file".to_owned(), " /tmp/x ".to_owned())]);
        let parsed = def().parse(&props).unwrap();
        assert_eq!(parsed.string("file"), Some("/tmp/x"));
        assert_eq!(parsed.int("batch.size"), Some(2000));
        assert_eq!(parsed.string("errors.tolerance"), Some("none"));
    }

    #[test]
    fn groups_keep_first_appearance_order_and_number_keys() {
        let d = def();
        assert_eq!(d.groups(), vec!["Common", "Errors"]);
        assert_eq!(d.key("batch.size").map(|k| k.order), Some(2));
        assert_eq!(d.key("errors.tolerance").map(|k| k.order), Some(1));
    }

    #[test]
    fn a_null_default_is_optional_and_absent() {
        let def = ConfigDef::new().define_key(
            ConfigKey::new("name", ConfigType::String, Importance::High, "a name")
                .validator(Validator::NonEmpty)
                .default_null(),
        );
        let key = def.key("name").unwrap();
        assert!(!key.required());
        assert_eq!(key.default, None);
        let parsed = def.parse(&Props::new()).unwrap();
        assert_eq!(parsed.string("name"), None);
        assert!(def.validate(&Props::new())[0].errors.is_empty());
        let empty = Props::from([("name".to_owned(), " ".to_owned())]);
        assert!(def.parse(&empty).is_err());
    }

    #[test]
    fn lists_split_on_commas() {
        assert_eq!(parse_list(" a, b ,,c "), vec!["a", "b", "c"]);
    }
}
