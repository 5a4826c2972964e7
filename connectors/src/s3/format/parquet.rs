//! Parquet objects: one column per field of the records' struct schema.
//!
//! Primitive and logical fields (Date, Time, Timestamp, Decimal) map to their Parquet types;
//! nested fields (struct, array, map) are written as JSON text in a `JSON` column. Records need
//! a schema: use a converter that carries one (JsonConverter with `schemas.enable=true`).

use std::sync::Arc;

use parquet::basic::{Compression, GzipLevel, LogicalType, Repetition, TimeUnit, Type as Physical, ZstdLevel};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DataType, DoubleType, FloatType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::record::Field as ParquetField;
use parquet::schema::types::{ColumnDescriptor, Type};
use weir_connector_api::{ConnectError, Field, Schema, SchemaType, SinkRecord, Value};

use super::Decoded;

/// The compression inside a Parquet object (`parquet.codec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParquetCodec {
    /// Uncompressed.
    None,
    /// Snappy, Confluent's default.
    Snappy,
    /// Gzip.
    Gzip,
    /// Zstandard.
    Zstd,
}

impl ParquetCodec {
    /// The codec a `parquet.codec` value names.
    pub fn parse(name: &str) -> ParquetCodec {
        match name.to_ascii_lowercase().as_str() {
            "none" => ParquetCodec::None,
            "gzip" => ParquetCodec::Gzip,
            "zstd" => ParquetCodec::Zstd,
            _ => ParquetCodec::Snappy,
        }
    }

    /// The extension Confluent gives such objects.
    pub fn extension(self) -> &'static str {
        match self {
            ParquetCodec::None => ".parquet",
            ParquetCodec::Snappy => ".snappy.parquet",
            ParquetCodec::Gzip => ".gz.parquet",
            ParquetCodec::Zstd => ".zstd.parquet",
        }
    }

    fn compression(self) -> Compression {
        match self {
            ParquetCodec::None => Compression::UNCOMPRESSED,
            ParquetCodec::Snappy => Compression::SNAPPY,
            ParquetCodec::Gzip => Compression::GZIP(GzipLevel::default()),
            ParquetCodec::Zstd => Compression::ZSTD(ZstdLevel::default()),
        }
    }
}

const DATE: &str = "org.apache.kafka.connect.data.Date";
const TIME: &str = "org.apache.kafka.connect.data.Time";
const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";

/// Buffers the records of one object; encodes them when it is complete.
pub struct ParquetEncoder {
    codec: ParquetCodec,
    schema: Option<Schema>,
    rows: Vec<Vec<Value>>,
    buffered: usize,
}

impl ParquetEncoder {
    /// An empty object.
    pub fn new(codec: ParquetCodec) -> ParquetEncoder {
        ParquetEncoder {
            codec,
            schema: None,
            rows: Vec::new(),
            buffered: 0,
        }
    }

    /// Adds a record; its value must be a struct of the object's schema.
    pub fn append(&mut self, record: &SinkRecord) -> Result<(), ConnectError> {
        let at = || format!("{}-{}@{}", record.topic, record.partition, record.offset);
        let (Some(schema), Value::Struct(fields)) = (record.value_schema.as_deref(), &record.value) else {
            return Err(ConnectError::Data(format!(
                "Parquet needs struct values with a schema ({}); use a converter that carries one, e.g. JsonConverter with value.converter.schemas.enable=true",
                at()
            )));
        };
        match &self.schema {
            None => self.schema = Some(schema.clone()),
            Some(first) if first.fields == schema.fields => {}
            Some(_) => {
                return Err(ConnectError::Data(format!(
                    "the schema of {} differs from the first record's in the same Parquet object",
                    at()
                )));
            }
        }
        let row: Vec<Value> = schema
            .fields
            .iter()
            .map(|field| {
                let value = fields
                    .iter()
                    .find(|(name, _)| *name == field.name)
                    .map_or(&Value::Null, |(_, v)| v);
                if fits(&field.schema, value) {
                    Ok(value.clone())
                } else {
                    Err(ConnectError::Data(format!(
                        "field {} of {} does not fit its {} column ({value:?})",
                        field.name,
                        at(),
                        if field.schema.optional { "optional" } else { "required" }
                    )))
                }
            })
            .collect::<Result<_, _>>()?;
        self.buffered += row.iter().map(approximate_size).sum::<usize>();
        self.rows.push(row);
        Ok(())
    }

    /// The bytes held in memory, approximately.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// Encodes the object.
    pub fn finish(self) -> Result<Vec<u8>, ConnectError> {
        let schema = self.schema.unwrap_or_else(|| Schema::struct_of(Vec::new()));
        encode(&schema, &self.rows, self.codec).map_err(|e| ConnectError::Data(format!("writing Parquet: {e}")))
    }
}

/// Whether a value can be written in the column of a field's schema: null only when optional,
/// else a value of the schema's type (nested types are written as JSON, whatever they hold).
fn fits(schema: &Schema, value: &Value) -> bool {
    if value.is_null() {
        return schema.optional;
    }
    matches!(
        (schema.kind, value),
        (SchemaType::Boolean, Value::Boolean(_))
            | (SchemaType::Int8, Value::Int8(_))
            | (SchemaType::Int16, Value::Int16(_))
            | (SchemaType::Int32, Value::Int32(_))
            | (SchemaType::Int64, Value::Int64(_))
            | (SchemaType::Float32, Value::Float32(_))
            | (SchemaType::Float64, Value::Float64(_))
            | (SchemaType::String, Value::String(_))
            | (SchemaType::Bytes, Value::Bytes(_))
            | (SchemaType::Array, Value::Array(_))
            | (SchemaType::Map, Value::Map(_))
            | (SchemaType::Struct, Value::Struct(_))
    )
}

/// About how many bytes a value takes.
fn approximate_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 8,
        Value::Bytes(b) => b.len() + 8,
        Value::Array(items) => items.iter().map(approximate_size).sum::<usize>() + 8,
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| approximate_size(k) + approximate_size(v))
            .sum::<usize>(),
        Value::Struct(fields) => fields.iter().map(|(_, v)| approximate_size(v)).sum::<usize>() + 8,
        _ => 8,
    }
}

/// The Parquet column of a Connect field.
fn column_type(field: &Field) -> parquet::errors::Result<Type> {
    let schema = &field.schema;
    let (physical, logical) = match (schema.kind, schema.name.as_deref()) {
        (SchemaType::Int32, Some(DATE)) => (Physical::INT32, Some(LogicalType::Date)),
        (SchemaType::Int32, Some(TIME)) => (Physical::INT32, Some(LogicalType::time(true, TimeUnit::MILLIS))),
        (SchemaType::Int64, Some(TIMESTAMP)) => (Physical::INT64, Some(LogicalType::timestamp(true, TimeUnit::MILLIS))),
        (SchemaType::Bytes, Some(DECIMAL)) => {
            let scale = parameter(schema, "scale").unwrap_or(0);
            let precision = parameter(schema, "connect.decimal.precision").unwrap_or(38);
            let column = Type::primitive_type_builder(&field.name, Physical::BYTE_ARRAY)
                .with_repetition(repetition(schema))
                .with_logical_type(Some(LogicalType::decimal(scale, precision)))
                .with_precision(precision)
                .with_scale(scale)
                .build();
            return column;
        }
        (SchemaType::Int8, _) => (Physical::INT32, Some(LogicalType::integer(8, true))),
        (SchemaType::Int16, _) => (Physical::INT32, Some(LogicalType::integer(16, true))),
        (SchemaType::Int32, _) => (Physical::INT32, None),
        (SchemaType::Int64, _) => (Physical::INT64, None),
        (SchemaType::Float32, _) => (Physical::FLOAT, None),
        (SchemaType::Float64, _) => (Physical::DOUBLE, None),
        (SchemaType::Boolean, _) => (Physical::BOOLEAN, None),
        (SchemaType::String, _) => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
        (SchemaType::Bytes, _) => (Physical::BYTE_ARRAY, None),
        (SchemaType::Array | SchemaType::Map | SchemaType::Struct, _) => {
            (Physical::BYTE_ARRAY, Some(LogicalType::Json))
        }
    };
    Type::primitive_type_builder(&field.name, physical)
        .with_repetition(repetition(schema))
        .with_logical_type(logical)
        .build()
}

fn repetition(schema: &Schema) -> Repetition {
    if schema.optional {
        Repetition::OPTIONAL
    } else {
        Repetition::REQUIRED
    }
}

fn parameter(schema: &Schema, name: &str) -> Option<i32> {
    schema.parameter(name).and_then(|v| v.parse().ok())
}

/// Encodes rows of `schema`'s fields as one row group.
fn encode(schema: &Schema, rows: &[Vec<Value>], codec: ParquetCodec) -> parquet::errors::Result<Vec<u8>> {
    let columns = schema
        .fields
        .iter()
        .map(|f| column_type(f).map(Arc::new))
        .collect::<parquet::errors::Result<Vec<_>>>()?;
    let root = Type::group_type_builder(schema.name.as_deref().unwrap_or("record"))
        .with_fields(columns)
        .build()?;
    let properties = WriterProperties::builder().set_compression(codec.compression()).build();
    let mut writer = SerializedFileWriter::new(Vec::new(), Arc::new(root), Arc::new(properties))?;
    let mut group = writer.next_row_group()?;
    let mut index = 0;
    while let Some(mut column) = group.next_column()? {
        let field = &schema.fields[index];
        let values = rows.iter().map(|row| row.get(index).unwrap_or(&Value::Null));
        write_column(&mut column, field, values)?;
        column.close()?;
        index += 1;
    }
    group.close()?;
    writer.into_inner()
}

/// Writes one column: the present values, and a definition level per row.
fn write_column<'a>(
    column: &mut SerializedColumnWriter<'_>,
    field: &Field,
    values: impl Iterator<Item = &'a Value>,
) -> parquet::errors::Result<()> {
    fn put<T: DataType>(
        column: &mut SerializedColumnWriter<'_>,
        field: &Field,
        values: impl Iterator<Item = Option<T::T>>,
    ) -> parquet::errors::Result<()> {
        let mut present = Vec::new();
        let mut levels = Vec::new();
        for value in values {
            levels.push(i16::from(value.is_some()));
            present.extend(value);
        }
        if !field.schema.optional && present.len() != levels.len() {
            return Err(parquet::errors::ParquetError::General(format!(
                "field {} is required but a record has no value for it",
                field.name
            )));
        }
        let levels = field.schema.optional.then_some(levels.as_slice());
        column.typed::<T>().write_batch(&present, levels, None)?;
        Ok(())
    }
    match field.schema.kind {
        SchemaType::Boolean => put::<BoolType>(
            column,
            field,
            values.map(|v| match v {
                Value::Boolean(b) => Some(*b),
                _ => None,
            }),
        ),
        SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 => put::<Int32Type>(
            column,
            field,
            values.map(|v| match v {
                Value::Int8(i) => Some(i32::from(*i)),
                Value::Int16(i) => Some(i32::from(*i)),
                Value::Int32(i) => Some(*i),
                _ => None,
            }),
        ),
        SchemaType::Int64 => put::<Int64Type>(
            column,
            field,
            values.map(|v| match v {
                Value::Int64(i) => Some(*i),
                _ => None,
            }),
        ),
        SchemaType::Float32 => put::<FloatType>(
            column,
            field,
            values.map(|v| match v {
                Value::Float32(f) => Some(*f),
                _ => None,
            }),
        ),
        SchemaType::Float64 => put::<DoubleType>(
            column,
            field,
            values.map(|v| match v {
                Value::Float64(f) => Some(*f),
                _ => None,
            }),
        ),
        SchemaType::String | SchemaType::Bytes => put::<ByteArrayType>(
            column,
            field,
            values.map(|v| match v {
                Value::String(s) => Some(ByteArray::from(s.as_bytes().to_vec())),
                Value::Bytes(b) => Some(ByteArray::from(b.clone())),
                _ => None,
            }),
        ),
        _ => put::<ByteArrayType>(
            column,
            field,
            values.map(|v| (!v.is_null()).then(|| ByteArray::from(v.to_json().to_string().into_bytes()))),
        ),
    }
}

/// The rows of a Parquet object, as struct values with a schema read from the file's columns.
pub fn decode(data: &[u8]) -> Result<Vec<Decoded>, ConnectError> {
    let invalid =
        |e: parquet::errors::ParquetError| ConnectError::Data(format!("the object is not valid Parquet: {e}"));
    let reader = SerializedFileReader::new(bytes::Bytes::copy_from_slice(data)).map_err(invalid)?;
    let columns = reader.metadata().file_metadata().schema_descr().columns().to_vec();
    let schema = Arc::new(Schema::struct_of(
        columns
            .iter()
            .map(|c| Field::new(c.name(), connect_schema(c)))
            .collect(),
    ));
    let mut records = Vec::new();
    for row in reader.get_row_iter(None).map_err(invalid)? {
        let row = row.map_err(invalid)?;
        let values = row
            .get_column_iter()
            .map(|(name, field)| (name.clone(), from_parquet(field)))
            .collect();
        records.push((Some(schema.clone()), Value::Struct(values)));
    }
    Ok(records)
}

/// The Connect schema of a Parquet column.
fn connect_schema(column: &ColumnDescriptor) -> Schema {
    let schema = match (column.physical_type(), column.logical_type_ref()) {
        (Physical::INT32, Some(LogicalType::Date)) => Schema::new(SchemaType::Int32).named(DATE),
        (Physical::INT32, Some(LogicalType::Time { .. })) => Schema::new(SchemaType::Int32).named(TIME),
        (Physical::INT64, Some(LogicalType::Timestamp { .. })) => Schema::new(SchemaType::Int64).named(TIMESTAMP),
        (_, Some(LogicalType::Decimal(decimal))) => Schema::new(SchemaType::Bytes)
            .named(DECIMAL)
            .with_parameter("scale", decimal.scale.to_string()),
        (Physical::INT32, Some(LogicalType::Integer(int))) if int.bit_width == 8 => Schema::new(SchemaType::Int8),
        (Physical::INT32, Some(LogicalType::Integer(int))) if int.bit_width == 16 => Schema::new(SchemaType::Int16),
        (Physical::INT32, _) => Schema::new(SchemaType::Int32),
        (Physical::INT64, _) => Schema::new(SchemaType::Int64),
        (Physical::FLOAT, _) => Schema::new(SchemaType::Float32),
        (Physical::DOUBLE, _) => Schema::new(SchemaType::Float64),
        (Physical::BOOLEAN, _) => Schema::new(SchemaType::Boolean),
        (Physical::BYTE_ARRAY, Some(LogicalType::String | LogicalType::Json)) => Schema::string(),
        _ => Schema::new(SchemaType::Bytes),
    };
    if column.self_type().is_optional() {
        schema.optional()
    } else {
        schema
    }
}

/// A Parquet value as a Connect value.
fn from_parquet(field: &ParquetField) -> Value {
    match field {
        ParquetField::Null => Value::Null,
        ParquetField::Bool(b) => Value::Boolean(*b),
        ParquetField::Byte(i) => Value::Int8(*i),
        ParquetField::Short(i) => Value::Int16(*i),
        ParquetField::Int(i) | ParquetField::Date(i) | ParquetField::TimeMillis(i) => Value::Int32(*i),
        ParquetField::Long(i) | ParquetField::TimestampMillis(i) => Value::Int64(*i),
        ParquetField::Float(f) => Value::Float32(*f),
        ParquetField::Double(f) => Value::Float64(*f),
        ParquetField::Str(s) => Value::String(s.clone()),
        ParquetField::Bytes(b) => Value::Bytes(b.data().to_vec()),
        ParquetField::Decimal(d) => Value::Bytes(d.data().to_vec()),
        other => Value::String(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(schema: &Schema, value: Value) -> SinkRecord {
        SinkRecord {
            topic: "t".into(),
            partition: 0,
            offset: 0,
            key_schema: None,
            key: Value::Null,
            value_schema: Some(Arc::new(schema.clone())),
            value,
            timestamp: None,
            headers: Vec::new(),
        }
    }

    #[test]
    fn struct_records_round_trip() {
        let schema = Schema::struct_of(vec![
            Field::new("id", Schema::new(SchemaType::Int64)),
            Field::new("name", Schema::string().optional()),
            Field::new("at", Schema::new(SchemaType::Int64).named(TIMESTAMP)),
            Field::new("ok", Schema::new(SchemaType::Boolean)),
        ]);
        let rows = vec![
            Value::Struct(vec![
                ("id".into(), Value::Int64(1)),
                ("name".into(), Value::String("ada".into())),
                ("at".into(), Value::Int64(1_700_000_000_000)),
                ("ok".into(), Value::Boolean(true)),
            ]),
            Value::Struct(vec![
                ("id".into(), Value::Int64(2)),
                ("name".into(), Value::Null),
                ("at".into(), Value::Int64(1_700_000_000_001)),
                ("ok".into(), Value::Boolean(false)),
            ]),
        ];
        for codec in [
            ParquetCodec::None,
            ParquetCodec::Snappy,
            ParquetCodec::Gzip,
            ParquetCodec::Zstd,
        ] {
            let mut encoder = ParquetEncoder::new(codec);
            for row in &rows {
                encoder.append(&record(&schema, row.clone())).expect("append");
            }
            let bytes = encoder.finish().expect("encode");
            let decoded: Vec<Value> = decode(&bytes).expect("decode").into_iter().map(|(_, v)| v).collect();
            assert_eq!(decoded, rows, "{codec:?}");
        }
    }

    #[test]
    fn a_null_in_a_required_field_is_refused_at_its_record() {
        let schema = Schema::struct_of(vec![Field::new("id", Schema::new(SchemaType::Int64))]);
        let mut encoder = ParquetEncoder::new(ParquetCodec::None);
        let error = encoder
            .append(&record(&schema, Value::Struct(vec![("id".into(), Value::Null)])))
            .expect_err("refused");
        assert!(error.to_string().contains("field id of t-0@0"), "{error}");
    }

    #[test]
    fn schemaless_records_are_refused_clearly() {
        let mut encoder = ParquetEncoder::new(ParquetCodec::Snappy);
        let mut plain = record(&Schema::string(), Value::String("x".into()));
        plain.value_schema = None;
        let error = encoder.append(&plain).expect_err("refused");
        assert!(error.to_string().contains("schemas.enable=true"), "{error}");
    }
}
