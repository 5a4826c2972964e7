//! `Filter`: drops every record; used with a predicate, it drops those that match.

use weir_connector_api::{ConfigDef, ConnectError, ConnectRecord, Props, Transformation, TransformationPlugin};

/// The transform class.
pub(crate) struct Filter;

impl TransformationPlugin for Filter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    fn create(&self, _props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        Ok(Box::new(Filter))
    }
}

impl Transformation for Filter {
    fn apply(&mut self, _record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        Ok(None)
    }
}
