//! A bounded history of each task's throughput, sampled at a fixed interval, for the console's
//! graphs: records/s in and out, bytes/s, failed and dropped records per interval.
//!
//! Its memory is bounded whatever the number of tasks: at most `max_samples` samples in all
//! (each [`Sample::SIZE`] bytes), shared out among the tasks, so that with many tasks each keeps
//! a shorter stretch of its past. A task that stopped keeps its samples until they are older
//! than the retention, so that a stopped or failed connector's graphs still show its last hour.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use weir_connector_api::TaskMetrics;

use crate::model::TaskId;

/// How often samples are taken and how much of them is kept (the `console.history.*` keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistorySettings {
    /// Time between two samples.
    pub interval: Duration,
    /// How far back a task's history reaches, when the budget allows.
    pub retention: Duration,
    /// The most samples kept, over every task.
    pub max_samples: usize,
}

impl Default for HistorySettings {
    fn default() -> Self {
        HistorySettings {
            interval: Duration::from_secs(5),
            retention: Duration::from_secs(3600),
            max_samples: 200_000,
        }
    }
}

impl HistorySettings {
    /// The most samples one task keeps while `tasks` tasks share the budget: the retention's
    /// worth, or the task's share of the budget when that is less (never fewer than two, so
    /// that a rate can still be drawn).
    fn per_task(&self, tasks: usize) -> usize {
        let interval = self.interval.as_millis().max(1);
        let retained = usize::try_from(self.retention.as_millis() / interval).unwrap_or(usize::MAX);
        retained.min(self.max_samples / tasks.max(1)).max(2)
    }
}

/// What a task did over one interval, as rates: the figures the console draws.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// When the interval ended, in milliseconds since the Unix epoch.
    pub at: u64,
    /// Records per second taken in: polled by a source, read from Kafka by a sink.
    pub read: f32,
    /// Records per second delivered: acknowledged by Kafka for a source, taken by a sink's put.
    pub written: f32,
    /// Bytes per second of the records delivered (source) or read (sink), keys and values.
    pub bytes: f32,
    /// Records that failed in a converter or transform and were left out, over the interval.
    pub failed: f32,
    /// Records a transform dropped over the interval.
    pub dropped: f32,
    /// Records a sink sent to its dead letter queue over the interval.
    pub dead_lettered: f32,
}

impl Sample {
    /// The bytes one sample takes in its ring.
    pub const SIZE: usize = std::mem::size_of::<Sample>();
}

/// A task's running totals at the last sample: what the next one is measured from.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Totals {
    read: f64,
    written: f64,
    bytes: f64,
    failed: f64,
    dropped: f64,
    dead_lettered: f64,
}

impl Totals {
    /// Sums the runtime's counters of a task (a task is a source or a sink, so only one of
    /// each pair is ever set).
    fn of(metrics: &TaskMetrics) -> Totals {
        let mut totals = Totals::default();
        for (name, metric) in metrics.snapshot() {
            let field = match name {
                "source_records_polled_total" | "sink_records_read_total" => &mut totals.read,
                "source_records_written_total" | "sink_records_put_total" => &mut totals.written,
                "source_bytes_written_total" | "sink_bytes_read_total" => &mut totals.bytes,
                "source_records_skipped_total" | "sink_records_skipped_total" => &mut totals.failed,
                "records_dropped_total" => &mut totals.dropped,
                "sink_records_dead_lettered_total" => &mut totals.dead_lettered,
                _ => continue,
            };
            *field += metric.value;
        }
        totals
    }
}

/// One task's samples, oldest first, and the totals the next one starts from.
#[derive(Debug, Default)]
struct Ring {
    samples: VecDeque<Sample>,
    last: Totals,
}

/// Every task's samples.
#[derive(Debug)]
pub struct History {
    settings: HistorySettings,
    rings: BTreeMap<TaskId, Ring>,
}

impl History {
    /// An empty history.
    pub fn new(settings: HistorySettings) -> Self {
        History {
            settings,
            rings: BTreeMap::new(),
        }
    }

    /// The settings it samples and keeps by.
    pub fn settings(&self) -> HistorySettings {
        self.settings
    }

    /// Takes a sample of each task at `at` (Unix milliseconds), `elapsed` after the previous
    /// one. A task no longer in `tasks` keeps its samples until they are older than the
    /// retention; a task's first sample measures from zero, as does one that starts again.
    pub fn sample<'a>(
        &mut self,
        at: u64,
        elapsed: Duration,
        tasks: impl IntoIterator<Item = (&'a TaskId, &'a TaskMetrics)>,
    ) {
        let seconds = elapsed.as_secs_f64().max(0.001);
        let mut rings = BTreeMap::new();
        for (id, metrics) in tasks {
            let mut ring = self.rings.remove(id).unwrap_or_default();
            let now = Totals::of(metrics);
            // A task that started again counts from zero: its counters went down.
            let since = |now: f64, last: f64| if now >= last { now - last } else { now };
            let last = ring.last;
            ring.samples.push_back(Sample {
                at,
                read: (since(now.read, last.read) / seconds) as f32,
                written: (since(now.written, last.written) / seconds) as f32,
                bytes: (since(now.bytes, last.bytes) / seconds) as f32,
                failed: since(now.failed, last.failed) as f32,
                dropped: since(now.dropped, last.dropped) as f32,
                dead_lettered: since(now.dead_lettered, last.dead_lettered) as f32,
            });
            ring.last = now;
            rings.insert(id.clone(), ring);
        }
        let retention = u64::try_from(self.settings.retention.as_millis()).unwrap_or(u64::MAX);
        for (id, mut ring) in std::mem::take(&mut self.rings) {
            let recent = ring
                .samples
                .back()
                .is_some_and(|s| s.at.saturating_add(retention) >= at);
            if recent {
                // Stopped: when it runs again, its counters start from zero.
                ring.last = Totals::default();
                rings.insert(id, ring);
            }
        }
        let keep = self.settings.per_task(rings.len());
        for ring in rings.values_mut() {
            while ring.samples.len() > keep {
                ring.samples.pop_front();
            }
        }
        self.rings = rings;
    }

    /// The last `count` samples of each task that `wanted` accepts, oldest first.
    pub fn recent(&self, count: usize, wanted: impl Fn(&TaskId) -> bool) -> Vec<(TaskId, Vec<Sample>)> {
        self.rings
            .iter()
            .filter(|(id, _)| wanted(id))
            .map(|(id, ring)| {
                let skip = ring.samples.len().saturating_sub(count);
                (id.clone(), ring.samples.iter().skip(skip).copied().collect())
            })
            .collect()
    }

    /// The samples held, over every task.
    pub fn len(&self) -> usize {
        self.rings.values().map(|ring| ring.samples.len()).sum()
    }

    /// Whether no sample is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(connector: &str, task: usize) -> TaskId {
        TaskId {
            connector: connector.into(),
            task,
        }
    }

    #[test]
    fn samples_are_rates_over_the_interval_and_survive_a_restart() {
        let mut history = History::new(HistorySettings::default());
        let task = id("c", 0);
        let metrics = TaskMetrics::default();
        metrics.add("source_records_polled_total", "", 100);
        metrics.add("source_records_written_total", "", 90);
        metrics.add("source_bytes_written_total", "", 9000);
        metrics.add("source_records_skipped_total", "", 3);
        history.sample(1000, Duration::from_secs(2), [(&task, &metrics)]);
        metrics.add("source_records_polled_total", "", 20);
        history.sample(3000, Duration::from_secs(2), [(&task, &metrics)]);
        // Started again: fresh counters, lower than the last totals.
        let restarted = TaskMetrics::default();
        restarted.add("source_records_polled_total", "", 4);
        history.sample(5000, Duration::from_secs(2), [(&task, &restarted)]);
        let recent = history.recent(10, |_| true);
        let samples = &recent[0].1;
        assert_eq!(
            samples[0],
            Sample {
                at: 1000,
                read: 50.0,
                written: 45.0,
                bytes: 4500.0,
                failed: 3.0,
                dropped: 0.0,
                dead_lettered: 0.0
            }
        );
        assert_eq!(
            (samples[1].read, samples[1].written, samples[1].failed),
            (10.0, 0.0, 0.0)
        );
        assert_eq!(samples[2].read, 2.0);
        assert_eq!(history.recent(1, |_| true)[0].1, vec![samples[2]]);
    }

    #[test]
    fn memory_stays_within_the_budget_whatever_the_number_of_tasks() {
        let settings = HistorySettings {
            interval: Duration::from_secs(5),
            retention: Duration::from_secs(3600),
            max_samples: 10_000,
        };
        let mut history = History::new(settings);
        let ids: Vec<TaskId> = (0..500).map(|n| id(&format!("connector-{n}"), 0)).collect();
        let metrics = TaskMetrics::default();
        for tick in 0..800u64 {
            history.sample(tick * 5000, settings.interval, ids.iter().map(|id| (id, &metrics)));
            assert!(
                history.len() <= settings.max_samples,
                "{} samples at tick {tick}",
                history.len()
            );
        }
        assert_eq!(history.len(), 10_000);
        // With one task left (the others' samples gone after the retention), it keeps an
        // hour's worth (720 samples), no more.
        for tick in 800..2500u64 {
            history.sample(tick * 5000, settings.interval, [(&ids[0], &metrics)]);
        }
        assert_eq!(history.len(), 720);
        assert_eq!(history.recent(usize::MAX, |t| t.connector == "connector-1").len(), 0);
    }

    #[test]
    fn a_stopped_tasks_samples_stay_for_the_retention() {
        let settings = HistorySettings {
            interval: Duration::from_secs(1),
            retention: Duration::from_secs(10),
            max_samples: 1000,
        };
        let mut history = History::new(settings);
        let (a, b) = (id("a", 0), id("b", 0));
        let metrics = TaskMetrics::default();
        metrics.add("source_records_polled_total", "", 50);
        history.sample(1000, settings.interval, [(&a, &metrics), (&b, &metrics)]);
        // b stops: its samples stay, and nothing is added to them.
        for at in [2000, 5000, 11_000] {
            history.sample(at, settings.interval, [(&a, &metrics)]);
            assert_eq!(history.recent(10, |t| *t == b)[0].1.len(), 1, "at {at}");
        }
        history.sample(11_001, settings.interval, [(&a, &metrics)]);
        assert!(history.recent(10, |t| *t == b).is_empty(), "older than the retention");
        // a task that runs again measures from zero, not from its last totals.
        let again = TaskMetrics::default();
        again.add("source_records_polled_total", "", 60);
        history.sample(12_001, settings.interval, [(&b, &again)]);
        assert_eq!(history.recent(1, |t| *t == b)[0].1[0].read, 60.0);
    }
}
