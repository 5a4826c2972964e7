//! The cost of the WebAssembly sandbox: the same source, sink and transform logic
//! (`plugins/bench-logic`) run as WASM plugins (`bench-source`, `bench-sink`, `bench-transform`,
//! built by `scripts/build-plugins`) and natively, through the connector API the worker drives,
//! in one process and one run.
//!
//! ```sh
//! scripts/build-plugins bench-source bench-sink bench-transform
//! cargo run --release --example wasm_cost -- [--records N] [--batch N] [--reps N]
//! ```
//! The source side polls until `records` records came back as `SourceRecord`s; the sink side
//! puts the same records in batches; the transform side applies a transform to each of them, one
//! by one, as a task's pipeline does. Both sides pass the same JSON text (the interface carries
//! values as JSON), so what differs is the boundary: copying in and out of the guest, and the
//! guest's own code compiled by Cranelift instead of rustc. Prints one JSON line per rep and
//! side, then the medians and the WASM/native ratios.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use serde_json::{Value as Json, json};
use weir_connector_api::{
    ConnectError, ConnectRecord, ConnectorKind, ConnectorPlugin, OffsetReader, Props, SinkRecord, SinkTask, SourceMap,
    SourceRecord, SourceTask, SourceTaskContext, TopicPartition, Transformation, TransformerPlugin, Value,
};
use weir_runtime::wasm::{LoadedPlugin, WasmConnector, WasmHost, WasmTransformPlugin};

/// No committed offsets: every run starts at record 0.
struct NoOffsets;

impl OffsetReader for NoOffsets {
    fn offset(&self, _partition: &SourceMap) -> Option<SourceMap> {
        None
    }
}

fn object(text: &str) -> Result<SourceMap, ConnectError> {
    match serde_json::from_str(text) {
        Ok(Json::Object(map)) => Ok(map),
        _ => Err(ConnectError::Data(format!("not a JSON object: {text}"))),
    }
}

/// The benchmark source, native: records as the host makes them of the plugin's output.
struct NativeSource {
    next: u64,
}

#[async_trait]
impl SourceTask for NativeSource {
    async fn start(&mut self, _props: &Props, _context: SourceTaskContext) -> Result<(), ConnectError> {
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let records = (self.next..self.next + 2000)
            .map(|n| {
                let (key, value) = bench_logic::record(n);
                let value: Json = serde_json::from_str(&value).map_err(|e| ConnectError::Data(e.to_string()))?;
                Ok(SourceRecord::new(
                    object(bench_logic::PARTITION)?,
                    object(&bench_logic::offset(n))?,
                    "bench",
                    None,
                    Value::from_json(&value),
                )
                .with_key(None, Value::String(key)))
            })
            .collect::<Result<Vec<_>, ConnectError>>()?;
        self.next += 2000;
        Ok(records)
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

/// The benchmark sink, native.
struct NativeSink {
    sum: u64,
}

#[async_trait]
impl SinkTask for NativeSink {
    async fn start(&mut self, _props: &Props) -> Result<(), ConnectError> {
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        for record in records {
            self.sum = bench_logic::absorb(self.sum, &record.value.to_json());
        }
        Ok(())
    }

    async fn flush(&mut self, _offsets: &BTreeMap<TopicPartition, i64>) -> Result<(), ConnectError> {
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

/// The benchmark transform, native: the same logic on the value's JSON, as the WASM side gets it.
struct NativeTransform;

impl Transformation for NativeTransform {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let mut value = record.value.to_json();
        bench_logic::tag(&mut value);
        record.value = Value::from_json(&value);
        Ok(Some(record))
    }
}

/// Seconds for a transform to take every record of these batches, one by one.
fn run_transform(mut transform: Box<dyn Transformation>, batches: &[Vec<SinkRecord>]) -> Result<f64> {
    let started = Instant::now();
    for record in batches.iter().flatten() {
        let record = ConnectRecord {
            topic: record.topic.clone(),
            partition: Some(record.partition),
            key_schema: record.key_schema.clone(),
            key: record.key.clone(),
            value_schema: record.value_schema.clone(),
            value: record.value.clone(),
            timestamp: record.timestamp,
            headers: Vec::new(),
            offset: Some(record.offset),
        };
        transform.apply(record)?.context("the transform dropped a record")?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Seconds for a source task to hand back `records` records.
async fn run_source(mut task: Box<dyn SourceTask>, records: usize) -> Result<f64> {
    let context = SourceTaskContext {
        offsets: Arc::new(NoOffsets),
        metrics: Default::default(),
        transactions: None,
    };
    task.start(&Props::new(), context).await?;
    let started = Instant::now();
    let mut seen = 0;
    while seen < records {
        seen += task.poll().await?.len();
    }
    let seconds = started.elapsed().as_secs_f64();
    task.stop().await?;
    Ok(seconds)
}

/// Seconds for a sink task to take these batches.
async fn run_sink(mut task: Box<dyn SinkTask>, batches: &[Vec<SinkRecord>]) -> Result<f64> {
    task.start(&Props::new()).await?;
    let started = Instant::now();
    for batch in batches {
        task.put(batch).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    task.stop().await?;
    Ok(seconds)
}

/// The records the sink side takes, in batches.
fn sink_batches(records: usize, batch: usize) -> Result<Vec<Vec<SinkRecord>>> {
    let all: Vec<SinkRecord> = (0..records as u64)
        .map(|n| {
            let (key, value) = bench_logic::record(n);
            let value: Json = serde_json::from_str(&value)?;
            Ok(SinkRecord {
                topic: "bench".into(),
                partition: 0,
                offset: n as i64,
                key_schema: None,
                key: Value::String(key),
                value_schema: None,
                value: Value::from_json(&value),
                timestamp: None,
                headers: Vec::new(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(all.chunks(batch).map(<[SinkRecord]>::to_vec).collect())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn load(host: &Arc<WasmHost>, name: &str) -> Result<Arc<LoadedPlugin>> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("plugins/dist/{name}.wasm"));
    if !file.exists() {
        bail!("{} is missing: run scripts/build-plugins {name}", file.display());
    }
    Ok(Arc::new(LoadedPlugin::load(host.clone(), file).await?))
}

// A WebAssembly transform runs its guest calls to completion on the task's thread, which the
// multi-threaded runtime allows; one worker thread keeps the sides comparable.
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> Result<()> {
    let mut options = BTreeMap::from([("--records", 1_000_000), ("--batch", 2000), ("--reps", 3)]);
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let [name, value] = pair else {
            bail!("options take a value")
        };
        let slot = options
            .get_mut(name.as_str())
            .with_context(|| format!("unknown option {name}"))?;
        *slot = value.parse().with_context(|| format!("{name} {value}"))?;
    }
    let (records, batch, reps) = (options["--records"], options["--batch"], options["--reps"]);
    let host = WasmHost::new(None, weir_runtime::config::worker::WasmLimits::UNBOUNDED)?;
    let source = load(&host, "bench-source").await?;
    let sink = load(&host, "bench-sink").await?;
    let TransformerPlugin::Transformation(wasm_transform) =
        WasmTransformPlugin::descriptor(load(&host, "bench-transform").await?).plugin
    else {
        bail!("bench-transform is not a transform")
    };
    let batches = sink_batches(records, batch)?;

    let mut times: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for rep in 0..reps {
        let ConnectorPlugin::Source(wasm_source) =
            WasmConnector::descriptor(source.clone(), ConnectorKind::Source).plugin
        else {
            bail!("bench-source is not a source")
        };
        let ConnectorPlugin::Sink(wasm_sink) = WasmConnector::descriptor(sink.clone(), ConnectorKind::Sink).plugin
        else {
            bail!("bench-sink is not a sink")
        };
        let runs = [
            (
                "source native",
                run_source(Box::new(NativeSource { next: 0 }), records).await?,
            ),
            ("source wasm", run_source(wasm_source.create_task(), records).await?),
            (
                "sink native",
                run_sink(Box::new(NativeSink { sum: 0 }), &batches).await?,
            ),
            ("sink wasm", run_sink(wasm_sink.create_task(), &batches).await?),
            ("transform native", run_transform(Box::new(NativeTransform), &batches)?),
            (
                "transform wasm",
                run_transform(wasm_transform.create(&Props::new())?, &batches)?,
            ),
        ];
        for (side, seconds) in runs {
            println!(
                "{}",
                json!({"rep": rep, "side": side, "seconds": seconds, "records_per_second": records as f64 / seconds})
            );
            times.entry(side).or_default().push(seconds);
        }
    }
    let mut medians: BTreeMap<&str, f64> = BTreeMap::new();
    for (side, seconds) in &mut times {
        medians.insert(side, median(seconds));
    }
    println!(
        "{}",
        json!({
            "records": records,
            "batch": batch,
            "reps": reps,
            "records_per_second": medians.iter().map(|(side, s)| (side.to_string(), json!(records as f64 / s))).collect::<serde_json::Map<_, _>>(),
            "wasm_over_native_time": {
                "source": medians["source wasm"] / medians["source native"],
                "sink": medians["sink wasm"] / medians["sink native"],
                "transform": medians["transform wasm"] / medians["transform native"],
            },
        })
    );
    Ok(())
}
