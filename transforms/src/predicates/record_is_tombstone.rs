//! `RecordIsTombstone`: true for records whose value is null.

use weir_connector_api::{ConfigDef, ConnectError, ConnectRecord, Predicate, PredicatePlugin, Props};

/// The predicate class.
pub(crate) struct RecordIsTombstone;

impl PredicatePlugin for RecordIsTombstone {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    fn create(&self, _props: &Props) -> Result<Box<dyn Predicate>, ConnectError> {
        Ok(Box::new(RecordIsTombstone))
    }
}

impl Predicate for RecordIsTombstone {
    fn test(&mut self, record: &ConnectRecord) -> Result<bool, ConnectError> {
        Ok(record.value.is_null())
    }
}
