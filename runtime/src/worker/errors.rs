//! What happens to a record that fails on its way through a task (Kafka Connect's
//! `RetryWithToleranceOperator` and error reporters), in one place for sources and sinks: the
//! stage it failed at, `errors.tolerance` (fail the task, or skip the record), the error log
//! (`errors.log.enable`, `errors.log.include.messages`) and, for sinks, the dead letter queue.

use std::fmt;

use rdkafka::message::{Message, OwnedMessage};
use weir_connector_api::{ConversionError, SourceMap, TaskMetrics};

use super::TaskError;
use super::dead_letter::DeadLetterProducer;
use crate::config::connector::ErrorPolicy;
use crate::model::TaskId;

/// Where in a task's pipeline a record failed, as Kafka Connect names the stages (in the error
/// log and the dead letter queue's `__connect.errors.stage` header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The key converter.
    KeyConverter,
    /// The value converter.
    ValueConverter,
    /// The header converter.
    HeaderConverter,
    /// A transform or its predicate.
    Transformation,
    /// A sink task's `put`.
    TaskPut,
    /// A source task's `poll`.
    TaskPoll,
    /// Producing to Kafka.
    KafkaProduce,
    /// Consuming from Kafka.
    KafkaConsume,
}

impl Stage {
    /// Kafka Connect's name of the stage.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
            Stage::TaskPut => "TASK_PUT",
            Stage::TaskPoll => "TASK_POLL",
            Stage::KafkaProduce => "KAFKA_PRODUCE",
            Stage::KafkaConsume => "KAFKA_CONSUME",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record that failed: at which stage, in which plugin class, and why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message} (stage {stage}, {class})")]
pub struct RecordFailure {
    /// The stage.
    pub stage: Stage,
    /// The class of the converter or transform that failed.
    pub class: String,
    /// Why.
    pub message: String,
    /// Whether the stage may pass if tried again (`errors.retry.timeout` says how long).
    pub retriable: bool,
}

impl RecordFailure {
    /// A failure at `stage` in `class`.
    pub fn new(stage: Stage, class: &str, message: impl fmt::Display) -> Self {
        RecordFailure {
            stage,
            class: class.to_owned(),
            message: message.to_string(),
            retriable: false,
        }
    }

    /// A converter's failure at `stage`, retriable if the converter says so.
    pub fn conversion(stage: Stage, class: &str, error: ConversionError) -> Self {
        RecordFailure {
            retriable: error.retriable,
            ..RecordFailure::new(stage, class, error.message)
        }
    }
}

/// The record a failure is about, as the error log and the dead letter queue show it.
pub enum FailedRecord<'a> {
    /// A record a source task produced: its source offset.
    Source {
        /// Its destination topic as the task gave it.
        topic: &'a str,
        /// Its source offset.
        offset: &'a SourceMap,
    },
    /// A record a sink task consumed, as it was read.
    Sink(&'a OwnedMessage),
}

/// Decides what a task does with a record that failed, under the connector's error policy.
pub struct ErrorHandler {
    policy: ErrorPolicy,
    task: TaskId,
    metrics: TaskMetrics,
    /// The figure that counts skipped records: `source_` or `sink_records_skipped_total`.
    skipped_metric: &'static str,
    dead_letters: Option<DeadLetterProducer>,
}

impl ErrorHandler {
    /// The handler of a source task.
    pub fn for_source(policy: ErrorPolicy, task: TaskId, metrics: TaskMetrics) -> Self {
        ErrorHandler {
            policy,
            task,
            metrics,
            skipped_metric: "source_records_skipped_total",
            dead_letters: None,
        }
    }

    /// The handler of a sink task, with its dead letter queue if the connector has one.
    pub fn for_sink(
        policy: ErrorPolicy,
        task: TaskId,
        metrics: TaskMetrics,
        dead_letters: Option<DeadLetterProducer>,
    ) -> Self {
        ErrorHandler {
            policy,
            task,
            metrics,
            skipped_metric: "sink_records_skipped_total",
            dead_letters,
        }
    }

    /// The policy it applies.
    pub fn policy(&self) -> &ErrorPolicy {
        &self.policy
    }

    /// Handles a failed record. Under `errors.tolerance=none` the task fails
    /// ([`TaskError::Tolerance`]); under `all` the failure is counted, logged if asked, sent to
    /// the dead letter queue if there is one, and the record is skipped (`Ok`).
    pub async fn handle(&self, failure: RecordFailure, record: FailedRecord<'_>) -> Result<(), TaskError> {
        if !self.policy.tolerate_all {
            return Err(TaskError::Tolerance(failure));
        }
        self.metrics.add(
            self.skipped_metric,
            "Records left out because they failed in a converter or transform (errors.tolerance=all).",
            1,
        );
        if self.policy.log {
            let at = self.policy.log_messages.then(|| match &record {
                FailedRecord::Source { topic, offset } => format!("{topic} at source offset {offset:?}"),
                FailedRecord::Sink(message) => {
                    format!("{}-{}@{}", message.topic(), message.partition(), message.offset())
                }
            });
            tracing::error!(
                error = %failure.message,
                stage = failure.stage.as_str(),
                class = %failure.class,
                record = ?at,
                "a record that failed was left out (errors.tolerance=all)"
            );
        }
        if let (Some(dead_letters), FailedRecord::Sink(message)) = (&self.dead_letters, record) {
            dead_letters.send(message, &self.task, &failure).await?;
            self.metrics.add(
                "sink_records_dead_lettered_total",
                "Records sent to the dead letter queue.",
                1,
            );
        }
        Ok(())
    }
}
