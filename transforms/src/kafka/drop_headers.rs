//! `DropHeaders`: removes every header whose key is one of a list, keeping the others in order.

use std::collections::HashSet;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Transformation,
    TransformationPlugin, Validator,
};

use crate::util::kafka_config::non_duplicate_values;

/// The keys of the headers to remove.
const HEADERS: &str = "headers";

/// The transform class.
pub(crate) struct DropHeaders;

impl TransformationPlugin for DropHeaders {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define_key(
            ConfigKey::new(
                HEADERS,
                ConfigType::List,
                Importance::High,
                "The name of the headers to be removed.",
            )
            .validator(Validator::NonEmpty),
        )
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        self.config_def().parse(props)?;
        let headers = non_duplicate_values(props, HEADERS, false)?;
        Ok(Box::new(Dropper {
            headers: headers.into_iter().collect(),
        }))
    }
}

/// A configured `DropHeaders`.
struct Dropper {
    /// The keys of the headers to remove.
    headers: HashSet<String>,
}

impl Transformation for Dropper {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        record.headers.retain(|header| !self.headers.contains(&header.key));
        Ok(Some(record))
    }
}
