//! Kafka Connect's Decimal as the converters need it: the scale its schema gives, and its unscaled
//! bytes as Java writes them.

use weir_connector_api::data::logical::SCALE;
use weir_connector_api::java::number::parse_long;
use weir_connector_api::{ConversionError, Schema};

/// The scale of a Decimal schema, as Kafka Connect's `Decimal.scale` reads it (an `int` as
/// `Integer.parseInt` reads it).
pub(crate) fn scale(schema: &Schema) -> Result<i32, ConversionError> {
    let scale = schema
        .parameter(SCALE)
        .ok_or_else(|| ConversionError::new("Invalid Decimal schema: scale parameter not found."))?;
    parse_long(scale)
        .and_then(|scale| i32::try_from(scale).ok())
        .ok_or_else(|| ConversionError::new("Invalid scale parameter found in Decimal schema: "))
}

/// How many leading bytes of a Decimal's unscaled value (big-endian two's complement) only
/// repeat the sign of the next: Java's `BigInteger.toByteArray()` writes none.
pub(crate) fn redundant_sign_bytes(unscaled: &[u8]) -> usize {
    unscaled
        .windows(2)
        .take_while(|pair| {
            matches!(pair, [0x00, next] if next & 0x80 == 0) || matches!(pair, [0xff, next] if next & 0x80 != 0)
        })
        .count()
}

#[cfg(test)]
mod tests {
    use weir_connector_api::SchemaType;
    use weir_connector_api::data::logical::{DECIMAL, decimal_schema};

    use super::*;

    #[test]
    fn scales_and_unscaled_bytes_are_javas() {
        assert_eq!(scale(&decimal_schema(-3)).unwrap(), -3);
        let unscaled = Schema::new(SchemaType::Bytes).named(DECIMAL);
        assert!(scale(&unscaled).is_err());
        assert!(scale(&unscaled.with_parameter(SCALE, "2.5")).is_err());
        assert_eq!(redundant_sign_bytes(&[0x00, 0x00, 0x04, 0xd2]), 2);
        assert_eq!(redundant_sign_bytes(&[0xff, 0xff, 0x80]), 2);
        assert_eq!(redundant_sign_bytes(&[0x00, 0x80]), 0);
        assert_eq!(redundant_sign_bytes(&[0x00]), 0);
    }
}
