//! The file sink: appends each record's value to a file as a line.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncWriteExt, BufWriter};
use weir_connector_api::{
    ConfigDef, ConnectError, Connector, Props, SinkConnector, SinkRecord, SinkTask, TopicPartition, Value,
};

use super::{VERSION, file_key};

/// The write buffer size.
const WRITE_BUFFER: usize = 256 * 1024;
/// How often buffered lines are handed to the OS between flushes.
const HAND_OVER_INTERVAL: Duration = Duration::from_millis(200);

/// The file sink connector (`file-sink`, Kafka Connect's `FileStreamSinkConnector`).
pub struct FileSinkConnector;

#[async_trait]
impl Connector for FileSinkConnector {
    fn version(&self) -> String {
        VERSION.into()
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define_key(file_key("The file to append record values to, one per line."))
    }

    async fn task_configs(&self, props: &Props, _max_tasks: usize) -> Result<Vec<Props>, ConnectError> {
        // One writer per file keeps lines whole and in order; it gets the connector's whole
        // config, as Kafka Connect's do.
        Ok(vec![props.clone()])
    }
}

impl SinkConnector for FileSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(FileSinkTask::default())
    }
}

/// A task appending to one file: lines are handed to the OS every 200 ms or so, and
/// [`SinkTask::flush`] syncs the file to disk before offsets are committed.
pub struct FileSinkTask {
    path: String,
    writer: Option<BufWriter<File>>,
    /// When buffered lines were last handed to the OS.
    handed_over: Instant,
}

impl Default for FileSinkTask {
    fn default() -> Self {
        FileSinkTask {
            path: String::new(),
            writer: None,
            handed_over: Instant::now(),
        }
    }
}

impl FileSinkTask {
    fn writer(&mut self) -> Result<&mut BufWriter<File>, ConnectError> {
        self.writer
            .as_mut()
            .ok_or_else(|| ConnectError::Fatal("file sink used before start".into()))
    }
}

/// Cuts a partial last line left by a crash in the middle of a write. Such a line belongs to
/// records whose offsets were never committed (a flush precedes every commit), so they are
/// delivered again and written whole.
fn drop_partial_line(path: &str) -> std::io::Result<()> {
    use std::io::{Read, Seek};
    let mut file = match std::fs::OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let mut end = len;
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let buf = &mut chunk[..(end - start) as usize];
        file.seek(std::io::SeekFrom::Start(start))?;
        file.read_exact(buf)?;
        if let Some(i) = buf.iter().rposition(|b| *b == b'\n') {
            end = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    if end < len {
        tracing::warn!(
            file = path,
            cut = len - end,
            "cut a partial last line left by an interrupted write"
        );
        file.set_len(end)?;
        file.sync_data()?;
    }
    Ok(())
}

/// The bytes of a record value as a line: strings and bytes as they are, other values as JSON.
fn line_of(value: &Value) -> Cow<'_, [u8]> {
    match value {
        Value::String(s) => Cow::Borrowed(s.as_bytes()),
        Value::Bytes(b) => Cow::Borrowed(b),
        other => Cow::Owned(other.to_json().to_string().into_bytes()),
    }
}

#[async_trait]
impl SinkTask for FileSinkTask {
    async fn start(&mut self, props: &Props) -> Result<(), ConnectError> {
        let config = FileSinkConnector.config_def().parse(props)?;
        self.path = config.string("file").unwrap_or_default().to_owned();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || drop_partial_line(&path))
            .await
            .map_err(|e| ConnectError::Fatal(e.to_string()))?
            .map_err(|e| ConnectError::io(format!("checking the end of {}", self.path), e))?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(|e| ConnectError::io(format!("opening {} for append", self.path), e))?;
        self.writer = Some(BufWriter::with_capacity(WRITE_BUFFER, file));
        tracing::info!(file = %self.path, "file sink started");
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        let path = self.path.clone();
        let writer = self.writer()?;
        for record in records {
            let line = line_of(&record.value);
            writer
                .write_all(&line)
                .await
                .map_err(|e| ConnectError::io(format!("writing {path}"), e))?;
            writer
                .write_all(b"\n")
                .await
                .map_err(|e| ConnectError::io(format!("writing {path}"), e))?;
        }
        // Hand what was written to the OS now and then, so readers see lines as they come;
        // `flush` makes them durable.
        if self.handed_over.elapsed() >= HAND_OVER_INTERVAL {
            let writer = self.writer()?;
            writer
                .flush()
                .await
                .map_err(|e| ConnectError::io(format!("writing {path}"), e))?;
            self.handed_over = Instant::now();
        }
        Ok(())
    }

    async fn flush(&mut self, _offsets: &BTreeMap<TopicPartition, i64>) -> Result<(), ConnectError> {
        let path = self.path.clone();
        let writer = self.writer()?;
        writer
            .flush()
            .await
            .map_err(|e| ConnectError::io(format!("flushing {path}"), e))?;
        writer
            .get_ref()
            .sync_data()
            .await
            .map_err(|e| ConnectError::io(format!("syncing {path}"), e))
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        if self.writer.is_some() {
            self.flush(&BTreeMap::new()).await?;
        }
        self.writer = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_last_line_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let path = path.to_str().unwrap();
        std::fs::write(path, "a\nb\npart").unwrap();
        drop_partial_line(path).unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), "a\nb\n");
        std::fs::write(path, "no newline at all").unwrap();
        drop_partial_line(path).unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), "");
        drop_partial_line(dir.path().join("missing").to_str().unwrap()).unwrap();
    }

    #[test]
    fn values_become_lines() {
        assert_eq!(line_of(&Value::String("a b".into())).as_ref(), b"a b");
        assert_eq!(
            line_of(&Value::Struct(vec![("id".into(), Value::Int32(7))])).as_ref(),
            br#"{"id":7}"#
        );
    }
}
