//! `/weir/v1/...`: the live figures Kafka Connect's API has no place for, which the console
//! draws: each task's recent throughput on this worker. Under a path of Weir's own, so that it
//! cannot clash with one Kafka Connect adds.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::connectors::query_values;
use super::{AppState, RestError};
use crate::metrics::history::Sample;
use crate::model::TaskId;

/// The samples sent when a request names no count: five minutes at the default interval.
const DEFAULT_SAMPLES: usize = 60;

/// The answer: the sampling interval, and each task's samples, oldest first.
#[derive(Serialize)]
struct HistoryInfo {
    interval_ms: u64,
    worker_id: String,
    tasks: Vec<TaskHistory>,
}

#[derive(Serialize)]
struct TaskHistory {
    connector: String,
    task: usize,
    samples: Vec<Sample>,
}

/// `GET /weir/v1/history?samples=N`: every task's last N samples.
pub async fn all(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, RestError> {
    answer(&state, &query, |_| true)
}

/// `GET /weir/v1/connectors/{name}/history?samples=N`: the last N samples of one connector's
/// tasks (none when none runs here).
pub async fn connector(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, RestError> {
    answer(&state, &query, |id| id.connector == name)
}

fn answer(state: &AppState, query: &Option<String>, wanted: impl Fn(&TaskId) -> bool) -> Result<Response, RestError> {
    let herder = state.herder()?;
    let count = match query_values(query, "samples").last() {
        None => DEFAULT_SAMPLES,
        Some(text) => text.parse::<usize>().map_err(|_| {
            RestError::bad_request(format!(
                "Query parameter samples must be a non-negative whole number, not '{text}'"
            ))
        })?,
    };
    let settings = state.metrics.history_settings();
    let tasks = state
        .metrics
        .recent_history(count, wanted)
        .into_iter()
        .map(|(id, samples)| TaskHistory {
            connector: id.connector,
            task: id.task,
            samples,
        })
        .collect();
    Ok(Json(HistoryInfo {
        interval_ms: u64::try_from(settings.interval.as_millis()).unwrap_or(u64::MAX),
        worker_id: herder.worker_id().to_owned(),
        tasks,
    })
    .into_response())
}
