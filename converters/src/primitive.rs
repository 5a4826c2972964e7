//! Kafka Connect's converters of one primitive type (`org.apache.kafka.connect.converters`:
//! `BooleanConverter` and the `NumberConverter`s `ShortConverter`, `IntegerConverter`,
//! `LongConverter`, `FloatConverter` and `DoubleConverter`), for keys, values and headers alike.
//!
//! They write a value of their type as Kafka's serializers do (one byte 0 or 1, or the
//! big-endian bytes of the number) and read those bytes back under the type's optional schema;
//! null is no bytes. A number converter ignores the schema it is given and wants a value of
//! exactly its type (an int64 is no integer); the boolean converter also refuses a schema of
//! another type.

use std::sync::Arc;

use weir_connector_api::java::names::{class_name, type_name};
use weir_connector_api::{
    ConfigDef, ConversionError, Converter, ConverterDescriptor, ConverterPlugin, HeaderConverter,
    HeaderConverterPlugin, Props, Schema, SchemaType, Value,
};

/// The package of the converters.
const PACKAGE: &str = "org.apache.kafka.connect.converters";

/// The descriptors of the six converters.
pub(crate) fn descriptors() -> Vec<ConverterDescriptor> {
    [
        Primitive::Boolean,
        Primitive::Short,
        Primitive::Integer,
        Primitive::Long,
        Primitive::Float,
        Primitive::Double,
    ]
    .into_iter()
    .map(|primitive| {
        let simple_name = primitive.simple_class_name();
        ConverterDescriptor {
            class: format!("{PACKAGE}.{simple_name}"),
            aliases: crate::aliases(simple_name, "Converter"),
            converter: Some(Arc::new(primitive)),
            header_converter: Some(Arc::new(primitive)),
        }
    })
    .collect()
}

/// The type a converter converts; the class and its instances alike (they have no state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Primitive {
    /// `BooleanConverter`.
    Boolean,
    /// `ShortConverter`: int16.
    Short,
    /// `IntegerConverter`: int32.
    Integer,
    /// `LongConverter`: int64.
    Long,
    /// `FloatConverter`: float32.
    Float,
    /// `DoubleConverter`: float64.
    Double,
}

impl Primitive {
    /// The class's simple name.
    fn simple_class_name(self) -> &'static str {
        match self {
            Primitive::Boolean => "BooleanConverter",
            Primitive::Short => "ShortConverter",
            Primitive::Integer => "IntegerConverter",
            Primitive::Long => "LongConverter",
            Primitive::Float => "FloatConverter",
            Primitive::Double => "DoubleConverter",
        }
    }

    /// The name of the type in Kafka Connect's errors.
    fn type_name(self) -> &'static str {
        match self {
            Primitive::Boolean => "boolean",
            Primitive::Short => "short",
            Primitive::Integer => "integer",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
        }
    }

    /// The optional schema every value is read with.
    fn schema(self) -> Schema {
        let kind = match self {
            Primitive::Boolean => SchemaType::Boolean,
            Primitive::Short => SchemaType::Int16,
            Primitive::Integer => SchemaType::Int32,
            Primitive::Long => SchemaType::Int64,
            Primitive::Float => SchemaType::Float32,
            Primitive::Double => SchemaType::Float64,
        };
        Schema::new(kind).optional()
    }

    /// The Java class Kafka Connect casts a value to.
    fn java_class(self) -> &'static str {
        match self {
            Primitive::Boolean => "java.lang.Boolean",
            Primitive::Short => "java.lang.Short",
            Primitive::Integer => "java.lang.Integer",
            Primitive::Long => "java.lang.Long",
            Primitive::Float => "java.lang.Float",
            Primitive::Double => "java.lang.Double",
        }
    }

    /// The bytes of a value, as `fromConnectData`; `None` for null.
    fn write(self, schema: Option<&Schema>, value: &Value) -> Result<Option<Vec<u8>>, ConversionError> {
        if let (Primitive::Boolean, Some(schema)) = (self, schema) {
            if schema.kind != SchemaType::Boolean {
                return Err(ConversionError::new(format!(
                    "Invalid schema type for BooleanConverter: {}",
                    type_name(schema.kind)
                )));
            }
        }
        let bytes = match (self, value) {
            (_, Value::Null) => return Ok(None),
            (Primitive::Boolean, Value::Boolean(b)) => vec![u8::from(*b)],
            (Primitive::Short, Value::Int16(v)) => v.to_be_bytes().to_vec(),
            (Primitive::Integer, Value::Int32(v)) => v.to_be_bytes().to_vec(),
            (Primitive::Long, Value::Int64(v)) => v.to_be_bytes().to_vec(),
            (Primitive::Float, Value::Float32(v)) => v.to_bits().to_be_bytes().to_vec(),
            (Primitive::Double, Value::Float64(v)) => v.to_bits().to_be_bytes().to_vec(),
            (Primitive::Boolean, other) => {
                return Err(ConversionError::new(format!(
                    "BooleanConverter is not compatible with objects of type class {}",
                    class_name(other)
                )));
            }
            (_, other) => {
                let class = class_name(other);
                return Err(ConversionError::new(format!(
                    "Failed to serialize to {} (was class {class}): class {class} cannot be cast to class {}",
                    self.type_name(),
                    self.java_class()
                )));
            }
        };
        Ok(Some(bytes))
    }

    /// A value read from bytes, as `toConnectData`: under the type's optional schema, null for
    /// no bytes.
    fn read(self, data: Option<&[u8]>) -> Result<(Option<Schema>, Value), ConversionError> {
        let Some(data) = data else {
            return Ok((Some(self.schema()), Value::Null));
        };
        let failure =
            |cause: String| ConversionError::new(format!("Failed to deserialize {}: {cause}", self.type_name()));
        let value = match self {
            Primitive::Boolean => match data {
                [0] => Value::Boolean(false),
                [1] => Value::Boolean(true),
                [other] => {
                    return Err(failure(format!(
                        "Unexpected byte received by BooleanDeserializer: {other}"
                    )));
                }
                _ => {
                    return Err(failure(
                        "Size of data received by BooleanDeserializer is not 1".to_owned(),
                    ));
                }
            },
            Primitive::Short => Value::Int16(i16::from_be_bytes(sized(data, "ShortDeserializer").map_err(failure)?)),
            Primitive::Integer => {
                Value::Int32(i32::from_be_bytes(sized(data, "IntegerDeserializer").map_err(failure)?))
            }
            Primitive::Long => Value::Int64(i64::from_be_bytes(sized(data, "LongDeserializer").map_err(failure)?)),
            Primitive::Float => Value::Float32(f32::from_be_bytes(sized(data, "Deserializer").map_err(failure)?)),
            Primitive::Double => Value::Float64(f64::from_be_bytes(sized(data, "Deserializer").map_err(failure)?)),
        };
        Ok((Some(self.schema()), value))
    }
}

/// The bytes of a fixed-size number, or the error Kafka's deserializer (named as it names
/// itself) gives for another size.
fn sized<const N: usize>(data: &[u8], deserializer: &str) -> Result<[u8; N], String> {
    data.try_into()
        .map_err(|_| format!("Size of data received by {deserializer} is not {N}"))
}

impl ConverterPlugin for Primitive {
    fn config_def(&self) -> ConfigDef {
        crate::config::converter_config()
    }

    fn create(&self, _props: &Props, _is_key: bool) -> Result<Arc<dyn Converter>, ConversionError> {
        Ok(Arc::new(*self))
    }
}

impl HeaderConverterPlugin for Primitive {
    fn config_def(&self) -> ConfigDef {
        crate::config::converter_config()
    }

    fn create(&self, _props: &Props) -> Result<Arc<dyn HeaderConverter>, ConversionError> {
        Ok(Arc::new(*self))
    }
}

impl Converter for Primitive {
    fn encode(&self, _topic: &str, schema: Option<&Schema>, value: &Value) -> Result<Option<Vec<u8>>, ConversionError> {
        self.write(schema, value)
    }

    fn decode(&self, _topic: &str, data: Option<&[u8]>) -> Result<(Option<Schema>, Value), ConversionError> {
        self.read(data)
    }
}

impl HeaderConverter for Primitive {
    fn encode_header(
        &self,
        _topic: &str,
        _key: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConversionError> {
        self.write(schema, value)
    }

    fn decode_header(
        &self,
        _topic: &str,
        _key: &str,
        data: Option<&[u8]>,
    ) -> Result<(Option<Schema>, Value), ConversionError> {
        self.read(data)
    }
}
