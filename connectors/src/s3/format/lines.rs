//! JSON lines and raw bytes, optionally gzipped: records one after another, streamed.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use std::sync::Arc;

use weir_connector_api::{ConnectError, Schema, SinkRecord, Value};

use super::Decoded;

/// The most uncompressed bytes gzip keeps back before writing them out.
const GZIP_HELD_BACK: usize = 64 * 1024;

/// Where encoded bytes go: plain, or through gzip.
enum Output {
    Plain(Vec<u8>),
    Gzip(Box<GzEncoder<Vec<u8>>>),
}

impl Output {
    fn new(gzip: bool) -> Output {
        if gzip {
            Output::Gzip(Box::new(GzEncoder::new(Vec::new(), Compression::default())))
        } else {
            Output::Plain(Vec::new())
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), ConnectError> {
        match self {
            Output::Plain(out) => out.extend_from_slice(bytes),
            Output::Gzip(out) => out
                .write_all(bytes)
                .map_err(|e| ConnectError::io("compressing a record", e))?,
        }
        Ok(())
    }

    /// The encoded bytes not yet taken.
    fn ready(&mut self) -> &mut Vec<u8> {
        match self {
            Output::Plain(out) => out,
            Output::Gzip(out) => out.get_mut(),
        }
    }
}

/// What a record becomes in a line-oriented object.
enum Encoding {
    /// The value as schemaless JSON, then a newline.
    Json,
    /// The value's bytes, then the separator.
    Bytes(Vec<u8>),
}

/// Encodes records into a JSON lines or bytes object.
pub struct LineEncoder {
    encoding: Encoding,
    output: Output,
    /// Uncompressed bytes written since the last part was taken (what gzip may still hold).
    pending: usize,
}

impl LineEncoder {
    /// JSON lines.
    pub fn json(gzip: bool) -> LineEncoder {
        LineEncoder {
            encoding: Encoding::Json,
            output: Output::new(gzip),
            pending: 0,
        }
    }

    /// Raw bytes, each record followed by `separator`.
    pub fn bytes(separator: Vec<u8>, gzip: bool) -> LineEncoder {
        LineEncoder {
            encoding: Encoding::Bytes(separator),
            output: Output::new(gzip),
            pending: 0,
        }
    }

    /// Adds a record.
    pub fn append(&mut self, record: &SinkRecord) -> Result<(), ConnectError> {
        match &self.encoding {
            Encoding::Json => {
                let mut line = serde_json::to_vec(&record.value.to_json())
                    .map_err(|e| ConnectError::Data(format!("encoding a record as JSON: {e}")))?;
                line.push(b'\n');
                self.pending += line.len();
                self.output.write(&line)
            }
            Encoding::Bytes(separator) => {
                let bytes: &[u8] = match &record.value {
                    Value::Bytes(b) => b,
                    Value::String(s) => s.as_bytes(),
                    other => {
                        return Err(ConnectError::Data(format!(
                            "the bytes format writes byte or string values, not {other:?} ({}-{}@{}); use value.converter=org.apache.kafka.connect.converters.ByteArrayConverter",
                            record.topic, record.partition, record.offset
                        )));
                    }
                };
                let separator = separator.clone();
                self.pending += bytes.len() + separator.len();
                self.output.write(bytes)?;
                self.output.write(&separator)
            }
        }
    }

    /// The bytes held in memory: what is encoded, and what gzip may still hold back (its
    /// window, at most).
    pub fn buffered(&self) -> usize {
        match &self.output {
            Output::Plain(out) => out.len(),
            Output::Gzip(out) => out.get_ref().len() + self.pending.min(GZIP_HELD_BACK),
        }
    }

    /// Takes the encoded bytes if there are at least `min`.
    pub fn take_part(&mut self, min: usize) -> Option<Vec<u8>> {
        let ready = self.output.ready();
        if ready.len() < min {
            return None;
        }
        self.pending = 0;
        Some(std::mem::take(ready))
    }

    /// Ends the object; answers the bytes not yet taken.
    pub fn finish(self) -> Result<Vec<u8>, ConnectError> {
        match self.output {
            Output::Plain(out) => Ok(out),
            Output::Gzip(out) => out.finish().map_err(|e| ConnectError::io("ending a gzip stream", e)),
        }
    }
}

/// Undoes gzip when the object is compressed.
fn plain(data: &[u8], gzip: bool) -> Result<std::borrow::Cow<'_, [u8]>, ConnectError> {
    if !gzip {
        return Ok(data.into());
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(data)
        .read_to_end(&mut out)
        .map_err(|e| ConnectError::Data(format!("the object is not valid gzip: {e}")))?;
    Ok(out.into())
}

/// The records of a JSON lines object, as schemaless values.
pub fn decode_json(data: &[u8], gzip: bool) -> Result<Vec<Decoded>, ConnectError> {
    let data = plain(data, gzip)?;
    data.split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_slice(line)
                .map(|json| (None, Value::from_json(&json)))
                .map_err(|e| ConnectError::Data(format!("line {} is not JSON: {e}", n + 1)))
        })
        .collect()
}

/// The records of a bytes object: what lies between separators.
pub fn decode_bytes(data: &[u8], separator: &[u8], gzip: bool) -> Result<Vec<Decoded>, ConnectError> {
    let data = plain(data, gzip)?;
    let schema = Some(Arc::new(Schema::new(weir_connector_api::SchemaType::Bytes).optional()));
    if separator.is_empty() {
        return Ok(vec![(schema, Value::Bytes(data.into_owned()))]);
    }
    let mut records = Vec::new();
    let mut rest: &[u8] = &data;
    while !rest.is_empty() {
        let end = rest
            .windows(separator.len())
            .position(|w| w == separator)
            .unwrap_or(rest.len());
        records.push((schema.clone(), Value::Bytes(rest[..end].to_vec())));
        rest = rest.get(end + separator.len()..).unwrap_or_default();
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: Value) -> SinkRecord {
        SinkRecord {
            topic: "t".into(),
            partition: 0,
            offset: 0,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value,
            timestamp: None,
            headers: Vec::new(),
        }
    }

    fn encode(mut encoder: LineEncoder, values: &[Value]) -> Vec<u8> {
        let mut out = Vec::new();
        for v in values {
            encoder.append(&record(v.clone())).expect("append");
            if let Some(part) = encoder.take_part(8) {
                out.extend(part);
            }
        }
        out.extend(encoder.finish().expect("finish"));
        out
    }

    #[test]
    fn json_lines_round_trip_plain_and_gzipped() {
        let values = vec![
            Value::Map(vec![(Value::String("id".into()), Value::Int64(1))]),
            Value::String("two".into()),
            Value::Int64(3),
        ];
        for gzip in [false, true] {
            let bytes = encode(LineEncoder::json(gzip), &values);
            let decoded: Vec<Value> = decode_json(&bytes, gzip)
                .expect("decode")
                .into_iter()
                .map(|(_, v)| v)
                .collect();
            assert_eq!(decoded, values);
        }
        assert_eq!(
            encode(LineEncoder::json(false), &values[..2]),
            b"{\"id\":1}\n\"two\"\n".to_vec()
        );
    }

    #[test]
    fn bytes_round_trip_with_a_separator() {
        let values = vec![
            Value::Bytes(b"a,b".to_vec()),
            Value::Bytes(Vec::new()),
            Value::Bytes(b"c".to_vec()),
        ];
        let bytes = encode(LineEncoder::bytes(b"||".to_vec(), true), &values);
        let decoded: Vec<Value> = decode_bytes(&bytes, b"||", true)
            .expect("decode")
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(decoded, values);
    }

    #[test]
    fn bytes_refuse_structured_values() {
        let mut encoder = LineEncoder::bytes(b"\n".to_vec(), false);
        let error = encoder.append(&record(Value::Int32(1))).expect_err("refused");
        assert!(error.to_string().contains("ByteArrayConverter"), "{error}");
    }
}
