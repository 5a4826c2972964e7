//! The loop of a sink task: consume, put each record through the pipeline, `put`, and commit
//! consumer offsets only after the task has flushed what they cover.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::{ClientConfig, ClientContext, Offset, TopicPartitionList};
use weir_connector_api::{SinkTask, TopicPartition};

use super::dead_letter::DeadLetterProducer;
use super::errors::{ErrorHandler, FailedRecord};
use super::pipeline::{DROPPED_METRIC, SinkPipeline};
use super::retry::StageRetries;
use super::{Backoff, Directive, TaskError, TaskIo, WorkerContext};
use crate::config::ConnectorConfig;
use crate::config::connector::ErrorPolicy;
use crate::kafka::{KafkaClients, KafkaContext};
use crate::model::State;
use crate::sync::lock;

/// The most records handed to one `put`.
const MAX_BATCH: usize = 2000;

/// How long the loop waits for records before calling `put` with an empty batch.
const IDLE_PUT_INTERVAL: Duration = Duration::from_secs(1);

/// What a sink task reads: a topic list or a pattern.
#[derive(Clone, Debug)]
enum Subscription {
    Topics(Vec<String>),
    Pattern(String),
}

/// The consumer group of a sink connector, as Kafka Connect names it.
pub fn consumer_group(connector: &str) -> String {
    format!("connect-{connector}")
}

/// Remembers the partitions the group took away, so their offsets are no longer committed by
/// this task (which would rewind their new owner) and the task drops what it buffered for them.
#[derive(Clone, Default)]
struct RevokeTracker {
    revoked: Arc<Mutex<Vec<TopicPartition>>>,
    /// Counts revocations: messages received after a change belong to a new assignment.
    generation: Arc<AtomicU64>,
}

impl RevokeTracker {
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn take(&self) -> Vec<TopicPartition> {
        std::mem::take(&mut *lock(&self.revoked))
    }
}

impl ClientContext for RevokeTracker {}

impl ConsumerContext for RevokeTracker {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let mut revoked = lock(&self.revoked);
            for e in list.elements() {
                revoked.push(TopicPartition {
                    topic: e.topic().to_owned(),
                    partition: e.partition(),
                });
            }
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }
}

type SinkConsumer = Arc<StreamConsumer<RevokeTracker>>;

/// Runs one sink task.
pub(super) struct SinkTaskRunner {
    io: TaskIo,
    task: Box<dyn SinkTask>,
    pipeline: SinkPipeline,
    consumer_config: ClientConfig,
    subscription: Subscription,
    revokes: RevokeTracker,
    clients: KafkaClients,
    producer_overrides: weir_connector_api::Props,
    errors: ErrorPolicy,
    flush_interval: Duration,
    /// The next offset per partition after the records put (or skipped) so far.
    offsets: BTreeMap<TopicPartition, i64>,
    /// The offsets last committed per partition.
    committed: BTreeMap<TopicPartition, i64>,
    /// The partitions handed to the task since it was last told every partition was gone.
    handed: BTreeSet<TopicPartition>,
    /// When the task last got a `put`, empty or not.
    last_put: tokio::time::Instant,
}

/// What woke the loop.
enum Event {
    Directive,
    Commit,
    Batch(Result<Batch, KafkaError>),
}

/// Closes a consumer off the async threads: leaving the group may wait on the coordinator.
async fn close(consumer: SinkConsumer) {
    let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
}

impl SinkTaskRunner {
    /// Prepares a task: its consumer settings (group `connect-<name>`, no auto commit, from the
    /// earliest offset; `consumer.*`, then the connector's `consumer.override.*`).
    pub(super) fn new(
        io: TaskIo,
        task: Box<dyn SinkTask>,
        pipeline: SinkPipeline,
        worker: &WorkerContext,
        config: &ConnectorConfig,
    ) -> Self {
        let group = consumer_group(&io.id.connector);
        let client_id = format!("connector-consumer-{}", io.id);
        let consumer_config = worker.clients.consumer_config(
            &[
                ("client.id", &client_id),
                ("auto.offset.reset", "earliest"),
                ("topic.metadata.refresh.interval.ms", "10000"),
                // librdkafka stops prefetching once `queued.min.messages` are queued and looks
                // again only after this back-off (1 s by default): a fast sink would idle.
                ("fetch.queue.backoff.ms", "10"),
            ],
            &config.client_overrides("consumer"),
            &[
                ("group.id", &group),
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
            ],
        );
        let subscription = match &config.topics_regex {
            Some(pattern) => Subscription::Pattern(format!("^({pattern})$")),
            None => Subscription::Topics(config.topics.clone()),
        };
        SinkTaskRunner {
            io,
            task,
            pipeline,
            consumer_config,
            subscription,
            revokes: RevokeTracker::default(),
            clients: worker.clients.clone(),
            producer_overrides: config.client_overrides("producer"),
            errors: config.errors.clone(),
            flush_interval: worker.config.offset_flush_interval,
            offsets: BTreeMap::new(),
            committed: BTreeMap::new(),
            handed: BTreeSet::new(),
            last_put: tokio::time::Instant::now(),
        }
    }

    fn subscribe(&self) -> Result<SinkConsumer, TaskError> {
        let consumer: StreamConsumer<RevokeTracker> = self
            .consumer_config
            .create_with_context(self.revokes.clone())
            .context(|| {
                format!(
                    "creating the consumer of {} (check consumer.* and consumer.override.*)",
                    self.io.id
                )
            })?;
        let topics: Vec<&str> = match &self.subscription {
            Subscription::Topics(topics) => topics.iter().map(String::as_str).collect(),
            Subscription::Pattern(pattern) => vec![pattern.as_str()],
        };
        consumer
            .subscribe(&topics)
            .context(|| format!("subscribing to {topics:?}"))?;
        Ok(Arc::new(consumer))
    }

    /// Runs until told to stop or until it fails. A clean stop flushes and commits; any stop
    /// stops the task and leaves the group.
    pub(super) async fn run(mut self) -> Result<(), TaskError> {
        self.task.start(&self.io.task_config).await?;
        let mut consumer = None;
        let result = self.consume(&mut consumer).await;
        let committed = match (&result, &consumer) {
            (Ok(()), Some(c)) => self.commit(c).await,
            _ => Ok(()),
        };
        if let Some(c) = consumer.take() {
            close(c).await;
        }
        let stopped = self.task.stop().await;
        result?;
        committed?;
        Ok(stopped?)
    }

    /// The loop; `consumer` holds the current consumer, if any, when it returns.
    async fn consume(&mut self, consumer: &mut Option<SinkConsumer>) -> Result<(), TaskError> {
        let dead_letters = match self.errors.dead_letter_queue.clone() {
            Some(queue) => Some(DeadLetterProducer::new(&self.clients, queue, &self.producer_overrides).await?),
            None => None,
        };
        let errors = ErrorHandler::for_sink(
            self.errors.clone(),
            self.io.id.clone(),
            self.io.metrics.clone(),
            dead_letters,
        );
        let mut backoff = Backoff::new(self.errors.retry_delay_max);
        let period = self.flush_interval.max(Duration::from_millis(1));
        let mut commit_timer = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        commit_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            match self.io.directive() {
                Directive::Stop => return Ok(()),
                Directive::Pause => {
                    // Commit and leave the group; resuming rejoins from the committed offsets.
                    if let Some(c) = consumer.take() {
                        self.commit(&c).await?;
                        self.release_all().await?;
                        close(c).await;
                    }
                    self.io.status.report(State::Paused, None).await;
                    if self.io.next_directive(Directive::Pause).await == Directive::Stop {
                        return Ok(());
                    }
                    continue;
                }
                Directive::Run => {}
            }
            let c = match consumer {
                Some(c) => c.clone(),
                None => {
                    let c = self.subscribe()?;
                    *consumer = Some(c.clone());
                    self.io.status.report(State::Running, None).await;
                    c
                }
            };
            let event = tokio::select! {
                _ = self.io.directive.changed() => Event::Directive,
                _ = commit_timer.tick() => Event::Commit,
                batch = receive_batch(&c, &self.revokes, self.last_put + IDLE_PUT_INTERVAL) => Event::Batch(batch),
            };
            match event {
                Event::Directive => {}
                Event::Commit => self.commit(&c).await?,
                Event::Batch(Err(e)) => {
                    tracing::warn!(error = %e, "consumer error");
                    self.io.sleep_unless_directed(Duration::from_millis(500)).await;
                }
                Event::Batch(Ok(batch)) => self.deliver(batch, &errors, &mut backoff).await?,
            }
        }
    }

    /// Puts a batch through the pipeline and `put`s it, retrying retriable failures until they pass or a new
    /// directive comes (then the batch is not counted as delivered, and is read again later).
    ///
    /// Partitions revoked before the batch are released before it is put; partitions revoked
    /// while it was read (its records all came before) are released after.
    async fn deliver(&mut self, batch: Batch, errors: &ErrorHandler, backoff: &mut Backoff) -> Result<(), TaskError> {
        if !batch.revoked_after {
            self.release_revoked().await?;
        }
        let messages = &batch.messages;
        self.io.metrics.add(
            "sink_records_read_total",
            "Records read from Kafka.",
            messages.len() as u64,
        );
        let mut records = Vec::with_capacity(messages.len());
        let mut dropped = 0;
        let mut bytes = 0;
        for message in messages {
            bytes += (message.key().map_or(0, <[u8]>::len) + message.payload().map_or(0, <[u8]>::len)) as u64;
            let mut processed = self.pipeline.process(message);
            let mut retries = None;
            loop {
                let failure = match &processed {
                    Err(failure) if failure.retriable => failure,
                    _ => break,
                };
                let retries = retries.get_or_insert_with(|| StageRetries::new(errors.policy()));
                let Some(delay) = retries.next_delay() else {
                    break;
                };
                tracing::warn!(error = %failure, ?delay, "a record's conversion failed for now; retrying");
                self.io.retrying("a record's conversion", failure).await;
                self.io.sleep_unless_directed(delay).await;
                if *self.io.directive.borrow() != Directive::Run {
                    // Not delivered: the batch is read again later.
                    return Ok(());
                }
                processed = self.pipeline.process(message);
            }
            if retries.is_some() && processed.is_ok() {
                self.io.recovered().await;
            }
            match processed {
                Ok(Some(record)) => records.push(record),
                Ok(None) => dropped += 1,
                Err(failure) => errors.handle(failure, FailedRecord::Sink(message)).await?,
            }
        }
        self.io.metrics.add(
            "sink_bytes_read_total",
            "Bytes of the keys and values read from Kafka.",
            bytes,
        );
        if dropped > 0 {
            self.io.metrics.add(DROPPED_METRIC.0, DROPPED_METRIC.1, dropped);
        }
        self.last_put = tokio::time::Instant::now();
        for message in messages {
            if !self
                .handed
                .iter()
                .any(|tp| tp.topic == message.topic() && tp.partition == message.partition())
            {
                self.handed.insert(TopicPartition {
                    topic: message.topic().to_owned(),
                    partition: message.partition(),
                });
            }
        }
        loop {
            match self.task.put(&records).await {
                Ok(()) => {
                    self.io.metrics.add(
                        "sink_records_put_total",
                        "Records the task took in put.",
                        records.len() as u64,
                    );
                    backoff.reset();
                    self.io.recovered().await;
                    break;
                }
                Err(e) if e.is_retriable() => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %e, ?delay, "put failed; retrying");
                    self.io.retrying("put", &e).await;
                    self.io.sleep_unless_directed(delay).await;
                    if *self.io.directive.borrow() != Directive::Run {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        for message in messages {
            self.io.status.used_topic(message.topic()).await;
            let tp = TopicPartition {
                topic: message.topic().to_owned(),
                partition: message.partition(),
            };
            self.offsets.insert(tp, message.offset() + 1);
        }
        if batch.revoked_after {
            self.release_revoked().await?;
        }
        Ok(())
    }

    /// Tells the task which partitions the group took away, and forgets their offsets.
    async fn release_revoked(&mut self) -> Result<(), TaskError> {
        let revoked = self.revokes.take();
        if revoked.is_empty() {
            return Ok(());
        }
        for tp in &revoked {
            self.offsets.remove(tp);
            self.committed.remove(tp);
            self.handed.remove(tp);
        }
        Ok(self.task.close(&revoked).await?)
    }

    /// Tells the task every partition is gone, before the consumer leaves the group.
    async fn release_all(&mut self) -> Result<(), TaskError> {
        self.revokes.take();
        let mut owned = std::mem::take(&mut self.handed);
        owned.extend(self.offsets.keys().cloned());
        let owned: Vec<TopicPartition> = owned.into_iter().collect();
        self.offsets.clear();
        self.committed.clear();
        if owned.is_empty() {
            return Ok(());
        }
        Ok(self.task.close(&owned).await?)
    }

    /// Asks the task which offsets it has made durable (`pre_commit`), then commits those that
    /// moved. Nothing is committed when that fails; a retriable failure waits for the next commit.
    async fn commit(&mut self, consumer: &SinkConsumer) -> Result<(), TaskError> {
        self.release_revoked().await?;
        if self.offsets == self.committed {
            return Ok(());
        }
        let durable = match self.task.pre_commit(&self.offsets).await {
            Ok(durable) => {
                self.io.recovered().await;
                durable
            }
            Err(e) if e.is_retriable() => {
                tracing::warn!(error = %e, "flush failed; offsets not committed, will retry");
                self.io.retrying("flush", &e).await;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        // Only partitions still owned, and only offsets that moved.
        let moved: BTreeMap<TopicPartition, i64> = durable
            .into_iter()
            .filter(|(tp, offset)| self.offsets.contains_key(tp) && self.committed.get(tp) != Some(offset))
            .collect();
        if moved.is_empty() {
            return Ok(());
        }
        let mut list = TopicPartitionList::new();
        for (tp, offset) in &moved {
            list.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))
                .context(|| "building the offsets to commit".into())?;
        }
        let committer = consumer.clone();
        let committed = tokio::task::spawn_blocking(move || committer.commit(&list, CommitMode::Sync))
            .await
            .unwrap_or(Err(KafkaError::Canceled));
        match committed {
            Ok(()) => self.committed.extend(moved),
            Err(e) => tracing::warn!(error = %e, "committing consumer offsets failed; records may be redelivered"),
        }
        Ok(())
    }
}

/// A batch of messages, and whether the group revoked partitions while it was read: the
/// revocation is processed by the poll that would have returned the next message, so every
/// message of the batch came before it.
struct Batch {
    messages: Vec<OwnedMessage>,
    revoked_after: bool,
}

/// Waits until `idle_until` for a message, then takes every message already fetched, up to a
/// batch; empty when none came.
async fn receive_batch(
    consumer: &StreamConsumer<RevokeTracker>,
    revokes: &RevokeTracker,
    idle_until: tokio::time::Instant,
) -> Result<Batch, KafkaError> {
    let first = match tokio::time::timeout_at(idle_until, consumer.recv()).await {
        Ok(message) => message?.detach(),
        Err(_) => {
            return Ok(Batch {
                messages: Vec::new(),
                revoked_after: false,
            });
        }
    };
    let generation = revokes.generation();
    let mut messages = vec![first];
    while messages.len() < MAX_BATCH {
        match consumer.recv().now_or_never() {
            Some(Ok(message)) => messages.push(message.detach()),
            _ => break,
        }
    }
    Ok(Batch {
        messages,
        revoked_after: revokes.generation() != generation,
    })
}
