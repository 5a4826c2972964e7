//! Debezium's configuration conventions: its `Field`s as Kafka Connect config keys.

use weir_connector_api::{ConfigKey, ConfigType, Importance, Width};

/// A key as Debezium's `Field`s declare its transforms' keys: with a display name and width,
/// and, as `Field.group(config, null, fields...)` puts them in a `ConfigDef`, no group and order
/// 1 (a key defined in a group gets its place there instead).
pub(crate) fn field(
    name: &str,
    kind: ConfigType,
    importance: Importance,
    width: Width,
    display_name: &str,
    documentation: &str,
) -> ConfigKey {
    ConfigKey {
        order: 1,
        width,
        ..ConfigKey::new(name, kind, importance, documentation).display_name(display_name)
    }
}
