//! The file source: reads a file line by line into a topic and keeps following it.

use std::io::SeekFrom;
use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::fs::File;
use tokio::io::{AsyncBufReadExt, AsyncSeekExt, BufReader};
use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, Connector, ExactlyOnceSupport, Importance, Props, Schema,
    SourceConnector, SourceMap, SourceRecord, SourceTask, SourceTaskContext, TaskMetrics, Validator, Value,
};

use super::{VERSION, file_key};

/// The schema of every line: a string.
static LINE_SCHEMA: LazyLock<Arc<Schema>> = LazyLock::new(|| Arc::new(Schema::string()));

/// How long a poll waits when the file has no new complete line.
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// How often, at most, the bytes left to read are published while lines come.
const PUBLISH_INTERVAL: Duration = Duration::from_secs(1);
/// The most records a poll makes room for at its first line: a full batch of the default size,
/// not a large `batch.size`; a poll of a quiet file makes room for none.
const PREALLOCATED_RECORDS: usize = 2000;
/// The read buffer size.
const READ_BUFFER: usize = 256 * 1024;

/// The file source connector (`file-source`, Kafka Connect's `FileStreamSourceConnector`).
pub struct FileSourceConnector;

#[async_trait]
impl Connector for FileSourceConnector {
    fn version(&self) -> String {
        VERSION.into()
    }

    fn config_def(&self) -> ConfigDef {
        // Ungrouped, as Kafka Connect's FileStream connectors declare their keys.
        ConfigDef::new()
            .define_key(file_key(
                "The file to read. Lines appended later are read as they arrive.",
            ))
            .define_key(
                ConfigKey::new(
                    "topic",
                    ConfigType::String,
                    Importance::High,
                    "The topic to write lines to.",
                )
                .validator(Validator::NonEmpty),
            )
            .define_key(
                ConfigKey::new(
                    "batch.size",
                    ConfigType::Int,
                    Importance::Low,
                    "The most lines returned by one poll.",
                )
                .default_value("2000")
                .validator(Validator::at_least(1.0)),
            )
    }

    async fn task_configs(&self, props: &Props, _max_tasks: usize) -> Result<Vec<Props>, ConnectError> {
        // A file is read in order by one task, whatever tasks.max says, with the connector's
        // whole config (as in Kafka Connect).
        Ok(vec![props.clone()])
    }
}

impl SourceConnector for FileSourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(FileSourceTask::default())
    }

    /// The offset is the byte after the last line emitted: a restart reads on from there.
    fn exactly_once_support(&self, _props: &Props) -> Option<ExactlyOnceSupport> {
        Some(ExactlyOnceSupport::Supported)
    }
}

/// A task reading one file. Its source partition is `{"filename": <file>}` and its offset
/// `{"position": <byte after the last line read>}`; a line is only emitted once its newline
/// is written, so a half-written last line is never split.
#[derive(Default)]
pub struct FileSourceTask {
    path: String,
    topic: String,
    batch_size: usize,
    partition: SourceMap,
    /// The byte position after the last complete line emitted.
    position: u64,
    reader: Option<BufReader<File>>,
    /// The inode of the open file, to notice when the path names another file.
    inode: u64,
    /// Bytes of an unfinished last line, read past `position`.
    pending: Vec<u8>,
    /// Where the bytes left to read are published.
    metrics: TaskMetrics,
    /// When they were last published: at most once a second while lines come, and once more
    /// when the end of the file is reached.
    published: Option<Instant>,
    /// Whether lines were read since.
    unpublished: bool,
}

impl FileSourceTask {
    /// Opens the file at `position`, or from the start if the file is now shorter (truncated or
    /// replaced). `Ok(false)` when the file does not exist yet.
    async fn open(&mut self) -> Result<bool, ConnectError> {
        let mut file = match File::open(&self.path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(ConnectError::io(format!("opening {}", self.path), e)),
        };
        let meta = file
            .metadata()
            .await
            .map_err(|e| ConnectError::io(format!("reading {}", self.path), e))?;
        if meta.len() < self.position {
            tracing::warn!(file = %self.path, position = self.position, len = meta.len(), "file is shorter than the stored position; reading it from the start");
            self.position = 0;
        }
        file.seek(SeekFrom::Start(self.position))
            .await
            .map_err(|e| ConnectError::io(format!("seeking in {}", self.path), e))?;
        self.reader = Some(BufReader::with_capacity(READ_BUFFER, file));
        self.inode = meta.ino();
        self.pending.clear();
        Ok(true)
    }

    /// At the end of the open file: whether the path now names another file (rotated) or a
    /// shorter one (truncated in place), which must be read from its start.
    async fn replaced_or_truncated(&self) -> bool {
        match tokio::fs::metadata(&self.path).await {
            Ok(meta) => meta.ino() != self.inode || meta.len() < self.position + self.pending.len() as u64,
            Err(_) => false,
        }
    }

    /// Publishes how many bytes of the file are left to read, after a batch (once a second at
    /// most, unless `at_end`).
    async fn publish_remaining(&mut self, at_end: bool) {
        self.unpublished = !at_end;
        if !at_end && self.published.is_some_and(|at| at.elapsed() < PUBLISH_INTERVAL) {
            return;
        }
        self.unpublished = false;
        let Some(reader) = self.reader.as_ref() else {
            return;
        };
        self.published = Some(Instant::now());
        if let Ok(meta) = reader.get_ref().metadata().await {
            self.metrics.set(
                "file_bytes_remaining",
                "Bytes of the file after the last line read.",
                meta.len().saturating_sub(self.position) as f64,
            );
        }
    }

    fn record(&self, line: &[u8]) -> SourceRecord {
        let mut offset = SourceMap::new();
        offset.insert("position".into(), self.position.into());
        let text = String::from_utf8_lossy(line).into_owned();
        SourceRecord::new(
            self.partition.clone(),
            offset,
            self.topic.clone(),
            Some(LINE_SCHEMA.clone()),
            Value::String(text),
        )
    }
}

#[async_trait]
impl SourceTask for FileSourceTask {
    async fn start(&mut self, props: &Props, context: SourceTaskContext) -> Result<(), ConnectError> {
        let config = FileSourceConnector.config_def().parse(props)?;
        self.path = config.string("file").unwrap_or_default().to_owned();
        self.topic = config.string("topic").unwrap_or_default().to_owned();
        self.batch_size = config.int("batch.size").unwrap_or(2000).max(1) as usize;
        self.partition = SourceMap::from_iter([("filename".to_owned(), self.path.clone().into())]);
        self.position = context
            .offsets
            .offset(&self.partition)
            .and_then(|o| o.get("position").and_then(serde_json::Value::as_u64))
            .unwrap_or(0);
        self.metrics = context.metrics;
        tracing::info!(file = %self.path, position = self.position, "file source starting");
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        if self.reader.is_none() && !self.open().await? {
            tokio::time::sleep(IDLE_WAIT).await;
            return Ok(Vec::new());
        }
        let mut records = Vec::new();
        while records.len() < self.batch_size {
            let Some(reader) = self.reader.as_mut() else { break };
            let read = reader
                .read_until(b'\n', &mut self.pending)
                .await
                .map_err(|e| ConnectError::io(format!("reading {}", self.path), e))?;
            if read == 0 || self.pending.last() != Some(&b'\n') {
                break;
            }
            self.position += self.pending.len() as u64;
            let mut line = &self.pending[..self.pending.len() - 1];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            if records.is_empty() {
                records.reserve(self.batch_size.min(PREALLOCATED_RECORDS));
            }
            records.push(self.record(line));
            self.pending.clear();
        }
        if !records.is_empty() || self.unpublished {
            self.publish_remaining(records.is_empty()).await;
        }
        if records.is_empty() {
            if self.replaced_or_truncated().await {
                tracing::info!(file = %self.path, "the file was rotated or truncated; reading it from the start");
                self.reader = None;
                self.position = 0;
            }
            tokio::time::sleep(IDLE_WAIT).await;
        }
        Ok(records)
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        self.reader = None;
        Ok(())
    }
}
