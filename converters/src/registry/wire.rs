//! Confluent's wire format: magic byte 0, the schema's id as a 4-byte big-endian integer, then
//! the payload in the schema's format.

use weir_connector_api::ConversionError;

/// The first byte of every framed payload.
const MAGIC_BYTE: u8 = 0;

/// The length of the frame before the payload.
pub(crate) const HEADER_LEN: usize = 5;

/// The frame's header for schema `id`, with room for a payload of about `capacity` bytes.
pub(crate) fn header(id: u32, capacity: usize) -> Vec<u8> {
    let mut framed = Vec::with_capacity(HEADER_LEN + capacity);
    framed.push(MAGIC_BYTE);
    framed.extend_from_slice(&id.to_be_bytes());
    framed
}

/// The schema id and payload of a framed message.
pub(crate) fn split(data: &[u8]) -> Result<(u32, &[u8]), ConversionError> {
    match data {
        [MAGIC_BYTE, a, b, c, d, payload @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), payload)),
        [] | [MAGIC_BYTE, ..] => Err(ConversionError::new(format!(
            "Message of {} bytes is too short for the schema registry's wire format (magic byte and 4-byte schema id)",
            data.len()
        ))),
        [other, ..] => Err(ConversionError::new(format!(
            "Unknown magic byte {other}: the message is not in the schema registry's wire format"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_reads_back() {
        let mut framed = header(0x0102_0304, 2);
        framed.extend_from_slice(b"hi");
        assert_eq!(framed[..5], [0, 1, 2, 3, 4]);
        assert_eq!(split(&framed).unwrap(), (0x0102_0304, &b"hi"[..]));
    }

    #[test]
    fn foreign_or_short_data_is_refused() {
        assert!(
            split(b"{\"a\":1}")
                .unwrap_err()
                .message
                .starts_with("Unknown magic byte 123")
        );
        assert!(split(&[0, 0, 1]).unwrap_err().message.contains("too short"));
        assert!(split(&[]).unwrap_err().message.contains("too short"));
    }
}
