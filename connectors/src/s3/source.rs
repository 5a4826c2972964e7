//! The `s3-source` connector: replays the objects the sink wrote back into Kafka, to the
//! original topic and partition or a renamed topic, resuming at the object and record where it
//! stopped.
//!
//! Each folder of a Kafka partition found in the bucket is a source partition
//! (`{"bucket", "topics.dir", "topic", "partition", "folder"}`): the sink completes the objects
//! of one folder in offset order, but not those of different folders. Its offset names the
//! object and how many of its records are in Kafka (`{"object", "start", "records"}`).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::json;
use weir_connector_api::config::ParsedConfig;
use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, ConnectError, Connector, ExactlyOnceSupport, Importance,
    OffsetReader, Props, SourceConnector, SourceMap, SourceRecord, SourceTask, SourceTaskContext, Validator,
};

use super::format::{self, Format};
use super::object_key::ObjectName;
use super::store::{self, Store};

/// The most records one poll returns.
const MAX_BATCH: usize = 2000;
/// How long a poll waits when there is nothing new to read.
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// Task config keys the connector adds: which share of the partitions a task reads.
const TASK_INDEX: &str = "s3.source.task.index";
const TASK_COUNT: &str = "s3.source.task.count";

/// The connector's declared keys.
fn definition() -> ConfigDef {
    let group = "Replay";
    store::definition()
        .merge(format::definition())
        .define(
            group,
            ConfigKey::new(
                "topics",
                ConfigType::List,
                Importance::High,
                "The topics to replay, as named in the bucket; empty for every topic under topics.dir.",
            )
            .default_value(""),
        )
        .define(
            group,
            ConfigKey::new(
                "topic.rename.format",
                ConfigType::String,
                Importance::Medium,
                "The topic records go to; ${topic} is the original topic's name.",
            )
            .default_value("${topic}")
            .validator(Validator::NonEmpty),
        )
        .define(
            group,
            ConfigKey::new(
                "s3.poll.interval.ms",
                ConfigType::Long,
                Importance::Low,
                "How often the bucket is listed again for new objects once every object was read.",
            )
            .default_value("10000")
            .validator(Validator::at_least(100.0)),
        )
}

/// The `s3-source` connector.
pub struct S3SourceConnector;

#[async_trait]
impl Connector for S3SourceConnector {
    fn version(&self) -> String {
        super::VERSION.into()
    }

    fn config_def(&self) -> ConfigDef {
        definition()
    }

    async fn validate(&self, props: &Props, reports: &mut Vec<ConfigValue>) {
        if reports.iter().any(|r| !r.errors.is_empty()) {
            return;
        }
        let Ok(config) = definition().parse(props) else { return };
        if let Err(e) = Store::connect(&config).await.check().await
            && let Some(report) = reports.iter_mut().find(|r| r.name == "s3.bucket.name")
        {
            report.errors.push(e.to_string());
        }
    }

    async fn task_configs(&self, props: &Props, max_tasks: usize) -> Result<Vec<Props>, ConnectError> {
        let count = max_tasks.max(1);
        Ok((0..count)
            .map(|index| {
                let mut task = props.clone();
                task.insert(TASK_INDEX.into(), index.to_string());
                task.insert(TASK_COUNT.into(), count.to_string());
                task
            })
            .collect())
    }
}

impl SourceConnector for S3SourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(S3SourceTask::default())
    }

    /// The offset names the object and how many of its records are in Kafka.
    fn exactly_once_support(&self, _props: &Props) -> Option<ExactlyOnceSupport> {
        Some(ExactlyOnceSupport::Supported)
    }
}

/// A folder of a Kafka partition, as the bucket holds it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Origin {
    topic: String,
    partition: i32,
    /// The encoded partition (`partition=0`, `region=eu`, `dt=2026-01-01/hour=10`).
    folder: String,
}

/// An object to read, and how many of its first records are already in Kafka.
#[derive(Clone, Debug)]
struct Pending {
    origin: Origin,
    name: ObjectName,
    key: String,
    skip: usize,
}

/// The object being read.
struct Reading {
    pending: Pending,
    records: Vec<format::Decoded>,
    next: usize,
}

/// What a started task holds.
struct Replay {
    store: Store,
    format: Format,
    extension: String,
    topics_dir: String,
    topics: Vec<String>,
    rename: String,
    poll_interval: Duration,
    share: (u64, u64),
    offsets: std::sync::Arc<dyn OffsetReader>,
}

/// A source task: lists its share of the bucket's partitions and reads their objects in order.
#[derive(Default)]
pub struct S3SourceTask {
    replay: Option<Replay>,
    /// Per partition, the last object queued: later objects are new.
    cursors: BTreeMap<Origin, (i64, String)>,
    queue: VecDeque<Pending>,
    reading: Option<Reading>,
    listed_at: Option<Instant>,
}

impl Replay {
    fn from_config(config: &ParsedConfig, store: Store, context: SourceTaskContext) -> Replay {
        let format = Format::from_config(config);
        let number = |key: &str| config.int(key).and_then(|v| u64::try_from(v).ok());
        Replay {
            store,
            extension: format.extension(),
            format,
            topics_dir: config
                .string("topics.dir")
                .unwrap_or("topics")
                .trim_end_matches('/')
                .to_owned(),
            topics: config.list("topics").unwrap_or_default().to_vec(),
            rename: config.string("topic.rename.format").unwrap_or("${topic}").to_owned(),
            poll_interval: Duration::from_millis(number("s3.poll.interval.ms").unwrap_or(10_000)),
            share: (0, 1),
            offsets: context.offsets,
        }
    }

    /// Whether this task reads a Kafka partition (all its folders). The hash is fixed (FNV-1a),
    /// so workers of different builds agree on the split.
    fn owns(&self, origin: &Origin) -> bool {
        let bytes = origin.topic.bytes().chain(origin.partition.to_be_bytes());
        let hash = bytes.fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        hash % self.share.1 == self.share.0
    }

    fn source_partition(&self, origin: &Origin) -> SourceMap {
        let json = json!({
            "bucket": self.store.bucket(),
            "topics.dir": self.topics_dir,
            "topic": origin.topic,
            "partition": origin.partition,
            "folder": origin.folder,
        });
        json.as_object().cloned().unwrap_or_default()
    }

    /// The objects of this task's partitions, by folder, in offset order.
    async fn list(&self) -> Result<BTreeMap<Origin, Vec<(ObjectName, String)>>, ConnectError> {
        let prefixes: Vec<String> = if self.topics.is_empty() {
            vec![format!("{}/", self.topics_dir)]
        } else {
            self.topics
                .iter()
                .map(|t| format!("{}/{t}/", self.topics_dir))
                .collect()
        };
        let mut found: BTreeMap<Origin, Vec<(ObjectName, String)>> = BTreeMap::new();
        for prefix in prefixes {
            for key in self.store.list(&prefix).await? {
                let Some(name) = ObjectName::parse(&key, &self.extension) else {
                    continue;
                };
                let topic_dir = format!("{}/{}/", self.topics_dir, name.topic);
                let folder = key
                    .strip_prefix(&topic_dir)
                    .and_then(|rest| rest.rsplit_once('/'))
                    .map(|(folder, _)| folder.to_owned())
                    .unwrap_or_default();
                let origin = Origin {
                    topic: name.topic.clone(),
                    partition: name.partition,
                    folder,
                };
                if self.owns(&origin) {
                    found.entry(origin).or_default().push((name, key));
                }
            }
        }
        for objects in found.values_mut() {
            objects.sort_by(|a, b| (a.0.start_offset, &a.1).cmp(&(b.0.start_offset, &b.1)));
        }
        Ok(found)
    }
}

fn not_started() -> ConnectError {
    ConnectError::Fatal("the S3 source task was not started".into())
}

impl S3SourceTask {
    /// Lists the bucket and queues the objects not read yet: at the first listing, those from
    /// the committed offset on; later, those after the last one queued.
    async fn refresh(&mut self) -> Result<(), ConnectError> {
        let replay = self.replay.as_ref().ok_or_else(not_started)?;
        let listed = replay.list().await?;
        let mut queued = Vec::new();
        for (origin, objects) in listed {
            let resume = match self.cursors.get(&origin) {
                Some((start, key)) => Some((*start, key.clone(), usize::MAX)),
                None => committed(replay.offsets.offset(&replay.source_partition(&origin))),
            };
            for (name, key) in objects {
                let skip = match &resume {
                    None => 0,
                    Some((start, done_key, records)) => match (name.start_offset, &key).cmp(&(*start, done_key)) {
                        std::cmp::Ordering::Less => continue,
                        std::cmp::Ordering::Equal if *records == usize::MAX => continue,
                        std::cmp::Ordering::Equal => *records,
                        std::cmp::Ordering::Greater => 0,
                    },
                };
                self.cursors.insert(origin.clone(), (name.start_offset, key.clone()));
                queued.push(Pending {
                    origin: origin.clone(),
                    name,
                    key,
                    skip,
                });
            }
        }
        // Across folders, a Kafka partition's records are replayed in offset order.
        queued.sort_by(|a, b| {
            (&a.name.topic, a.name.partition, a.name.start_offset, &a.key).cmp(&(
                &b.name.topic,
                b.name.partition,
                b.name.start_offset,
                &b.key,
            ))
        });
        tracing::debug!(objects = queued.len(), "objects queued");
        self.queue.extend(queued);
        self.listed_at = Some(Instant::now());
        Ok(())
    }

    /// Reads the next queued object.
    async fn open_next(&mut self) -> Result<bool, ConnectError> {
        let Some(pending) = self.queue.front().cloned() else {
            return Ok(false);
        };
        let replay = self.replay.as_ref().ok_or_else(not_started)?;
        let data = replay.store.get(&pending.key).await?;
        // Decompressing and decoding a whole object is CPU work: off the async threads.
        let format = replay.format.clone();
        let records = tokio::task::spawn_blocking(move || format.decode(&data))
            .await
            .map_err(|e| ConnectError::Fatal(format!("decoding object {}: {e}", pending.key)))?
            .map_err(|e| ConnectError::Data(format!("object {}: {e}", pending.key)))?;
        self.queue.pop_front();
        let next = pending.skip.min(records.len());
        self.reading = Some(Reading { pending, records, next });
        Ok(true)
    }
}

/// Where a committed offset says to resume: the object, and how many of its records are done.
fn committed(offset: Option<SourceMap>) -> Option<(i64, String, usize)> {
    let offset = offset?;
    Some((
        offset.get("start")?.as_i64()?,
        offset.get("object")?.as_str()?.to_owned(),
        usize::try_from(offset.get("records")?.as_u64()?).ok()?,
    ))
}

#[async_trait]
impl SourceTask for S3SourceTask {
    async fn start(&mut self, props: &Props, context: SourceTaskContext) -> Result<(), ConnectError> {
        let config = definition().parse(props)?;
        let store = Store::connect(&config).await;
        store.check().await?;
        let mut replay = Replay::from_config(&config, store, context);
        let share = |key: &str| props.get(key).and_then(|v| v.parse::<u64>().ok());
        replay.share = (share(TASK_INDEX).unwrap_or(0), share(TASK_COUNT).unwrap_or(1).max(1));
        tracing::info!(bucket = replay.store.bucket(), dir = %replay.topics_dir, "S3 source started");
        self.replay = Some(replay);
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        loop {
            if let Some(reading) = &mut self.reading {
                if reading.next < reading.records.len() {
                    break;
                }
                self.reading = None;
            }
            if self.open_next().await? {
                continue;
            }
            let replay = self.replay.as_ref().ok_or_else(not_started)?;
            if self.listed_at.is_none_or(|at| at.elapsed() >= replay.poll_interval) {
                self.refresh().await?;
                if !self.queue.is_empty() {
                    continue;
                }
            }
            tokio::time::sleep(IDLE_WAIT).await;
            return Ok(Vec::new());
        }
        let replay = self.replay.as_ref().ok_or_else(not_started)?;
        let Some(reading) = &mut self.reading else {
            return Ok(Vec::new());
        };
        let name = &reading.pending.name;
        let partition = replay.source_partition(&reading.pending.origin);
        let topic = replay.rename.replace("${topic}", &name.topic);
        let end = (reading.next + MAX_BATCH).min(reading.records.len());
        let mut batch = Vec::with_capacity(end - reading.next);
        for index in reading.next..end {
            let (schema, value) = reading.records[index].clone();
            let offset = json!({"object": reading.pending.key, "start": name.start_offset, "records": index + 1});
            let mut record = SourceRecord::new(
                partition.clone(),
                offset.as_object().cloned().unwrap_or_default(),
                topic.clone(),
                schema,
                value,
            );
            record.partition = Some(name.partition);
            batch.push(record);
        }
        reading.next = end;
        Ok(batch)
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        self.reading = None;
        self.queue.clear();
        Ok(())
    }
}
