//! Confluent's `AvroConverter` (`io.confluent.connect.avro.AvroConverter`): Connect data as
//! Avro in the schema registry's wire format, its schemas registered (or looked up) under the
//! subject the naming strategy gives, as Confluent's `AvroData` maps them.

mod data;
mod schema;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::writer::datum::GenericDatumWriter;
use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConversionError, Converter, ConverterPlugin, Importance, Props, Schema, Value,
};

use crate::config::{ConverterType, boolean};
use crate::registry::{RegisteredSchema, RegistryClient, RegistryConfig, SchemaKind, SchemaReference, lock, wire};

/// The class name users write.
pub(crate) const CLASS: &str = "io.confluent.connect.avro.AvroConverter";

const CONNECT_META_DATA: &str = "connect.meta.data";
const ENHANCED_SCHEMA_SUPPORT: &str = "enhanced.avro.schema.support";

/// The converter class.
pub(crate) struct AvroConverterClass;

impl ConverterPlugin for AvroConverterClass {
    fn config_def(&self) -> ConfigDef {
        crate::registry::config_def()
            .define_key(
                ConfigKey::new(
                    CONNECT_META_DATA,
                    ConfigType::Boolean,
                    Importance::Low,
                    "Toggle for enabling/disabling connect converter to add its meta data to the output schema or not",
                )
                .default_value("true"),
            )
            .define_key(
                ConfigKey::new(
                    ENHANCED_SCHEMA_SUPPORT,
                    ConfigType::Boolean,
                    Importance::Low,
                    "Enable enhanced schema support to preserve package information and Enums. \
                     Not supported by Weir yet: true is refused.",
                )
                .default_value("false"),
            )
    }

    fn create(&self, props: &Props, is_key: bool) -> Result<Arc<dyn Converter>, ConversionError> {
        Ok(Arc::new(AvroConverter::new(props, is_key)?))
    }
}

/// What the converter knows of a Connect schema it has written: its Avro form and id.
struct WriterSchema {
    topic: String,
    connect: Schema,
    avro: apache_avro::Schema,
    id: u32,
}

/// What the converter knows of a schema id it has read: the Avro schema (with the schemas it
/// refers to) and its Connect form.
struct ReaderSchema {
    avro: apache_avro::Schema,
    referenced: Vec<apache_avro::Schema>,
    connect: Schema,
}

/// How deep references may nest (a registry answering in a cycle cannot loop the converter).
const MAX_REFERENCE_DEPTH: usize = 32;

/// An `AvroConverter` of keys or values.
pub struct AvroConverter {
    is_key: bool,
    config: RegistryConfig,
    registry: RegistryClient,
    connect_meta_data: bool,
    /// The schemas written, most recent last (a handful in a steady stream).
    writers: Mutex<Vec<Arc<WriterSchema>>>,
    readers: Mutex<HashMap<u32, Arc<ReaderSchema>>>,
}

impl AvroConverter {
    /// A converter of keys (`is_key`) or values, configured with `props`.
    pub fn new(props: &Props, is_key: bool) -> Result<Self, ConversionError> {
        accept_any_namespace();
        let props = ConverterType::of_record(is_key).set_in(props);
        if boolean(&props, ENHANCED_SCHEMA_SUPPORT, false)? {
            return Err(ConversionError::new(format!(
                "{ENHANCED_SCHEMA_SUPPORT}=true is not supported by Weir yet"
            )));
        }
        let config = RegistryConfig::from_props(&props, is_key)?;
        Ok(AvroConverter {
            is_key,
            registry: RegistryClient::new(&config),
            connect_meta_data: boolean(&props, CONNECT_META_DATA, true)?,
            config,
            writers: Mutex::new(Vec::new()),
            readers: Mutex::new(HashMap::new()),
        })
    }

    /// The Avro schema and id of a Connect schema bound for `topic`: cached, else made and
    /// registered (or looked up).
    fn writer(&self, topic: &str, schema: &Schema) -> Result<Arc<WriterSchema>, ConversionError> {
        if let Some(known) = lock(&self.writers)
            .iter()
            .rev()
            .find(|w| w.topic == topic && w.connect == *schema)
        {
            return Ok(known.clone());
        }
        let json = schema::to_avro(schema, self.connect_meta_data)?;
        let text = json.to_string();
        let avro = apache_avro::Schema::parse_str(&text)
            .map_err(|e| ConversionError::new(format!("Connect schema has no valid Avro form: {e}")))?;
        let record = schema::record_name(schema);
        let subject = self.config.strategy.subject(topic, self.is_key, record.as_deref())?;
        let registered = Arc::new(RegisteredSchema {
            kind: SchemaKind::Avro,
            text,
            references: Vec::new(),
        });
        let id = self.registry.id_of(&subject, &registered, self.config.auto_register)?;
        let writer = Arc::new(WriterSchema {
            topic: topic.to_owned(),
            connect: schema.clone(),
            avro,
            id,
        });
        let mut writers = lock(&self.writers);
        if writers.len() >= self.config.max_schemas {
            writers.clear();
        }
        writers.push(writer.clone());
        Ok(writer)
    }

    /// The schemas of a schema id: cached, else fetched from the registry.
    fn reader(&self, id: u32) -> Result<Arc<ReaderSchema>, ConversionError> {
        if let Some(known) = lock(&self.readers).get(&id) {
            return Ok(known.clone());
        }
        let registered = self.registry.schema_by_id(id)?;
        let mut referenced = Vec::new();
        self.referenced(&registered.references, &mut referenced, 0)?;
        let texts: Vec<&str> = referenced.iter().map(|s| s.text.as_str()).collect();
        let (avro, referenced_avro) = apache_avro::Schema::parse_str_with_list(&registered.text, &texts)
            .map_err(|e| ConversionError::new(format!("schema {id} is not valid Avro: {e}")))?;
        let json = |text: &str| {
            serde_json::from_str::<serde_json::Value>(text)
                .map_err(|e| ConversionError::new(format!("schema {id} is not valid JSON: {e}")))
        };
        let referenced_json = texts.iter().map(|t| json(t)).collect::<Result<Vec<_>, _>>()?;
        let connect = schema::to_connect(&json(&registered.text)?, &referenced_json)?;
        let reader = Arc::new(ReaderSchema {
            avro,
            referenced: referenced_avro,
            connect,
        });
        let mut readers = lock(&self.readers);
        if readers.len() >= self.config.max_schemas {
            readers.clear();
        }
        readers.insert(id, reader.clone());
        Ok(reader)
    }
}

impl AvroConverter {
    /// The schemas `references` name and those they name in turn, each after what it refers
    /// to, once each.
    fn referenced(
        &self,
        references: &[SchemaReference],
        into: &mut Vec<Arc<RegisteredSchema>>,
        depth: usize,
    ) -> Result<(), ConversionError> {
        if depth > MAX_REFERENCE_DEPTH && !references.is_empty() {
            return Err(ConversionError::new("schema references nest too deep (a cycle?)"));
        }
        for reference in references {
            let schema = self.registry.schema_by_version(&reference.subject, reference.version)?;
            if into.iter().any(|known| **known == *schema) {
                continue;
            }
            self.referenced(&schema.references, into, depth + 1)?;
            into.push(schema);
        }
        Ok(())
    }
}

impl Converter for AvroConverter {
    fn encode(&self, topic: &str, schema: Option<&Schema>, value: &Value) -> Result<Option<Vec<u8>>, ConversionError> {
        if value.is_null() {
            return Ok(None);
        }
        let schema = schema.ok_or_else(|| {
            ConversionError::new(format!(
                "Failed to serialize Avro data from topic {topic}: AvroConverter needs a schema for a non-null value"
            ))
        })?;
        let failed = |e: ConversionError| ConversionError {
            message: format!("Failed to serialize Avro data from topic {topic}: {}", e.message),
            ..e
        };
        let writer = self.writer(topic, schema).map_err(failed)?;
        if let (true, Value::Bytes(bytes)) = (raw_bytes(&writer.avro), value) {
            let mut framed = wire::header(writer.id, bytes.len());
            framed.extend_from_slice(bytes);
            return Ok(Some(framed));
        }
        let value = data::to_avro(schema, value).map_err(failed)?;
        let datum_writer = GenericDatumWriter::builder(&writer.avro)
            .build()
            .map_err(|e| failed(ConversionError::new(e.to_string())))?;
        let mut framed = wire::header(writer.id, 64);
        datum_writer
            .write_value(&mut framed, value)
            .map_err(|e| failed(ConversionError::new(e.to_string())))?;
        Ok(Some(framed))
    }

    fn decode(&self, topic: &str, data: Option<&[u8]>) -> Result<(Option<Schema>, Value), ConversionError> {
        let Some(data) = data else {
            return Ok((None, Value::Null));
        };
        let failed = |e: ConversionError| ConversionError {
            message: format!("Failed to deserialize data for topic {topic} to Avro: {}", e.message),
            ..e
        };
        let (id, mut payload) = wire::split(data).map_err(failed)?;
        let reader = self.reader(id).map_err(failed)?;
        if raw_bytes(&reader.avro) {
            return Ok((Some(reader.connect.clone()), Value::Bytes(payload.to_vec())));
        }
        let datum_reader = GenericDatumReader::builder(&reader.avro)
            // Those referred to first: names resolve in order.
            .writer_schemata(reader.referenced.iter().chain([&reader.avro]).collect())
            .map_err(|e| failed(ConversionError::new(e.to_string())))?
            .build()
            .map_err(|e| failed(ConversionError::new(e.to_string())))?;
        let avro = datum_reader
            .read_value(&mut payload)
            .map_err(|e| failed(ConversionError::new(e.to_string())))?;
        let value = data::to_connect(&reader.connect, avro).map_err(failed)?;
        Ok((Some(reader.connect.clone()), value))
    }
}

/// Lets Avro's parser take any namespace, as Avro's Java library does (it checks names, not
/// namespaces): a Debezium topic prefix such as `my-app` is one. Process-wide, and set before
/// any schema is parsed, as the parser requires.
fn accept_any_namespace() {
    struct AnyNamespace;
    impl apache_avro::validator::SchemaNamespaceValidator for AnyNamespace {
        fn validate(&self, _namespace: &str) -> apache_avro::AvroResult<()> {
            Ok(())
        }
    }
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| {
        // Already set (by another user of the library in this process): that one stays.
        let _ = apache_avro::validator::set_schema_namespace_validator(Box::new(AnyNamespace));
    });
}

/// Whether a top-level schema's payload is its bytes as they are, without Avro's length prefix
/// (as Confluent's serializers write a `bytes` value).
fn raw_bytes(schema: &apache_avro::Schema) -> bool {
    matches!(schema, apache_avro::Schema::Bytes | apache_avro::Schema::Decimal(_))
}
