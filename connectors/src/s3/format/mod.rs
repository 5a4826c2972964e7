//! Object formats: how records become the bytes of an object, and back.
//!
//! JSON lines and raw bytes stream (optionally gzipped) so a large object goes up in parts;
//! Parquet is columnar and is encoded when its object is complete.

mod lines;
mod parquet;

use std::sync::Arc;

use weir_connector_api::config::ParsedConfig;
use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, ConnectError, Importance, Schema, SinkRecord, Value};

use self::lines::LineEncoder;
use self::parquet::{ParquetCodec, ParquetEncoder};

/// A record read back from an object: its value, and its schema where the format keeps one
/// (shared by the object's records).
pub type Decoded = (Option<Arc<Schema>>, Value);
/// Class names accepted for JSON lines.
const JSON_CLASSES: &[&str] = &["json", "io.confluent.connect.s3.format.json.JsonFormat"];
/// Class names accepted for raw bytes.
const BYTES_CLASSES: &[&str] = &["bytes", "io.confluent.connect.s3.format.bytearray.ByteArrayFormat"];
/// Class names accepted for Parquet.
const PARQUET_CLASSES: &[&str] = &["parquet", "io.confluent.connect.s3.format.parquet.ParquetFormat"];

/// The keys choosing the format.
pub fn definition() -> ConfigDef {
    let group = "Format";
    let classes: Vec<&str> = [JSON_CLASSES, BYTES_CLASSES, PARQUET_CLASSES].concat();
    ConfigDef::new()
        .define(
            group,
            ConfigKey::new(
                "format.class",
                ConfigType::Class,
                Importance::High,
                "The object format: JSON lines, raw bytes or Parquet (Confluent's class names or json, bytes, parquet).",
            )
            .validator(weir_connector_api::Validator::one_of(&classes)),
        )
        .define(
            group,
            ConfigKey::new(
                "s3.compression.type",
                ConfigType::String,
                Importance::Low,
                "Compression of JSON and bytes objects: none or gzip (adds .gz).",
            )
            .default_value("none")
            .validator(weir_connector_api::Validator::one_of(&["none", "gzip"])),
        )
        .define(
            group,
            ConfigKey::new(
                "format.bytearray.separator",
                ConfigType::String,
                Importance::Low,
                "What follows each record in a bytes object, with escapes \\n, \\r, \\t and \\\\ (values are trimmed, so write a newline as \\n).",
            )
            .default_value("\\n"),
        )
        .define(
            group,
            ConfigKey::new(
                "format.bytearray.extension",
                ConfigType::String,
                Importance::Low,
                "The extension of bytes objects.",
            )
            .default_value(".bin"),
        )
        .define(
            group,
            ConfigKey::new(
                "parquet.codec",
                ConfigType::String,
                Importance::Low,
                "Compression inside Parquet objects: none, snappy, gzip or zstd.",
            )
            .default_value("snappy")
            .validator(weir_connector_api::Validator::one_of(&["none", "snappy", "gzip", "zstd"])),
        )
}

/// The shape of the records in an object.
#[derive(Clone, Debug, PartialEq)]
enum Layout {
    /// One JSON document per line.
    Json,
    /// Each value's bytes, then the separator.
    Bytes { separator: Vec<u8>, extension: String },
    /// A Parquet file of the values' struct fields.
    Parquet(ParquetCodec),
}

/// An object format, as configured.
#[derive(Clone, Debug, PartialEq)]
pub struct Format {
    layout: Layout,
    gzip: bool,
}

impl Format {
    /// The format a config names.
    pub fn from_config(config: &ParsedConfig) -> Format {
        let class = config.string("format.class").unwrap_or_default();
        let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(class));
        let layout = if is(PARQUET_CLASSES) {
            Layout::Parquet(ParquetCodec::parse(config.string("parquet.codec").unwrap_or_default()))
        } else if is(BYTES_CLASSES) {
            Layout::Bytes {
                separator: unescape(config.string("format.bytearray.separator").unwrap_or_default()),
                extension: config
                    .string("format.bytearray.extension")
                    .unwrap_or_default()
                    .to_owned(),
            }
        } else {
            Layout::Json
        };
        let gzip = config
            .string("s3.compression.type")
            .is_some_and(|c| c.eq_ignore_ascii_case("gzip"))
            && !matches!(layout, Layout::Parquet(_));
        Format { layout, gzip }
    }

    /// The object's extension, with its dot (`.json`, `.json.gz`, `.snappy.parquet`).
    pub fn extension(&self) -> String {
        let base = match &self.layout {
            Layout::Json => ".json".to_owned(),
            Layout::Bytes { extension, .. } => extension.clone(),
            Layout::Parquet(codec) => codec.extension().to_owned(),
        };
        if self.gzip { format!("{base}.gz") } else { base }
    }

    /// A new, empty object.
    pub fn encoder(&self) -> Encoder {
        match &self.layout {
            Layout::Json => Encoder::Lines(LineEncoder::json(self.gzip)),
            Layout::Bytes { separator, .. } => Encoder::Lines(LineEncoder::bytes(separator.clone(), self.gzip)),
            Layout::Parquet(codec) => Encoder::Parquet(ParquetEncoder::new(*codec)),
        }
    }

    /// The records of an object, as values and their schema where the format keeps one.
    pub fn decode(&self, data: &[u8]) -> Result<Vec<Decoded>, ConnectError> {
        match &self.layout {
            Layout::Json => lines::decode_json(data, self.gzip),
            Layout::Bytes { separator, .. } => lines::decode_bytes(data, separator, self.gzip),
            Layout::Parquet(_) => parquet::decode(data),
        }
    }
}

/// A separator written with escapes (`\n`, `\r`, `\t`, `\\`); empty means a newline, since
/// config values are trimmed.
fn unescape(text: &str) -> Vec<u8> {
    if text.is_empty() {
        return b"\n".to_vec();
    }
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(next @ ('n' | 'r' | 't' | '\\'))) => {
                chars.next();
                out.push(match next {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    _ => '\\',
                });
            }
            _ => out.push(c),
        }
    }
    out.into_bytes()
}

/// An object being written.
pub enum Encoder {
    /// JSON lines or bytes: streamed.
    Lines(LineEncoder),
    /// Parquet: encoded when complete.
    Parquet(ParquetEncoder),
}

impl Encoder {
    /// Adds a record.
    pub fn append(&mut self, record: &SinkRecord) -> Result<(), ConnectError> {
        match self {
            Encoder::Lines(e) => e.append(record),
            Encoder::Parquet(e) => e.append(record),
        }
    }

    /// The bytes held in memory.
    pub fn buffered(&self) -> usize {
        match self {
            Encoder::Lines(e) => e.buffered(),
            Encoder::Parquet(e) => e.buffered(),
        }
    }

    /// Takes the bytes encoded so far, if they are at least `min` and the format streams: the
    /// next part of a multipart upload.
    pub fn take_part(&mut self, min: usize) -> Option<Vec<u8>> {
        match self {
            Encoder::Lines(e) => e.take_part(min),
            Encoder::Parquet(_) => None,
        }
    }

    /// Ends the object; answers its remaining bytes.
    pub fn finish(self) -> Result<Vec<u8>, ConnectError> {
        match self {
            Encoder::Lines(e) => e.finish(),
            Encoder::Parquet(e) => e.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_unescape() {
        assert_eq!(unescape(""), b"\n");
        assert_eq!(unescape("\\n"), b"\n");
        assert_eq!(unescape("\\r\\n|\\t\\\\x\\q"), b"\r\n|\t\\x\\q");
    }
}
