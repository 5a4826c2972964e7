//! The primitives of Kafka's protocol types (`org.apache.kafka.common.protocol.types.Type`) that
//! Kafka Connect's group formats are built of: big-endian integers, `STRING` (an int16 length and
//! UTF-8), `NULLABLE_BYTES` (an int32 length, -1 for null) and `ARRAY` (an int32 count, negative
//! for null where nullable), read and written with the checks Kafka makes.

use super::protocol::ProtocolError;

/// Reads Kafka protocol primitives from a byte slice, front to back. Every read names the field
/// it reads, for the error when the input is malformed.
pub(super) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    /// Whether bytes are left: fields that Kafka reads "tolerating missing fields with defaults"
    /// take their default when none are.
    pub(super) fn has_remaining(&self) -> bool {
        !self.rest.is_empty()
    }

    fn take(&mut self, field: &'static str, needed: usize) -> Result<&'a [u8], ProtocolError> {
        if needed > self.rest.len() {
            return Err(ProtocolError::Truncated {
                field,
                needed,
                remaining: self.rest.len(),
            });
        }
        let (taken, rest) = self.rest.split_at(needed);
        self.rest = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], ProtocolError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(field, N)?);
        Ok(out)
    }

    /// An `INT16`.
    pub(super) fn i16(&mut self, field: &'static str) -> Result<i16, ProtocolError> {
        self.array(field).map(i16::from_be_bytes)
    }

    /// An `INT32`.
    pub(super) fn i32(&mut self, field: &'static str) -> Result<i32, ProtocolError> {
        self.array(field).map(i32::from_be_bytes)
    }

    /// An `INT64`.
    pub(super) fn i64(&mut self, field: &'static str) -> Result<i64, ProtocolError> {
        self.array(field).map(i64::from_be_bytes)
    }

    /// A length that must not exceed what is left (Kafka refuses a larger one before reading).
    fn length(&mut self, field: &'static str, length: i32) -> Result<usize, ProtocolError> {
        let length = usize::try_from(length).map_err(|_| ProtocolError::NegativeLength { field, length })?;
        if length > self.rest.len() {
            return Err(ProtocolError::LengthExceedsInput {
                field,
                length,
                remaining: self.rest.len(),
            });
        }
        Ok(length)
    }

    /// A `STRING`: an int16 length (not negative) and that many bytes of UTF-8.
    pub(super) fn string(&mut self, field: &'static str) -> Result<String, ProtocolError> {
        let length = self.i16(field)?;
        let length = self.length(field, i32::from(length))?;
        let bytes = self.take(field, length)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| ProtocolError::InvalidUtf8 { field })
    }

    /// `NULLABLE_BYTES`: an int32 length, negative for null.
    pub(super) fn nullable_bytes(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, ProtocolError> {
        let length = self.i32(field)?;
        if length < 0 {
            return Ok(None);
        }
        let length = self.length(field, length)?;
        self.take(field, length).map(Some)
    }

    /// The count of an `ARRAY`. Like Kafka, a count larger than the bytes left is refused (every
    /// element takes one at least), before anything is allocated for it.
    pub(super) fn array_count(&mut self, field: &'static str) -> Result<usize, ProtocolError> {
        let count = self.i32(field)?;
        self.length(field, count)
    }

    /// The count of a nullable `ARRAY`: `None` for a negative count (null).
    pub(super) fn nullable_array_count(&mut self, field: &'static str) -> Result<Option<usize>, ProtocolError> {
        let count = self.i32(field)?;
        if count < 0 {
            return Ok(None);
        }
        self.length(field, count).map(Some)
    }
}

/// Writes Kafka protocol primitives, refusing what the format cannot hold.
#[derive(Default)]
pub(super) struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// The bytes written.
    pub(super) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// An `INT16`.
    pub(super) fn i16(&mut self, value: i16) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    /// An `INT32`.
    pub(super) fn i32(&mut self, value: i32) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    /// An `INT64`.
    pub(super) fn i64(&mut self, value: i64) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    /// A `STRING`; at most `i16::MAX` bytes of UTF-8.
    pub(super) fn string(&mut self, field: &'static str, value: &str) -> Result<(), ProtocolError> {
        let length = i16::try_from(value.len()).map_err(|_| too_long(field, value.len(), i16::MAX as usize))?;
        self.i16(length);
        self.bytes.extend_from_slice(value.as_bytes());
        Ok(())
    }

    /// `NULLABLE_BYTES`.
    pub(super) fn nullable_bytes(&mut self, field: &'static str, value: Option<&[u8]>) -> Result<(), ProtocolError> {
        match value {
            None => self.i32(-1),
            Some(bytes) => {
                self.i32(int32_length(field, bytes.len())?);
                self.bytes.extend_from_slice(bytes);
            }
        }
        Ok(())
    }

    /// The count of an `ARRAY` of `count` elements.
    pub(super) fn array_count(&mut self, field: &'static str, count: usize) -> Result<(), ProtocolError> {
        self.i32(int32_length(field, count)?);
        Ok(())
    }
}

fn int32_length(field: &'static str, length: usize) -> Result<i32, ProtocolError> {
    i32::try_from(length).map_err(|_| too_long(field, length, i32::MAX as usize))
}

fn too_long(field: &'static str, length: usize, max: usize) -> ProtocolError {
    ProtocolError::TooLong { field, length, max }
}
