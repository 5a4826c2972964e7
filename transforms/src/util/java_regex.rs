//! Java's regular expressions as Kafka Connect and Debezium use them: a pattern that must match a
//! whole string (`Matcher.matches()`), and then `replaceFirst`, which replaces the first match of
//! the pattern anywhere in the string (not necessarily the whole match: `a|ab` makes `ab` `Xb`),
//! with Java's replacement syntax (`$1`, `${name}`, `\$`). Patterns are compiled by the `regex`
//! crate, which has no look-around or back-references; a pattern that uses them is refused as a
//! config error.

use regex::Regex;
use weir_connector_api::ConnectError;

/// A pattern matched against whole strings.
#[derive(Clone, Debug)]
pub(crate) struct WholeMatch {
    /// The pattern, anchored at both ends (`matches()`).
    whole: Regex,
    /// The pattern as given, which `replaceFirst` finds.
    regex: Regex,
}

impl WholeMatch {
    /// Compiles `pattern` for the config key `key`.
    pub(crate) fn compile(key: &str, pattern: &str) -> Result<Self, ConnectError> {
        let invalid = |e: regex::Error| {
            ConnectError::Config(format!(
                "Invalid value {pattern} for configuration {key}: Invalid regex: {e}"
            ))
        };
        Ok(WholeMatch {
            regex: Regex::new(pattern).map_err(invalid)?,
            whole: Regex::new(&format!("^(?:{pattern})$")).map_err(invalid)?,
        })
    }

    /// Whether the whole of `text` matches.
    pub(crate) fn matches(&self, text: &str) -> bool {
        self.whole.is_match(text)
    }

    /// How many capture groups the pattern has (besides the whole match).
    fn groups(&self) -> usize {
        // Group 0 is the whole match.
        self.regex.captures_len() - 1
    }

    /// When the whole of `text` matches, `text` with the first match of the pattern replaced by
    /// `replacement` (in the `regex` crate's syntax: see [`replacement`]), as Java's
    /// `matches()` then `replaceFirst`.
    fn replace(&self, text: &str, replacement: &str) -> Option<String> {
        if !self.matches(text) {
            return None;
        }
        let captures = self.regex.captures(text)?;
        let found = captures.get(0)?;
        let mut out = String::with_capacity(text.len() + replacement.len());
        out.push_str(&text[..found.start()]);
        captures.expand(replacement, &mut out);
        out.push_str(&text[found.end()..]);
        Some(out)
    }
}

/// A pattern with a Java replacement, as `RegexRouter` and Debezium's routers apply them: a text
/// the pattern matches whole has its first match replaced.
#[derive(Clone, Debug)]
pub(crate) struct ReplaceFirst {
    /// The pattern.
    pattern: WholeMatch,
    /// The replacement in the `regex` crate's syntax, or why it cannot be used (said when a text
    /// matches, as Java says it when the replacement is first used).
    replacement: Result<String, String>,
}

impl ReplaceFirst {
    /// The pattern with the Java replacement `java`.
    pub(crate) fn new(pattern: WholeMatch, java: &str) -> Self {
        let replacement = replacement(java, &pattern);
        ReplaceFirst { pattern, replacement }
    }

    /// `text` with its first match replaced, when the whole of it matches (`None` otherwise); an
    /// error when the replacement cannot be used.
    pub(crate) fn apply(&self, text: &str) -> Result<Option<String>, ConnectError> {
        if !self.pattern.matches(text) {
            return Ok(None);
        }
        let replacement = self
            .replacement
            .as_ref()
            .map_err(|why| ConnectError::Data(why.clone()))?;
        Ok(self.pattern.replace(text, replacement))
    }
}

/// A Java `replaceFirst` replacement for `pattern` in the `regex` crate's syntax: `$12` takes as
/// many digits as name an existing group (Java's rule), `${name}` stays, `\c` is a literal `c`,
/// and a literal `$` becomes `$$`. A reference to a group the pattern lacks is an error, as Java
/// gives it when the replacement is first used (not when it is configured).
fn replacement(java: &str, pattern: &WholeMatch) -> Result<String, String> {
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

    #[test]
    fn the_first_match_is_replaced_once_the_whole_matches() {
        let replace = |pattern: &str, java: &str, text: &str| {
            ReplaceFirst::new(WholeMatch::compile("regex", pattern).unwrap(), java)
                .apply(text)
                .unwrap()
        };
        assert_eq!(replace("a|ab", "X", "ab").as_deref(), Some("Xb"));
        assert_eq!(replace("(a+?)b*", "[$1]", "aabb").as_deref(), Some("[a]abb"));
        assert_eq!(replace("a|ab", "X", "abc"), None);
        let unusable = ReplaceFirst::new(WholeMatch::compile("regex", "a").unwrap(), "$3");
        assert!(unusable.apply("a").is_err());
        assert_eq!(unusable.apply("b").unwrap(), None);
    }
}
