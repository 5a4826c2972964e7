//! JSON text read into a tree as Jackson's `ObjectMapper.readTree` reads it with its defaults,
//! which EventRouter's payload expansion depends on: an integer is an int when it fits 32 bits, a
//! long when it fits 64 and a big integer beyond; any other number is a double; a key seen twice
//! keeps its first place and its last value; what follows the first value is ignored; nesting
//! stops at Jackson's 1000 levels and numbers at its 1000 characters.

/// Jackson's limit on nested arrays and objects (`StreamReadConstraints`).
const MAX_DEPTH: usize = 1000;

/// Jackson's limit on the characters of a number (`StreamReadConstraints`).
const MAX_NUMBER_LENGTH: usize = 1000;

/// A JSON value, as Jackson's node types tell them apart.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum JsonNode {
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean(bool),
    /// An integer that fits 32 bits (`IntNode`).
    Int(i32),
    /// An integer that fits 64 bits but not 32 (`LongNode`).
    Long(i64),
    /// An integer beyond 64 bits (`BigIntegerNode`).
    BigInteger,
    /// A number with a fraction or an exponent (`DoubleNode`).
    Double(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<JsonNode>),
    /// An object's members, in the order their keys first appeared.
    Object(Vec<(String, JsonNode)>),
}

/// The node kinds Jackson's `JsonNodeType` names, by which arrays are checked to be homogeneous.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NodeType {
    /// `null`.
    Null,
    /// A boolean.
    Boolean,
    /// Any number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonNode {
    /// The node's `JsonNodeType`.
    pub(super) fn node_type(&self) -> NodeType {
        match self {
            JsonNode::Null => NodeType::Null,
            JsonNode::Boolean(_) => NodeType::Boolean,
            JsonNode::Int(_) | JsonNode::Long(_) | JsonNode::BigInteger | JsonNode::Double(_) => NodeType::Number,
            JsonNode::String(_) => NodeType::String,
            JsonNode::Array(_) => NodeType::Array,
            JsonNode::Object(_) => NodeType::Object,
        }
    }
}

/// The first JSON value of `text`.
pub(super) fn read_tree(text: &str) -> Result<JsonNode, String> {
    let mut parser = Parser { text, pos: 0, depth: 0 };
    parser.skip_whitespace();
    parser.value()
}

/// A recursive-descent reader over the text.
struct Parser<'a> {
    /// The text read.
    text: &'a str,
    /// The byte offset of the next character to read, always at a character boundary.
    pos: usize,
    /// How many arrays and objects enclose the next value.
    depth: usize,
}

impl Parser<'_> {
    /// The next byte, if any.
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// The text not read yet.
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    /// Skips JSON's whitespace.
    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// An error at the current position.
    fn error(&self, what: &str) -> String {
        format!("{what} at character {}", self.pos)
    }

    /// Reads a value.
    fn value(&mut self) -> Result<JsonNode, String> {
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(JsonNode::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", JsonNode::Boolean(true)),
            Some(b'f') => self.literal("false", JsonNode::Boolean(false)),
            Some(b'n') => self.literal("null", JsonNode::Null),
            Some(_) => Err(self.error("Unexpected character")),
            None => Err(self.error("Unexpected end of input")),
        }
    }

    /// Reads an array or object one level deeper, within Jackson's nesting limit.
    fn nested(&mut self, read: fn(&mut Self) -> Result<JsonNode, String>) -> Result<JsonNode, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!(
                "Document nesting depth exceeds the maximum allowed ({MAX_DEPTH})"
            )));
        }
        let node = read(self);
        self.depth -= 1;
        node
    }

    /// Reads `true`, `false` or `null`, which must end there.
    fn literal(&mut self, word: &str, node: JsonNode) -> Result<JsonNode, String> {
        if !self.rest().starts_with(word) {
            return Err(self.error("Unrecognized token"));
        }
        self.pos += word.len();
        if self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
            return Err(self.error("Unrecognized token"));
        }
        Ok(node)
    }

    /// Consumes `expected` after optional whitespace.
    fn expect(&mut self, expected: u8) -> Result<(), String> {
        self.skip_whitespace();
        if self.peek() == Some(expected) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("Expected '{}'", expected as char)))
        }
    }

    /// After an element: whether another follows (a comma) or the container ends at `close`.
    fn another(&mut self, close: u8) -> Result<bool, String> {
        self.skip_whitespace();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.skip_whitespace();
                Ok(true)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.error(&format!("Expected ',' or '{}'", close as char))),
        }
    }

    /// Reads an array, from its `[`.
    fn array(&mut self) -> Result<JsonNode, String> {
        self.pos += 1;
        self.skip_whitespace();
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(JsonNode::Array(items));
        }
        loop {
            items.push(self.value()?);
            if !self.another(b']')? {
                return Ok(JsonNode::Array(items));
            }
        }
    }

    /// Reads an object, from its `{`.
    fn object(&mut self) -> Result<JsonNode, String> {
        self.pos += 1;
        self.skip_whitespace();
        let mut members: Vec<(String, JsonNode)> = Vec::new();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(JsonNode::Object(members));
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.error("Expected a field name"));
            }
            let key = self.string()?;
            self.expect(b':')?;
            self.skip_whitespace();
            let value = self.value()?;
            match members.iter_mut().find(|(k, _)| *k == key) {
                Some(member) => member.1 = value,
                None => members.push((key, value)),
            }
            if !self.another(b'}')? {
                return Ok(JsonNode::Object(members));
            }
        }
    }

    /// Reads a string, from its opening quote.
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The run stops at an ASCII byte, so both ends are character boundaries.
            out.push_str(self.text.get(start..self.pos).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.error("Illegal unquoted character in a string")),
                None => return Err(self.error("Unexpected end of input in a string")),
            }
        }
    }

    /// Reads an escape sequence, after its backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), String> {
        let c = self
            .peek()
            .ok_or_else(|| self.error("Unexpected end of input in a string"))?;
        self.pos += 1;
        match c {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let unit = self.hex4()?;
                out.push(self.code_point(unit)?);
            }
            _ => return Err(self.error("Unrecognized character escape")),
        }
        Ok(())
    }

    /// The character of a `\u` escape, joining a surrogate pair; a lone surrogate, which a Java
    /// string can hold but a Rust one cannot, becomes U+FFFD.
    fn code_point(&mut self, unit: u16) -> Result<char, String> {
        if (0xD800..0xDC00).contains(&unit) && self.rest().starts_with("\\u") {
            let save = self.pos;
            self.pos += 2;
            let low = self.hex4()?;
            if (0xDC00..0xE000).contains(&low) {
                let code = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                return Ok(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            self.pos = save;
        }
        Ok(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    /// Reads the four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Result<u16, String> {
        let digits = self
            .rest()
            .get(..4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
        let unit = digits
            .and_then(|d| u16::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("Illegal character in a \\u escape"))?;
        self.pos += 4;
        Ok(unit)
    }

    /// Reads decimal digits; how many.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Reads a number, typed as Jackson types it.
    fn number(&mut self) -> Result<JsonNode, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let leading_zero = self.peek() == Some(b'0');
        match self.digits() {
            0 => return Err(self.error("Expected a digit")),
            n if leading_zero && n > 1 => return Err(self.error("Leading zeroes not allowed")),
            _ => {}
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integral = false;
            if self.digits() == 0 {
                return Err(self.error("Decimal point not followed by a digit"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integral = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("Exponent indicator not followed by a digit"));
            }
        }
        let text = self.text.get(start..self.pos).unwrap_or_default();
        if text.len() > MAX_NUMBER_LENGTH {
            return Err(self.error(&format!("Number length exceeds the maximum ({MAX_NUMBER_LENGTH})")));
        }
        if !integral {
            return text
                .parse::<f64>()
                .map(JsonNode::Double)
                .map_err(|e| self.error(&e.to_string()));
        }
        Ok(match text.parse::<i64>() {
            Ok(n) => i32::try_from(n).map_or(JsonNode::Long(n), JsonNode::Int),
            Err(_) => JsonNode::BigInteger,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_typed_as_jackson_types_them() {
        let node = read_tree(r#"[1, -7, 3000000000, 123456789012345678901234567890, 1.5, 1e3, -0]"#).unwrap();
        assert_eq!(
            node,
            JsonNode::Array(vec![
                JsonNode::Int(1),
                JsonNode::Int(-7),
                JsonNode::Long(3_000_000_000),
                JsonNode::BigInteger,
                JsonNode::Double(1.5),
                JsonNode::Double(1000.0),
                JsonNode::Int(0),
            ])
        );
    }

    #[test]
    fn duplicate_keys_keep_their_place_and_trailing_text_is_ignored() {
        let node = read_tree(r#"{"a": 1, "b": "x\u00e9\ud83d\ude00", "a": null} trailing"#).unwrap();
        assert_eq!(
            node,
            JsonNode::Object(vec![
                ("a".into(), JsonNode::Null),
                ("b".into(), JsonNode::String("xé😀".into()))
            ])
        );
    }

    #[test]
    fn malformed_json_is_refused() {
        for text in [
            "{\"a\":",
            "[1,]",
            "{\"a\" 1}",
            "[01]",
            "[1.]",
            "[tru]",
            "[\"a\nb\"]",
            "{'a':1}",
        ] {
            assert!(read_tree(text).is_err(), "{text}");
        }
        assert!(read_tree(&"[".repeat(1001)).is_err());
    }
}
