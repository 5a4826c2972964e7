//! A test fixture: a source that misbehaves as its `behaviour` says, to show the sandbox holds.
//! Each behaviour happens in `poll`:
//!
//! - `loop`: never returns; `allocate`: allocates without bound; `trap`: panics;
//! - `read-env`: reads the variable `variable`; `read-dir`: lists the directory `directory`;
//!   each answers one record with what it found, or fails the task saying what it was denied.

use serde_json::json;
use weir_plugin_sdk::*;

struct Misbehaving {
    behaviour: String,
    topic: String,
    target: String,
    done: bool,
}

impl Misbehaving {
    fn record(&self, text: String) -> SourceRecord {
        SourceRecord {
            source_partition: json!({"fixture": "misbehaving"}).to_string(),
            source_offset: json!({"done": true}).to_string(),
            topic: self.topic.clone(),
            partition: None,
            key: Payload::null(),
            value: Payload::text(text),
            timestamp: None,
            headers: Vec::new(),
        }
    }
}

impl SourcePlugin for Misbehaving {
    fn describe() -> PluginInfo {
        PluginInfo::new("misbehaving", env!("CARGO_PKG_VERSION"))
            .key(
                ConfigKey::string("behaviour", "What to do in poll.")
                    .one_of(&["loop", "allocate", "trap", "read-env", "read-dir"]),
            )
            .key(ConfigKey::string("topic", "Where a found value goes.").default_value("misbehaving"))
            .key(ConfigKey::string("variable", "The variable read-env reads.").default_value("HOME"))
            .key(ConfigKey::string("directory", "The directory read-dir lists.").default_value("/"))
    }

    fn open(config: &Config) -> Result<Self, Error> {
        let behaviour = config.require("behaviour")?.to_owned();
        let target = match behaviour.as_str() {
            "read-env" => config.get("variable").unwrap_or("HOME"),
            _ => config.get("directory").unwrap_or("/"),
        };
        Ok(Misbehaving {
            target: target.to_owned(),
            topic: config.get("topic").unwrap_or("misbehaving").to_owned(),
            behaviour,
            done: false,
        })
    }

    fn poll(&mut self, _max: u32) -> Result<Vec<SourceRecord>, Error> {
        if self.done {
            return Ok(Vec::new());
        }
        match self.behaviour.as_str() {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "allocate" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "trap" => panic!("the misbehaving plugin panics on purpose"),
            "read-env" => {
                let value = std::env::var(&self.target)
                    .map_err(|e| Error::fatal(format!("variable {} is not available: {e}", self.target)))?;
                self.done = true;
                Ok(vec![self.record(value)])
            }
            _ => {
                let entries = std::fs::read_dir(&self.target)
                    .map_err(|e| Error::fatal(format!("directory {} is not available: {e}", self.target)))?;
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect();
                names.sort();
                self.done = true;
                Ok(vec![self.record(names.join(","))])
            }
        }
    }
}

source_plugin!(Misbehaving);
