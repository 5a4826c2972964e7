//! `RegexRouter`: renames a record's topic when the whole name matches a regular expression,
//! with Java's `replaceFirst` replacement syntax.

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Transformation,
    TransformationPlugin,
};

use crate::util::java_regex::{ReplaceFirst, WholeMatch};
use crate::util::last_topic::LastTopic;

/// The key of the pattern.
const REGEX: &str = "regex";
/// The key of the replacement.
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
        let rename = ReplaceFirst::new(regex, config.string(REPLACEMENT).unwrap_or_default());
        Ok(Box::new(Router {
            rename,
            renamed: LastTopic::default(),
        }))
    }
}

/// A configured `RegexRouter`.
struct Router {
    /// What a topic must match, whole, and what it becomes.
    rename: ReplaceFirst,
    /// What the last topic became, if it matched.
    renamed: LastTopic<Option<String>>,
}

impl Transformation for Router {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let rename = &self.rename;
        if let Some(topic) = self.renamed.get_or_try(&record.topic, |topic| rename.apply(topic))? {
            record.topic = topic;
        }
        Ok(Some(record))
    }
}
