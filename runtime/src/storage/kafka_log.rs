//! The logs of the stores on Kafka: a compacted topic read from the start and tailed, with
//! writes acknowledged by the broker (Kafka Connect's `KafkaBasedLog`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::Offset;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::BaseRecord;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use weir_connector_api::Props;

use async_trait::async_trait;

use super::StorageError;
use super::log::{Apply, Log, LogRecord, Logs, Position};
use crate::config::worker::InternalTopic;
use crate::kafka::{KafkaClients, KafkaContext, Producer, REQUEST_TIMEOUT};
use crate::sync::lock;

/// How long a write may wait to be acknowledged and read back.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// The reader's client context: partition ends are expected events, not errors to log.
struct QuietEof;

impl ClientContext for QuietEof {
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() != Some(RDKafkaErrorCode::PartitionEOF) {
            tracing::error!(%error, reason, "internal topic reader error");
        }
    }
}

impl ConsumerContext for QuietEof {}

/// Opens logs on the worker's Kafka cluster.
pub struct KafkaLogs {
    clients: KafkaClients,
    /// The client that asks for the logs' bounds, made with the first log.
    bounds: Mutex<Option<Arc<BaseConsumer>>>,
}

impl KafkaLogs {
    /// Logs read and written with these clients' settings.
    pub fn new(clients: KafkaClients) -> Self {
        KafkaLogs {
            clients,
            bounds: Mutex::new(None),
        }
    }

    /// The client every log asks for its partitions' bounds. It never fetches: a ListOffsets
    /// request sent on a reader's own connection waits on the broker behind that reader's
    /// long-polling fetch, up to `fetch.wait.max.ms`, and each read to the end (at start, at
    /// every rebalance, at each exactly-once task's start) paid that twice.
    fn bounds(&self) -> Result<Arc<BaseConsumer>, StorageError> {
        let mut bounds = lock(&self.bounds);
        if let Some(client) = bounds.as_ref() {
            return Ok(client.clone());
        }
        let client: BaseConsumer = self
            .clients
            .consumer_config(&[], &Props::new(), &[("isolation.level", "read_committed")])
            .create()
            .context(|| "creating the internal topics' offsets client".into())?;
        let client = Arc::new(client);
        *bounds = Some(client.clone());
        Ok(client)
    }
}

#[async_trait]
impl Logs for KafkaLogs {
    async fn open(&self, topic: &str, apply: Apply) -> Result<Arc<dyn Log>, StorageError> {
        let bounds = self.bounds()?;
        Ok(Arc::new(KafkaLog::start(&self.clients, bounds, topic, apply).await?))
    }

    async fn create(&self, topic: &InternalTopic) -> Result<(), StorageError> {
        Ok(crate::kafka::ensure_internal_topic(&self.clients, topic, false).await?)
    }
}

/// A compacted topic, read by a background task that applies every record to a store's state.
struct KafkaLog {
    topic: String,
    producer: Producer,
    /// Asks for the partitions' first and end offsets (see [`KafkaLogs::bounds`]).
    bounds: Arc<BaseConsumer>,
    partitions: i32,
    /// The next offset to read, per partition.
    position: watch::Receiver<HashMap<i32, i64>>,
    reader: JoinHandle<()>,
}

impl KafkaLog {
    /// Starts reading `topic` from its beginning, applying each record with `apply`.
    async fn start(
        clients: &KafkaClients,
        bounds: Arc<BaseConsumer>,
        topic: &str,
        mut apply: Apply,
    ) -> Result<Self, StorageError> {
        // One producer serves every internal topic: acknowledged by all replicas, never
        // duplicated, and partitioned as Kafka Connect's Java producer does (murmur2 of the key).
        let producer = clients.shared_producer(
            &[("linger.ms", "0")],
            &Props::new(),
            &[
                ("acks", "all"),
                ("enable.idempotence", "true"),
                ("partitioner", "murmur2_random"),
            ],
        )?;
        let consumer: StreamConsumer<QuietEof> = clients
            .consumer_config(
                &[("enable.partition.eof", "true")],
                &Props::new(),
                &[
                    ("enable.auto.commit", "false"),
                    ("enable.auto.offset.store", "false"),
                    ("group.id", "weir-internal-reader"),
                    // Source tasks with exactly-once on write offsets in transactions: an
                    // aborted one must never count.
                    ("isolation.level", "read_committed"),
                ],
            )
            .create_with_context(QuietEof)
            .context(|| format!("creating the reader of {topic}"))?;
        let partitions = partition_count(clients, topic).await?;
        let mut assignment = TopicPartitionList::new();
        for p in 0..partitions {
            assignment
                .add_partition_offset(topic, p, Offset::Beginning)
                .context(|| format!("assigning {topic}"))?;
        }
        consumer.assign(&assignment).context(|| format!("assigning {topic}"))?;
        let (position_tx, position) = watch::channel(HashMap::new());
        let reader = {
            let topic = topic.to_owned();
            tokio::spawn(async move {
                loop {
                    match consumer.recv().await {
                        Ok(message) => {
                            apply(LogRecord {
                                partition: message.partition(),
                                offset: message.offset(),
                                key: message.key(),
                                value: message.payload(),
                            });
                            let (partition, next) = (message.partition(), message.offset() + 1);
                            position_tx.send_modify(|p| {
                                p.insert(partition, next);
                            });
                        }
                        // The end of a partition: its position may be past the last record
                        // (transaction markers are never delivered), so take it from the client.
                        Err(KafkaError::PartitionEOF(partition)) => {
                            let next = consumer.position().ok().and_then(|list| {
                                match list.find_partition(&topic, partition).map(|e| e.offset()) {
                                    Some(Offset::Offset(next)) => Some(next),
                                    _ => None,
                                }
                            });
                            if let Some(next) = next {
                                position_tx.send_modify(|p| {
                                    let at = p.entry(partition).or_insert(next);
                                    *at = (*at).max(next);
                                });
                            }
                        }
                        Err(e) => {
                            tracing::warn!(%topic, error = %e, "error reading internal topic; retrying");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                        }
                    }
                }
            })
        };
        Ok(KafkaLog {
            topic: topic.to_owned(),
            producer,
            bounds,
            partitions,
            position,
            reader,
        })
    }

    async fn wait_until(&self, done: impl Fn(&HashMap<i32, i64>) -> bool) -> Result<(), StorageError> {
        let mut position = self.position.clone();
        match tokio::time::timeout(WRITE_TIMEOUT, position.wait_for(|p| done(p))).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(StorageError::Timeout(format!("reading {} back", self.topic))),
        }
    }
}

#[async_trait]
impl Log for KafkaLog {
    async fn read_to_end(&self) -> Result<(), StorageError> {
        let consumer = self.bounds.clone();
        let (topic, partitions) = (self.topic.clone(), self.partitions);
        // Every partition's first and end offsets in two requests (ListOffsets with the
        // earliest and latest markers), not two per partition. The end is the last stable
        // offset, as the reader reads committed records only.
        let ends = tokio::task::spawn_blocking(move || {
            let bound = |at: Offset| {
                let mut list = TopicPartitionList::new();
                for p in 0..partitions {
                    list.add_partition_offset(&topic, p, at)?;
                }
                let found = consumer.offsets_for_times(list, REQUEST_TIMEOUT)?;
                (0..partitions)
                    .map(|p| match found.find_partition(&topic, p).map(|e| e.offset()) {
                        Some(Offset::Offset(o)) => Ok(o),
                        _ => Err(KafkaError::OffsetFetch(RDKafkaErrorCode::OffsetNotAvailable)),
                    })
                    .collect::<Result<Vec<i64>, KafkaError>>()
            };
            let (low, high) = (bound(Offset::Beginning)?, bound(Offset::End)?);
            Ok((0..partitions)
                .map(|p| (p, low[p as usize], high[p as usize]))
                .collect::<Vec<_>>())
        })
        .await
        .unwrap_or(Err(KafkaError::Canceled))
        .context(|| format!("reading the end offsets of {}", self.topic))?;
        self.wait_until(|position| {
            ends.iter()
                .all(|(p, low, high)| low >= high || position.get(p).copied().unwrap_or(*low) >= *high)
        })
        .await
    }

    async fn append(&self, key: &str, value: Option<&[u8]>) -> Result<Position, StorageError> {
        let mut record = BaseRecord::<str, [u8]>::to(&self.topic).key(key);
        if let Some(value) = value {
            record = record.payload(value);
        }
        let written = self
            .producer
            .send_and_wait(record, WRITE_TIMEOUT)
            .await
            .context(|| format!("writing {key} to {}", self.topic))?;
        Ok(written)
    }

    async fn applied(&self, (partition, offset): Position) -> Result<(), StorageError> {
        self.wait_until(|position| position.get(&partition).is_some_and(|next| *next > offset))
            .await
    }
}

/// The partition count of a topic, waiting a while for a topic just created to appear in the
/// cluster's metadata.
async fn partition_count(clients: &KafkaClients, topic: &str) -> Result<i32, StorageError> {
    for _ in 0..60 {
        let found = clients
            .partitions(Some(topic))
            .await?
            .into_iter()
            .find(|(name, n)| name == topic && *n > 0);
        if let Some((_, n)) = found {
            return Ok(n);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(StorageError::Timeout(format!(
        "topic {topic} to appear in the cluster metadata"
    )))
}

impl Drop for KafkaLog {
    fn drop(&mut self) {
        self.reader.abort();
    }
}
