//! The dead letter queue of a sink: records that failed in a converter or a transform, sent as
//! they were read, with `__connect.errors.*` headers saying why when asked.

use rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::BaseRecord;

use super::TaskError;
use super::errors::RecordFailure;
use crate::config::connector::DeadLetterQueue;
use crate::config::worker::InternalTopic;
use crate::kafka::{KafkaClients, KafkaContext, Producer, create_topic_if_missing};
use crate::model::TaskId;

/// Sends failed records to the dead letter queue topic.
pub(super) struct DeadLetterProducer {
    queue: DeadLetterQueue,
    producer: Producer,
}

impl DeadLetterProducer {
    /// Creates the topic if missing, and the producer.
    pub(super) async fn new(
        clients: &KafkaClients,
        queue: DeadLetterQueue,
        overrides: &weir_connector_api::Props,
    ) -> Result<Self, TaskError> {
        let topic = InternalTopic {
            name: queue.topic.clone(),
            partitions: 1,
            replication_factor: queue.replication_factor,
        };
        create_topic_if_missing(clients, &topic, &[]).await?;
        let producer = clients.shared_producer(&[("acks", "all")], overrides, &[])?;
        Ok(DeadLetterProducer { queue, producer })
    }

    /// Sends a record that failed, and waits until Kafka has it.
    pub(super) async fn send(
        &self,
        message: &OwnedMessage,
        id: &TaskId,
        failure: &RecordFailure,
    ) -> Result<(), TaskError> {
        let mut headers = OwnedHeaders::new();
        if let Some(original) = message.headers() {
            for h in original.iter() {
                headers = headers.insert(Header {
                    key: h.key,
                    value: h.value,
                });
            }
        }
        if self.queue.context_headers {
            let partition = message.partition().to_string();
            let offset = message.offset().to_string();
            let task = id.task.to_string();
            let context = [
                ("__connect.errors.topic", message.topic()),
                ("__connect.errors.partition", &partition),
                ("__connect.errors.offset", &offset),
                ("__connect.errors.connector.name", &id.connector),
                ("__connect.errors.task.id", &task),
                ("__connect.errors.stage", failure.stage.as_str()),
                ("__connect.errors.class.name", &failure.class),
                (
                    "__connect.errors.exception.class.name",
                    "org.apache.kafka.connect.errors.DataException",
                ),
                ("__connect.errors.exception.message", &failure.message),
                ("__connect.errors.exception.stacktrace", &failure.message),
            ];
            for (key, value) in context {
                headers = headers.insert(Header {
                    key,
                    value: Some(value),
                });
            }
        }
        let mut record = BaseRecord::<[u8], [u8]>::to(&self.queue.topic).headers(headers);
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        if let Some(payload) = message.payload() {
            record = record.payload(payload);
        }
        self.producer
            .send_and_wait(record, crate::kafka::REQUEST_TIMEOUT)
            .await
            .context(|| format!("sending a record to the dead letter queue {}", self.queue.topic))?;
        Ok(())
    }
}
