//! `InsertHeader`: adds a header to every record (after those it has, even of the same key),
//! whose value is a literal read as Kafka Connect's `Values.parseString` reads it, so that `42`
//! is an int8 and `[1,2]` an array.

use std::sync::Arc;

use weir_connector_api::values::parse_string;
use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectHeader, ConnectRecord, Importance, Props, Schema,
    Transformation, TransformationPlugin, Value,
};

/// The header's key.
const HEADER: &str = "header";
/// The header's value, as text.
const VALUE_LITERAL: &str = "value.literal";

/// The transform class.
pub(crate) struct InsertHeader;

impl TransformationPlugin for InsertHeader {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define_key(ConfigKey::new(
                HEADER,
                ConfigType::String,
                Importance::High,
                "The name of the header.",
            ))
            .define_key(ConfigKey::new(
                VALUE_LITERAL,
                ConfigType::String,
                Importance::High,
                "The literal value that is to be set as the header value on all records.",
            ))
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        let literal = config.string(VALUE_LITERAL).unwrap_or_default();
        let (schema, value) = parse_string(literal)
            .map_err(|e| ConnectError::Config(format!("Invalid value for configuration {VALUE_LITERAL}: {e}")))?;
        Ok(Box::new(Inserter {
            key: config.string(HEADER).unwrap_or_default().to_owned(),
            schema: schema.map(Arc::new),
            value,
        }))
    }
}

/// A configured `InsertHeader`: the header it adds.
struct Inserter {
    /// The header's key.
    key: String,
    /// The schema inferred from the literal (none for `null`).
    schema: Option<Arc<Schema>>,
    /// The literal's value.
    value: Value,
}

impl Transformation for Inserter {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        record.headers.push(ConnectHeader::new(
            self.key.clone(),
            self.schema.clone(),
            self.value.clone(),
        ));
        Ok(Some(record))
    }
}
