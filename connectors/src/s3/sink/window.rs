//! The open window of one Kafka partition: the objects its records go to until they are
//! completed together.
//!
//! Completing every object of a partition at once makes the committed offset a boundary
//! every object agrees on: records delivered again after a crash start the same objects under
//! the same keys, so the bucket never holds a record twice.

use std::collections::BTreeMap;

use weir_connector_api::{ConnectError, SinkRecord, TopicPartition};

use super::object::OpenObject;
use super::settings::SinkSettings;
use crate::s3::object_key::ObjectName;
use crate::s3::partitioner::bucket_start;
use crate::s3::store::Store;

/// The records of one Kafka partition not yet in completed objects.
pub struct PartitionWindow {
    partition: TopicPartition,
    /// The offset of the window's first record; `None` while no window is open.
    start: Option<i64>,
    /// Records in the window.
    records: usize,
    /// The time (from the extractor) of the window's first record.
    first_time: i64,
    /// When the wall clock completes the window (`rotate.schedule.interval.ms`).
    deadline: Option<i64>,
    /// Open objects by encoded partition.
    objects: BTreeMap<String, OpenObject>,
    /// The offset after the last record taken: a record below it was already taken.
    next_offset: Option<i64>,
}

impl PartitionWindow {
    /// No window open yet.
    pub fn new(partition: TopicPartition) -> PartitionWindow {
        PartitionWindow {
            partition,
            start: None,
            records: 0,
            first_time: 0,
            deadline: None,
            objects: BTreeMap::new(),
            next_offset: None,
        }
    }

    /// Whether a record was already taken (a batch retried after a failure).
    pub fn has_taken(&self, offset: i64) -> bool {
        self.next_offset.is_some_and(|next| offset < next)
    }

    /// Notes a record left out on purpose.
    pub fn skip(&mut self, offset: i64) {
        self.next_offset = Some(offset + 1);
    }

    /// Where the committed offset may be: the start of the open window, or past every record
    /// taken.
    pub fn committable(&self, taken: i64) -> i64 {
        self.start.unwrap_or(taken)
    }

    /// The bytes held in memory.
    pub fn buffered(&self) -> usize {
        self.objects.values().map(OpenObject::buffered).sum()
    }

    /// Whether the window must be completed before a record of time `time` joins it.
    pub fn due_before(&self, settings: &SinkSettings, time: i64) -> bool {
        self.start.is_some()
            && (self.records >= settings.flush_size
                || settings
                    .rotate_interval_ms
                    .is_some_and(|interval| time.saturating_sub(self.first_time) >= interval))
    }

    /// Whether the window must be completed now, by size or by the wall clock.
    pub fn due(&self, settings: &SinkSettings, now: i64) -> bool {
        self.start.is_some() && (self.records >= settings.flush_size || self.deadline.is_some_and(|d| now >= d))
    }

    /// Adds a record to the object of its encoded partition, opening the window and the object
    /// as needed, and uploads a part when the object has one ready.
    pub async fn append(
        &mut self,
        store: &Store,
        settings: &SinkSettings,
        record: &SinkRecord,
        encoded: String,
        time: i64,
        now: i64,
    ) -> Result<(), ConnectError> {
        if self.start.is_none() {
            self.start = Some(record.offset);
            self.first_time = time;
            self.deadline = settings
                .rotate_schedule_ms
                .map(|interval| bucket_start(now, interval, &settings.zone).timestamp_millis() + interval);
        }
        let object = self.objects.entry(encoded).or_insert_with_key(|encoded| {
            let name = ObjectName {
                topic: record.topic.clone(),
                partition: record.partition,
                start_offset: record.offset,
            };
            OpenObject::new(
                name.key(&settings.topics_dir, encoded, &settings.extension),
                settings.format.encoder(),
            )
        });
        object.append(record)?;
        self.records += 1;
        self.next_offset = Some(record.offset + 1);
        object.send_parts(store, settings.part_size).await
    }

    /// Completes every object of the window; the window closes once all are in the bucket.
    /// After a failure the objects not yet completed stay open, to be completed on retry.
    pub async fn complete(&mut self, store: &Store, settings: &SinkSettings) -> Result<(), ConnectError> {
        while let Some(mut entry) = self.objects.first_entry() {
            entry.get_mut().complete(store, settings.part_size).await?;
            let object = entry.remove();
            tracing::debug!(key = object.key(), "object written");
        }
        if let Some(start) = self.start.take() {
            tracing::info!(
                topic = %self.partition.topic,
                partition = self.partition.partition,
                start,
                records = self.records,
                "objects completed"
            );
        }
        self.records = 0;
        self.deadline = None;
        Ok(())
    }

    /// Drops the window: its records will be delivered again.
    pub async fn abandon(self, store: &Store) {
        for (_, object) in self.objects {
            object.abandon(store).await;
        }
    }
}
