//! The loop of a sink task: consume, convert, put, and commit consumer offsets only after the
//! task has flushed what they cover.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::FutureExt;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message, OwnedMessage};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use weir_connector_api::{Header, SinkRecord, SinkTask, TopicPartition};

use super::dead_letter::DeadLetterProducer;
use super::{Backoff, Directive, TaskError, TaskIo, WorkerContext};
use crate::config::ConnectorConfig;
use crate::config::connector::ErrorPolicy;
use crate::kafka::{KafkaClients, KafkaContext};
use crate::storage::State;

/// The most records handed to one `put`.
const MAX_BATCH: usize = 2000;

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

/// Runs one sink task.
pub(super) struct SinkTaskRunner {
    io: TaskIo,
    task: Box<dyn SinkTask>,
    consumer_config: ClientConfig,
    subscription: Subscription,
    clients: KafkaClients,
    producer_overrides: weir_connector_api::Props,
    errors: ErrorPolicy,
    flush_interval: Duration,
    /// The next offset to commit per partition: records up to it were put (or skipped).
    offsets: BTreeMap<TopicPartition, i64>,
    /// Whether records were put since the last commit.
    dirty: bool,
}

/// What woke the loop.
enum Event {
    Directive,
    Commit,
    Batch(Result<Vec<OwnedMessage>, KafkaError>),
}

impl SinkTaskRunner {
    /// Prepares a task: its consumer settings (group `connect-<name>`, no auto commit, from the
    /// earliest offset; `consumer.*`, then the connector's `consumer.override.*`).
    pub(super) fn new(
        io: TaskIo,
        task: Box<dyn SinkTask>,
        worker: &WorkerContext,
        config: &ConnectorConfig,
    ) -> Result<Self, TaskError> {
        let group = consumer_group(&io.id.connector);
        let client_id = format!("connector-consumer-{}", io.id);
        let consumer_config = worker.clients.consumer_config(
            &[
                ("client.id", &client_id),
                ("auto.offset.reset", "earliest"),
                ("topic.metadata.refresh.interval.ms", "10000"),
            ],
            &config.prefixed("consumer.override."),
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
        Ok(SinkTaskRunner {
            io,
            task,
            consumer_config,
            subscription,
            clients: worker.clients.clone(),
            producer_overrides: config.prefixed("producer.override."),
            errors: config.errors.clone(),
            flush_interval: worker.config.offset_flush_interval,
            offsets: BTreeMap::new(),
            dirty: false,
        })
    }

    fn subscribe(&self) -> Result<StreamConsumer, TaskError> {
        let consumer: StreamConsumer = self.consumer_config.create().context(|| {
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
        Ok(consumer)
    }

    /// Runs until told to stop or until it fails.
    pub(super) async fn run(mut self) -> Result<(), TaskError> {
        self.task.start(&self.io.task_config).await?;
        let dead_letters = match self.errors.dead_letter_queue.clone() {
            Some(queue) => Some(DeadLetterProducer::new(&self.clients, queue, &self.producer_overrides).await?),
            None => None,
        };
        let mut consumer: Option<StreamConsumer> = None;
        let mut backoff = Backoff::new(&self.errors);
        let mut commit_timer =
            tokio::time::interval_at(tokio::time::Instant::now() + self.flush_interval, self.flush_interval);
        commit_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            match self.io.directive() {
                Directive::Stop => break,
                Directive::Pause => {
                    // Commit and leave the group; resuming rejoins from the committed offsets.
                    if let Some(c) = consumer.take() {
                        self.commit(&c).await?;
                    }
                    self.io.status.report(State::Paused, None).await;
                    if self.io.next_directive(Directive::Pause).await == Directive::Stop {
                        break;
                    }
                    continue;
                }
                Directive::Run => {}
            }
            let c = match consumer.take() {
                Some(c) => c,
                None => {
                    let c = self.subscribe()?;
                    self.io.status.report(State::Running, None).await;
                    c
                }
            };
            let event = tokio::select! {
                _ = self.io.directive.changed() => Event::Directive,
                _ = commit_timer.tick() => Event::Commit,
                batch = receive_batch(&c) => Event::Batch(batch),
            };
            match event {
                Event::Directive => {}
                Event::Commit => self.commit(&c).await?,
                Event::Batch(Err(e)) => {
                    tracing::warn!(error = %e, "consumer error");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Event::Batch(Ok(messages)) => self.deliver(&messages, dead_letters.as_ref(), &mut backoff).await?,
            }
            consumer = Some(c);
        }
        if let Some(c) = consumer.take() {
            self.commit(&c).await?;
        } else if self.dirty {
            self.task.flush(&self.offsets).await?;
        }
        self.task.stop().await?;
        Ok(())
    }

    /// Converts a batch and puts it, retrying retriable failures.
    async fn deliver(
        &mut self,
        messages: &[OwnedMessage],
        dead_letters: Option<&DeadLetterProducer>,
        backoff: &mut Backoff,
    ) -> Result<(), TaskError> {
        let mut records = Vec::with_capacity(messages.len());
        for message in messages {
            match self.convert(message) {
                Ok(record) => records.push(record),
                Err(e) if self.errors.tolerate_all => {
                    if self.errors.log {
                        let at = self
                            .errors
                            .log_messages
                            .then(|| format!("{}-{}@{}", message.topic(), message.partition(), message.offset()));
                        tracing::error!(error = %e, record = ?at, "skipping a record that cannot be converted");
                    }
                    if let Some(dlq) = dead_letters {
                        dlq.send(message, &self.io.id, "VALUE_CONVERTER", &e.to_string())
                            .await?;
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        loop {
            match self.task.put(&records).await {
                Ok(()) => {
                    backoff.reset();
                    break;
                }
                Err(e) if e.is_retriable() => match backoff.next_delay() {
                    Some(delay) => {
                        tracing::warn!(error = %e, ?delay, "put failed; retrying");
                        tokio::time::sleep(delay).await;
                    }
                    None => return Err(e.into()),
                },
                Err(e) => return Err(e.into()),
            }
        }
        for message in messages {
            let tp = TopicPartition {
                topic: message.topic().to_owned(),
                partition: message.partition(),
            };
            self.offsets.insert(tp, message.offset() + 1);
        }
        self.dirty |= !messages.is_empty();
        Ok(())
    }

    fn convert(&self, message: &OwnedMessage) -> Result<SinkRecord, crate::converter::ConversionError> {
        let topic = message.topic();
        let (key_schema, key) = self.io.key_converter.decode(topic, message.key())?;
        let (value_schema, value) = self.io.value_converter.decode(topic, message.payload())?;
        let headers = message
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| Header {
                        key: h.key.to_owned(),
                        value: h.value.map(<[u8]>::to_vec),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(SinkRecord {
            topic: topic.to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            key_schema,
            key,
            value_schema,
            value,
            timestamp: message.timestamp().to_millis(),
            headers,
        })
    }

    /// Flushes the task, then commits the offsets it covered. Nothing is committed when the
    /// flush fails; a retriable flush failure waits for the next commit.
    async fn commit(&mut self, consumer: &StreamConsumer) -> Result<(), TaskError> {
        if !self.dirty {
            return Ok(());
        }
        match self.task.flush(&self.offsets).await {
            Ok(()) => {}
            Err(e) if e.is_retriable() => {
                tracing::warn!(error = %e, "flush failed; offsets not committed, will retry");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        let mut list = TopicPartitionList::new();
        for (tp, offset) in &self.offsets {
            list.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))
                .context(|| "building the offsets to commit".into())?;
        }
        match tokio::task::block_in_place(|| consumer.commit(&list, CommitMode::Sync)) {
            Ok(()) => self.dirty = false,
            Err(e) => tracing::warn!(error = %e, "committing consumer offsets failed; records may be redelivered"),
        }
        Ok(())
    }
}

/// Waits for at least one message, then takes every message already fetched, up to a batch.
async fn receive_batch(consumer: &StreamConsumer) -> Result<Vec<OwnedMessage>, KafkaError> {
    let first = consumer.recv().await?.detach();
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match consumer.recv().now_or_never() {
            Some(Ok(message)) => batch.push(message.detach()),
            _ => break,
        }
    }
    Ok(batch)
}
