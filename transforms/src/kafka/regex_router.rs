//! `RegexRouter`: renames a record's topic when the whole name matches a regular expression,
//! with Java's `replaceFirst` replacement syntax.

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Transformation,
    TransformationPlugin,
};

use crate::util::java_regex::{WholeMatch, replacement};

const REGEX: &str = "regex";
const REPLACEMENT: &str = "replacement";

/// The transform class.
pub(crate) struct RegexRouter;

impl TransformationPlugin for RegexRouter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define_key(ConfigKey::new(
                REGEX,
                ConfigType::String,
                Importance::High,
                "Regular expression to use for matching.",
            ))
            .define_key(ConfigKey::new(
                REPLACEMENT,
                ConfigType::String,
                Importance::High,
                "Replacement string.",
            ))
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        let regex = WholeMatch::compile(REGEX, config.string(REGEX).unwrap_or_default())?;
        let replacement = replacement(config.string(REPLACEMENT).unwrap_or_default(), &regex);
        Ok(Box::new(Router { regex, replacement }))
    }
}

struct Router {
    regex: WholeMatch,
    /// The replacement, or why it cannot be used (said when a topic matches, as Kafka Connect).
    replacement: Result<String, String>,
}

impl Transformation for Router {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if !self.regex.matches(&record.topic) {
            return Ok(Some(record));
        }
        let replacement = self
            .replacement
            .as_ref()
            .map_err(|why| ConnectError::Data(why.clone()))?;
        if let Some(topic) = self.regex.replace(&record.topic, replacement) {
            record.topic = topic;
        }
        Ok(Some(record))
    }
}
