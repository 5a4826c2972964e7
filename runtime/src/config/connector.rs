//! The keys every connector config shares, whatever its plugin: name, class, tasks, converters,
//! error handling, and for sinks the topics to read.

use std::time::Duration;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, ConnectorKind, Importance, Props, Validator, Width,
};

use crate::config::restart::RestartPolicy;
use crate::config::topic_creation;
use crate::config::worker::strip_prefix;
use crate::config::{broker_security, plugin_version};

/// The group of the common keys, as Kafka Connect names it.
const COMMON: &str = "Common";
/// The group of the error-handling keys.
const ERRORS: &str = "Error Handling";
/// The group of a source's exactly-once keys.
const EXACTLY_ONCE: &str = "Exactly Once Support";
/// Whether a connector may generate more tasks than `tasks.max` (KIP-1004).
pub const TASKS_MAX_ENFORCE: &str = "tasks.max.enforce";
/// The group of a source's topic creation keys.
const TOPIC_CREATION: &str = "Topic Creation";

/// How Kafka Connect 4.x shows the common keys: position in the group, width and human
/// name. Tools that lay out forms from `GET /connector-plugins/{p}/config` see the same.
const KAFKA_CONNECT_LAYOUT: &[(&str, i32, Width, &str)] = &[
    ("name", 1, Width::Medium, "Connector name"),
    ("connector.class", 2, Width::Long, "Connector class"),
    (plugin_version::CONNECTOR, 3, Width::Medium, "Connector version"),
    ("tasks.max", 4, Width::Short, "Tasks max"),
    (TASKS_MAX_ENFORCE, 5, Width::Short, "Enforce tasks max"),
    ("key.converter", 6, Width::Short, "Key converter class"),
    ("key.converter.plugin.version", 7, Width::Short, "Key converter version"),
    ("value.converter", 8, Width::Short, "Value converter class"),
    (
        "value.converter.plugin.version",
        9,
        Width::Short,
        "Value converter version",
    ),
    ("header.converter", 10, Width::Short, "Header converter class"),
    (
        "header.converter.plugin.version",
        11,
        Width::Short,
        "Header converter version",
    ),
    ("config.action.reload", 14, Width::Medium, "Reload Action"),
    ("transforms", 12, Width::Long, "Transforms"),
    ("predicates", 13, Width::Long, "Predicates"),
    ("errors.retry.timeout", 1, Width::Medium, "Retry Timeout for Errors"),
    (
        "errors.retry.delay.max.ms",
        2,
        Width::Medium,
        "Maximum Delay Between Retries for Errors",
    ),
    ("errors.tolerance", 3, Width::Short, "Error Tolerance"),
    ("errors.log.enable", 4, Width::Short, "Log Errors"),
    ("errors.log.include.messages", 5, Width::Short, "Log Error Details"),
    ("topics", 4, Width::Long, "Topics"),
    ("topics.regex", 4, Width::Long, "Topics regex"),
    (
        "errors.deadletterqueue.topic.name",
        6,
        Width::Medium,
        "Dead Letter Queue Topic Name",
    ),
    (
        "errors.deadletterqueue.topic.replication.factor",
        7,
        Width::Medium,
        "Dead Letter Queue Topic Replication Factor",
    ),
    (
        "errors.deadletterqueue.context.headers.enable",
        8,
        Width::Medium,
        "Enable Error Context Headers",
    ),
    ("exactly.once.support", 2, Width::Short, "Exactly once support"),
    ("transaction.boundary", 3, Width::Short, "Transaction Boundary"),
    (
        "transaction.boundary.interval.ms",
        4,
        Width::Short,
        "Transaction boundary interval",
    ),
    ("offsets.storage.topic", 1, Width::Long, "Offsets topic"),
    (topic_creation::GROUPS, 1, Width::Long, "Topic Creation Groups"),
];

/// The common keys of a connector of this kind.
pub fn common_definition(kind: ConnectorKind) -> ConfigDef {
    let key =
        |name: &str, kind: ConfigType, importance: Importance, doc: &str| ConfigKey::new(name, kind, importance, doc);
    let mut def = ConfigDef::new()
        .define(
            COMMON,
            key(
                "name",
                ConfigType::String,
                Importance::High,
                "Globally unique name of the connector.",
            )
            .validator(Validator::NonEmpty),
        )
        .define(
            COMMON,
            key(
                "connector.class",
                ConfigType::String,
                Importance::High,
                "The connector's class name or alias.",
            )
            .validator(Validator::NonEmpty),
        )
        .define(
            COMMON,
            key(
                plugin_version::CONNECTOR,
                ConfigType::String,
                Importance::Medium,
                "Version of the connector.",
            )
            .default_null(),
        )
        .define(
            COMMON,
            key("tasks.max", ConfigType::Int, Importance::High, "The most tasks to run.")
                .default_value("1")
                .validator(Validator::at_least(1.0)),
        )
        .define(
            COMMON,
            key(
                TASKS_MAX_ENFORCE,
                ConfigType::Boolean,
                Importance::Low,
                "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector: true fails a connector that generates more tasks; false lets them run, with a warning.",
            )
            .default_value("true"),
        )
        .define(
            COMMON,
            key(
                "key.converter",
                ConfigType::Class,
                Importance::Low,
                "Key converter; the worker's when empty.",
            )
            .default_value(""),
        )
        .define(
            COMMON,
            key(
                "key.converter.plugin.version",
                ConfigType::String,
                Importance::Low,
                "Version of the key converter.",
            )
            .default_null(),
        )
        .define(
            COMMON,
            key(
                "value.converter",
                ConfigType::Class,
                Importance::Low,
                "Value converter; the worker's when empty.",
            )
            .default_value(""),
        )
        .define(
            COMMON,
            key(
                "value.converter.plugin.version",
                ConfigType::String,
                Importance::Low,
                "Version of the value converter.",
            )
            .default_null(),
        )
        .define(
            COMMON,
            key(
                "header.converter",
                ConfigType::Class,
                Importance::Low,
                "Header converter (for the headers transforms add); the worker's when empty.",
            )
            .default_value(""),
        )
        .define(
            COMMON,
            key(
                "header.converter.plugin.version",
                ConfigType::String,
                Importance::Low,
                "Version of the header converter.",
            )
            .default_null(),
        )
        .define(
            COMMON,
            key(
                "config.action.reload",
                ConfigType::String,
                Importance::Low,
                "What to do with the connector when a config provider says that a value it resolved has changed: restart or none. Weir's providers (env, file, directory) give no expiry, as Kafka Connect's do not, so a value is read again when a task starts.",
            )
            .default_value("restart")
            .validator(Validator::one_of_ignoring_case(&["none", "restart"])),
        )
        .define(
            "Transforms",
            key(
                "transforms",
                ConfigType::List,
                Importance::Low,
                "Aliases for the transformations to be applied to records.",
            )
            .default_value("")
            .display_name("Transforms"),
        )
        .define(
            "Predicates",
            key(
                "predicates",
                ConfigType::List,
                Importance::Low,
                "Aliases for the predicates used by transformations.",
            )
            .default_value("")
            .display_name("Predicates"),
        )
        .define(
            ERRORS,
            key(
                "errors.retry.timeout",
                ConfigType::Long,
                Importance::Medium,
                "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries. (Applies to converters that fail for now, such as one whose schema registry is out of reach; a task's own retriable failures are retried until they pass.)",
            )
            .default_value("0")
            .validator(Validator::at_least(-1.0)),
        )
        .define(
            ERRORS,
            key(
                "errors.retry.delay.max.ms",
                ConfigType::Long,
                Importance::Medium,
                "The longest wait between retries, in ms.",
            )
            .default_value("60000")
            .validator(Validator::at_least(1.0)),
        )
        .define(
            ERRORS,
            key(
                "errors.tolerance",
                ConfigType::String,
                Importance::Medium,
                "none fails the task on a record that cannot be converted; all skips it.",
            )
            .default_value("none")
            .validator(Validator::one_of(&["none", "all"])),
        )
        .define(
            ERRORS,
            key(
                "errors.log.enable",
                ConfigType::Boolean,
                Importance::Medium,
                "Log each skipped record's error.",
            )
            .default_value("false"),
        )
        .define(
            ERRORS,
            key(
                "errors.log.include.messages",
                ConfigType::Boolean,
                Importance::Medium,
                "Include the record's topic, partition and offset in those logs.",
            )
            .default_value("false"),
        );
    match kind {
        ConnectorKind::Sink => {
            def = def
                .define(
                    COMMON,
                    key("topics", ConfigType::List, Importance::High, "Topics to read.").default_value(""),
                )
                .define(
                    COMMON,
                    key(
                        "topics.regex",
                        ConfigType::String,
                        Importance::High,
                        "A regular expression of the topics to read.",
                    )
                    .default_value(""),
                )
                .define(
                    ERRORS,
                    key(
                        "errors.deadletterqueue.topic.name",
                        ConfigType::String,
                        Importance::Medium,
                        "Topic receiving records that cannot be converted (with errors.tolerance=all).",
                    )
                    .default_value(""),
                )
                .define(
                    ERRORS,
                    key(
                        "errors.deadletterqueue.topic.replication.factor",
                        ConfigType::Short,
                        Importance::Medium,
                        "Replication factor of the dead letter queue topic when it is created.",
                    )
                    .default_value("3")
                    .validator(Validator::between(-1.0, 32767.0)),
                )
                .define(
                    ERRORS,
                    key(
                        "errors.deadletterqueue.context.headers.enable",
                        ConfigType::Boolean,
                        Importance::Medium,
                        "Add __connect.errors.* headers to dead-lettered records.",
                    )
                    .default_value("false"),
                );
        }
        ConnectorKind::Source => {
            def = def
                .define(
                    TOPIC_CREATION,
                    key(
                        topic_creation::GROUPS,
                        ConfigType::List,
                        Importance::Low,
                        "Groups of configurations for topics created by source connectors",
                    )
                    .default_value(""),
                )
                .define(
                    EXACTLY_ONCE,
                    key(
                        "exactly.once.support",
                        ConfigType::String,
                        Importance::Medium,
                        "required refuses the connector unless the worker has exactly.once.source.support=enabled and the connector says it can deliver exactly once with this config; requested runs it either way.",
                    )
                    .default_value("requested")
                    .validator(Validator::one_of_ignoring_case(&["requested", "required"])),
                )
                .define(
                    EXACTLY_ONCE,
                    key(
                        "transaction.boundary",
                        ConfigType::String,
                        Importance::Medium,
                        "With exactly-once on, where a transaction ends: poll (after each batch a task returns), interval (every transaction.boundary.interval.ms), or connector (where the task says).",
                    )
                    .default_value("poll")
                    .validator(Validator::one_of_ignoring_case(&["poll", "interval", "connector"])),
                )
                .define(
                    EXACTLY_ONCE,
                    key(
                        "transaction.boundary.interval.ms",
                        ConfigType::Long,
                        Importance::Low,
                        "How long a transaction lasts with transaction.boundary=interval; the worker's offset.flush.interval.ms when unset.",
                    )
                    .default_null()
                    .validator(Validator::at_least(0.0)),
                )
                .define(
                    "offsets.topic",
                    key(
                        "offsets.storage.topic",
                        ConfigType::String,
                        Importance::Low,
                        "The name of a separate offsets topic to use for this connector. If empty or not specified, the worker's global offsets topic name will be used. If specified, the topic is created (compacted, with the partitions and replication factor of the worker's offsets topic) if it does not already exist, the connector's offsets are read from it first and from the worker's topic second, and they are written to both.",
                    )
                    .default_null(),
                );
        }
    }
    let def = RestartPolicy::define(def, false);
    KAFKA_CONNECT_LAYOUT
        .iter()
        .fold(def, |def, (name, order, width, display_name)| {
            def.shown(name, *order, *width, display_name)
        })
}

/// Checks across the common keys, adding errors to their reports (the classes they name are
/// checked against the installed plugins by the herder).
pub fn validate_common(kind: ConnectorKind, props: &Props, reports: &mut [ConfigValue]) {
    let mut add = |key: &str, error: String| {
        if let Some(report) = reports.iter_mut().find(|r| r.name == key) {
            report.errors.push(error);
        }
    };
    let value = |key: &str| props.get(key).map(|v| v.trim()).unwrap_or_default();
    match kind {
        ConnectorKind::Sink => {
            let (topics, regex) = (value("topics"), value("topics.regex"));
            match (topics.is_empty(), regex.is_empty()) {
                (true, true) => add("topics", "Must configure one of topics or topics.regex".into()),
                (false, false) => {
                    let msg = "topics and topics.regex are mutually exclusive options, but both are set.";
                    add("topics", msg.into());
                    add("topics.regex", msg.into());
                }
                _ => {}
            }
            if let Err(e) = regex::Regex::new(regex) {
                add(
                    "topics.regex",
                    format!("Invalid value {regex} for configuration topics.regex: {e}"),
                );
            }
            let dlq = value("errors.deadletterqueue.topic.name");
            if !dlq.is_empty() && weir_connector_api::config::parse_list(topics).iter().any(|t| t == dlq) {
                add(
                    "errors.deadletterqueue.topic.name",
                    format!(
                        "The dead letter queue topic '{dlq}' may not be included in the list of topics ('topics=\"{topics}\"') consumed by the connector"
                    ),
                );
            }
        }
        // The exactly-once keys are checked by the herder, which knows the worker's setting
        // and the plugin.
        ConnectorKind::Source => {}
    }
}

/// Where records that cannot be converted go, for a sink with a dead letter queue.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadLetterQueue {
    /// The topic.
    pub topic: String,
    /// Its replication factor when it is created.
    pub replication_factor: i32,
    /// Whether to add `__connect.errors.*` headers.
    pub context_headers: bool,
}

/// What happens on failure: retries of retriable errors, and records that cannot be converted.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorPolicy {
    /// How long a conversion that failed for now is retried (`errors.retry.timeout`); `None`
    /// retries until it passes.
    pub retry_timeout: Option<Duration>,
    /// The longest wait between two retries.
    pub retry_delay_max: Duration,
    /// Whether records that cannot be converted are skipped (`errors.tolerance=all`).
    pub tolerate_all: bool,
    /// Whether skipped records are logged.
    pub log: bool,
    /// Whether those logs name the record.
    pub log_messages: bool,
    /// The dead letter queue of a sink.
    pub dead_letter_queue: Option<DeadLetterQueue>,
}

/// Where a source task's transactions end, with exactly-once on (`transaction.boundary`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionBoundary {
    /// After each batch the task returns from a poll.
    Poll,
    /// After the first batch past this long since the transaction began; the worker's
    /// `offset.flush.interval.ms` when `None`.
    Interval(Option<Duration>),
    /// Where the task asks, through its transaction context.
    Connector,
}

/// The common keys of a valid connector config, typed.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectorConfig {
    /// The connector's name.
    pub name: String,
    /// `connector.class`, as given.
    pub class: String,
    /// `tasks.max`.
    pub tasks_max: usize,
    /// `tasks.max.enforce`: whether generating more tasks than `tasks.max` fails the connector.
    pub tasks_max_enforce: bool,
    /// The key converter class, if the connector overrides the worker's.
    pub key_converter: Option<String>,
    /// The value converter class, if the connector overrides the worker's.
    pub value_converter: Option<String>,
    /// The header converter class, if the connector overrides the worker's.
    pub header_converter: Option<String>,
    /// Error handling.
    pub errors: ErrorPolicy,
    /// For sinks: the topics to read.
    pub topics: Vec<String>,
    /// For sinks: the pattern of the topics to read.
    pub topics_regex: Option<String>,
    /// For sources: where transactions end, with exactly-once on.
    pub transaction_boundary: TransactionBoundary,
    /// For sources: the connector's own offsets topic (`offsets.storage.topic`), if it has one.
    pub offsets_topic: Option<String>,
    /// The whole config.
    pub props: Props,
}

impl ConnectorConfig {
    /// Reads the common keys of a config that passed validation.
    pub fn parse(kind: ConnectorKind, props: &Props) -> Result<Self, weir_connector_api::ConnectError> {
        let parsed = common_definition(kind).parse(props)?;
        let string = |k: &str| parsed.string(k).filter(|s| !s.is_empty()).map(str::to_owned);
        let millis = |k: &str| Duration::from_millis(parsed.int(k).unwrap_or(0).max(0) as u64);
        Ok(ConnectorConfig {
            name: string("name").unwrap_or_default(),
            class: string("connector.class").unwrap_or_default(),
            tasks_max: parsed.int("tasks.max").unwrap_or(1).max(1) as usize,
            tasks_max_enforce: parsed.bool(TASKS_MAX_ENFORCE).unwrap_or(true),
            key_converter: string("key.converter"),
            value_converter: string("value.converter"),
            header_converter: string("header.converter"),
            errors: ErrorPolicy {
                retry_timeout: (parsed.int("errors.retry.timeout") != Some(-1)).then(|| millis("errors.retry.timeout")),
                retry_delay_max: millis("errors.retry.delay.max.ms"),
                tolerate_all: parsed
                    .string("errors.tolerance")
                    .is_some_and(|t| t.eq_ignore_ascii_case("all")),
                log: parsed.bool("errors.log.enable").unwrap_or(false),
                log_messages: parsed.bool("errors.log.include.messages").unwrap_or(false),
                dead_letter_queue: string("errors.deadletterqueue.topic.name").map(|topic| DeadLetterQueue {
                    topic,
                    replication_factor: parsed
                        .int("errors.deadletterqueue.topic.replication.factor")
                        .unwrap_or(3) as i32,
                    context_headers: parsed
                        .bool("errors.deadletterqueue.context.headers.enable")
                        .unwrap_or(false),
                }),
            },
            topics: parsed.list("topics").map(<[String]>::to_vec).unwrap_or_default(),
            topics_regex: string("topics.regex"),
            transaction_boundary: match string("transaction.boundary")
                .map(|b| b.to_ascii_lowercase())
                .as_deref()
            {
                Some("interval") => TransactionBoundary::Interval(
                    parsed
                        .int("transaction.boundary.interval.ms")
                        .map(|ms| Duration::from_millis(ms.max(0) as u64)),
                ),
                Some("connector") => TransactionBoundary::Connector,
                _ => TransactionBoundary::Poll,
            },
            offsets_topic: string("offsets.storage.topic").map(|t| t.trim().to_owned()),
            props: props.clone(),
        })
    }

    /// The connector's own settings for a prefix such as `producer.override.`.
    pub fn prefixed(&self, prefix: &str) -> Props {
        strip_prefix(&self.props, prefix)
    }

    /// The connector's settings for one kind of Kafka client (`producer`, `consumer`, `admin`:
    /// its `<client>.override.*` keys), in librdkafka's names: a `sasl.jaas.config` (what Kafka
    /// Connect's `Principal` policy is for) becomes `sasl.username` and `sasl.password`. A
    /// setting that cannot be translated (a JKS truststore) is passed as given, for librdkafka
    /// to refuse by its name when the task starts.
    pub fn client_overrides(&self, client: &str) -> Props {
        let given = self.prefixed(&format!("{client}.override."));
        broker_security::to_librdkafka(&given).unwrap_or(given)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_overrides_reach_librdkafka_in_its_names() {
        let props: Props = [
            ("name", "c"),
            ("connector.class", "FileStreamSource"),
            (
                "producer.override.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";",
            ),
            ("producer.override.linger.ms", "5"),
            ("consumer.override.ssl.truststore.location", "/t.jks"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let config = ConnectorConfig::parse(ConnectorKind::Source, &props).expect("valid");
        let producer = config.client_overrides("producer");
        assert_eq!(producer.get("sasl.username").map(String::as_str), Some("u"));
        assert_eq!(producer.get("sasl.password").map(String::as_str), Some("p"));
        assert_eq!(producer.get("linger.ms").map(String::as_str), Some("5"));
        assert!(!producer.contains_key("sasl.jaas.config"));
        // Left as given, for librdkafka to refuse by name.
        assert_eq!(
            config
                .client_overrides("consumer")
                .get("ssl.truststore.location")
                .map(String::as_str),
            Some("/t.jks")
        );
    }
}
