//! Config values as Kafka Connect's `ConfigDef` reads them where Weir's `ConfigDef` reads them
//! otherwise: a list keeps its empty items (`a,,b` has three, which validators then refuse or
//! count), `ValidList.anyNonDuplicateValues` drops duplicates, and `ValidString.in` compares
//! case-sensitively (Weir's `Validator::OneOf` is Kafka Connect's `CaseInsensitiveValidString`).

use weir_connector_api::java::string::trim;
use weir_connector_api::{ConnectError, Props};

/// A LIST value as Kafka Connect parses it (`ConfigDef.parseType`): trimmed, empty if blank,
/// else split on commas and the whitespace around them, empty items kept.
pub(crate) fn list(raw: &str) -> Vec<String> {
    let trimmed = trim(raw);
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed
        .split(',')
        .map(|item| item.trim_matches(is_java_whitespace).to_owned())
        .collect()
}

/// The characters of Java's regex `\s`.
fn is_java_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

/// The list under `key` (empty when absent), with duplicates removed (the first kept), checked
/// as `ValidList.anyNonDuplicateValues(allow_empty, false)`: not empty unless `allow_empty`, and
/// no empty item.
pub(crate) fn non_duplicate_values(props: &Props, key: &str, allow_empty: bool) -> Result<Vec<String>, ConnectError> {
    let mut items: Vec<String> = Vec::new();
    for item in list(props.get(key).map_or("", String::as_str)) {
        if !items.contains(&item) {
            items.push(item);
        }
    }
    if !allow_empty && items.is_empty() {
        return Err(ConnectError::Config(format!(
            "Configuration '{key}' must not be empty. Valid values include: any non-empty value"
        )));
    }
    if items.iter().any(String::is_empty) {
        return Err(ConnectError::Config(format!(
            "Configuration '{key}' values must not be empty."
        )));
    }
    Ok(items)
}

/// A list as Java's `List.toString` writes it in config errors: `[a, b]`.
pub(crate) fn list_text<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("[{}]", items.join(", "))
}

/// The one of `allowed` that `value` is exactly (`ValidString.in(allowed)`), or Kafka Connect's
/// error for the config key `key`.
pub(crate) fn valid_string<'a>(key: &str, value: &str, allowed: &[&'a str]) -> Result<&'a str, ConnectError> {
    allowed.iter().copied().find(|name| *name == value).ok_or_else(|| {
        ConnectError::Config(format!(
            "Invalid value {value} for configuration {key}: String must be one of: {}",
            allowed.join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_as_kafka_connect_splits_them() {
        assert_eq!(list("x,"), ["x", ""]);
        assert_eq!(list(",x"), ["", "x"]);
        assert_eq!(list("a,,b"), ["a", "", "b"]);
        assert_eq!(list(" , "), ["", ""]);
        assert_eq!(list(" a ,b\t, c"), ["a", "b", "c"]);
        assert_eq!(list("a b"), ["a b"]);
        assert!(list("").is_empty());
        assert!(list("  ").is_empty());
    }

    #[test]
    fn lists_are_deduplicated_then_checked() {
        let props = |v: &str| Props::from([("k".to_owned(), v.to_owned())]);
        assert_eq!(non_duplicate_values(&props("b,a,b"), "k", false).unwrap(), ["b", "a"]);
        assert!(non_duplicate_values(&props(""), "k", false).is_err());
        assert!(non_duplicate_values(&props(""), "k", true).unwrap().is_empty());
        assert!(non_duplicate_values(&props("a,,b"), "k", true).is_err());
        assert!(non_duplicate_values(&Props::new(), "k", true).unwrap().is_empty());
        assert_eq!(list_text(&["a", "b"]), "[a, b]");
    }

    #[test]
    fn valid_strings_are_case_sensitive() {
        assert_eq!(valid_string("operation", "move", &["move", "copy"]).unwrap(), "move");
        let error = valid_string("operation", "MOVE", &["move", "copy"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("Invalid value MOVE for configuration operation: String must be one of: move, copy"));
    }
}
