//! Figures a task publishes about its own progress (rows of a snapshot read, lag behind the
//! source). The runtime shows them, with its own per-task figures, at `GET /metrics`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Whether a figure only grows (a count of events) or moves both ways (a level).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    /// Only grows, from zero at the task's start.
    Counter,
    /// Any value, replaced at each update.
    Gauge,
}

/// One figure: its kind, a one-line description and its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metric {
    /// Counter or gauge.
    pub kind: MetricKind,
    /// What it measures, in a few words.
    pub help: &'static str,
    /// The current value.
    pub value: f64,
}

/// A task's figures by name (`snake_case`, unique within the task). Cheap to clone; every clone
/// updates the same figures.
#[derive(Clone, Debug, Default)]
pub struct TaskMetrics {
    figures: Arc<Mutex<BTreeMap<&'static str, Metric>>>,
}

impl TaskMetrics {
    fn figures(&self) -> MutexGuard<'_, BTreeMap<&'static str, Metric>> {
        self.figures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, help: &'static str, value: f64) {
        self.figures().insert(
            name,
            Metric {
                kind: MetricKind::Gauge,
                help,
                value,
            },
        );
    }

    /// Adds `delta` to a counter (created at zero).
    pub fn add(&self, name: &'static str, help: &'static str, delta: u64) {
        self.figures()
            .entry(name)
            .or_insert(Metric {
                kind: MetricKind::Counter,
                help,
                value: 0.0,
            })
            .value += delta as f64;
    }

    /// Every figure, by name.
    pub fn snapshot(&self) -> Vec<(&'static str, Metric)> {
        self.figures().iter().map(|(name, metric)| (*name, *metric)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_and_gauges_replace() {
        let metrics = TaskMetrics::default();
        let clone = metrics.clone();
        metrics.add("records_total", "records", 2);
        clone.add("records_total", "records", 3);
        metrics.set("lag", "lag", 7.0);
        metrics.set("lag", "lag", 1.5);
        let figures = metrics.snapshot();
        assert_eq!(figures.len(), 2);
        assert_eq!(
            figures[0],
            (
                "lag",
                Metric {
                    kind: MetricKind::Gauge,
                    help: "lag",
                    value: 1.5
                }
            )
        );
        assert_eq!(figures[1].1.value, 5.0);
        assert_eq!(figures[1].1.kind, MetricKind::Counter);
    }
}
