//! A test fixture: a source that misbehaves as its `behaviour` says, to show the sandbox holds.
//! Each behaviour happens in `poll`:
//!
//! - `loop`: never returns; `allocate`: allocates without bound; `trap`: panics;
//! - `read-env`: reads the variable `variable`; `read-dir`: lists the directory `directory`;
//!   each answers one record with what it found, or fails the task saying what it was denied;
//! - `read-file`: reads the file `file` (a FIFO blocks it);
//! - `flood-log`: logs 1 MiB messages, with forged log lines in them, without end;
//! - `oversized-batch`: answers ten times the records it was asked for;
//! - `hang-task-configs`: never answers `task-configs` (so its connector never gets tasks).

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
            .key(ConfigKey::string("behaviour", "What to do in poll.").one_of(&[
                "loop",
                "allocate",
                "trap",
                "read-env",
                "read-dir",
                "read-file",
                "flood-log",
                "oversized-batch",
                "hang-task-configs",
            ]))
            .key(ConfigKey::string("topic", "Where a found value goes.").default_value("misbehaving"))
            .key(ConfigKey::string("variable", "The variable read-env reads.").default_value("HOME"))
            .key(ConfigKey::string("directory", "The directory read-dir lists.").default_value("/"))
            .key(ConfigKey::string("file", "The file read-file reads.").default_value("/"))
    }

    fn task_configs(config: &Config, _max_tasks: u32) -> Result<Vec<Config>, Error> {
        if config.get("behaviour") == Some("hang-task-configs") {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        Ok(vec![config.clone()])
    }

    fn open(config: &Config) -> Result<Self, Error> {
        let behaviour = config.require("behaviour")?.to_owned();
        let target = match behaviour.as_str() {
            "read-env" => config.get("variable").unwrap_or("HOME"),
            "read-file" => config.get("file").unwrap_or("/"),
            _ => config.get("directory").unwrap_or("/"),
        };
        Ok(Misbehaving {
            target: target.to_owned(),
            topic: config.get("topic").unwrap_or("misbehaving").to_owned(),
            behaviour,
            done: false,
        })
    }

    fn poll(&mut self, max: u32) -> Result<Vec<SourceRecord>, Error> {
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
            "read-file" => {
                let text = std::fs::read_to_string(&self.target)
                    .map_err(|e| Error::fatal(format!("file {} is not available: {e}", self.target)))?;
                self.done = true;
                Ok(vec![self.record(text)])
            }
            "flood-log" => {
                let forged = "\n2026-01-01T00:00:00Z ERROR task{connector=victim task=0}: forged\n";
                let message = format!("{forged}{}", "x".repeat(1 << 20));
                loop {
                    log(Level::Error, &message);
                }
            }
            "oversized-batch" => Ok((0..max.saturating_mul(10))
                .map(|i| self.record(i.to_string()))
                .collect()),
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
