//! JSON as Jackson reads it for JsonConverter (`ObjectMapper.readTree`, with leading zeros in
//! numbers allowed): a tree whose numbers keep their text (Jackson holds an integer beyond a long
//! as a `BigInteger` and, with `USE_BIG_DECIMAL_FOR_FLOATS`, any other number as an exact
//! `BigDecimal`), whose strings borrow the input where they have no escapes, and whose objects
//! keep a repeated key at its first place with its last value (Jackson's `ObjectNode`). Only the
//! first value is read, as Jackson ignores what follows it; no value at all is Jackson's
//! `MissingNode`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::Hash;

use serde_json::Value as Json;

/// How deeply arrays and objects may nest (Jackson's `StreamReadConstraints`).
const MAX_DEPTH: usize = 1000;

/// How many digits a number may have (Jackson's `StreamReadConstraints`).
const MAX_NUMBER_LENGTH: usize = 1000;

/// A JSON value.
#[derive(Debug, PartialEq)]
pub(crate) enum Node<'a> {
    /// No value at all: what Jackson reads from no JSON (`MissingNode`), unlike `null`.
    Missing,
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean(bool),
    /// A number.
    Number(Number<'a>),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Node<'a>>),
    /// An object, each key once.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// A number as written.
#[derive(Debug, PartialEq)]
pub(crate) struct Number<'a> {
    /// Its text: `-`, digits, then maybe a fraction and an exponent.
    pub(crate) text: Cow<'a, str>,
    /// Whether it has neither fraction nor exponent: Jackson's `IntNode`, `LongNode` or
    /// `BigIntegerNode`, not a `DecimalNode`.
    pub(crate) integral: bool,
}

impl<'a> Node<'a> {
    /// Jackson's `JsonNodeType` of the node, as errors name it.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Node::Missing => "MISSING",
            Node::Null => "NULL",
            Node::Boolean(_) => "BOOLEAN",
            Node::Number(_) => "NUMBER",
            Node::String(_) => "STRING",
            Node::Array(_) => "ARRAY",
            Node::Object(_) => "OBJECT",
        }
    }

    /// The member `key` of an object (`JsonNode.get`: nothing for another node).
    pub(crate) fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A tree of serde's JSON (numbers as serde writes them).
    pub(crate) fn of_serde(json: &'a Json) -> Self {
        match json {
            Json::Null => Node::Null,
            Json::Bool(b) => Node::Boolean(*b),
            Json::Number(n) => Node::Number(Number {
                text: Cow::Owned(n.to_string()),
                integral: !n.is_f64(),
            }),
            Json::String(s) => Node::String(Cow::Borrowed(s)),
            Json::Array(items) => Node::Array(items.iter().map(Node::of_serde).collect()),
            Json::Object(entries) => Node::Object(
                entries
                    .iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::of_serde(v)))
                    .collect(),
            ),
        }
    }
}

/// Why bytes are not JSON, and where.
#[derive(Debug)]
pub(crate) struct ParseError {
    /// What is wrong.
    message: String,
    /// The offset of the byte where it was found.
    at: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.at)
    }
}

/// Reads the first JSON value of `input` (after a UTF-8 byte order mark and whitespace), or
/// [`Node::Missing`] when there is none.
pub(crate) fn parse(input: &[u8]) -> Result<Node<'_>, ParseError> {
    let mut parser = Parser { input, at: 0 };
    if input.starts_with(b"\xEF\xBB\xBF") {
        parser.at = 3;
    }
    parser.skip_whitespace();
    if parser.peek().is_none() {
        return Ok(Node::Missing);
    }
    parser.value(0)
}

/// Entries as a Java map that is put into in order holds them: a repeated key keeps the place of
/// its first entry and the value of its last.
pub(crate) fn last_wins<K: Eq + Hash, V>(entries: Vec<(K, V)>) -> Vec<(K, V)> {
    if !has_duplicates(entries.iter().map(|(k, _)| k)) {
        return entries;
    }
    let firsts: Vec<usize> = {
        let mut first = HashMap::with_capacity(entries.len());
        entries
            .iter()
            .enumerate()
            .map(|(i, (k, _))| *first.entry(k).or_insert(i))
            .collect()
    };
    let mut slot = vec![0; entries.len()];
    let mut kept: Vec<(K, V)> = Vec::with_capacity(entries.len());
    for (i, (key, value)) in entries.into_iter().enumerate() {
        match firsts.get(i).copied() {
            Some(first) if first != i => {
                if let Some(entry) = slot.get(first).and_then(|s| kept.get_mut(*s)) {
                    entry.1 = value;
                }
            }
            _ => {
                slot[i] = kept.len();
                kept.push((key, value));
            }
        }
    }
    kept
}

/// Whether some item comes twice: compared pairwise when there are few, hashed otherwise.
pub(crate) fn has_duplicates<T: Eq + Hash>(items: impl ExactSizeIterator<Item = T> + Clone) -> bool {
    /// Up to how many items a pairwise comparison is cheaper than a hash set.
    const FEW: usize = 16;
    let len = items.len();
    if len < 2 {
        return false;
    }
    if len <= FEW {
        return items
            .clone()
            .enumerate()
            .any(|(i, item)| items.clone().skip(i + 1).any(|other| other == item));
    }
    let mut seen = HashSet::with_capacity(len);
    !items.into_iter().all(|item| seen.insert(item))
}

/// A reader of JSON text.
struct Parser<'a> {
    input: &'a [u8],
    /// The offset of the next byte.
    at: usize,
}

impl<'a> Parser<'a> {
    /// The next byte.
    fn peek(&self) -> Option<u8> {
        self.input.get(self.at).copied()
    }

    /// An error at the next byte.
    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            at: self.at,
        }
    }

    /// The error for the next byte, which no value or separator can be.
    fn unexpected(&self, expecting: &str) -> ParseError {
        match self.peek() {
            None => self.error(format!("Unexpected end-of-input: expected {expecting}")),
            Some(byte) => self.error(format!(
                "Unexpected character ('{}' (code {byte})): expected {expecting}",
                char::from(byte).escape_default()
            )),
        }
    }

    /// Skips JSON's whitespace (Jackson takes no other).
    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Takes `byte` after whitespace, if it is next.
    fn take(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        let next = self.peek() == Some(byte);
        if next {
            self.at += 1;
        }
        next
    }

    /// A value at `depth` containers deep.
    fn value(&mut self, depth: usize) -> Result<Node<'a>, ParseError> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Node::String),
            Some(b't') => self.literal("true", Node::Boolean(true)),
            Some(b'f') => self.literal("false", Node::Boolean(false)),
            Some(b'n') => self.literal("null", Node::Null),
            Some(b'-' | b'0'..=b'9') => self.number(depth),
            _ => Err(self.unexpected("a JSON value")),
        }
    }

    /// `true`, `false` or `null`, not run on into a longer word.
    fn literal(&mut self, word: &str, node: Node<'a>) -> Result<Node<'a>, ParseError> {
        let rest = self.input.get(self.at..).unwrap_or_default();
        let ends = rest
            .get(word.len())
            .is_none_or(|next| !(next.is_ascii_alphanumeric() || matches!(next, b'_' | b'$') || *next >= 0x80));
        if !(rest.starts_with(word.as_bytes()) && ends) {
            return Err(self.error("Unrecognized token: expected 'true', 'false' or 'null'"));
        }
        self.at += word.len();
        Ok(node)
    }

    /// Fails past the deepest nesting allowed.
    fn enter(&self, depth: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!(
                "Document nesting depth ({depth}) exceeds the maximum allowed ({MAX_DEPTH}, from \
                 `StreamReadConstraints.getMaxNestingDepth()`)"
            )));
        }
        Ok(())
    }

    /// An array, at its `[`.
    fn array(&mut self, depth: usize) -> Result<Node<'a>, ParseError> {
        self.enter(depth)?;
        self.at += 1;
        let mut items = Vec::new();
        if self.take(b']') {
            return Ok(Node::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth)?);
            if self.take(b']') {
                return Ok(Node::Array(items));
            }
            if !self.take(b',') {
                return Err(self.unexpected("comma to separate array entries"));
            }
        }
    }

    /// An object, at its `{`.
    fn object(&mut self, depth: usize) -> Result<Node<'a>, ParseError> {
        self.enter(depth)?;
        self.at += 1;
        let mut entries = Vec::new();
        if self.take(b'}') {
            return Ok(Node::Object(entries));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("double-quote to start field name"));
            }
            let key = self.string()?;
            if !self.take(b':') {
                return Err(self.unexpected("a colon to separate field name and value"));
            }
            self.skip_whitespace();
            entries.push((key, self.value(depth)?));
            if self.take(b'}') {
                return Ok(Node::Object(last_wins(entries)));
            }
            if !self.take(b',') {
                return Err(self.unexpected("comma to separate object entries"));
            }
        }
    }

    /// Text of the input from `from` to the next byte, checked to be UTF-8.
    fn text(&self, from: usize) -> Result<&'a str, ParseError> {
        let bytes = self.input.get(from..self.at).unwrap_or_default();
        std::str::from_utf8(bytes).map_err(|e| ParseError {
            message: "Invalid UTF-8".to_owned(),
            at: from + e.valid_up_to(),
        })
    }

    /// A string, at its opening quote: borrowed when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        self.at += 1;
        let mut owned: Option<String> = None;
        loop {
            let run = self.at;
            while self.peek().is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20) {
                self.at += 1;
            }
            let text = self.text(run)?;
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(text),
                        Some(mut s) => {
                            s.push_str(text);
                            Cow::Owned(s)
                        }
                    });
                }
                Some(b'\\') => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(text);
                    self.at += 1;
                    self.escape(s)?;
                }
                Some(byte) => {
                    return Err(self.error(format!(
                        "Illegal unquoted character (code {byte}): has to be escaped using backslash to be \
                         included in string value"
                    )));
                }
                None => return Err(self.error("Unexpected end-of-input in a string")),
            }
        }
    }

    /// The character of an escape, after its backslash, appended to `out`. A `\u` escape of a
    /// surrogate that has no partner (which a Java string holds, but a Rust one cannot) is the
    /// replacement character.
    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let escaped = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.at += 1;
                let unit = self.hex_unit()?;
                let pair = (0xD800..0xDC00).contains(&unit) && self.input.get(self.at..self.at + 2) == Some(b"\\u");
                let low = if pair {
                    let back = self.at;
                    self.at += 2;
                    let low = self.hex_unit()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        self.at = back;
                    }
                    Some(low).filter(|low| (0xDC00..0xE000).contains(low))
                } else {
                    None
                };
                let decoded = match low {
                    Some(low) => char::decode_utf16([unit, low]).next(),
                    None => char::decode_utf16([unit]).next(),
                };
                out.push(decoded.and_then(Result::ok).unwrap_or(char::REPLACEMENT_CHARACTER));
                return Ok(());
            }
            _ => return Err(self.error("Unrecognized character escape")),
        };
        self.at += 1;
        out.push(escaped);
        Ok(())
    }

    /// The four hexadecimal digits of a `\u` escape.
    fn hex_unit(&mut self) -> Result<u16, ParseError> {
        let digits = self.input.get(self.at..self.at + 4).unwrap_or_default();
        let unit = std::str::from_utf8(digits)
            .ok()
            .filter(|d| d.len() == 4 && d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u16::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("Unexpected character in a \\u escape: expected a hex-digit"))?;
        self.at += 4;
        Ok(unit)
    }

    /// Skips digits; whether there was one.
    fn digits(&mut self) -> bool {
        let from = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.at > from
    }

    /// A number `depth` containers deep: an optional minus, digits (leading zeros allowed), an
    /// optional fraction and exponent. At the top it must end the input or be followed by
    /// whitespace, as Jackson checks a root-level number.
    fn number(&mut self, depth: usize) -> Result<Node<'a>, ParseError> {
        let from = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        if !self.digits() {
            return Err(self.unexpected("a digit"));
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            integral = false;
            if !self.digits() {
                return Err(self.unexpected("a digit after the decimal point"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            integral = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !self.digits() {
                return Err(self.unexpected("a digit in the exponent"));
            }
        }
        let text = self.text(from)?;
        // Jackson counts the digits: of the integer, the fraction and the exponent.
        let length = text.bytes().filter(u8::is_ascii_digit).count();
        if length > MAX_NUMBER_LENGTH {
            return Err(self.error(format!(
                "Number value length ({length}) exceeds the maximum allowed ({MAX_NUMBER_LENGTH}, from \
                 `StreamReadConstraints.getMaxNumberLength()`)"
            )));
        }
        if depth == 0 && !matches!(self.peek(), None | Some(b' ' | b'\t' | b'\n' | b'\r')) {
            return Err(self.unexpected("space separating root-level values"));
        }
        Ok(Node::Number(Number {
            text: Cow::Borrowed(text),
            integral,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str, integral: bool) -> Node<'_> {
        Node::Number(Number {
            text: Cow::Borrowed(text),
            integral,
        })
    }

    fn string(text: &str) -> Node<'_> {
        Node::String(Cow::Borrowed(text))
    }

    #[test]
    fn json_reads_as_jackson_reads_it() {
        let parsed = parse(br#" {"a": [1, -2.5e3, "x\n\u00e9\ud83d\ude00\ud800"], "b": null, "a": true} trailing"#);
        let object = parsed.unwrap();
        assert_eq!(
            object,
            Node::Object(vec![
                (Cow::Borrowed("a"), Node::Boolean(true)),
                (Cow::Borrowed("b"), Node::Null),
            ])
        );
        let Node::Array(items) = parse(br#"[007, 123456789012345678901234567890, "\ud83d\ude00\ud800"]"#).unwrap()
        else {
            panic!("an array");
        };
        assert_eq!(items[0], number("007", true));
        assert_eq!(items[1], number("123456789012345678901234567890", true));
        assert_eq!(items[2], string("\u{1F600}\u{FFFD}"));
        assert_eq!(parse(b"\xEF\xBB\xBF 5 6").unwrap(), number("5", true));
        assert_eq!(parse(b" \n ").unwrap(), Node::Missing);
        assert_eq!(parse(b"\"plain\"x").unwrap(), string("plain"));
    }

    #[test]
    fn what_jackson_refuses_is_an_error() {
        for bad in [
            &b"{not json"[..],
            b"[1,]",
            b"01x",
            b"1.",
            b"-",
            b".5",
            b"truex",
            b"[nul]",
            b"\"a\tb\"",
            b"\"\\x\"",
            b"\"\\u12\"",
            b"\"\xff\"",
            b"{\"a\" 1}",
            b"NaN",
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(deep.as_bytes()).is_ok());
        let deeper = format!("[{deep}]");
        assert!(
            parse(deeper.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("nesting depth (1001)")
        );
        assert!(parse("9".repeat(1001).as_bytes()).is_err());
    }

    #[test]
    fn repeated_keys_keep_their_first_place_and_last_value() {
        let entries = vec![("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5)];
        assert_eq!(last_wins(entries), vec![("a", 3), ("b", 5), ("c", 4)]);
        let many: Vec<(usize, usize)> = (0..40).chain([3, 39]).enumerate().map(|(i, k)| (k, i)).collect();
        let kept = last_wins(many);
        assert_eq!(kept.len(), 40);
        assert_eq!((kept[3], kept[39]), ((3, 40), (39, 41)));
        assert!(!has_duplicates([1, 2, 3].iter()));
    }
}
