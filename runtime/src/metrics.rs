//! The figures of the tasks running on this worker, in Prometheus' text format for
//! `GET /metrics`: the runtime's own (records polled, written, put) and those the connectors
//! publish (a snapshot's progress), each labelled with its connector and task.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use weir_connector_api::{Metric, MetricKind, TaskMetrics};

use crate::model::TaskId;
use crate::sync::lock;

/// Every metric name starts with this.
const PREFIX: &str = "weir_";

/// The media type of Prometheus' text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The figures of each task on this worker.
#[derive(Clone, Default)]
pub struct MetricsRegistry {
    tasks: Arc<Mutex<BTreeMap<TaskId, TaskMetrics>>>,
}

impl MetricsRegistry {
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

    /// Every figure in Prometheus' text format, grouped by metric.
    pub fn render(&self) -> String {
        let mut by_name: BTreeMap<&'static str, Vec<(&TaskId, Metric)>> = BTreeMap::new();
        let tasks = lock(&self.tasks).clone();
        for (id, metrics) in &tasks {
            for (name, metric) in metrics.snapshot() {
                by_name.entry(name).or_default().push((id, metric));
            }
        }
        let mut out = String::new();
        for (name, samples) in by_name {
            let first = samples[0].1;
            let kind = match first.kind {
                MetricKind::Counter => "counter",
                MetricKind::Gauge => "gauge",
            };
            // Writing to a String cannot fail.
            let _ = writeln!(out, "# HELP {PREFIX}{name} {}", escape_help(first.help));
            let _ = writeln!(out, "# TYPE {PREFIX}{name} {kind}");
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
