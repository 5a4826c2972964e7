//! A compacted topic read from the start and tailed, with writes acknowledged by the broker and
//! read back: the building block of the config, offset and status stores (Kafka Connect's
//! `KafkaBasedLog`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::Offset;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use weir_connector_api::Props;

use super::StorageError;
use crate::kafka::{KafkaClients, KafkaContext, REQUEST_TIMEOUT};

/// One record of an internal topic, as read.
#[derive(Clone, Copy, Debug)]
pub struct LogRecord<'a> {
    /// Its partition.
    pub partition: i32,
    /// Its offset in that partition.
    pub offset: i64,
    /// Its key.
    pub key: Option<&'a [u8]>,
    /// Its value; `None` for a tombstone.
    pub value: Option<&'a [u8]>,
}

/// Called with each record, in log order per partition.
pub type Apply = Box<dyn FnMut(LogRecord<'_>) + Send>;

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

/// A compacted topic, read by a background task that applies every record to a store's state.
pub struct KafkaLog {
    topic: String,
    producer: FutureProducer,
    consumer: Arc<StreamConsumer<QuietEof>>,
    partitions: i32,
    /// The next offset to read, per partition.
    position: watch::Receiver<HashMap<i32, i64>>,
    reader: JoinHandle<()>,
}

impl KafkaLog {
    /// Starts reading `topic` from its beginning, applying each record with `apply`.
    pub async fn start(clients: &KafkaClients, topic: &str, mut apply: Apply) -> Result<Self, StorageError> {
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
        let consumer = Arc::new(consumer);
        let (position_tx, position) = watch::channel(HashMap::new());
        let reader = {
            let consumer = consumer.clone();
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
            consumer,
            partitions,
            position,
            reader,
        })
    }

    /// Waits until every record written before this call has been applied.
    pub async fn read_to_end(&self) -> Result<(), StorageError> {
        let consumer = self.consumer.clone();
        let (topic, partitions) = (self.topic.clone(), self.partitions);
        let ends = tokio::task::spawn_blocking(move || {
            (0..partitions)
                .map(|p| {
                    consumer
                        .fetch_watermarks(&topic, p, REQUEST_TIMEOUT)
                        .map(|(low, high)| (p, low, high))
                })
                .collect::<Result<Vec<_>, KafkaError>>()
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

    /// Writes a record (a tombstone when `value` is `None`), waits for the broker's
    /// acknowledgement and for the record to be read back and applied.
    pub async fn send(&self, key: &str, value: Option<&[u8]>) -> Result<(), StorageError> {
        let (partition, offset) = self.send_unapplied(key, value).await?;
        self.wait_until(|position| position.get(&partition).is_some_and(|next| *next > offset))
            .await
    }

    /// Writes a record and waits for the broker's acknowledgement only; returns its partition
    /// and offset.
    pub async fn send_unapplied(&self, key: &str, value: Option<&[u8]>) -> Result<(i32, i64), StorageError> {
        let mut record = FutureRecord::<str, [u8]>::to(&self.topic).key(key);
        if let Some(value) = value {
            record = record.payload(value);
        }
        let delivery = self
            .producer
            .send(record, WRITE_TIMEOUT)
            .await
            .map_err(|(e, _)| e)
            .context(|| format!("writing {key} to {}", self.topic))?;
        Ok((delivery.partition, delivery.offset))
    }

    async fn wait_until(&self, done: impl Fn(&HashMap<i32, i64>) -> bool) -> Result<(), StorageError> {
        let mut position = self.position.clone();
        match tokio::time::timeout(WRITE_TIMEOUT, position.wait_for(|p| done(p))).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(StorageError::Timeout(format!("reading {} back", self.topic))),
        }
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
