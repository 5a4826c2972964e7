//! Log levels changed at run time, as Kafka Connect's `/admin/loggers` changes them (KIP-495,
//! and KIP-976 for the whole cluster): a logger's level is a `tracing` filter directive for the
//! targets it names. A Rust target (`weir_runtime::herder`, `rdkafka`) names itself; a Kafka
//! Connect logger name (`org.apache.kafka.connect.runtime.WorkerSinkTask`) names the Weir
//! modules that do the same work, by its longest known prefix; `root` is the default level.
//!
//! The binary owns the subscriber and hands over how to apply a filter; the runtime keeps the
//! levels set and the filter they make.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::sync::lock;

/// The logger that is every other logger's ancestor.
pub const ROOT: &str = "root";

/// Kafka Connect logger names and the Weir targets doing the same work.
const KAFKA_CONNECT_LOGGERS: &[(&str, &[&str])] = &[
    (
        "org.apache.kafka.connect",
        &[
            "weir",
            "weir_runtime",
            "weir_connectors",
            "weir_transforms",
            "weir_converters",
        ],
    ),
    ("org.apache.kafka.connect.runtime", &["weir_runtime"]),
    (
        "org.apache.kafka.connect.runtime.WorkerSourceTask",
        &["weir_runtime::worker::source_task"],
    ),
    (
        "org.apache.kafka.connect.runtime.ExactlyOnceWorkerSourceTask",
        &["weir_runtime::worker::source_task::transaction"],
    ),
    (
        "org.apache.kafka.connect.runtime.WorkerSinkTask",
        &["weir_runtime::worker::sink_task"],
    ),
    ("org.apache.kafka.connect.runtime.Worker", &["weir_runtime::worker"]),
    (
        "org.apache.kafka.connect.runtime.errors",
        &["weir_runtime::worker::errors", "weir_runtime::worker::dead_letter"],
    ),
    (
        "org.apache.kafka.connect.runtime.distributed",
        &["weir_runtime::group", "weir_runtime::herder"],
    ),
    ("org.apache.kafka.connect.runtime.rest", &["weir_runtime::rest"]),
    (
        "org.apache.kafka.connect.runtime.isolation",
        &["weir_runtime::plugins", "weir_runtime::wasm"],
    ),
    ("org.apache.kafka.connect.storage", &["weir_runtime::storage"]),
    (
        "org.apache.kafka.connect.util.KafkaBasedLog",
        &["weir_runtime::storage::kafka_log"],
    ),
    ("org.apache.kafka.connect.file", &["weir_connectors::file"]),
    ("org.apache.kafka.connect.transforms", &["weir_transforms"]),
    ("org.apache.kafka.connect.json", &["weir_converters"]),
    ("org.apache.kafka.clients", &["rdkafka"]),
    ("io.debezium", &["weir_connectors::postgres"]),
    ("io.confluent.connect.s3", &["weir_connectors::s3"]),
];

/// A level as Kafka Connect's loggers take it (log4j's names), and the `tracing` level it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    name: &'static str,
    directive: &'static str,
}

impl Level {
    /// Parses a log4j level name, in any case.
    pub fn parse(name: &str) -> Option<Level> {
        let (name, directive) = match name.trim().to_ascii_uppercase().as_str() {
            "OFF" => ("OFF", "off"),
            "FATAL" => ("FATAL", "error"),
            "ERROR" => ("ERROR", "error"),
            "WARN" => ("WARN", "warn"),
            "INFO" => ("INFO", "info"),
            "DEBUG" => ("DEBUG", "debug"),
            "TRACE" => ("TRACE", "trace"),
            "ALL" => ("ALL", "trace"),
            _ => return None,
        };
        Some(Level { name, directive })
    }

    /// Its log4j name, as answered.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// A logger's level, and when it was last set through the API (`None`: as the worker started).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggerLevel {
    /// The level.
    pub level: Level,
    /// When it was set, in milliseconds since the Unix epoch.
    pub last_modified: Option<u64>,
}

/// Applies a whole filter (`RUST_LOG` syntax) to the process's logs.
pub type ApplyFilter = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

struct State {
    /// The root level: the startup filter's default, until set.
    root: LoggerLevel,
    /// The startup filter's directives for targets, kept under those set since.
    startup: Vec<String>,
    /// The loggers set through the API, by name.
    set: BTreeMap<String, LoggerLevel>,
}

/// The process's log levels: those the worker started with, and those set since.
#[derive(Clone)]
pub struct LogLevels {
    state: Arc<Mutex<State>>,
    apply: ApplyFilter,
}

impl LogLevels {
    /// The levels of a process started with `filter` (`RUST_LOG` syntax), changed through
    /// `apply`.
    pub fn new(filter: &str, apply: ApplyFilter) -> Self {
        let mut root = Level::parse("INFO").unwrap_or(Level {
            name: "INFO",
            directive: "info",
        });
        let mut startup = Vec::new();
        for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            match Level::parse(directive) {
                Some(level) => root = level,
                None => startup.push(directive.to_owned()),
            }
        }
        LogLevels {
            state: Arc::new(Mutex::new(State {
                root: LoggerLevel {
                    level: root,
                    last_modified: None,
                },
                startup,
                set: BTreeMap::new(),
            })),
            apply,
        }
    }

    /// Levels that change nothing: for tests and embedders that own no subscriber.
    pub fn detached() -> Self {
        LogLevels::new("info", Arc::new(|_| Ok(())))
    }

    /// Every logger with a level of its own: `root`, and those set through the API.
    pub fn all(&self) -> BTreeMap<String, LoggerLevel> {
        let state = lock(&self.state);
        let mut all = state.set.clone();
        all.insert(ROOT.to_owned(), state.root);
        all
    }

    /// A logger's level: its own, or the one it inherits; `None` for a name Weir knows nothing
    /// of.
    pub fn get(&self, name: &str) -> Option<LoggerLevel> {
        let state = lock(&self.state);
        if name.eq_ignore_ascii_case(ROOT) {
            return Some(state.root);
        }
        if let Some(level) = state.set.get(name) {
            return Some(*level);
        }
        let known = !targets(name).is_empty() || state.set.keys().any(|set| is_within(name, set));
        if !known {
            return None;
        }
        // The nearest ancestor set through the API, else the root.
        let inherited = state
            .set
            .iter()
            .filter(|(set, _)| is_within(name, set))
            .max_by_key(|(set, _)| set.len())
            .map_or(state.root.level, |(_, level)| level.level);
        Some(LoggerLevel {
            level: inherited,
            last_modified: None,
        })
    }

    /// Sets the level of `namespace` and of the loggers under it that have a level of their
    /// own; returns their names, sorted (Kafka Connect's answer).
    pub fn set(&self, namespace: &str, level: Level) -> Result<Vec<String>, String> {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .ok()
            .and_then(|d| u64::try_from(d.as_millis()).ok());
        let set = LoggerLevel {
            level,
            last_modified: now,
        };
        let (filter, affected) = {
            let mut state = lock(&self.state);
            let mut affected = Vec::new();
            if namespace.eq_ignore_ascii_case(ROOT) {
                state.root = set;
                affected.push(ROOT.to_owned());
                for (name, level) in state.set.iter_mut() {
                    *level = set;
                    affected.push(name.clone());
                }
            } else {
                for (name, level) in state.set.iter_mut().filter(|(name, _)| is_within(name, namespace)) {
                    *level = set;
                    affected.push(name.clone());
                }
                state.set.insert(namespace.to_owned(), set);
                affected.push(namespace.to_owned());
            }
            affected.sort();
            affected.dedup();
            (filter(&state), affected)
        };
        (self.apply)(&filter)?;
        tracing::info!(%namespace, level = level.name(), %filter, "log level changed");
        Ok(affected)
    }
}

/// Whether logger `name` is `namespace` or under it (`a.b.c` under `a.b`, `x::y` under `x`).
fn is_within(name: &str, namespace: &str) -> bool {
    name == namespace
        || name
            .strip_prefix(namespace)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("::"))
}

/// The `tracing` targets a logger name stands for.
fn targets(name: &str) -> Vec<&str> {
    if !name.contains('.') {
        return vec![name];
    }
    KAFKA_CONNECT_LOGGERS
        .iter()
        .filter(|(logger, _)| is_within(name, logger))
        .max_by_key(|(logger, _)| logger.len())
        .map(|(_, targets)| targets.to_vec())
        .unwrap_or_default()
}

/// The filter the levels make: the root level, the startup directives, then the loggers set,
/// ancestors before descendants so that the nearest wins.
fn filter(state: &State) -> String {
    let mut directives = vec![state.root.level.directive.to_owned()];
    directives.extend(state.startup.iter().cloned());
    let mut set: Vec<(&String, &LoggerLevel)> = state.set.iter().collect();
    set.sort_by_key(|(name, _)| name.len());
    for (name, level) in set {
        for target in targets(name) {
            directives.push(format!("{target}={}", level.level.directive));
        }
    }
    directives.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording() -> (LogLevels, Arc<Mutex<Vec<String>>>) {
        let applied = Arc::new(Mutex::new(Vec::new()));
        let sink = applied.clone();
        let levels = LogLevels::new(
            "warn,sqlx=error",
            Arc::new(move |filter: &str| {
                lock(&sink).push(filter.to_owned());
                Ok(())
            }),
        );
        (levels, applied)
    }

    #[test]
    fn kafka_connect_names_set_the_weir_targets_doing_the_same_work() {
        let (levels, applied) = recording();
        assert_eq!(levels.get(ROOT).map(|l| l.level.name()), Some("WARN"));
        let debug = Level::parse("debug").expect("a level");
        let affected = levels
            .set("org.apache.kafka.connect.runtime.WorkerSinkTask", debug)
            .expect("set");
        assert_eq!(affected, ["org.apache.kafka.connect.runtime.WorkerSinkTask"]);
        assert_eq!(
            lock(&applied).last().map(String::as_str),
            Some("warn,sqlx=error,weir_runtime::worker::sink_task=debug")
        );
        // Setting an ancestor sets the loggers under it too, and is applied before them.
        let trace = Level::parse("TRACE").expect("a level");
        let affected = levels.set("org.apache.kafka.connect.runtime", trace).expect("set");
        assert_eq!(
            affected,
            [
                "org.apache.kafka.connect.runtime",
                "org.apache.kafka.connect.runtime.WorkerSinkTask"
            ]
        );
        assert_eq!(
            lock(&applied).last().map(String::as_str),
            Some("warn,sqlx=error,weir_runtime=trace,weir_runtime::worker::sink_task=trace")
        );
        let sink = levels
            .get("org.apache.kafka.connect.runtime.WorkerSinkTask")
            .expect("known");
        assert_eq!(sink.level.name(), "TRACE");
        assert!(sink.last_modified.is_some());
        // A logger under one set inherits it; an unknown Java name is not found.
        assert_eq!(
            levels
                .get("org.apache.kafka.connect.runtime.rest.RestServer")
                .map(|l| l.level.name()),
            Some("TRACE")
        );
        assert_eq!(levels.get("com.example.Nothing"), None);
        assert_eq!(
            levels.all().keys().collect::<Vec<_>>(),
            [
                "org.apache.kafka.connect.runtime",
                "org.apache.kafka.connect.runtime.WorkerSinkTask",
                "root"
            ]
        );
    }

    #[test]
    fn rust_targets_name_themselves_and_root_sets_the_default() {
        let (levels, applied) = recording();
        let error = Level::parse("ERROR").expect("a level");
        levels.set("weir_runtime::herder", error).expect("set");
        levels.set("root", Level::parse("info").expect("a level")).expect("set");
        assert_eq!(
            lock(&applied).last().map(String::as_str),
            Some("info,sqlx=error,weir_runtime::herder=info")
        );
        assert_eq!(Level::parse("verbose"), None);
    }
}
