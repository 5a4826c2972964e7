//! Kafka Connect's `ConverterConfig` (the `converter.type` every converter class declares) and
//! the reading of a converter's settings as Kafka's `ConfigDef.parse` reads them: strings
//! trimmed, booleans and integers parsed, each failure with Kafka's message.
//!
//! Kafka's worker sets `converter.type` itself (`key` or `value` as it configures a key or value
//! converter, `header` for a header converter); so do the plugins of this crate, by how they are
//! created, since Weir's runtime passes only the user's settings.

use weir_connector_api::java::number::parse_long;
use weir_connector_api::java::string::trim;
use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, ConversionError, Importance, Props, Validator, Width};

/// The key naming how a converter is used.
pub(crate) const TYPE_CONFIG: &str = "converter.type";

/// How a converter is used: Kafka Connect's `ConverterType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConverterType {
    /// A record key converter.
    Key,
    /// A record value converter.
    Value,
    /// A header converter.
    Header,
}

impl ConverterType {
    /// Every type, in Kafka's order.
    const ALL: [ConverterType; 3] = [ConverterType::Key, ConverterType::Value, ConverterType::Header];

    /// The type of a key (`is_key`) or value converter.
    pub(crate) fn of_record(is_key: bool) -> Self {
        if is_key {
            ConverterType::Key
        } else {
            ConverterType::Value
        }
    }

    /// Its name in `converter.type`.
    fn name(self) -> &'static str {
        match self {
            ConverterType::Key => "key",
            ConverterType::Value => "value",
            ConverterType::Header => "header",
        }
    }

    /// The settings with `converter.type` set to this type, whatever they said, as Kafka's worker
    /// (and `configure(Map, boolean)`) sets it.
    pub(crate) fn set_in(self, props: &Props) -> Props {
        let mut props = props.clone();
        props.insert(TYPE_CONFIG.to_owned(), self.name().to_owned());
        props
    }

    /// The type a config gives: required, and one of `key`, `value` or `header` exactly (Kafka's
    /// `ValidString` is case-sensitive).
    pub(crate) fn from_config(props: &Props) -> Result<Self, ConversionError> {
        let raw = props.get(TYPE_CONFIG).ok_or_else(|| {
            ConversionError::new(format!(
                "Missing required configuration \"{TYPE_CONFIG}\" which has no default value."
            ))
        })?;
        let name = trim(raw);
        ConverterType::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| invalid(TYPE_CONFIG, raw, "String must be one of: key, value, header"))
    }
}

/// The definition of `converter.type` alone: `ConverterConfig.newConfigDef()`, which every
/// converter's definition starts with.
pub(crate) fn converter_config() -> ConfigDef {
    ConfigDef::new().define_key(
        ConfigKey::new(
            TYPE_CONFIG,
            ConfigType::String,
            Importance::Low,
            "How this converter will be used.",
        )
        .validator(Validator::one_of(&["key", "value", "header"])),
    )
}

/// A key as Kafka's `define(name, type, default, importance, doc, group, orderInGroup, width,
/// displayName)` declares it: in `group` at position `order` (counted from 0, as Kafka's
/// converter configs count), of medium width.
pub(crate) fn grouped(key: ConfigKey, group: Option<&str>, order: i32, display_name: &str) -> ConfigKey {
    ConfigKey {
        group: group.map(str::to_owned),
        order,
        width: Width::Medium,
        ..key.display_name(display_name)
    }
}

/// Kafka's `ConfigException` for a value that does not parse or validate.
pub(crate) fn invalid(key: &str, raw: &str, why: &str) -> ConversionError {
    ConversionError::new(format!("Invalid value {raw} for configuration {key}: {why}"))
}

/// A `STRING` setting: trimmed, as Kafka parses strings; `None` when not given.
pub(crate) fn string<'a>(props: &'a Props, key: &str) -> Option<&'a str> {
    props.get(key).map(|raw| trim(raw))
}

/// A `BOOLEAN` setting: `true` or `false` in any case, around spaces.
pub(crate) fn boolean(props: &Props, key: &str, default: bool) -> Result<bool, ConversionError> {
    let Some(raw) = props.get(key) else {
        return Ok(default);
    };
    match trim(raw) {
        value if value.eq_ignore_ascii_case("true") => Ok(true),
        value if value.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid(key, raw, "Expected value to be either true or false")),
    }
}

/// An `INT` setting, read as Java's `Integer.parseInt` reads it.
pub(crate) fn int(props: &Props, key: &str, default: i32) -> Result<i32, ConversionError> {
    let Some(raw) = props.get(key) else {
        return Ok(default);
    };
    parse_long(trim(raw))
        .and_then(|value| i32::try_from(value).ok())
        .ok_or_else(|| invalid(key, raw, "Not a number of type INT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn settings_read_as_kafka_parses_them() {
        let given = props(&[("a", " TRUE "), ("b", "yes"), ("n", "+12"), ("m", "1.5"), ("s", " x ")]);
        assert!(boolean(&given, "a", false).unwrap());
        assert!(!boolean(&given, "missing", false).unwrap());
        assert_eq!(
            boolean(&given, "b", true).unwrap_err().message,
            "Invalid value yes for configuration b: Expected value to be either true or false"
        );
        assert_eq!(int(&given, "n", 0).unwrap(), 12);
        assert_eq!(int(&given, "missing", 7).unwrap(), 7);
        assert_eq!(
            int(&given, "m", 0).unwrap_err().message,
            "Invalid value 1.5 for configuration m: Not a number of type INT"
        );
        assert_eq!(string(&given, "s"), Some("x"));
    }

    #[test]
    fn the_converter_type_is_required_and_exact() {
        assert_eq!(
            ConverterType::from_config(&Props::new()).unwrap_err().message,
            "Missing required configuration \"converter.type\" which has no default value."
        );
        assert_eq!(
            ConverterType::from_config(&props(&[(TYPE_CONFIG, "KEY")]))
                .unwrap_err()
                .message,
            "Invalid value KEY for configuration converter.type: String must be one of: key, value, header"
        );
        let header = ConverterType::Header.set_in(&props(&[(TYPE_CONFIG, "key")]));
        assert_eq!(ConverterType::from_config(&header).unwrap(), ConverterType::Header);
        assert_eq!(ConverterType::of_record(true), ConverterType::Key);
    }
}
