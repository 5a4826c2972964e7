//! Binary values: `bytea` text read, bit strings as Debezium's `Bits`, and bytes written in each
//! `binary.handling.mode`.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use weir_connector_api::Value;

use super::BinaryMode;

/// A `bytea` text (`\x00ff`, `bytea_output=hex`) as bytes.
pub fn parse_bytea(text: &str) -> Option<Vec<u8>> {
    let hex = text.strip_prefix("\\x")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

impl BinaryMode {
    /// Bytes as this mode writes them.
    pub fn value(self, bytes: Vec<u8>) -> Value {
        match self {
            BinaryMode::Bytes => Value::Bytes(bytes),
            BinaryMode::Base64 => Value::String(STANDARD.encode(bytes)),
            BinaryMode::Base64UrlSafe => Value::String(URL_SAFE.encode(bytes)),
            BinaryMode::Hex => Value::String(bytes.iter().map(|b| format!("{b:02x}")).collect()),
        }
    }
}

/// A bit string (`1010`) as Debezium's `Bits` bytes: the number it spells, little-endian and
/// as short as it can be (Java's `BitSet.toByteArray`); all zeros give no bytes.
pub fn bits(text: &str) -> Option<Vec<u8>> {
    let mut bytes = vec![0u8; text.len().div_ceil(8)];
    for (i, c) in text.bytes().rev().enumerate() {
        match c {
            b'1' => bytes[i / 8] |= 1 << (i % 8),
            b'0' => {}
            _ => return None,
        }
    }
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_strings_as_debezium_encodes_them() {
        assert_eq!(bits("1010"), Some(vec![0x0a]));
        assert_eq!(bits("1000000001"), Some(vec![0x01, 0x02]));
        assert_eq!(bits("0000000000000001"), Some(vec![0x01]));
        assert_eq!(bits("0000"), Some(vec![]));
        assert_eq!(bits(""), Some(vec![]));
        assert_eq!(bits("10x"), None);
    }

    #[test]
    fn binary_modes() {
        let bytes = parse_bytea("\\xdeadbeef00").unwrap();
        assert_eq!(BinaryMode::Base64.value(bytes.clone()), Value::from("3q2+7wA="));
        assert_eq!(BinaryMode::Base64UrlSafe.value(bytes.clone()), Value::from("3q2-7wA="));
        assert_eq!(BinaryMode::Hex.value(bytes), Value::from("deadbeef00"));
        assert_eq!(parse_bytea("\\x"), Some(vec![]));
    }
}
