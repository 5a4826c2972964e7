//! `HasHeaderKey`: true for records with at least one header of a name.

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Predicate, PredicatePlugin, Props,
    Validator,
};

const NAME: &str = "name";

/// The predicate class.
pub(crate) struct HasHeaderKey;

impl PredicatePlugin for HasHeaderKey {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define_key(
            ConfigKey::new(NAME, ConfigType::String, Importance::Medium, "The header name.")
                .validator(Validator::NonEmpty),
        )
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Predicate>, ConnectError> {
        let config = self.config_def().parse(props)?;
        Ok(Box::new(HasKey(config.string(NAME).unwrap_or_default().to_owned())))
    }
}

struct HasKey(String);

impl Predicate for HasKey {
    fn test(&mut self, record: &ConnectRecord) -> Result<bool, ConnectError> {
        Ok(record.headers.iter().any(|h| h.key == self.0))
    }
}
