//! What the task publishes about its progress, under the names of Debezium's snapshot and
//! streaming metrics: whether a snapshot runs or completed, its tables and rows, and how far
//! streaming is behind the source.

use weir_connector_api::TaskMetrics;

/// The task's progress figures.
pub struct Progress {
    metrics: TaskMetrics,
}

impl Progress {
    /// Publishes that no snapshot runs yet.
    pub fn new(metrics: TaskMetrics) -> Self {
        let progress = Progress { metrics };
        progress.snapshot_state(false, false);
        progress
    }

    fn snapshot_state(&self, running: bool, completed: bool) {
        self.metrics.set(
            "postgres_snapshot_running",
            "1 while the snapshot runs (Debezium's SnapshotRunning).",
            f64::from(u8::from(running)),
        );
        self.metrics.set(
            "postgres_snapshot_completed",
            "1 once the snapshot completed (Debezium's SnapshotCompleted).",
            f64::from(u8::from(completed)),
        );
    }

    /// A snapshot of `tables` tables starts.
    pub fn snapshot_started(&self, tables: usize) {
        self.snapshot_state(true, false);
        self.metrics.set(
            "postgres_snapshot_tables_total",
            "Tables the snapshot reads (Debezium's TotalTableCount).",
            tables as f64,
        );
        self.snapshot_read(0, tables);
    }

    /// The snapshot has read `rows` rows, and `tables_remaining` tables are not read to the end.
    pub fn snapshot_read(&self, rows: u64, tables_remaining: usize) {
        self.metrics.set(
            "postgres_snapshot_rows_scanned",
            "Rows the snapshot has read (Debezium's RowsScanned, all tables).",
            rows as f64,
        );
        self.metrics.set(
            "postgres_snapshot_tables_remaining",
            "Tables the snapshot has still to read (Debezium's RemainingTableCount).",
            tables_remaining as f64,
        );
    }

    /// The snapshot read every row of every table (`rows` in all).
    pub fn snapshot_completed(&self, rows: u64) {
        self.snapshot_read(rows, 0);
        self.snapshot_state(false, true);
    }

    /// The latest transaction read (once per poll) committed at `commit_us` (microseconds since
    /// the Unix epoch) and was read at `now_us`.
    pub fn streamed(&self, commit_us: i64, now_us: i64) {
        self.metrics.set(
            "postgres_streaming_milliseconds_behind_source",
            "Milliseconds between the commit of the last change read and its reading (Debezium's MilliSecondsBehindSource).",
            ((now_us - commit_us).max(0) / 1000) as f64,
        );
    }
}
