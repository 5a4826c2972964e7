//! `bench-transform`: [`bench_logic::tag`] on every record's JSON value (the benchmark's
//! transform).

use weir_plugin_sdk::*;

struct BenchTransform;

impl TransformPlugin for BenchTransform {
    fn describe() -> PluginInfo {
        PluginInfo::new("bench-transform", env!("CARGO_PKG_VERSION"))
    }

    fn configure(_config: &Config) -> Result<Self, Error> {
        Ok(BenchTransform)
    }

    fn apply(&mut self, records: Vec<SourceRecord>) -> Result<Vec<SourceRecord>, Error> {
        records
            .into_iter()
            .map(|mut record| {
                if let Data::Json(text) = &record.value.data {
                    let mut value: serde_json::Value =
                        serde_json::from_str(text).map_err(|e| Error::Data(e.to_string()))?;
                    bench_logic::tag(&mut value);
                    record.value.data = Data::Json(value.to_string());
                }
                Ok(record)
            })
            .collect()
    }
}

transform_plugin!(BenchTransform);
