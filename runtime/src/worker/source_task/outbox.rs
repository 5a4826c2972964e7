//! A source task's records on their way to Kafka: each sent record waits here, with the source
//! offset it carries, until the broker acknowledges it; then its offset becomes committable.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::BaseRecord;
use weir_connector_api::SourceMap;

use crate::kafka::producer::{Acks, Slot, is_queue_full};
use crate::kafka::{KafkaContext, KafkaOpError, Producer};
use crate::worker::pipeline::Outgoing;

/// Consecutive records of one source partition, sent or left out, whose acknowledgements are
/// awaited, and the offset the last of them carries: the offset becomes committable once all
/// of them are acknowledged. Runs end at each batch (see [`Outbox::end_batch`]), so an offset
/// is committable at least once per poll; records inside a run keep no offset of their own.
struct Run {
    partition: SourceMap,
    offset: SourceMap,
    /// Records sent to Kafka (a record left out, dropped by a transform or skipped by
    /// `errors.tolerance=all`, has no acknowledgement to wait for).
    sent: u64,
    /// How many of those Kafka has acknowledged.
    settled: u64,
    /// The bytes of their keys and values.
    bytes: u64,
    /// Whether records may still join it: only the newest run, until its batch ends.
    open: bool,
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
    producer: Producer,
    /// What became of the records sent, in the order sent.
    acks: Arc<Acks>,
    in_flight: VecDeque<Run>,
    /// Set once a record was not written: nothing after it is acknowledged any more.
    failed: bool,
    /// The latest acknowledged offset per source partition, not yet taken.
    acked: Vec<(SourceMap, SourceMap)>,
    /// What was acknowledged since [`Outbox::take_written`].
    written: Written,
}

impl Outbox {
    /// An empty outbox sending through `producer`.
    pub(super) fn new(producer: Producer) -> Self {
        Outbox {
            producer,
            acks: Acks::new(),
            in_flight: VecDeque::new(),
            failed: false,
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
        let mut message = BaseRecord::<[u8], [u8], _>::with_opaque_to(topic, self.acks.ticket());
        if !record.headers.is_empty() {
            let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
            for h in &record.headers {
                headers = headers.insert(Header {
                    key: &h.key,
                    value: h.value.as_deref(),
                });
            }
            message = message.headers(headers);
        }
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
        // The ticket is in the ledger from here: the record is in flight whatever the send
        // does (a record the producer refused settles as not written).
        self.join(partition, offset, 1, bytes);
        loop {
            match self.producer.send(message) {
                Ok(()) => return Ok(()),
                Err((e, back)) if is_queue_full(&e) => {
                    message = back;
                    if self.in_flight.iter().map(|run| run.sent - run.settled).sum::<u64>() == 1 {
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
        self.join(partition, offset, 0, 0);
    }

    /// Adds a record to the open run of its partition, or starts a run.
    fn join(&mut self, partition: SourceMap, offset: SourceMap, sent: u64, bytes: u64) {
        if let Some(run) = self.in_flight.back_mut() {
            if run.open && run.partition == partition {
                run.offset = offset;
                run.sent += sent;
                run.bytes += bytes;
                return;
            }
            run.open = false;
        }
        self.in_flight.push_back(Run {
            partition,
            offset,
            sent,
            settled: 0,
            bytes,
            open: true,
        });
    }

    /// Ends the open run: what the task polled so far becomes committable as soon as Kafka has
    /// acknowledged it.
    pub(super) fn end_batch(&mut self) {
        if let Some(run) = self.in_flight.back_mut() {
            run.open = false;
        }
    }

    /// Waits for the oldest record in flight to be acknowledged.
    pub(super) async fn settle_front(&mut self) -> Result<(), KafkaOpError> {
        if self.in_flight.iter().any(|run| run.settled < run.sent) {
            self.acks.front_settled().await;
        }
        self.settle_ready()
    }

    /// Takes every acknowledgement that has arrived, oldest first, without waiting; the runs
    /// they complete make their offsets committable.
    pub(super) fn settle_ready(&mut self) -> Result<(), KafkaOpError> {
        let acks = self.acks.clone();
        self.settle_from(|| acks.take_front())
    }

    /// Settles records in order with the outcomes `next` gives, until it has none.
    fn settle_from(&mut self, mut next: impl FnMut() -> Option<Slot>) -> Result<(), KafkaOpError> {
        if self.failed {
            return Err(KafkaError::Canceled).context(|| "an earlier record was not written".into());
        }
        while let Some(front) = self.in_flight.front_mut() {
            while front.settled < front.sent {
                match next() {
                    None | Some(Slot::Pending) => return Ok(()),
                    Some(Slot::Delivered { .. }) => front.settled += 1,
                    Some(Slot::Failed(e)) => {
                        self.failed = true;
                        return Err(e).context(|| "Kafka did not acknowledge a record".into());
                    }
                }
            }
            if front.open {
                break;
            }
            if let Some(run) = self.in_flight.pop_front() {
                self.written.records += run.sent;
                self.written.bytes += run.bytes;
                latest(&mut self.acked, run.partition, run.offset);
            }
        }
        Ok(())
    }

    /// Waits for every record in flight.
    pub(super) async fn settle_all(&mut self) -> Result<(), KafkaOpError> {
        self.end_batch();
        while !self.in_flight.is_empty() {
            self.settle_front().await?;
        }
        Ok(())
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
        for run in &self.in_flight {
            latest(&mut reached, run.partition.clone(), run.offset.clone());
        }
        reached
    }

    /// Forgets every record and offset: their transaction was aborted.
    pub(super) fn discard(&mut self) {
        self.in_flight.clear();
        self.failed = false;
        self.acks.clear();
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

#[cfg(test)]
mod tests {
    use rdkafka::ClientConfig;
    use serde_json::json;

    use super::*;

    fn map(key: &str, value: u64) -> SourceMap {
        SourceMap::from_iter([(key.to_owned(), json!(value))])
    }

    /// An outbox whose producer never reaches a broker: the tests settle its records.
    fn outbox() -> Outbox {
        let producer = Producer::create(ClientConfig::new().set("bootstrap.servers", "127.0.0.1:9"));
        Outbox::new(producer.expect("a producer"))
    }

    fn delivered() -> Slot {
        Slot::Delivered {
            partition: 0,
            offset: 0,
        }
    }

    #[test]
    fn a_run_becomes_committable_once_its_batch_ended_and_every_record_is_acknowledged() {
        let mut outbox = outbox();
        let (a, b) = (map("file", 1), map("file", 2));
        outbox.join(a.clone(), map("position", 1), 1, 10);
        outbox.join(a.clone(), map("position", 2), 1, 10);
        outbox.join(b.clone(), map("position", 7), 0, 0);
        outbox.join(a.clone(), map("position", 3), 1, 10);
        let mut slots = [delivered(), delivered(), delivered()].into_iter();
        outbox.settle_from(|| slots.next()).expect("settled");
        assert_eq!(
            outbox.take_acked(),
            vec![(a.clone(), map("position", 2)), (b, map("position", 7))],
            "the open run waits for its batch to end"
        );
        outbox.end_batch();
        outbox.settle_from(|| None).expect("settled");
        assert_eq!(outbox.take_acked(), vec![(a, map("position", 3))]);
        assert_eq!(outbox.take_written(), Written { records: 3, bytes: 30 });
    }

    #[test]
    fn nothing_after_a_record_kafka_refused_becomes_committable() {
        let mut outbox = outbox();
        let file = map("file", 1);
        for position in 1..=3 {
            outbox.join(file.clone(), map("position", position), 1, 10);
            outbox.end_batch();
        }
        let mut slots = [delivered(), Slot::Failed(KafkaError::Canceled), delivered()].into_iter();
        assert!(outbox.settle_from(|| slots.next()).is_err());
        // As the task stops, what was acknowledged is settled once more before the commit:
        // the record after the refused one must not carry the offset past it.
        assert!(outbox.settle_from(|| slots.next()).is_err());
        assert_eq!(outbox.take_acked(), vec![(file, map("position", 1))]);
    }
}
