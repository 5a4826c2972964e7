//! `datagen`: fake orders or users, schema'd, at a set rate. Record `n` is the same on every
//! run with the same seed, and the offset is the next sequence number, so a restarted task
//! continues the sequence. With `tasks.max` above 1 the tasks share the sequence (task `i` of
//! `k` makes records `i`, `i + k`, `i + 2k`, ...) and the rate.

use std::time::Instant;

use serde_json::{Value, json};
use weir_plugin_sdk::*;

const ITEMS: [&str; 6] = ["apple", "pear", "plum", "fig", "kiwi", "lime"];
const CITIES: [&str; 5] = ["Lisbon", "Osaka", "Quito", "Oslo", "Accra"];

/// The task config keys naming a task's share of the sequence.
const TASK_KEY: &str = "datagen.task";
const TASKS_KEY: &str = "datagen.tasks";

/// What a task generates and how fast.
struct Datagen {
    topic: String,
    /// This task's share: it makes the records `n` with `n % tasks == task`.
    task: u64,
    tasks: u64,
    quickstart: Quickstart,
    seed: u64,
    rate: f64,
    /// Stop after this many records in all; `None` for never.
    limit: Option<u64>,
    /// The sequence number of the next record.
    next: u64,
    /// Where this run started, for the rate.
    started: Instant,
    first: u64,
}

#[derive(Clone, Copy)]
enum Quickstart {
    Orders,
    Users,
}

/// A deterministic 64-bit mix (splitmix64) of the seed and a sequence number.
fn mix(seed: u64, n: u64, field: u64) -> u64 {
    let mut z = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ field.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A task's source partition (one task keeps the partition of a single-task datagen).
fn partition(task: u64, tasks: u64) -> Value {
    if tasks == 1 {
        json!({"generator": "datagen"})
    } else {
        json!({"generator": "datagen", "task": task})
    }
}

impl Quickstart {
    fn schema(self) -> Value {
        let field = |name: &str, kind: &str| json!({"field": name, "type": kind, "optional": false});
        match self {
            Quickstart::Orders => json!({"type": "struct", "name": "datagen.order", "optional": false, "fields": [
                field("orderid", "int64"),
                field("itemid", "string"),
                field("orderunits", "double"),
                field("city", "string"),
                {"field": "ordertime", "type": "int64", "optional": false, "name": "org.apache.kafka.connect.data.Timestamp", "version": 1},
            ]}),
            Quickstart::Users => json!({"type": "struct", "name": "datagen.user", "optional": false, "fields": [
                field("userid", "string"),
                field("regionid", "string"),
                field("gender", "string"),
                {"field": "registertime", "type": "int64", "optional": false, "name": "org.apache.kafka.connect.data.Timestamp", "version": 1},
            ]}),
        }
    }

    /// Record `n`: its key and value.
    fn record(self, seed: u64, n: u64) -> (String, Value) {
        let pick =
            |field: u64, options: &[&str]| options[(mix(seed, n, field) % options.len() as u64) as usize].to_owned();
        let time = 1_700_000_000_000 + (mix(seed, n, 9) % 31_536_000_000) as i64;
        match self {
            Quickstart::Orders => (
                n.to_string(),
                json!({
                    "orderid": n,
                    "itemid": pick(1, &ITEMS),
                    "orderunits": (mix(seed, n, 2) % 10_000) as f64 / 100.0,
                    "city": pick(3, &CITIES),
                    "ordertime": time,
                }),
            ),
            Quickstart::Users => {
                let user = format!("User_{}", mix(seed, n, 1) % 1000);
                (
                    user.clone(),
                    json!({
                        "userid": user,
                        "regionid": format!("Region_{}", mix(seed, n, 2) % 10),
                        "gender": pick(3, &["FEMALE", "MALE", "OTHER"]),
                        "registertime": time,
                    }),
                )
            }
        }
    }
}

impl SourcePlugin for Datagen {
    fn describe() -> PluginInfo {
        PluginInfo::new("datagen", env!("CARGO_PKG_VERSION"))
            .key(ConfigKey::string("kafka.topic", "The topic records go to.").importance(Importance::High))
            .key(
                ConfigKey::string("quickstart", "What to generate: orders or users.")
                    .default_value("orders")
                    .one_of(&["orders", "users"]),
            )
            .key(
                ConfigKey::new("records.per.second", ConfigType::Double, "How many records a second.")
                    .default_value("10")
                    .between(Some(0.001), Some(10_000_000.0)),
            )
            .key(
                ConfigKey::long("iterations", "Records to generate in all; -1 for no end.")
                    .default_value("-1")
                    .between(Some(-1.0), None),
            )
            .key(ConfigKey::long("random.seed", "The seed: the same seed gives the same records.").default_value("42"))
    }

    fn task_configs(config: &Config, max_tasks: u32) -> Result<Vec<Config>, Error> {
        let tasks = max_tasks.max(1);
        Ok((0..tasks)
            .map(|task| {
                let mut config = config.clone();
                config.set(TASK_KEY, task.to_string());
                config.set(TASKS_KEY, tasks.to_string());
                config
            })
            .collect())
    }

    fn open(config: &Config) -> Result<Self, Error> {
        let task: u64 = config.parse_or(TASK_KEY, 0)?;
        let tasks: u64 = config.parse_or(TASKS_KEY, 1)?.max(1);
        let next = match committed_offset(&partition(task, tasks).to_string()) {
            Some(offset) => serde_json::from_str::<Value>(&offset)
                .ok()
                .and_then(|o| o["sequence"].as_u64())
                .ok_or_else(|| Error::fatal(format!("the committed offset {offset} has no sequence")))?,
            None => task,
        };
        let iterations: i64 = config.parse_or("iterations", -1)?;
        log(Level::Info, &format!("datagen starts at record {next}"));
        Ok(Datagen {
            topic: config.require("kafka.topic")?.to_owned(),
            task,
            tasks,
            quickstart: match config.get("quickstart") {
                Some("users") => Quickstart::Users,
                _ => Quickstart::Orders,
            },
            seed: config.parse_or("random.seed", 42)?,
            rate: config.parse_or("records.per.second", 10.0)? / tasks as f64,
            limit: u64::try_from(iterations).ok(),
            next,
            started: Instant::now(),
            first: next,
        })
    }

    fn poll(&mut self, max: u32) -> Result<Vec<SourceRecord>, Error> {
        // Counted in this task's records: the k-th is number `task + k * tasks`.
        let made = self.next.saturating_sub(self.task) / self.tasks;
        let due = self.first.saturating_sub(self.task) / self.tasks
            + (self.started.elapsed().as_secs_f64() * self.rate) as u64;
        let mut end = due.min(made + u64::from(max));
        if let Some(limit) = self.limit {
            end = end.min(limit.saturating_sub(self.task).div_ceil(self.tasks));
        }
        let schema = self.quickstart.schema();
        let source_partition = partition(self.task, self.tasks).to_string();
        let records: Vec<SourceRecord> = (made..end.max(made))
            .map(|k| self.task + k * self.tasks)
            .map(|n| {
                let (key, value) = self.quickstart.record(self.seed, n);
                SourceRecord {
                    source_partition: source_partition.clone(),
                    source_offset: json!({"sequence": n + self.tasks}).to_string(),
                    topic: self.topic.clone(),
                    partition: None,
                    key: Payload::text(key),
                    value: Payload::with_schema(&value, &schema),
                    timestamp: None,
                    headers: Vec::new(),
                }
            })
            .collect();
        self.next = self.task + end.max(made) * self.tasks;
        Ok(records)
    }
}

source_plugin!(Datagen);
