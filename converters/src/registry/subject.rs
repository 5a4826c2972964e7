//! The subject a schema is registered under: Confluent's subject name strategies.

use weir_connector_api::ConversionError;

/// How a subject is named, as `key.subject.name.strategy` / `value.subject.name.strategy` say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SubjectNameStrategy {
    /// `<topic>-key` or `<topic>-value` (the default).
    Topic,
    /// The record's full name, whatever the topic.
    Record,
    /// `<topic>-<record full name>`.
    TopicRecord,
}

/// The package of Confluent's strategy classes.
const PACKAGE: &str = "io.confluent.kafka.serializers.subject.";

impl SubjectNameStrategy {
    /// The default strategy's class.
    pub(crate) const DEFAULT_CLASS: &str = "io.confluent.kafka.serializers.subject.TopicNameStrategy";

    /// The strategy a class name stands for.
    pub(crate) fn from_class(key: &str, class: &str) -> Result<Self, ConversionError> {
        match class.strip_prefix(PACKAGE) {
            Some("TopicNameStrategy") => Ok(SubjectNameStrategy::Topic),
            Some("RecordNameStrategy") => Ok(SubjectNameStrategy::Record),
            Some("TopicRecordNameStrategy") => Ok(SubjectNameStrategy::TopicRecord),
            _ => Err(ConversionError::new(format!(
                "Invalid value {class} for configuration {key}: Class {class} could not be found \
                 (known: {PACKAGE}TopicNameStrategy, {PACKAGE}RecordNameStrategy, {PACKAGE}TopicRecordNameStrategy)"
            ))),
        }
    }

    /// The subject of a key (`is_key`) or value schema bound for `topic`; `record` is the full
    /// name of the schema when it is a record.
    pub(crate) fn subject(self, topic: &str, is_key: bool, record: Option<&str>) -> Result<String, ConversionError> {
        let record = || {
            record.ok_or_else(|| {
                let which = if is_key { "key" } else { "value" };
                ConversionError::new(format!(
                    "In configuration {which}.subject.name.strategy = {self:?}NameStrategy, the message {which} must only be a record schema"
                ))
            })
        };
        Ok(match self {
            SubjectNameStrategy::Topic => format!("{topic}-{}", if is_key { "key" } else { "value" }),
            SubjectNameStrategy::Record => record()?.to_owned(),
            SubjectNameStrategy::TopicRecord => format!("{topic}-{}", record()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_as_confluent_names_them() {
        let topic = SubjectNameStrategy::from_class("k", SubjectNameStrategy::DEFAULT_CLASS).unwrap();
        assert_eq!(topic.subject("orders", true, None).unwrap(), "orders-key");
        assert_eq!(topic.subject("orders", false, Some("a.B")).unwrap(), "orders-value");
        let record = SubjectNameStrategy::from_class("k", &format!("{PACKAGE}RecordNameStrategy")).unwrap();
        assert_eq!(record.subject("orders", false, Some("a.B")).unwrap(), "a.B");
        let both = SubjectNameStrategy::from_class("k", &format!("{PACKAGE}TopicRecordNameStrategy")).unwrap();
        assert_eq!(both.subject("orders", false, Some("a.B")).unwrap(), "orders-a.B");
        assert!(
            record
                .subject("orders", false, None)
                .unwrap_err()
                .message
                .contains("must only be a record schema")
        );
        assert!(SubjectNameStrategy::from_class("k", "x.Y").is_err());
    }
}
