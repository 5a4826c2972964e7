//! `bench-sink`: [`bench_logic::absorb`] over every record's value (the benchmark's sink).

use weir_plugin_sdk::*;

struct BenchSink {
    sum: u64,
}

impl SinkPlugin for BenchSink {
    fn describe() -> PluginInfo {
        PluginInfo::new("bench-sink", env!("CARGO_PKG_VERSION"))
    }

    fn open(_config: &Config) -> Result<Self, Error> {
        Ok(BenchSink { sum: 0 })
    }

    fn put(&mut self, records: Vec<SinkRecord>) -> Result<(), Error> {
        for record in &records {
            let value = record.value.to_json().unwrap_or_default();
            self.sum = bench_logic::absorb(self.sum, &value);
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), Error> {
        log(Level::Debug, &format!("bench-sink absorbed {}", self.sum));
        Ok(())
    }
}

sink_plugin!(BenchSink);
