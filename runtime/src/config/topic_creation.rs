//! How a source connector's topics are created when its records reach a topic that does not
//! exist yet (Kafka Connect's KIP-158): `topic.creation.groups` names groups, each with
//! `topic.creation.<group>.include` and `.exclude` (lists of regular expressions that match
//! whole topic names), `.replication.factor`, `.partitions` and any topic config
//! (`topic.creation.<group>.cleanup.policy`, ...). A topic goes to the first group that includes
//! it and does not exclude it, else to the `default` group, whose replication factor and
//! partitions are required. Custom groups without them take the default group's.
//!
//! A connector uses topic creation when the worker's `topic.creation.enable` is true (the
//! default) and its config has any `topic.creation.` key.

use regex::Regex;
use weir_connector_api::config::parse_list;
use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Props, Width};

/// Every topic creation key starts so.
pub const PREFIX: &str = "topic.creation.";
/// The key listing the custom groups.
pub const GROUPS: &str = "topic.creation.groups";
/// The group every topic falls into when no other takes it.
pub const DEFAULT_GROUP: &str = "default";

const INCLUDE: &str = "include";
const EXCLUDE: &str = "exclude";
const REPLICATION_FACTOR: &str = "replication.factor";
const PARTITIONS: &str = "partitions";

/// How the topics of one group are created.
#[derive(Clone, Debug)]
pub struct TopicGroup {
    /// The group's name (`default` for the default group).
    pub name: String,
    include: Option<Regex>,
    exclude: Option<Regex>,
    /// The replication factor; -1 takes the broker's default.
    pub replication_factor: i32,
    /// The partition count; -1 takes the broker's default.
    pub partitions: i32,
    /// The topic configs given for the group (`cleanup.policy`, ...).
    pub configs: Vec<(String, String)>,
}

impl TopicGroup {
    /// Whether this group takes `topic`: included, and not excluded (exclusion wins).
    fn takes(&self, topic: &str) -> bool {
        let matches = |re: &Option<Regex>| re.as_ref().is_some_and(|re| re.is_match(topic));
        matches(&self.include) && !matches(&self.exclude)
    }
}

/// A connector's topic creation groups, the default last.
#[derive(Clone, Debug)]
pub struct TopicCreation {
    groups: Vec<TopicGroup>,
}

/// The custom groups of `props`, each once, in order (`default` is not one).
fn custom_groups(props: &Props) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    for group in parse_list(props.get(GROUPS).map(String::as_str).unwrap_or_default()) {
        if group != DEFAULT_GROUP && !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups
}

/// Whether a connector config asks for topic creation (any `topic.creation.` key).
pub fn in_use(props: &Props) -> bool {
    props.keys().any(|k| k.starts_with(PREFIX))
}

/// A group's full key name.
fn key_of(group: &str, key: &str) -> String {
    format!("{PREFIX}{group}.{key}")
}

/// One regular expression matching whole topic names, from a list of them.
fn whole_match(patterns: &[String]) -> Result<Option<Regex>, regex::Error> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let alternatives: Vec<String> = patterns.iter().map(|p| format!("(?:{p})")).collect();
    Regex::new(&format!("^(?:{})$", alternatives.join("|"))).map(Some)
}

/// The keys of the groups of `props`, as Kafka Connect defines them when it reads a config with
/// topic creation: each group's include, exclude, replication factor and partitions.
pub fn definition(props: &Props) -> ConfigDef {
    let mut def = ConfigDef::new();
    let groups = custom_groups(props);
    for group in groups.iter().map(String::as_str).chain([DEFAULT_GROUP]) {
        let default = group == DEFAULT_GROUP;
        let key =
            |name: &str, kind: ConfigType, doc: &str| ConfigKey::new(&key_of(group, name), kind, Importance::Low, doc);
        let count = |name: &str, doc: &str| {
            let key = key(name, ConfigType::Int, doc);
            if default { key } else { key.default_null() }
        };
        let keys = [
            (
                key(INCLUDE, ConfigType::List, "Regular expressions of the topic names this group's settings apply to.")
                    .default_value(if default { ".*" } else { "" }),
                "Inclusion Topic Pattern for",
            ),
            (
                key(EXCLUDE, ConfigType::List, "Regular expressions of the topic names this group's settings do not apply to; exclusion wins over inclusion.")
                    .default_value(""),
                "Exclusion Topic Pattern for",
            ),
            (
                count(REPLICATION_FACTOR, "The replication factor of the topics this group creates, or -1 for the broker's default; required for the default group, the default group's for the others."),
                "Replication Factor for Topics in",
            ),
            (
                count(PARTITIONS, "The partition count of the topics this group creates, or -1 for the broker's default; required for the default group, the default group's for the others."),
                "Partition Count for Topics in",
            ),
        ];
        for (order, (key, display)) in keys.into_iter().enumerate() {
            let name = key.name.clone();
            def = def
                .define(group, key)
                .shown(&name, order as i32 + 1, Width::Long, &format!("{display} {group}"));
        }
    }
    def
}

/// Checks the groups' values beyond their types: counts of -1 or at least 1, and regular
/// expressions that compile. The errors go to the reports of [`definition`]'s keys.
pub fn validate(props: &Props, reports: &mut [ConfigValue]) {
    let mut add = |key: &str, error: String| {
        if let Some(report) = reports.iter_mut().find(|r| r.name == key) {
            report.errors.push(error);
        }
    };
    for group in custom_groups(props).iter().map(String::as_str).chain([DEFAULT_GROUP]) {
        for (name, what) in [
            (
                REPLICATION_FACTOR,
                "Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default",
            ),
            (
                PARTITIONS,
                "Number of partitions must be positive, or -1 to use the broker's default",
            ),
        ] {
            let key = key_of(group, name);
            if let Some(value) = props.get(&key).and_then(|v| v.trim().parse::<i64>().ok())
                && value != -1
                && value < 1
            {
                add(&key, format!("Invalid value {value} for configuration {key}: {what}"));
            }
        }
        for name in [INCLUDE, EXCLUDE] {
            let key = key_of(group, name);
            let patterns = parse_list(props.get(&key).map(String::as_str).unwrap_or_default());
            for pattern in patterns {
                if let Err(e) = Regex::new(&pattern) {
                    add(&key, format!("Invalid value {pattern} for configuration {key}: {e}"));
                }
            }
        }
    }
}

impl TopicCreation {
    /// The groups of a config that passed validation; `None` when it has no `topic.creation.`
    /// key.
    pub fn parse(props: &Props) -> Result<Option<Self>, String> {
        if !in_use(props) {
            return Ok(None);
        }
        let int = |group: &str, name: &str| -> Result<Option<i32>, String> {
            let key = key_of(group, name);
            props
                .get(&key)
                .map(|v| v.trim().parse::<i32>().map_err(|e| format!("{key}: {e}")))
                .transpose()
        };
        let list = |group: &str, name: &str, default: &str| {
            let key = key_of(group, name);
            let patterns = parse_list(props.get(&key).map(String::as_str).unwrap_or(default));
            whole_match(&patterns).map_err(|e| format!("{key}: {e}"))
        };
        let default_count = |name: &str| {
            int(DEFAULT_GROUP, name)?.ok_or_else(|| {
                format!(
                    "Missing required configuration \"{}\" which has no default value.",
                    key_of(DEFAULT_GROUP, name)
                )
            })
        };
        let (replication_factor, partitions) = (default_count(REPLICATION_FACTOR)?, default_count(PARTITIONS)?);
        let mut groups = Vec::new();
        for group in custom_groups(props).iter().map(String::as_str).chain([DEFAULT_GROUP]) {
            let own = format!("{PREFIX}{group}.");
            let configs = props
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(&own)?, v)))
                .filter(|(k, _)| ![INCLUDE, EXCLUDE, REPLICATION_FACTOR, PARTITIONS].contains(k))
                .map(|(k, v)| (k.to_owned(), v.clone()))
                .collect();
            let default = group == DEFAULT_GROUP;
            groups.push(TopicGroup {
                name: group.to_owned(),
                include: list(group, INCLUDE, if default { ".*" } else { "" })?,
                exclude: list(group, EXCLUDE, "")?,
                replication_factor: int(group, REPLICATION_FACTOR)?.unwrap_or(replication_factor),
                partitions: int(group, PARTITIONS)?.unwrap_or(partitions),
                configs,
            });
        }
        Ok(Some(TopicCreation { groups }))
    }

    /// The group whose settings create `topic`: the first that takes it, else the default.
    pub fn group_for(&self, topic: &str) -> Option<&TopicGroup> {
        self.groups
            .iter()
            .find(|g| g.takes(topic))
            .or_else(|| self.groups.last())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_topic_goes_to_the_first_group_that_includes_and_does_not_exclude_it() {
        let creation = TopicCreation::parse(&props(&[
            ("topic.creation.groups", "audit, compacted"),
            ("topic.creation.default.replication.factor", "3"),
            ("topic.creation.default.partitions", "6"),
            ("topic.creation.default.compression.type", "lz4"),
            ("topic.creation.audit.include", "audit\\..*"),
            ("topic.creation.audit.exclude", "audit\\.skip"),
            ("topic.creation.audit.partitions", "1"),
            ("topic.creation.compacted.include", "audit.skip, .*-state"),
            ("topic.creation.compacted.cleanup.policy", "compact"),
        ]))
        .unwrap()
        .unwrap();
        let group = |topic: &str| creation.group_for(topic).map(|g| g.name.clone()).unwrap();
        assert_eq!(group("audit.logins"), "audit");
        assert_eq!(
            group("audit.skip"),
            "compacted",
            "excluded from audit, included by compacted"
        );
        assert_eq!(group("users-state"), "compacted");
        assert_eq!(group("x-users-state-y"), "default", "a pattern matches the whole name");
        assert_eq!(group("orders"), "default");
        let audit = creation.group_for("audit.x").unwrap();
        assert_eq!(
            (audit.replication_factor, audit.partitions),
            (3, 1),
            "the default group's factor"
        );
        assert!(audit.configs.is_empty(), "a group's own topic configs only");
        let compacted = creation.group_for("a-state").unwrap();
        assert_eq!(
            compacted.configs,
            vec![("cleanup.policy".to_owned(), "compact".to_owned())]
        );
        let default = creation.group_for("orders").unwrap();
        assert_eq!(default.configs, vec![("compression.type".to_owned(), "lz4".to_owned())]);
    }

    #[test]
    fn without_topic_creation_keys_nothing_is_created() {
        assert!(TopicCreation::parse(&props(&[("topic", "t")])).unwrap().is_none());
    }

    #[test]
    fn the_default_groups_counts_are_required_and_checked() {
        let given = props(&[
            ("topic.creation.default.partitions", "0"),
            ("topic.creation.groups", "g"),
        ]);
        let mut reports = definition(&given).validate(&given);
        validate(&given, &mut reports);
        let errors = |key: &str| {
            reports
                .iter()
                .find(|r| r.name == key)
                .map(|r| r.errors.clone())
                .unwrap()
        };
        assert!(errors("topic.creation.default.replication.factor")[0].starts_with("Missing required configuration"));
        assert!(errors("topic.creation.default.partitions")[0].contains("Number of partitions must be positive"));
        assert!(
            errors("topic.creation.g.partitions").is_empty(),
            "a custom group's counts are optional"
        );
        assert!(TopicCreation::parse(&given).unwrap_err().contains("replication.factor"));
    }
}
