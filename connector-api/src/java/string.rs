//! Java's `String` operations whose results Kafka Connect's and Debezium's configs and values
//! depend on: `trim` (which strips controls too, not Unicode spaces), blankness and `split`.

/// `String.trim()`: without the characters up to U+0020 at both ends.
pub fn trim(text: &str) -> &str {
    text.trim_matches(|c: char| c <= ' ')
}

/// Whether a text is blank as Kafka Connect's `Utils.isBlank` and Debezium's
/// `Strings.isNullOrBlank` decide: empty once trimmed.
pub fn is_blank(text: &str) -> bool {
    trim(text).is_empty()
}

/// `String.split` on one character: the parts without the empty ones at the end (so an empty
/// text is one empty part, and a text of separators none).
pub fn split(text: &str, separator: char) -> Vec<&str> {
    if text.is_empty() {
        return vec![text];
    }
    let mut parts: Vec<&str> = text.split(separator).collect();
    while parts.last().is_some_and(|part| part.is_empty()) {
        parts.pop();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_trim_and_split_as_java_does() {
        assert_eq!(trim("\u{1}\t a \n"), "a");
        assert_eq!(trim("\u{a0}a"), "\u{a0}a");
        assert!(is_blank(" \t"));
        assert_eq!(split("", ','), [""]);
        assert_eq!(split("a,,b,,", ','), ["a", "", "b"]);
        assert_eq!(split(",", ','), Vec::<&str>::new());
        assert_eq!(split("a", ':'), ["a"]);
    }
}
