//! Java's regular expressions as Kafka Connect uses them: a pattern that must match a whole
//! string (`Matcher.matches()`), and `replaceFirst` with Java's replacement syntax (`$1`,
//! `${name}`, `\$`). Patterns are compiled by the `regex` crate, which has no look-around or
//! back-references; a pattern that uses them is refused as a config error.

use regex::Regex;
use weir_connector_api::ConnectError;

/// A pattern matched against whole strings.
#[derive(Clone, Debug)]
pub(crate) struct WholeMatch {
    regex: Regex,
}

impl WholeMatch {
    /// Compiles `pattern` for the config key `key`.
    pub(crate) fn compile(key: &str, pattern: &str) -> Result<Self, ConnectError> {
        Regex::new(&format!("^(?:{pattern})$"))
            .map(|regex| WholeMatch { regex })
            .map_err(|e| {
                ConnectError::Config(format!(
                    "Invalid value {pattern} for configuration {key}: Invalid regex: {e}"
                ))
            })
    }

    /// Whether the whole of `text` matches.
    pub(crate) fn matches(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// When the whole of `text` matches, `text` with the match replaced by `replacement` (in the
    /// `regex` crate's syntax: see [`replacement`]).
    pub(crate) fn replace(&self, text: &str, replacement: &str) -> Option<String> {
        let captures = self.regex.captures(text)?;
        let mut out = String::new();
        captures.expand(replacement, &mut out);
        Some(out)
    }
}

/// A Java `replaceFirst` replacement for `pattern` in the `regex` crate's syntax: `$12` takes as
/// many digits as name an existing group (Java's rule), `${name}` stays, `\c` is a literal `c`,
/// and a literal `$` becomes `$$`. A reference to a group the pattern lacks is an error, as Java
/// gives it when the replacement is first used (not when it is configured).
pub(crate) fn replacement(java: &str, pattern: &WholeMatch) -> Result<String, String> {
    let groups = pattern.groups();
    let invalid = |why: &str| why.to_owned();
    let mut out = String::new();
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(next) => out.push(next),
                None => return Err(invalid("character to be escaped is missing")),
            },
            '$' => match chars.peek() {
                Some('{') => {
                    chars.next();
                    let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    if !pattern.regex.capture_names().any(|n| n == Some(name.as_str())) {
                        return Err(format!("No group with name {{{name}}}"));
                    }
                    out.push_str(&format!("${{{name}}}"));
                }
                Some(d) if d.is_ascii_digit() => {
                    let mut number = 0usize;
                    let mut first = true;
                    while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                        let next = number * 10 + d as usize;
                        if !first && next > groups {
                            break;
                        }
                        number = next;
                        first = false;
                        chars.next();
                    }
                    if number > groups {
                        return Err(invalid(&format!("No group {number}")));
                    }
                    out.push_str(&format!("${{{number}}}"));
                }
                _ => return Err(invalid("Illegal group reference")),
            },
            c => out.push(c),
        }
    }
    Ok(out)
}

impl WholeMatch {
    /// How many capture groups the pattern has (besides the whole match).
    pub(crate) fn groups(&self) -> usize {
        // The outer (?:...) adds none; group 0 is the whole match.
        self.regex.captures_len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_replacements_become_the_regex_crates() {
        let one = WholeMatch::compile("regex", "(a)").unwrap();
        assert_eq!(replacement("$1-x", &one).unwrap(), "${1}-x");
        assert_eq!(replacement("$12", &one).unwrap(), "${1}2");
        assert_eq!(replacement("\\$1 costs", &one).unwrap(), "$$1 costs");
        assert!(replacement("$2", &one).is_err());
        assert!(replacement("${x}", &one).is_err());
        let pattern = WholeMatch::compile("regex", "(.*)-(\\d+)").unwrap();
        let to = replacement("$2_$1", &pattern).unwrap();
        assert_eq!(pattern.replace("orders-7", &to).as_deref(), Some("7_orders"));
        assert_eq!(pattern.replace("x-orders-7-y", &to), None);
    }
}
