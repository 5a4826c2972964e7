//! `TimestampRouter`: renames a record's topic from a format with `${topic}` and `${timestamp}`
//! (the record's timestamp written with a `SimpleDateFormat` pattern, in UTC), mainly for sinks
//! that name tables or indexes after topics.

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Transformation,
    TransformationPlugin,
};

use crate::util::java_date_format::JavaDateFormat;

/// The config key of the topic's format.
const TOPIC_FORMAT: &str = "topic.format";
/// The config key of the timestamp's pattern.
const TIMESTAMP_FORMAT: &str = "timestamp.format";

/// The transform class.
pub(crate) struct TimestampRouter;

impl TransformationPlugin for TimestampRouter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define_key(
                ConfigKey::new(
                    TOPIC_FORMAT,
                    ConfigType::String,
                    Importance::High,
                    "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as \
                     placeholders for the topic and timestamp, respectively.",
                )
                .default_value("${topic}-${timestamp}"),
            )
            .define_key(
                ConfigKey::new(
                    TIMESTAMP_FORMAT,
                    ConfigType::String,
                    Importance::High,
                    "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>.",
                )
                .default_value("yyyyMMdd"),
            )
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        Ok(Box::new(Router {
            topic_format: config.string(TOPIC_FORMAT).unwrap_or_default().to_owned(),
            timestamp_format: JavaDateFormat::compile(config.string(TIMESTAMP_FORMAT).unwrap_or_default()),
        }))
    }
}

/// A configured instance.
struct Router {
    /// The topic's format.
    topic_format: String,
    /// The timestamp's format, or why its pattern is invalid (said when a record arrives, as
    /// Kafka Connect only compiles it then).
    timestamp_format: Result<JavaDateFormat, String>,
}

impl Transformation for Router {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let Some(timestamp) = record.timestamp else {
            return Err(ConnectError::Data(format!(
                "Timestamp missing on record: ConnectRecord{{topic='{}', kafkaPartition={}, timestamp=null}}",
                record.topic,
                record.partition.map_or_else(|| "null".to_owned(), |p| p.to_string())
            )));
        };
        let format = self
            .timestamp_format
            .as_ref()
            .map_err(|why| ConnectError::Data(why.clone()))?;
        // As Kafka Connect: the topic first, then the timestamp (also where the topic put one).
        let topic = self.topic_format.replace("${topic}", &record.topic);
        record.topic = topic.replace("${timestamp}", &format.format(timestamp));
        Ok(Some(record))
    }
}
