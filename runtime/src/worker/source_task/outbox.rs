//! A source task's records on their way to Kafka: each sent record waits here, with the source
//! offset it carries, until the broker acknowledges it; then its offset becomes committable.

use std::collections::VecDeque;
use std::time::Duration;

use futures::FutureExt;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use weir_connector_api::SourceMap;

use crate::worker::pipeline::Outgoing;

use crate::kafka::{KafkaContext, KafkaOpError};

/// A produced record whose acknowledgement is awaited, and the source offset it carries.
struct InFlight {
    /// `None` for a record left out (dropped by a transform, or skipped by
    /// `errors.tolerance=all`): nothing to wait for.
    delivery: Option<DeliveryFuture>,
    /// The bytes of its key and value.
    bytes: u64,
    partition: SourceMap,
    offset: SourceMap,
}

/// What Kafka acknowledged since it was last taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Written {
    /// Records.
    pub(super) records: u64,
    /// Their keys' and values' bytes.
    pub(super) bytes: u64,
}

/// Records sent, oldest first, and the offsets acknowledged so far.
pub(super) struct Outbox {
    producer: FutureProducer,
    in_flight: VecDeque<InFlight>,
    /// The latest acknowledged offset per source partition, not yet taken.
    acked: Vec<(SourceMap, SourceMap)>,
    /// What was acknowledged since [`Outbox::take_written`].
    written: Written,
}

impl Outbox {
    /// An empty outbox sending through `producer`.
    pub(super) fn new(producer: FutureProducer) -> Self {
        Outbox {
            producer,
            in_flight: VecDeque::new(),
            acked: Vec::new(),
            written: Written::default(),
        }
    }

    /// Sends a record; waits for room when the producer's queue is full.
    pub(super) async fn send(
        &mut self,
        record: &Outgoing,
        partition: SourceMap,
        offset: SourceMap,
    ) -> Result<(), KafkaOpError> {
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
        let bytes = [&record.key, &record.value]
            .iter()
            .map(|part| part.as_ref().map_or(0, |part| part.len() as u64))
            .sum();
        loop {
            match self.producer.send_result(message) {
                Ok(delivery) => {
                    self.in_flight.push_back(InFlight {
                        delivery: Some(delivery),
                        bytes,
                        partition,
                        offset,
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
                    });
                }
            }
        }
    }

    /// Records the offset of a record left out: committable once the records before it are.
    pub(super) fn skip(&mut self, partition: SourceMap, offset: SourceMap) {
        self.in_flight.push_back(InFlight {
            delivery: None,
            bytes: 0,
            partition,
            offset,
        });
    }

    /// Waits for the oldest record in flight to be acknowledged.
    pub(super) async fn settle_front(&mut self) -> Result<(), KafkaOpError> {
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
    pub(super) fn settle_ready(&mut self) -> Result<(), KafkaOpError> {
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

    /// Waits for every record in flight.
    pub(super) async fn settle_all(&mut self) -> Result<(), KafkaOpError> {
        while !self.in_flight.is_empty() {
            self.settle_front().await?;
        }
        Ok(())
    }

    fn ack(&mut self, record: InFlight) {
        if record.delivery.is_some() {
            self.written.records += 1;
            self.written.bytes += record.bytes;
        }
        latest(&mut self.acked, record.partition, record.offset);
    }

    /// The acknowledged offsets not yet committed, one per source partition.
    pub(super) fn acked(&self) -> &[(SourceMap, SourceMap)] {
        &self.acked
    }

    /// Takes the acknowledged offsets: they are committed.
    pub(super) fn take_acked(&mut self) -> Vec<(SourceMap, SourceMap)> {
        std::mem::take(&mut self.acked)
    }

    /// The latest offset per source partition of every record sent or left out, acknowledged
    /// or not: what a transaction holding them all reaches.
    pub(super) fn offsets_reached(&self) -> Vec<(SourceMap, SourceMap)> {
        let mut reached = self.acked.clone();
        for record in &self.in_flight {
            latest(&mut reached, record.partition.clone(), record.offset.clone());
        }
        reached
    }

    /// Forgets every record and offset: their transaction was aborted.
    pub(super) fn discard(&mut self) {
        self.in_flight.clear();
        self.acked.clear();
    }

    /// Takes what was acknowledged since last time.
    pub(super) fn take_written(&mut self) -> Written {
        std::mem::take(&mut self.written)
    }
}

/// Makes `offset` the latest of its partition in `offsets`.
fn latest(offsets: &mut Vec<(SourceMap, SourceMap)>, partition: SourceMap, offset: SourceMap) {
    match offsets.iter_mut().find(|(p, _)| *p == partition) {
        Some(entry) => entry.1 = offset,
        None => offsets.push((partition, offset)),
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
