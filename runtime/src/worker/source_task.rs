//! The loop of a source task: poll, put each record through the pipeline, produce, and commit
//! offsets once Kafka has acknowledged every record they cover.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use futures::FutureExt;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use weir_connector_api::{SourceMap, SourceRecord, SourceTask, SourceTaskContext};

use super::errors::{ErrorHandler, FailedRecord};
use super::pipeline::{DROPPED_METRIC, Processed, SourceOutcome, SourcePipeline};
use super::{Backoff, Directive, TaskError, TaskIo, WorkerContext};
use crate::config::ConnectorConfig;
use crate::kafka::{KafkaContext, KafkaOpError};
use crate::model::State;
use crate::storage::OffsetStore;

/// A produced record whose acknowledgement is awaited, and the source offset it carries.
struct InFlight {
    /// `None` for a record left out (`errors.tolerance=all`): nothing to wait for.
    delivery: Option<DeliveryFuture>,
    partition: SourceMap,
    offset: SourceMap,
}

/// Runs one source task.
pub(super) struct SourceTaskRunner {
    io: TaskIo,
    task: Box<dyn SourceTask>,
    producer: FutureProducer,
    pipeline: SourcePipeline,
    errors: ErrorHandler,
    offsets: OffsetStore,
    retry_delay_max: Duration,
    flush_interval: Duration,
    flush_timeout: Duration,
    /// Records sent, oldest first.
    in_flight: VecDeque<InFlight>,
    /// The latest acknowledged offset per source partition, not yet committed.
    acked: Vec<(SourceMap, SourceMap)>,
    /// Records acknowledged since the figures were last published.
    unpublished: u64,
}

impl SourceTaskRunner {
    /// Prepares a task: its producer (`producer.*`, then the connector's `producer.override.*`),
    /// shared with the tasks that use the same settings.
    pub(super) fn new(
        io: TaskIo,
        task: Box<dyn SourceTask>,
        pipeline: SourcePipeline,
        worker: &WorkerContext,
        config: &ConnectorConfig,
    ) -> Result<Self, TaskError> {
        // Idempotent (no reordering or duplicates on broker retries), retrying a record for as
        // long as it takes (as Kafka Connect's does), and keyed records partitioned as Kafka's
        // Java producer does.
        let producer = worker.clients.shared_producer(
            &[
                ("acks", "all"),
                ("enable.idempotence", "true"),
                ("message.timeout.ms", "0"),
                ("partitioner", "murmur2_random"),
            ],
            &config.prefixed("producer.override."),
            &[],
        )?;
        let errors = ErrorHandler::for_source(config.errors.clone(), io.id.clone(), io.metrics.clone());
        Ok(SourceTaskRunner {
            io,
            task,
            producer,
            pipeline,
            errors,
            offsets: worker.offsets.clone(),
            retry_delay_max: config.errors.retry_delay_max,
            flush_interval: worker.config.offset_flush_interval,
            flush_timeout: worker.config.offset_flush_timeout,
            in_flight: VecDeque::new(),
            acked: Vec::new(),
            unpublished: 0,
        })
    }

    /// Runs until told to stop or until it fails. Either way, the offsets of every record Kafka
    /// acknowledged are committed, and the task is stopped.
    pub(super) async fn run(mut self) -> Result<(), TaskError> {
        let context = SourceTaskContext {
            offsets: std::sync::Arc::new(self.offsets.reader(&self.io.id.connector)),
            metrics: self.io.metrics.clone(),
            transactions: None,
        };
        self.task.start(&self.io.task_config, context).await?;
        let result = self.stream().await;
        let committed = match &result {
            Ok(()) => self.commit_all().await,
            Err(_) => {
                let _ = self.settle_ready();
                self.commit_acked().await;
                Ok(())
            }
        };
        let stopped = self.task.stop().await;
        result?;
        committed?;
        Ok(stopped?)
    }

    /// Polls, converts and sends, committing offsets as they are acknowledged.
    async fn stream(&mut self) -> Result<(), TaskError> {
        let mut backoff = Backoff::new(self.retry_delay_max);
        let mut last_commit = Instant::now();
        let mut reported = None;
        loop {
            match self.io.directive() {
                Directive::Stop => return Ok(()),
                Directive::Pause => {
                    self.commit_all().await?;
                    self.io.status.report(State::Paused, None).await;
                    reported = Some(State::Paused);
                    if self.io.next_directive(Directive::Pause).await == Directive::Stop {
                        return Ok(());
                    }
                    continue;
                }
                Directive::Run if reported != Some(State::Running) => {
                    self.io.status.report(State::Running, None).await;
                    reported = Some(State::Running);
                }
                Directive::Run => {}
            }
            let records = match self.task.poll().await {
                Ok(records) => {
                    backoff.reset();
                    self.io.recovered().await;
                    records
                }
                Err(e) if e.is_retriable() => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %e, ?delay, "poll failed; retrying");
                    self.io.retrying("poll", &e).await;
                    self.io.sleep_unless_directed(delay).await;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            self.io.metrics.add(
                "source_records_polled_total",
                "Records the task returned from poll.",
                records.len() as u64,
            );
            for record in records {
                self.send(record).await?;
            }
            self.settle_ready()?;
            self.publish_settled();
            if last_commit.elapsed() >= self.flush_interval {
                self.commit_acked().await;
                last_commit = Instant::now();
            }
        }
    }

    /// Puts one record through the pipeline and sends it; waits for room when the producer's
    /// queue is full. A record that fails is handled by `errors.tolerance`.
    async fn send(&mut self, record: SourceRecord) -> Result<(), TaskError> {
        let Processed {
            source_partition,
            source_offset,
            outcome,
        } = self.pipeline.process(record);
        let record = match outcome {
            SourceOutcome::Send(record) => record,
            SourceOutcome::Dropped => {
                self.io.metrics.add(DROPPED_METRIC.0, DROPPED_METRIC.1, 1);
                self.in_flight.push_back(InFlight {
                    delivery: None,
                    partition: source_partition,
                    offset: source_offset,
                });
                return Ok(());
            }
            SourceOutcome::Failed { failure, topic } => {
                let failed = FailedRecord::Source {
                    topic: &topic,
                    offset: &source_offset,
                };
                self.errors.handle(failure, failed).await?;
                self.in_flight.push_back(InFlight {
                    delivery: None,
                    partition: source_partition,
                    offset: source_offset,
                });
                return Ok(());
            }
        };
        let topic = record.topic.as_str();
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for h in &record.headers {
            headers = headers.insert(Header {
                key: &h.key,
                value: h.value.as_deref(),
            });
        }
        let mut message = FutureRecord::<[u8], [u8]>::to(topic).headers(headers);
        if let Some(key) = &record.key {
            message = message.key(key.as_slice());
        }
        if let Some(value) = &record.value {
            message = message.payload(value.as_slice());
        }
        if let Some(partition) = record.partition {
            message = message.partition(partition);
        }
        if let Some(timestamp) = record.timestamp {
            message = message.timestamp(timestamp);
        }
        loop {
            match self.producer.send_result(message) {
                Ok(delivery) => {
                    self.in_flight.push_back(InFlight {
                        delivery: Some(delivery),
                        partition: source_partition,
                        offset: source_offset,
                    });
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    message = back;
                    if self.in_flight.is_empty() {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    } else {
                        self.settle_front().await?;
                    }
                }
                Err((source, _)) => {
                    return Err(KafkaOpError {
                        context: format!("producing to {topic}"),
                        source,
                    }
                    .into());
                }
            }
        }
    }

    /// Waits for the oldest record in flight to be acknowledged.
    async fn settle_front(&mut self) -> Result<(), TaskError> {
        let Some(mut front) = self.in_flight.pop_front() else {
            return Ok(());
        };
        if let Some(delivery) = front.delivery.as_mut() {
            check_delivery(delivery.await)?;
        }
        self.ack(front);
        Ok(())
    }

    /// Takes every acknowledgement that has arrived, oldest first, without waiting.
    fn settle_ready(&mut self) -> Result<(), TaskError> {
        while let Some(front) = self.in_flight.front_mut() {
            if let Some(delivery) = front.delivery.as_mut() {
                match delivery.now_or_never() {
                    Some(result) => check_delivery(result)?,
                    None => break,
                }
            }
            if let Some(front) = self.in_flight.pop_front() {
                self.ack(front);
            }
        }
        Ok(())
    }

    fn ack(&mut self, record: InFlight) {
        if record.delivery.is_some() {
            self.unpublished += 1;
        }
        match self.acked.iter_mut().find(|(p, _)| *p == record.partition) {
            Some(entry) => entry.1 = record.offset,
            None => self.acked.push((record.partition, record.offset)),
        }
    }

    /// Adds the records settled since last time to the task's figures: once per batch, not
    /// once per record.
    fn publish_settled(&mut self) {
        let written = std::mem::take(&mut self.unpublished);
        if written > 0 {
            self.io
                .metrics
                .add("source_records_written_total", "Records Kafka acknowledged.", written);
        }
    }

    /// Writes the acknowledged offsets to the offsets topic, then tells the task. A failure is
    /// logged and retried at the next commit: the offsets stay pending.
    async fn commit_acked(&mut self) {
        self.publish_settled();
        if self.acked.is_empty() {
            return;
        }
        let entries: Vec<_> = self.acked.iter().map(|(p, o)| (p.clone(), Some(o.clone()))).collect();
        match tokio::time::timeout(self.flush_timeout, self.offsets.put(&self.io.id.connector, &entries)).await {
            Ok(Ok(())) => {
                tracing::debug!(partitions = entries.len(), "source offsets committed");
                let committed = std::mem::take(&mut self.acked);
                if let Err(e) = self.task.commit(&committed).await {
                    tracing::warn!(error = %e, "task could not take the committed offsets");
                }
            }
            Ok(Err(e)) => tracing::error!(error = %e, "could not commit source offsets; will retry"),
            Err(_) => tracing::error!(timeout = ?self.flush_timeout, "committing source offsets timed out; will retry"),
        }
    }

    /// Waits for every record in flight, then commits.
    async fn commit_all(&mut self) -> Result<(), TaskError> {
        while !self.in_flight.is_empty() {
            self.settle_front().await?;
        }
        self.commit_acked().await;
        Ok(())
    }
}

/// Turns a delivery report into an error when the broker did not take the record.
fn check_delivery(
    result: Result<rdkafka::producer::future_producer::OwnedDeliveryResult, futures::channel::oneshot::Canceled>,
) -> Result<(), KafkaOpError> {
    match result {
        Ok(Ok(_)) => Ok(()),
        Ok(Err((e, _))) => Err(e).context(|| "Kafka did not acknowledge a record".into()),
        Err(_) => Err(KafkaError::Canceled).context(|| "the producer shut down before acknowledging a record".into()),
    }
}
