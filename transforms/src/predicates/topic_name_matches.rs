//! `TopicNameMatches`: true for records whose topic matches a regular expression.

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Predicate, PredicatePlugin, Props,
    Validator,
};

use crate::util::java_regex::WholeMatch;

const PATTERN: &str = "pattern";

/// The predicate class.
pub(crate) struct TopicNameMatches;

impl PredicatePlugin for TopicNameMatches {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define_key(
            ConfigKey::new(
                PATTERN,
                ConfigType::String,
                Importance::Medium,
                "A Java regular expression for matching against the name of a record's topic.",
            )
            .validator(Validator::NonEmpty),
        )
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Predicate>, ConnectError> {
        let config = self.config_def().parse(props)?;
        let pattern = config.string(PATTERN).unwrap_or_default();
        Ok(Box::new(Matches(WholeMatch::compile(PATTERN, pattern)?)))
    }
}

struct Matches(WholeMatch);

impl Predicate for Matches {
    fn test(&mut self, record: &ConnectRecord) -> Result<bool, ConnectError> {
        Ok(self.0.matches(&record.topic))
    }
}
