//! The figures of this worker, in Prometheus' text format for `GET /metrics`: the worker's own
//! (its group membership), unlabelled, and those of each task running here, labelled with its
//! connector and task: the runtime's (records polled, written, put) and those the connectors
//! publish (a snapshot's progress). A bounded [`history`] of each task's throughput feeds the
//! console's graphs.

pub mod history;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use weir_connector_api::{Metric, MetricKind, TaskMetrics};

use crate::model::TaskId;
use crate::sync::lock;
use history::{History, HistorySettings, Sample};

/// Every metric name starts with this.
const PREFIX: &str = "weir_";

/// The media type of Prometheus' text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The figures of this worker and of each task on it, and the history of the tasks'.
#[derive(Clone)]
pub struct MetricsRegistry {
    worker: TaskMetrics,
    tasks: Arc<Mutex<BTreeMap<TaskId, TaskMetrics>>>,
    history: Arc<Mutex<History>>,
}

impl Default for MetricsRegistry {
    fn default() -> Self {
        MetricsRegistry::new(HistorySettings::default())
    }
}

/// The figures of this worker's group membership.
#[derive(Clone)]
pub struct GroupMetrics {
    figures: TaskMetrics,
}

impl GroupMetrics {
    /// Records a completed rebalance: its generation, the group's size, whether this worker
    /// leads, and how long joining took.
    pub fn rebalanced(&self, generation: i32, members: usize, leader: bool, took: Duration) {
        let figures = &self.figures;
        figures.set(
            "group_generation",
            "The group generation this worker last joined.",
            f64::from(generation),
        );
        figures.set(
            "group_members",
            "Workers in the group, as of the last rebalance.",
            members as f64,
        );
        figures.set(
            "group_leader",
            "1 when this worker leads its group.",
            if leader { 1.0 } else { 0.0 },
        );
        figures.add("group_rebalances_total", "Rebalances this worker completed.", 1);
        figures.add(
            "group_rebalance_milliseconds_total",
            "Time spent joining the group, from JoinGroup to the assignment.",
            u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        );
    }
}

impl MetricsRegistry {
    /// A registry with no task yet, keeping a history by `settings`.
    pub fn new(settings: HistorySettings) -> Self {
        MetricsRegistry {
            worker: TaskMetrics::default(),
            tasks: Arc::default(),
            history: Arc::new(Mutex::new(History::new(settings))),
        }
    }

    /// Samples every task's figures into the history at its interval, until dropped.
    pub async fn keep_history(self) {
        let interval = lock(&self.history).settings().interval;
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate: it only marks where the first interval starts.
        ticker.tick().await;
        let mut last = Instant::now();
        loop {
            ticker.tick().await;
            let now = Instant::now();
            let at = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |since| u64::try_from(since.as_millis()).unwrap_or(u64::MAX));
            let tasks = lock(&self.tasks).clone();
            lock(&self.history).sample(at, now - last, &tasks);
            last = now;
        }
    }

    /// The history's settings.
    pub fn history_settings(&self) -> HistorySettings {
        lock(&self.history).settings()
    }

    /// The last `count` samples of each task `wanted` accepts, oldest first.
    pub fn recent_history(&self, count: usize, wanted: impl Fn(&TaskId) -> bool) -> Vec<(TaskId, Vec<Sample>)> {
        lock(&self.history).recent(count, wanted)
    }

    /// Counts a failed task restarted by the automatic restart policy.
    pub fn count_auto_restart(&self) {
        self.worker.add(
            "task_auto_restarts_total",
            "Failed tasks this worker restarted by task.restart.policy.",
            1,
        );
    }

    /// The figures of this worker's group membership.
    pub fn group(&self) -> GroupMetrics {
        GroupMetrics {
            figures: self.worker.clone(),
        }
    }

    /// Fresh figures for a task that starts (or starts again).
    pub fn register(&self, id: &TaskId) -> TaskMetrics {
        let metrics = TaskMetrics::default();
        lock(&self.tasks).insert(id.clone(), metrics.clone());
        metrics
    }

    /// Forgets a task's figures once it is stopped.
    pub fn remove(&self, id: &TaskId) {
        lock(&self.tasks).remove(id);
    }

    /// Every figure in Prometheus' text format, grouped by metric: the worker's, then the
    /// tasks'.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, metric) in self.worker.snapshot() {
            write_header(&mut out, name, metric);
            let _ = writeln!(out, "{PREFIX}{name} {}", metric.value);
        }
        let mut by_name: BTreeMap<&'static str, Vec<(&TaskId, Metric)>> = BTreeMap::new();
        let tasks = lock(&self.tasks).clone();
        for (id, metrics) in &tasks {
            for (name, metric) in metrics.snapshot() {
                by_name.entry(name).or_default().push((id, metric));
            }
        }
        for (name, samples) in by_name {
            write_header(&mut out, name, samples[0].1);
            for (id, metric) in samples {
                let _ = writeln!(
                    out,
                    "{PREFIX}{name}{{connector=\"{}\",task=\"{}\"}} {}",
                    escape_label(&id.connector),
                    id.task,
                    metric.value
                );
            }
        }
        out
    }
}

/// Writes a metric's `# HELP` and `# TYPE` lines.
fn write_header(out: &mut String, name: &str, metric: Metric) {
    let kind = match metric.kind {
        MetricKind::Counter => "counter",
        MetricKind::Gauge => "gauge",
    };
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {PREFIX}{name} {}", escape_help(metric.help));
    let _ = writeln!(out, "# TYPE {PREFIX}{name} {kind}");
}

/// A label value with `\`, `"` and newlines escaped.
fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A help text with `\` and newlines escaped.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_metric_once_with_a_sample_per_task() {
        let registry = MetricsRegistry::default();
        let a = registry.register(&TaskId {
            connector: "a\"b".into(),
            task: 0,
        });
        let b = registry.register(&TaskId {
            connector: "c".into(),
            task: 1,
        });
        a.add("source_records_polled_total", "Records polled.", 3);
        b.add("source_records_polled_total", "Records polled.", 4);
        b.set("snapshot_running", "Whether a snapshot runs.", 1.0);
        assert_eq!(
            registry.render(),
            "# HELP weir_snapshot_running Whether a snapshot runs.\n\
             # TYPE weir_snapshot_running gauge\n\
             weir_snapshot_running{connector=\"c\",task=\"1\"} 1\n\
             # HELP weir_source_records_polled_total Records polled.\n\
             # TYPE weir_source_records_polled_total counter\n\
             weir_source_records_polled_total{connector=\"a\\\"b\",task=\"0\"} 3\n\
             weir_source_records_polled_total{connector=\"c\",task=\"1\"} 4\n"
        );
        registry.remove(&TaskId {
            connector: "c".into(),
            task: 1,
        });
        assert!(!registry.render().contains("snapshot_running"));
    }
}
