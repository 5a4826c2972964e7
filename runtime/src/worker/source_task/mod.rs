//! The loop of a source task: poll, put each record through the pipeline, produce, and commit
//! offsets once Kafka has acknowledged every record they cover; or, with exactly-once on,
//! commit the records and their offsets together in the task's own transactions.

mod outbox;
mod topic_creator;
mod transaction;

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use weir_connector_api::{SourceRecord, SourceTask, SourceTaskContext};

use outbox::Outbox;
use topic_creator::TopicCreator;
use transaction::{End, Transactions};

use super::errors::{ErrorHandler, FailedRecord};
use super::pipeline::{DROPPED_METRIC, Processed, SourceOutcome, SourcePipeline};
use super::retry::StageRetries;
use super::{Backoff, Directive, FenceRequest, TaskError, TaskIo, WorkerContext};
use crate::config::ConnectorConfig;
use crate::config::topic_creation::TopicCreation;
use crate::model::State;
use crate::storage::ConnectorOffsets;

/// Runs one source task.
pub(super) struct SourceTaskRunner {
    io: TaskIo,
    task: Box<dyn SourceTask>,
    outbox: Outbox,
    pipeline: SourcePipeline,
    errors: ErrorHandler,
    offsets: ConnectorOffsets,
    /// With exactly-once on: the task's transactions, which then commit its offsets.
    transactions: Option<Transactions>,
    /// Where the task asks for its connector's older tasks to be fenced before it starts.
    fences: mpsc::UnboundedSender<FenceRequest>,
    /// With topic creation on for the connector: what creates its records' topics.
    topics: Option<TopicCreator>,
    retry_delay_max: Duration,
    flush_interval: Duration,
    flush_timeout: Duration,
}

impl SourceTaskRunner {
    /// Prepares a task: its producer (`producer.*`, then the connector's `producer.override.*`),
    /// shared with the tasks that use the same settings; with exactly-once on, a transactional
    /// producer of its own.
    pub(super) fn new(
        io: TaskIo,
        task: Box<dyn SourceTask>,
        pipeline: SourcePipeline,
        worker: &WorkerContext,
        config: &ConnectorConfig,
        offsets: ConnectorOffsets,
    ) -> Result<Self, TaskError> {
        let overrides = config.client_overrides("producer");
        let transactions = match worker.config.exactly_once_source {
            true => Some(Transactions::new(
                &worker.clients,
                &worker.config.group_id,
                &io.id,
                &overrides,
                config.transaction_boundary,
                worker.config.offset_flush_interval,
            )?),
            false => None,
        };
        let producer = match &transactions {
            Some(transactions) => transactions.producer(),
            // Idempotent (no reordering or duplicates on broker retries), retrying a record for
            // as long as it takes (as Kafka Connect's does), and keyed records partitioned as
            // Kafka's Java producer does.
            None => worker.clients.shared_producer(
                &[
                    ("acks", "all"),
                    ("enable.idempotence", "true"),
                    ("message.timeout.ms", "0"),
                    ("partitioner", "murmur2_random"),
                ],
                &overrides,
                &[],
            )?,
        };
        let errors = ErrorHandler::for_source(config.errors.clone(), io.id.clone(), io.metrics.clone());
        let topics = match worker.config.topic_creation {
            true => TopicCreation::parse(&config.props).map_err(TaskError::Setup)?,
            false => None,
        };
        Ok(SourceTaskRunner {
            io,
            task,
            outbox: Outbox::new(producer),
            pipeline,
            errors,
            offsets,
            transactions,
            fences: worker.fences.clone(),
            topics: topics.map(|creation| TopicCreator::new(creation, worker.clients.clone())),
            retry_delay_max: config.errors.retry_delay_max,
            flush_interval: worker.config.offset_flush_interval,
            flush_timeout: worker.config.offset_flush_timeout,
        })
    }

    /// Runs until told to stop or until it fails. Either way, the offsets of every record Kafka
    /// acknowledged are committed (with exactly-once on: the open transaction is committed on
    /// a stop, aborted on a failure), and the task is stopped.
    pub(super) async fn run(mut self) -> Result<(), TaskError> {
        if self.transactions.is_some() {
            self.fence_older_tasks().await?;
        }
        if let Some(transactions) = &self.transactions {
            transactions.start().await?;
            // What the task's earlier instances committed, up to the fencing just done: the
            // task resumes from there.
            self.offsets
                .read_to_end()
                .await
                .map_err(|e| TaskError::Setup(format!("reading the offsets topic to its end: {e}")))?;
        }
        let context = SourceTaskContext {
            offsets: std::sync::Arc::new(self.offsets.reader(&self.io.id.connector)),
            metrics: self.io.metrics.clone(),
            transactions: self.transactions.as_ref().and_then(Transactions::context),
        };
        self.task.start(&self.io.task_config, context).await?;
        let result = self.stream().await;
        let committed = match &result {
            Ok(()) => self.commit_all().await,
            Err(_) => {
                match self.transactions.as_mut() {
                    Some(transactions) => {
                        let _ = transactions.abort(&mut self.outbox, &self.io.metrics).await;
                    }
                    None => {
                        let _ = self.outbox.settle_ready();
                        self.commit_acked().await;
                    }
                }
                Ok(())
            }
        };
        let stopped = self.task.stop().await;
        result?;
        committed?;
        Ok(stopped?)
    }

    /// Has the producers of the connector's older tasks fenced, by the group's leader, before
    /// this one starts. While the group rebalances there may be no leader to ask: asked again
    /// for up to a minute, then the task fails.
    async fn fence_older_tasks(&mut self) -> Result<(), TaskError> {
        let mut backoff = Backoff::new(Duration::from_secs(5));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (done, answer) = oneshot::channel();
            let request = FenceRequest {
                connector: self.io.id.connector.clone(),
                done,
            };
            let answer = match self.fences.send(request) {
                Ok(()) => answer.await.unwrap_or_else(|_| Err("the worker is stopping".into())),
                Err(_) => Err("the worker is stopping".into()),
            };
            match answer {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() < deadline && self.io.directive() != Directive::Stop => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %e, ?delay, "could not have the older tasks fenced; retrying");
                    self.io.sleep_unless_directed(delay).await;
                }
                Err(e) => return Err(TaskError::Setup(format!("fencing the connector's older tasks: {e}"))),
            }
        }
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
            self.outbox.end_batch();
            self.outbox.settle_ready()?;
            self.publish_settled();
            match self.transactions.as_ref() {
                Some(transactions) => {
                    if let Some(end) = transactions.due() {
                        self.end_transaction(end).await?;
                    }
                }
                None if last_commit.elapsed() >= self.flush_interval => {
                    self.commit_acked().await;
                    last_commit = Instant::now();
                }
                None => {}
            }
        }
    }

    /// Puts one record through the pipeline and sends it. A conversion that failed for now is
    /// retried for `errors.retry.timeout` (until a new directive comes); a record that fails is
    /// handled by `errors.tolerance`.
    async fn send(&mut self, record: SourceRecord) -> Result<(), TaskError> {
        let Processed {
            source_partition,
            source_offset,
            outcome,
        } = self.pipeline.process(record);
        let outcome = self.retry_conversion(outcome).await;
        if let Some(transactions) = self.transactions.as_mut() {
            transactions.begin()?;
        }
        match outcome {
            SourceOutcome::Send(record) => {
                if let Some(topics) = self.topics.as_mut() {
                    topics.ensure(&record.topic).await?;
                }
                self.outbox.send(&record, source_partition, source_offset).await?;
                self.io.status.used_topic(&record.topic).await;
                if let Some(transactions) = self.transactions.as_mut() {
                    transactions.sent();
                }
            }
            SourceOutcome::Dropped => {
                self.io.metrics.add(DROPPED_METRIC.0, DROPPED_METRIC.1, 1);
                self.outbox.skip(source_partition, source_offset);
            }
            SourceOutcome::Failed { failure, topic, .. } => {
                let failed = FailedRecord::Source {
                    topic: &topic,
                    offset: &source_offset,
                };
                self.errors.handle(failure, failed).await?;
                self.outbox.skip(source_partition, source_offset);
            }
        }
        Ok(())
    }

    /// Converts again a record whose conversion failed for now, while `errors.retry.timeout`
    /// allows and no new directive came; what became of it in the end.
    async fn retry_conversion(&mut self, mut outcome: SourceOutcome) -> SourceOutcome {
        let mut retries = None;
        while let SourceOutcome::Failed {
            failure,
            topic,
            retry: Some(pending),
        } = outcome
        {
            let retries = retries.get_or_insert_with(|| StageRetries::new(self.errors.policy()));
            let delay = retries
                .next_delay()
                .filter(|_| *self.io.directive.borrow() == Directive::Run);
            let Some(delay) = delay else {
                outcome = SourceOutcome::Failed {
                    failure,
                    topic,
                    retry: None,
                };
                break;
            };
            tracing::warn!(error = %failure, ?delay, "a record's conversion failed for now; retrying");
            self.io.retrying("a record's conversion", &failure).await;
            self.io.sleep_unless_directed(delay).await;
            outcome = self.pipeline.retry(*pending);
        }
        if retries.is_some() && matches!(outcome, SourceOutcome::Send(_)) {
            self.io.recovered().await;
        }
        outcome
    }

    /// Adds the records settled since last time to the task's figures: once per batch, not
    /// once per record.
    fn publish_settled(&mut self) {
        let written = self.outbox.take_written();
        if written.records > 0 {
            let metrics = &self.io.metrics;
            metrics.add(
                "source_records_written_total",
                "Records Kafka acknowledged.",
                written.records,
            );
            metrics.add(
                "source_bytes_written_total",
                "Bytes of the keys and values Kafka acknowledged.",
                written.bytes,
            );
        }
    }

    /// Writes the acknowledged offsets to the offsets topic, then tells the task. A failure is
    /// logged and retried at the next commit: the offsets stay pending.
    async fn commit_acked(&mut self) {
        self.publish_settled();
        if self.outbox.acked().is_empty() {
            return;
        }
        let entries: Vec<_> = self
            .outbox
            .acked()
            .iter()
            .map(|(p, o)| (p.clone(), Some(o.clone())))
            .collect();
        match tokio::time::timeout(self.flush_timeout, self.offsets.put(&self.io.id.connector, &entries)).await {
            Ok(Ok(())) => {
                tracing::debug!(partitions = entries.len(), "source offsets committed");
                let committed = self.outbox.take_acked();
                if let Err(e) = self.task.commit(&committed).await {
                    tracing::warn!(error = %e, "task could not take the committed offsets");
                }
            }
            Ok(Err(e)) => tracing::error!(error = %e, "could not commit source offsets; will retry"),
            Err(_) => tracing::error!(timeout = ?self.flush_timeout, "committing source offsets timed out; will retry"),
        }
    }

    /// Ends the open transaction, then tells the task which offsets it committed.
    async fn end_transaction(&mut self, end: End) -> Result<(), TaskError> {
        let Some(transactions) = self.transactions.as_mut() else {
            return Ok(());
        };
        let committed = transactions
            .end(
                end,
                &mut self.outbox,
                &self.offsets,
                &self.io.id.connector,
                &self.io.metrics,
            )
            .await?;
        self.publish_settled();
        if !committed.is_empty()
            && let Err(e) = self.task.commit(&committed).await
        {
            tracing::warn!(error = %e, "task could not take the committed offsets");
        }
        Ok(())
    }

    /// Waits for every record in flight, then commits (with exactly-once on: ends the open
    /// transaction, see [`Transactions::final_end`]).
    async fn commit_all(&mut self) -> Result<(), TaskError> {
        if let Some(transactions) = self.transactions.as_mut() {
            return match transactions.final_end() {
                Some(end) => self.end_transaction(end).await,
                None => Ok(transactions.abort(&mut self.outbox, &self.io.metrics).await?),
            };
        }
        self.outbox.settle_all().await?;
        self.commit_acked().await;
        Ok(())
    }
}
