//! Debezium's `SchemaNameAdjuster`: makes a schema name derived from a topic name valid for
//! Avro (`schema.name.adjustment.mode`), per UTF-16 unit as Java sees the name.

use weir_connector_api::ConnectError;
use weir_connector_api::java::string::trim;

/// The config key choosing the mode.
pub(crate) const MODE_KEY: &str = "schema.name.adjustment.mode";

/// How schema names are adjusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SchemaNameAdjuster {
    /// Names are kept as they are (`none`).
    None,
    /// A character Avro refuses becomes `_`; a leading digit is kept after a `_` (`avro`).
    Avro,
    /// A character Avro refuses, and `_` itself, becomes `_u` and its four hex digits
    /// (`avro_unicode`).
    AvroUnicode,
}

impl SchemaNameAdjuster {
    /// The mode a config value names (`none` when absent), case-insensitively, or the error
    /// Debezium's validation reports.
    pub(crate) fn parse(value: Option<&str>) -> Result<Self, ConnectError> {
        match value.map(trim) {
            None => Ok(SchemaNameAdjuster::None),
            Some(v) if v.eq_ignore_ascii_case("none") => Ok(SchemaNameAdjuster::None),
            Some(v) if v.eq_ignore_ascii_case("avro") => Ok(SchemaNameAdjuster::Avro),
            Some(v) if v.eq_ignore_ascii_case("avro_unicode") => Ok(SchemaNameAdjuster::AvroUnicode),
            Some(_) => Err(ConnectError::Config(format!(
                "The '{MODE_KEY}' value is invalid: Value must be one of none, avro_unicode, avro"
            ))),
        }
    }

    /// The adjusted name.
    pub(crate) fn adjust(self, name: &str) -> String {
        if self == SchemaNameAdjuster::None {
            return name.to_owned();
        }
        let mut adjusted = String::with_capacity(name.len() + 2);
        for (at, unit) in name.encode_utf16().enumerate() {
            let c = char::from_u32(u32::from(unit)).filter(char::is_ascii);
            let letter = c.is_some_and(|c| c.is_ascii_alphabetic());
            let digit = c.is_some_and(|c| c.is_ascii_digit());
            let (underscore, dot) = (c == Some('_'), c == Some('.'));
            match self {
                SchemaNameAdjuster::Avro => {
                    let valid = letter || underscore || (at > 0 && (digit || dot));
                    match c {
                        Some(c) if valid => adjusted.push(c),
                        Some(c) if digit => {
                            adjusted.push('_');
                            adjusted.push(c);
                        }
                        _ => adjusted.push('_'),
                    }
                }
                _ => match c {
                    Some(c) if letter || (at > 0 && (digit || dot)) => adjusted.push(c),
                    _ => adjusted.push_str(&format!("_u{unit:04x}")),
                },
            }
        }
        adjusted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_adjusted_as_debezium_adjusts_them() {
        let cases = [
            (
                "dbserver1.inventory.customers-all-shards.Key",
                "dbserver1.inventory.customers_all_shards.Key",
                "dbserver1.inventory.customers_u002dall_u002dshards.Key",
            ),
            ("1abc", "_1abc", "_u0031abc"),
            ("", "", ""),
            ("a b", "a_b", "a_u0020b"),
            ("é-x", "__x", "_u00e9_u002dx"),
            ("a\u{1F600}b", "a__b", "a_ud83d_ude00b"),
            (".x", "_x", "_u002ex"),
            ("_ok9", "_ok9", "_u005fok9"),
            ("a.b_c", "a.b_c", "a.b_u005fc"),
            ("..", "_.", "_u002e."),
        ];
        for (name, avro, unicode) in cases {
            assert_eq!(SchemaNameAdjuster::None.adjust(name), name);
            assert_eq!(SchemaNameAdjuster::Avro.adjust(name), avro, "{name}");
            assert_eq!(SchemaNameAdjuster::AvroUnicode.adjust(name), unicode, "{name}");
        }
    }

    #[test]
    fn modes_parse_case_insensitively() {
        assert_eq!(SchemaNameAdjuster::parse(None).unwrap(), SchemaNameAdjuster::None);
        assert_eq!(
            SchemaNameAdjuster::parse(Some(" AVRO ")).unwrap(),
            SchemaNameAdjuster::Avro
        );
        assert_eq!(
            SchemaNameAdjuster::parse(Some("avro_unicode")).unwrap(),
            SchemaNameAdjuster::AvroUnicode
        );
        assert!(SchemaNameAdjuster::parse(Some("weird")).is_err());
    }
}
