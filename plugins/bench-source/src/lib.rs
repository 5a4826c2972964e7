//! `bench-source`: [`bench_logic::record`] as fast as the host polls (the benchmark's source).

use weir_plugin_sdk::*;

struct BenchSource {
    topic: String,
    next: u64,
}

impl SourcePlugin for BenchSource {
    fn describe() -> PluginInfo {
        PluginInfo::new("bench-source", env!("CARGO_PKG_VERSION"))
            .key(ConfigKey::string("topic", "Where records go.").default_value("bench"))
    }

    fn open(config: &Config) -> Result<Self, Error> {
        Ok(BenchSource {
            topic: config.get("topic").unwrap_or("bench").to_owned(),
            next: 0,
        })
    }

    fn poll(&mut self, max: u32) -> Result<Vec<SourceRecord>, Error> {
        let records = (self.next..self.next + u64::from(max))
            .map(|n| {
                let (key, value) = bench_logic::record(n);
                SourceRecord {
                    source_partition: bench_logic::PARTITION.to_owned(),
                    source_offset: bench_logic::offset(n),
                    topic: self.topic.clone(),
                    partition: None,
                    key: Payload::text(key),
                    value: Payload {
                        data: Data::Json(value),
                        schema: None,
                    },
                    timestamp: None,
                    headers: Vec::new(),
                }
            })
            .collect();
        self.next += u64::from(max);
        Ok(records)
    }
}

source_plugin!(BenchSource);
