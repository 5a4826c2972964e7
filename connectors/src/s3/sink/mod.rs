//! The `s3-sink` connector (Confluent's `io.confluent.connect.s3.S3SinkConnector`): Kafka
//! records into objects, offsets committed only up to completed objects. With deterministic
//! rotation (`flush.size`, `rotate.interval.ms` on record time) a record is in the bucket once.

mod object;
mod settings;
mod window;

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use weir_connector_api::{
    ConfigDef, ConfigValue, ConnectError, Connector, Props, SinkConnector, SinkRecord, SinkTask, TopicPartition,
};

use self::settings::{NullValues, SinkSettings};
use self::window::PartitionWindow;
use super::store::Store;

/// The `s3-sink` connector.
pub struct S3SinkConnector;

#[async_trait]
impl Connector for S3SinkConnector {
    fn version(&self) -> String {
        super::VERSION.into()
    }

    fn config_def(&self) -> ConfigDef {
        settings::definition()
    }

    async fn validate(&self, props: &Props, reports: &mut Vec<ConfigValue>) {
        if reports.iter().any(|r| !r.errors.is_empty()) {
            return;
        }
        let mut errors = match SinkSettings::parse(props) {
            Ok(_) => Vec::new(),
            Err(errors) => errors,
        };
        if errors.is_empty()
            && let Ok(config) = settings::definition().parse(props)
            && let Err(e) = Store::connect(&config).await.check().await
        {
            errors.push(("s3.bucket.name", e.to_string()));
        }
        for (key, error) in errors {
            if let Some(report) = reports.iter_mut().find(|r| r.name == key) {
                report.errors.push(error);
            }
        }
    }

    async fn task_configs(&self, props: &Props, max_tasks: usize) -> Result<Vec<Props>, ConnectError> {
        // The consumer group shares the partitions among the tasks.
        Ok(vec![props.clone(); max_tasks.max(1)])
    }
}

impl SinkConnector for S3SinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(S3SinkTask::default())
    }
}

/// A sink task: one window of open objects per Kafka partition.
#[derive(Default)]
pub struct S3SinkTask {
    /// The settings and the bucket, once started.
    started: Option<(SinkSettings, Store)>,
    windows: BTreeMap<TopicPartition, PartitionWindow>,
}

/// The wall clock in epoch milliseconds.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl S3SinkTask {
    /// Takes one record into its partition's window.
    async fn take(&mut self, record: &SinkRecord, now: i64) -> Result<(), ConnectError> {
        let Some((settings, store)) = &self.started else {
            return Err(ConnectError::Fatal("the S3 sink task was not started".into()));
        };
        let partition = TopicPartition {
            topic: record.topic.clone(),
            partition: record.partition,
        };
        let window = self
            .windows
            .entry(partition.clone())
            .or_insert_with(|| PartitionWindow::new(partition));
        if window.has_taken(record.offset) {
            return Ok(());
        }
        if record.value.is_null() {
            return match settings.null_values {
                NullValues::Ignore => {
                    window.skip(record.offset);
                    Ok(())
                }
                NullValues::Fail => Err(ConnectError::Data(format!(
                    "record {}-{}@{} has a null value; set behavior.on.null.values=ignore to skip such records",
                    record.topic, record.partition, record.offset
                ))),
            };
        }
        let time = if settings.needs_time() {
            settings.extractor.timestamp(record, now)?
        } else {
            now
        };
        if window.due_before(settings, time) {
            window.complete(store, settings).await?;
        }
        let encoded = settings.partitioner.encode(record, || Ok(time))?;
        window.append(store, settings, record, encoded, time, now).await?;
        if window.due(settings, now) {
            window.complete(store, settings).await?;
        }
        Ok(())
    }

    /// Completes the windows that are due, then the largest ones while the task holds more
    /// than its memory allows.
    async fn complete_due(&mut self, now: i64) -> Result<(), ConnectError> {
        let Some((settings, store)) = &self.started else {
            return Ok(());
        };
        for window in self.windows.values_mut() {
            if window.due(settings, now) {
                window.complete(store, settings).await?;
            }
        }
        while self.windows.values().map(PartitionWindow::buffered).sum::<usize>() > settings.buffer_max_bytes {
            let Some(largest) = self.windows.values_mut().max_by_key(|w| w.buffered()) else {
                break;
            };
            tracing::info!("s3.buffer.max.bytes reached: completing the largest window early");
            largest.complete(store, settings).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl SinkTask for S3SinkTask {
    async fn start(&mut self, props: &Props) -> Result<(), ConnectError> {
        let settings = SinkSettings::parse_task(props)?;
        let config = settings::definition().parse(props)?;
        let store = Store::connect(&config).await;
        store.check().await?;
        tracing::info!(bucket = store.bucket(), format = %settings.extension, "S3 sink started");
        self.started = Some((settings, store));
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        let now = now_ms();
        for record in records {
            self.take(record, now).await?;
        }
        self.complete_due(now).await
    }

    async fn flush(&mut self, _offsets: &BTreeMap<TopicPartition, i64>) -> Result<(), ConnectError> {
        // Objects are completed by rotation only, so their keys do not depend on when offsets
        // are committed; `pre_commit` answers what is complete.
        Ok(())
    }

    async fn pre_commit(
        &mut self,
        offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, i64>, ConnectError> {
        Ok(offsets
            .iter()
            .map(|(tp, taken)| {
                let committable = self.windows.get(tp).map_or(*taken, |w| w.committable(*taken));
                (tp.clone(), committable)
            })
            .collect())
    }

    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<(), ConnectError> {
        let Some((_, store)) = &self.started else {
            return Ok(());
        };
        for tp in partitions {
            if let Some(window) = self.windows.remove(tp) {
                window.abandon(store).await;
            }
        }
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        let windows = std::mem::take(&mut self.windows);
        if let Some((_, store)) = &self.started {
            for window in windows.into_values() {
                window.abandon(store).await;
            }
        }
        Ok(())
    }
}
