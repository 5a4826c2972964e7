//! `TopicNameMatches`: true for records whose topic matches a regular expression.

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Predicate, PredicatePlugin, Props,
    Validator,
};

use crate::util::java_regex::WholeMatch;
use crate::util::last_topic::LastTopic;

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
        Ok(Box::new(Matches {
            pattern: WholeMatch::compile(PATTERN, pattern)?,
            matched: LastTopic::default(),
        }))
    }
}

/// A configured `TopicNameMatches`.
struct Matches {
    pattern: WholeMatch,
    /// Whether the last topic matched.
    matched: LastTopic<bool>,
}

impl Predicate for Matches {
    fn test(&mut self, record: &ConnectRecord) -> Result<bool, ConnectError> {
        let pattern = &self.pattern;
        self.matched
            .get_or_try(&record.topic, |topic| Ok(pattern.matches(topic)))
    }
}
