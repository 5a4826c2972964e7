//! A producer whose deliveries are settled in send order, per sender, without a future or a
//! copy of the message per record, and polled by a thread of its own.
//!
//! rust-rdkafka's `FutureProducer` copies every acknowledged message into an owned one and
//! completes a oneshot channel per record; its polling thread also spins through the last
//! fraction of a millisecond of every 100 ms poll (the remaining time is rounded down), which
//! is most of an idle worker's CPU. Here a record carries a small [`Ticket`]; the delivery
//! callback marks the ticket's slot in its sender's [`Acks`], and the sender takes the settled
//! records from the front, in the order it sent them.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::message::ToBytes;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, ProducerContext};
use tokio::sync::Notify;

use crate::sync::lock;

/// How long one poll of the producer's events may wait. The poll spins through the last
/// fraction of a millisecond of this (see the module's doc), so it is long; events are served
/// as soon as they come all the same.
const POLL_PERIOD: Duration = Duration::from_secs(1);

/// How long to wait for room when the producer's queue is full and nothing of this sender's
/// is in flight to wait for.
const QUEUE_FULL_BACKOFF: Duration = Duration::from_millis(5);

/// The producer's client: delivery reports go to each record's ticket.
pub struct Tickets;

impl ClientContext for Tickets {}

impl ProducerContext for Tickets {
    type DeliveryOpaque = Box<Ticket>;

    fn delivery(&self, result: &DeliveryResult<'_>, mut ticket: Box<Ticket>) {
        let outcome = match result {
            Ok(message) => Slot::Delivered {
                partition: message.partition(),
                offset: message.offset(),
            },
            Err((error, _)) => Slot::Failed(error.clone()),
        };
        ticket.settle(outcome);
    }
}

/// A record with its ticket.
pub type TicketedRecord<'a, K, P> = BaseRecord<'a, K, P, Box<Ticket>>;

/// The librdkafka producer underneath.
pub type Inner = BaseProducer<Tickets>;

/// A producer, shared by cloning. A thread of its own serves its delivery reports while any
/// clone is alive.
#[derive(Clone)]
pub struct Producer {
    inner: Arc<Inner>,
}

impl Producer {
    /// Creates a producer from `config` and starts its polling thread.
    pub fn create(config: &ClientConfig) -> KafkaResult<Producer> {
        let inner: Arc<Inner> = Arc::new(config.create_with_context(Tickets)?);
        let polled = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("weir-producer".into())
            .spawn(move || poll_while_used(polled))
            .map_err(|_| KafkaError::ClientCreation("could not start the producer's polling thread".into()))?;
        Ok(Producer { inner })
    }

    /// The librdkafka producer, for transactions.
    pub fn inner(&self) -> &Inner {
        &self.inner
    }

    /// Sends a record with a ticket from its sender's [`Acks`]. On an error the record comes
    /// back; a full queue ([`is_queue_full`]) is worth trying again once records settle.
    // The record comes back by value, as rdkafka gives it, to be sent again without a copy.
    #[allow(clippy::result_large_err)]
    pub fn send<'a, K, P>(&self, record: TicketedRecord<'a, K, P>) -> Result<(), (KafkaError, TicketedRecord<'a, K, P>)>
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
    {
        self.inner.send(record)
    }

    /// Sends one record and waits for Kafka to acknowledge it: its partition and offset. Waits
    /// up to `queue_timeout` for room in a full queue.
    pub async fn send_and_wait<K, P>(
        &self,
        record: BaseRecord<'_, K, P>,
        queue_timeout: Duration,
    ) -> Result<(i32, i64), KafkaError>
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
    {
        let acks = Acks::new();
        let BaseRecord {
            topic,
            partition,
            payload,
            key,
            timestamp,
            headers,
            delivery_opaque: (),
        } = record;
        let mut record = BaseRecord {
            topic,
            partition,
            payload,
            key,
            timestamp,
            headers,
            delivery_opaque: acks.ticket(),
        };
        let deadline = tokio::time::Instant::now() + queue_timeout;
        loop {
            match self.send(record) {
                Ok(()) => break,
                Err((e, back)) if is_queue_full(&e) && tokio::time::Instant::now() < deadline => {
                    record = back;
                    tokio::time::sleep(QUEUE_FULL_BACKOFF).await;
                }
                Err((e, _)) => return Err(e),
            }
        }
        acks.front_settled().await;
        match acks.take_front() {
            Some(Slot::Delivered { partition, offset }) => Ok((partition, offset)),
            Some(Slot::Failed(e)) => Err(e),
            Some(Slot::Pending) | None => Err(KafkaError::Canceled),
        }
    }
}

/// Whether a send failed only because the producer's queue is full.
pub fn is_queue_full(error: &KafkaError) -> bool {
    matches!(error, KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull))
}

/// Serves the producer's events until every [`Producer`] of it is gone; the last reference may
/// then be dropped here, which purges and flushes it.
fn poll_while_used(producer: Weak<Inner>) {
    while let Some(producer) = producer.upgrade() {
        producer.poll(POLL_PERIOD);
    }
}

/// What became of one record.
#[derive(Debug)]
pub enum Slot {
    /// Kafka has not answered yet.
    Pending,
    /// Kafka acknowledged it at this partition and offset.
    Delivered {
        /// The partition.
        partition: i32,
        /// The offset.
        offset: i64,
    },
    /// It was not written.
    Failed(KafkaError),
}

/// The records one sender sent, in order, and what became of each: slot `i` is the `i`-th
/// record after the last one taken.
#[derive(Default)]
struct Ledger {
    /// The sequence number of the front slot.
    front: u64,
    slots: VecDeque<Slot>,
}

/// The acknowledgements of one sender's records, in the order it sent them.
#[derive(Default)]
pub struct Acks {
    ledger: Mutex<Ledger>,
    /// Told when the front slot is settled.
    front_settled: Notify,
}

impl Acks {
    /// An empty ledger.
    pub fn new() -> Arc<Acks> {
        Arc::new(Acks::default())
    }

    /// The ticket of the next record: every ticket a sender takes must go with a record it
    /// sends (or be dropped, which settles it as not written).
    pub fn ticket(self: &Arc<Self>) -> Box<Ticket> {
        let mut ledger = lock(&self.ledger);
        let seq = ledger.front + ledger.slots.len() as u64;
        ledger.slots.push_back(Slot::Pending);
        Box::new(Ticket {
            acks: Some(self.clone()),
            seq,
        })
    }

    /// Takes the front slot if it is settled.
    pub fn take_front(&self) -> Option<Slot> {
        let mut ledger = lock(&self.ledger);
        if matches!(ledger.slots.front(), None | Some(Slot::Pending)) {
            return None;
        }
        ledger.front += 1;
        ledger.slots.pop_front()
    }

    /// Waits until the front slot is settled (at once if there is none).
    pub async fn front_settled(&self) {
        loop {
            let notified = self.front_settled.notified();
            if !matches!(lock(&self.ledger).slots.front(), Some(Slot::Pending)) {
                return;
            }
            notified.await;
        }
    }

    /// Forgets every slot: their records are discarded. Tickets still out settle nothing.
    pub fn clear(&self) {
        let mut ledger = lock(&self.ledger);
        ledger.front += ledger.slots.len() as u64;
        ledger.slots.clear();
    }

    fn settle(&self, seq: u64, outcome: Slot) {
        let mut ledger = lock(&self.ledger);
        let Some(index) = seq.checked_sub(ledger.front) else {
            return;
        };
        if let Some(slot) = ledger.slots.get_mut(index as usize) {
            *slot = outcome;
            if index == 0 {
                self.front_settled.notify_one();
            }
        }
    }
}

/// What a record carries to its delivery report: its place among its sender's records.
pub struct Ticket {
    /// `None` once settled.
    acks: Option<Arc<Acks>>,
    seq: u64,
}

impl Ticket {
    fn settle(&mut self, outcome: Slot) {
        if let Some(acks) = self.acks.take() {
            acks.settle(self.seq, outcome);
        }
    }
}

impl Drop for Ticket {
    /// A ticket dropped without a delivery report: its record was never taken by the producer.
    fn drop(&mut self) {
        if let Some(acks) = self.acks.take() {
            acks.settle(self.seq, Slot::Failed(KafkaError::Canceled));
        }
    }
}
