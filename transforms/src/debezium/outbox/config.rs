//! EventRouter's config: its keys as Debezium declares them (groups `Table`, `Router` and
//! `Tracing`), and the settings a config gives, checked as Debezium checks them when it is
//! configured. Debezium reads string values as given (untrimmed); the router's regex and
//! replacement go through Kafka Connect's `RegexRouter`, which trims them.

use weir_connector_api::java::string::{split, trim};
use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, ConnectError, Importance, Props, Width};

use super::super::config::field;
use super::json_schema::JsonSchemaData;
use crate::util::java_regex::{ReplaceFirst, WholeMatch};

/// The key `table.field.event.id`.
const FIELD_EVENT_ID: &str = "table.field.event.id";
/// The key `table.field.event.key`.
const FIELD_EVENT_KEY: &str = "table.field.event.key";
/// The key `table.field.event.type`.
const FIELD_EVENT_TYPE: &str = "table.field.event.type";
/// The key `table.field.event.payload`.
const FIELD_PAYLOAD: &str = "table.field.event.payload";
/// The key `table.field.event.timestamp`.
const FIELD_EVENT_TIMESTAMP: &str = "table.field.event.timestamp";
/// The key `table.fields.additional.placement`.
const FIELDS_ADDITIONAL_PLACEMENT: &str = "table.fields.additional.placement";
/// The key `table.field.additional.missing`.
const FIELDS_ADDITIONAL_MISSING: &str = "table.field.additional.missing";
/// The key `table.field.event.schema.version`.
const FIELD_SCHEMA_VERSION: &str = "table.field.event.schema.version";
/// The key `table.op.invalid.behavior`.
const OPERATION_INVALID_BEHAVIOR: &str = "table.op.invalid.behavior";
/// The key `table.expand.json.payload`.
const EXPAND_JSON_PAYLOAD: &str = "table.expand.json.payload";
/// The key `table.json.payload.null.behavior`.
const JSON_PAYLOAD_NULL_BEHAVIOR: &str = "table.json.payload.null.behavior";
/// The key `table.json.payload.empty.array.behavior`.
const JSON_PAYLOAD_EMPTY_ARRAY_BEHAVIOR: &str = "table.json.payload.empty.array.behavior";
/// The key `route.by.field`.
const ROUTE_BY_FIELD: &str = "route.by.field";
/// The key `route.topic.regex`.
const ROUTE_TOPIC_REGEX: &str = "route.topic.regex";
/// The key `route.topic.replacement`.
const ROUTE_TOPIC_REPLACEMENT: &str = "route.topic.replacement";
/// The key `route.tombstone.on.empty.payload`.
const ROUTE_TOMBSTONE_ON_EMPTY_PAYLOAD: &str = "route.tombstone.on.empty.payload";
/// The key `tracing.span.context.field`.
const TRACING_SPAN_CONTEXT_FIELD: &str = "tracing.span.context.field";
/// The key `tracing.operation.name`.
const TRACING_OPERATION_NAME: &str = "tracing.operation.name";
/// The key `tracing.with.context.field.only`.
const TRACING_CONTEXT_FIELD_REQUIRED: &str = "tracing.with.context.field.only";

/// The keys, grouped and ordered as Debezium's `EventRouterConfigDefinition.configDef()`.
pub(super) fn config_def() -> ConfigDef {
    use ConfigType::{Boolean, List, String};
    use Importance::{High, Low, Medium};
    let table = [
        key(
            FIELD_EVENT_ID,
            String,
            Low,
            "Event ID Field",
            Some("id"),
            "The column which contains the event ID within the outbox table",
        ),
        key(
            FIELD_EVENT_KEY,
            String,
            Low,
            "Event Key Field",
            Some("aggregateid"),
            "The column which contains the event key within the outbox table",
        ),
        key(
            FIELD_EVENT_TYPE,
            String,
            Low,
            "Event Type Field",
            Some("type"),
            "The column which contains the event type within the outbox table",
        ),
        key(
            FIELD_PAYLOAD,
            String,
            Low,
            "Event Payload Field",
            Some("payload"),
            "The column which contains the event payload within the outbox table",
        ),
        key(
            FIELD_EVENT_TIMESTAMP,
            String,
            Medium,
            "Event Timestamp Field",
            None,
            "Optionally you can override the Kafka message timestamp with a value from a chosen column, otherwise \
             it'll be the Debezium event processed timestamp.",
        ),
        key(
            FIELDS_ADDITIONAL_PLACEMENT,
            List,
            High,
            "Settings for each additional column in the outbox table",
            None,
            "Extra fields can be added as part of the event envelope or a message header, format is a list of \
             colon-delimited pairs or trios when you desire to have aliases, e.g. \
             <code>id:header,field_name:envelope:alias,field_name:partition</code> ",
        ),
        key(
            FIELDS_ADDITIONAL_MISSING,
            String,
            Medium,
            "Behavior when an additional field is missing in the change data",
            Some("error"),
            "When transforming the 'table.fields.additional.placement' fields, defines the behavior when one of the \
             configured fields is missing in the change data. 'error' (default) will throw an exception; 'ignore' \
             will silently skip the missing field.",
        ),
        key(
            FIELD_SCHEMA_VERSION,
            String,
            Low,
            "Event Schema Version Field",
            None,
            "The column which contains the event schema version within the outbox table",
        ),
        key(
            OPERATION_INVALID_BEHAVIOR,
            String,
            Medium,
            "Behavior when capturing an unexpected outbox event",
            Some("warn"),
            "While Debezium is capturing changes from the outbox table, it is expecting only to process 'create' or \
             'delete' row events; in case something else is processed this transform can log it as warning, error \
             or stop the process.",
        ),
        key(
            EXPAND_JSON_PAYLOAD,
            Boolean,
            Medium,
            "Expand Payload escaped string as real JSON",
            Some("false"),
            "Whether or not to try unescaping a JSON string and make it real JSON. It will infer schema information \
             from payload and update the record schema accordingly. If content is not JSON, it just produces a \
             warning and emits the record unchanged",
        ),
        key(
            JSON_PAYLOAD_NULL_BEHAVIOR,
            String,
            Medium,
            "Behavior when json payload including null value",
            Some("ignore"),
            "Behavior when json payload including null value, the default will ignore null, optional_bytes will keep \
             the null value, and treat null as optional bytes of connect.",
        ),
        key(
            JSON_PAYLOAD_EMPTY_ARRAY_BEHAVIOR,
            String,
            Medium,
            "Behavior when json payload including empty array value",
            Some("ignore"),
            "Behavior when json payload including an empty array value, the default ignore will drop the empty array \
             field, optional_string will keep the field as an optional array with an optional string element type.",
        ),
    ];
    let router = [
        key(
            ROUTE_BY_FIELD,
            String,
            High,
            "Field to route events by",
            Some("aggregatetype"),
            "The column which determines how the events will be routed, the value will become part of the topic name",
        ),
        key(
            ROUTE_TOPIC_REGEX,
            String,
            Low,
            "The name of the routed topic",
            Some("(?<routedByValue>.*)"),
            "The default regex to use within the RegexRouter, the default capture will allow to replace the routed \
             field into a new topic name defined in 'route.topic.replacement'",
        ),
        key(
            ROUTE_TOPIC_REPLACEMENT,
            String,
            High,
            "The name of the routed topic",
            Some("outbox.event.${routedByValue}"),
            "The name of the topic in which the events will be routed, a replacement '${routedByValue}' is available \
             which is the value of The column configured via 'route.by.field'",
        ),
        key(
            ROUTE_TOMBSTONE_ON_EMPTY_PAYLOAD,
            Boolean,
            High,
            "Empty payloads cause a tombstone message",
            Some("false"),
            "Whether or not an empty payload should cause a tombstone event.",
        ),
    ];
    let tracing = [
        key(
            TRACING_SPAN_CONTEXT_FIELD,
            String,
            High,
            "Serialized tracing span context field",
            Some("tracingspancontext"),
            "The name of the field containing java.util.Properties representation of serialized span context. \
             Defaults to 'tracingspancontext'",
        ),
        key(
            TRACING_OPERATION_NAME,
            String,
            High,
            "Tracing operation name",
            Some("debezium-read"),
            "The operation name representing Debezium processing span. Default is 'debezium-read'",
        ),
        key(
            TRACING_CONTEXT_FIELD_REQUIRED,
            Boolean,
            High,
            "Trace only events with context field present",
            Some("false"),
            "Set to `true` when only events that have serialized context field should be traced.",
        ),
    ];
    let mut def = ConfigDef::new();
    for (group, keys) in [
        ("Table", &table[..]),
        ("Router", &router[..]),
        ("Tracing", &tracing[..]),
    ] {
        for key in keys {
            def = def.define(group, key.clone());
        }
    }
    def
}

/// A key as Debezium's `Field`s declare them all here: of medium width, with a default or
/// `null`.
fn key(
    name: &str,
    kind: ConfigType,
    importance: Importance,
    display_name: &str,
    default: Option<&str>,
    documentation: &str,
) -> ConfigKey {
    let key = field(name, kind, importance, Width::Medium, display_name, documentation);
    match default {
        Some(default) => key.default_value(default),
        None => key.default_null(),
    }
}

/// Where an additional column of the outbox row goes (`AdditionalFieldPlacement`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Placement {
    /// A header of the event.
    Header,
    /// A field of the event's envelope, next to the payload.
    Envelope,
    /// The event's Kafka partition (an int32 column).
    Partition,
    /// A placement Debezium does not know: accepted when configured, and an error (a null
    /// placement there) for every event that reaches it.
    Unknown(String),
}

/// An additional column of the outbox row and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct AdditionalField {
    /// The column.
    pub(super) field: String,
    /// Its name in the header or envelope (the column's name unless given).
    pub(super) alias: String,
    /// Where it goes.
    pub(super) placement: Placement,
}

/// What an additional column missing from the row does (`table.field.additional.missing`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MissingField {
    /// The event fails.
    Error,
    /// The column is skipped.
    Ignore,
}

/// What an update of the outbox table does (`table.op.invalid.behavior`): it is always skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum InvalidOperation {
    /// Skipped with a warning.
    Warn,
    /// Skipped with an error logged.
    Error,
    /// The task fails.
    Fatal,
}

/// The settings of a configured EventRouter.
#[derive(Debug)]
pub(super) struct Settings {
    /// The column of the event id (the `id` header).
    pub(super) event_id_field: String,
    /// The column of the event key.
    pub(super) event_key_field: String,
    /// The column of the payload.
    pub(super) payload_field: String,
    /// The column of the event timestamp; the change event's `ts_ms` when unset.
    pub(super) timestamp_field: Option<String>,
    /// The column of the event schema version.
    pub(super) schema_version_field: Option<String>,
    /// The column whose value the topic is made of.
    pub(super) route_by_field: String,
    /// The pattern the routed value must match whole to be replaced, and the topic a matching
    /// value becomes (as Kafka Connect's `RegexRouter`).
    pub(super) route: ReplaceFirst,
    /// Whether an empty payload makes a tombstone.
    pub(super) tombstone_on_empty_payload: bool,
    /// What an update does.
    pub(super) invalid_operation: InvalidOperation,
    /// The additional columns, in config order.
    pub(super) additional_fields: Vec<AdditionalField>,
    /// What a missing additional column does.
    pub(super) missing_additional_field: MissingField,
    /// How JSON payloads are expanded, when they are.
    pub(super) json_expansion: Option<JsonSchemaData>,
}

impl Settings {
    /// Whether events are the bare payload (no column goes in the envelope).
    pub(super) fn payload_only(&self) -> bool {
        !self
            .additional_fields
            .iter()
            .any(|a| a.placement == Placement::Envelope)
    }

    /// The settings of `props`, checked as Debezium checks them (every problem, in key order),
    /// then their types as Kafka Connect's worker checks them against the config definition.
    pub(super) fn parse(props: &Props) -> Result<Self, ConnectError> {
        let def = config_def();
        let mut config = Config {
            props,
            def: &def,
            problems: Vec::new(),
        };
        let invalid_operation = config.one_of(
            OPERATION_INVALID_BEHAVIOR,
            ("warn", InvalidOperation::Warn),
            &[("error", InvalidOperation::Error), ("fatal", InvalidOperation::Fatal)],
        );
        let placements = config.placements();
        let missing_additional_field = config.one_of(
            FIELDS_ADDITIONAL_MISSING,
            ("error", MissingField::Error),
            &[("ignore", MissingField::Ignore)],
        );
        config.check_regex(ROUTE_TOPIC_REGEX);
        let tombstone_on_empty_payload = config.boolean(ROUTE_TOMBSTONE_ON_EMPTY_PAYLOAD);
        let expand_json_payload = config.boolean(EXPAND_JSON_PAYLOAD);
        let null_as_optional_bytes = config.one_of(
            JSON_PAYLOAD_NULL_BEHAVIOR,
            ("ignore", false),
            &[("optional_bytes", true)],
        );
        let empty_array_as_optional_strings = config.one_of(
            JSON_PAYLOAD_EMPTY_ARRAY_BEHAVIOR,
            ("ignore", false),
            &[("optional_string", true)],
        );
        if !config.problems.is_empty() {
            return Err(ConnectError::Config(config.problems.join("; ")));
        }
        def.parse(props)?;

        let route_regex = WholeMatch::compile(ROUTE_TOPIC_REGEX, trim(config.value(ROUTE_TOPIC_REGEX)))?;
        let route = ReplaceFirst::new(route_regex, trim(config.value(ROUTE_TOPIC_REPLACEMENT)));
        let column = |key: &str| config.value(key).to_owned();
        let optional_column = |key: &str| config.given(key).map(str::to_owned);
        Ok(Settings {
            event_id_field: column(FIELD_EVENT_ID),
            event_key_field: column(FIELD_EVENT_KEY),
            payload_field: column(FIELD_PAYLOAD),
            timestamp_field: optional_column(FIELD_EVENT_TIMESTAMP),
            schema_version_field: optional_column(FIELD_SCHEMA_VERSION),
            route_by_field: column(ROUTE_BY_FIELD),
            route,
            tombstone_on_empty_payload,
            invalid_operation,
            additional_fields: placements,
            missing_additional_field,
            json_expansion: expand_json_payload.then_some(JsonSchemaData {
                null_as_optional_bytes,
                empty_array_as_optional_strings,
            }),
        })
    }
}

/// A config as Debezium's validation and getters read it: values as given (untrimmed), defaults
/// from the config definition, and the problems found, as its `ConfigException`s say them.
struct Config<'a> {
    /// The config's values.
    props: &'a Props,
    /// The keys, with their defaults.
    def: &'a ConfigDef,
    /// What is wrong with the config, one message per problem.
    problems: Vec<String>,
}

impl<'a> Config<'a> {
    /// The value given for `key`, if any.
    fn given(&self, key: &str) -> Option<&'a str> {
        self.props.get(key).map(String::as_str)
    }

    /// The value given for `key`, or its default.
    fn value(&self, key: &str) -> &'a str {
        self.given(key)
            .or_else(|| self.def.key(key).and_then(|k| k.default.as_deref()))
            .unwrap_or_default()
    }

    /// Notes a problem with the value of `key`.
    fn report(&mut self, key: &str, value: &str, problem: &str) {
        self.problems.push(format!(
            "Invalid value {value} for configuration {key}: The '{key}' value is invalid: {problem}"
        ));
    }

    /// An enumerated value, trimmed and compared ignoring case (`Field.withEnum`).
    fn one_of<T: Copy>(&mut self, key: &str, first: (&str, T), others: &[(&str, T)]) -> T {
        let value = self.value(key);
        let options = std::iter::once(&first).chain(others);
        if let Some((_, option)) = options
            .clone()
            .find(|(literal, _)| literal.eq_ignore_ascii_case(trim(value)))
        {
            return *option;
        }
        let literals: Vec<&str> = options.map(|(literal, _)| *literal).collect();
        self.report(key, value, &format!("Value must be one of {}", literals.join(", ")));
        // Any option will do: the config is refused.
        first.1
    }

    /// A boolean, trimmed and ignoring case (`Field.isBoolean`).
    fn boolean(&mut self, key: &str) -> bool {
        let value = self.value(key);
        match trim(value) {
            v if v.eq_ignore_ascii_case("true") => true,
            v if v.eq_ignore_ascii_case("false") => false,
            _ => {
                self.report(key, value, "Either 'true' or 'false' is expected");
                false
            }
        }
    }

    /// A regular expression, which must compile (`Field.isRegex`).
    fn check_regex(&mut self, key: &str) {
        let value = self.value(key);
        if let Err(e) = regex::Regex::new(value) {
            self.report(key, value, &format!("A valid regular expressions is expected, but {e}"));
        }
    }

    /// The additional columns: each comma-separated entry `column:placement[:alias]`
    /// (`AdditionalFieldsValidator.isListOfStringPairs`, then `parseAdditionalFieldsConfig`).
    fn placements(&mut self) -> Vec<AdditionalField> {
        let Some(value) = self.given(FIELDS_ADDITIONAL_PLACEMENT) else {
            return Vec::new();
        };
        let entries = split(value, ',');
        let mut fields = Vec::with_capacity(entries.len());
        for entry in &entries {
            match *split(entry, ':').as_slice() {
                [field, placement] => fields.push(additional_field(field, placement, field)),
                [field, placement, alias] => fields.push(additional_field(field, placement, alias)),
                _ => {
                    let problem = format!(
                        "A comma-separated list of valid String pairs or trios is expected but got: [{}]",
                        entries.join(", ")
                    );
                    self.report(FIELDS_ADDITIONAL_PLACEMENT, value, &problem);
                }
            }
        }
        fields
    }
}

/// One additional column, its parts trimmed and its placement read ignoring case.
fn additional_field(field: &str, placement: &str, alias: &str) -> AdditionalField {
    let placement = match trim(placement) {
        p if p.eq_ignore_ascii_case("header") => Placement::Header,
        p if p.eq_ignore_ascii_case("envelope") => Placement::Envelope,
        p if p.eq_ignore_ascii_case("partition") => Placement::Partition,
        p => Placement::Unknown(p.to_owned()),
    };
    AdditionalField {
        field: trim(field).to_owned(),
        alias: trim(alias).to_owned(),
        placement,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn placements_are_pairs_or_trios_trimmed_and_any_case() {
        let settings = Settings::parse(&props(&[(
            FIELDS_ADDITIONAL_PLACEMENT,
            "type:HEADER:eventType, tenant:envelope ,part:partition,x:nowhere,",
        )]))
        .unwrap();
        let placements: Vec<_> = settings
            .additional_fields
            .iter()
            .map(|a| (a.field.as_str(), a.alias.as_str(), a.placement.clone()))
            .collect();
        assert_eq!(
            placements,
            [
                ("type", "eventType", Placement::Header),
                ("tenant", "tenant", Placement::Envelope),
                ("part", "part", Placement::Partition),
                ("x", "x", Placement::Unknown("nowhere".into())),
            ]
        );
        assert!(!settings.payload_only());
        for bad in ["tenant", "a:header:b:c", "", "a:header,,b:header"] {
            assert!(
                Settings::parse(&props(&[(FIELDS_ADDITIONAL_PLACEMENT, bad)])).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn problems_are_said_as_debezium_says_them() {
        let err = Settings::parse(&props(&[(OPERATION_INVALID_BEHAVIOR, "explode")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid configuration: Invalid value explode for configuration table.op.invalid.behavior: The \
             'table.op.invalid.behavior' value is invalid: Value must be one of warn, error, fatal"
        );
        let ok = Settings::parse(&props(&[
            (OPERATION_INVALID_BEHAVIOR, " FATAL "),
            (EXPAND_JSON_PAYLOAD, "True"),
        ]));
        let ok = ok.unwrap();
        assert_eq!(ok.invalid_operation, InvalidOperation::Fatal);
        assert!(ok.json_expansion.is_some());
        assert!(Settings::parse(&props(&[(TRACING_CONTEXT_FIELD_REQUIRED, "yes")])).is_err());
    }
}
