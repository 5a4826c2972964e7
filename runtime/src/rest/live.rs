//! `/weir/v1/...`: the live figures Kafka Connect's API has no place for, which the console
//! draws: each task's recent throughput, and how far a sink is behind. Under a path of Weir's
//! own, so that it cannot clash with one Kafka Connect adds.
//!
//! Each worker samples the tasks it runs; the worker asked gathers the samples of the others in
//! its group (`?scope=local` asks for one worker's own), so that the console shows every task
//! whichever worker it is opened on.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::connectors::query_values;
use super::{AppState, RestError};
use crate::group::encode_segment;
use crate::metrics::history::Sample;
use crate::model::TaskId;

/// The samples sent when a request names no count: five minutes at the default interval.
const DEFAULT_SAMPLES: usize = 60;

/// The answer: the sampling interval, each task's samples, oldest first, and the workers of
/// the group that could not be asked for theirs.
#[derive(Serialize, Deserialize)]
struct HistoryInfo {
    interval_ms: u64,
    tasks: Vec<TaskHistory>,
    #[serde(default)]
    unreachable: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct TaskHistory {
    connector: String,
    task: usize,
    worker_id: String,
    samples: Vec<Sample>,
}

/// `GET /weir/v1/history?samples=N`: every task's last N samples.
pub async fn history(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, RestError> {
    answer(&state, &query, "weir/v1/history", None).await
}

/// `GET /weir/v1/connectors/{name}/history?samples=N`: the last N samples of one connector's
/// tasks.
pub async fn connector_history(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, RestError> {
    let path = format!("weir/v1/connectors/{}/history", encode_segment(&name));
    answer(&state, &query, &path, Some(&name)).await
}

async fn answer(
    state: &AppState,
    query: &Option<String>,
    path: &str,
    connector: Option<&str>,
) -> Result<Response, RestError> {
    let herder = state.herder()?;
    let count = match query_values(query, "samples").last() {
        None => DEFAULT_SAMPLES,
        Some(text) => text.parse::<usize>().map_err(|_| {
            RestError::bad_request(format!(
                "Query parameter samples must be a non-negative whole number, not '{text}'"
            ))
        })?,
    };
    let local_only = match query_values(query, "scope").last().map(String::as_str) {
        None => false,
        Some("local") => true,
        Some(other) => {
            return Err(RestError::bad_request(format!(
                "Query parameter scope must be local, not '{other}'"
            )));
        }
    };
    let settings = state.metrics.history_settings();
    let worker_id = herder.worker_id().to_owned();
    let mut info = HistoryInfo {
        interval_ms: u64::try_from(settings.interval.as_millis()).unwrap_or(u64::MAX),
        tasks: state
            .metrics
            .recent_history(count, |id: &TaskId| connector.is_none_or(|c| id.connector == c))
            .into_iter()
            .map(|(id, samples)| TaskHistory {
                connector: id.connector,
                task: id.task,
                worker_id: worker_id.clone(),
                samples,
            })
            .collect(),
        unreachable: Vec::new(),
    };
    if !local_only {
        let members = herder.group_view().map(|view| view.members.clone()).unwrap_or_default();
        let others = members.iter().filter(|url| !same_worker(url, &worker_id));
        let asked = others.map(|url| {
            let url = format!("{}/{path}?samples={count}&scope=local", url.trim_end_matches('/'));
            async move {
                let answer = state
                    .client
                    .forward(Method::GET, &url, &HeaderMap::new(), bytes::Bytes::new())
                    .await
                    .ok()
                    .filter(|a| a.status.is_success())
                    .and_then(|a| serde_json::from_slice::<HistoryInfo>(&a.body).ok());
                (url, answer)
            }
        });
        for (url, answer) in futures::future::join_all(asked).await {
            match answer {
                Some(theirs) => info.tasks.extend(theirs.tasks),
                None => {
                    tracing::debug!(%url, "no history from another worker");
                    info.unreachable.push(url);
                }
            }
        }
        info.tasks
            .sort_by(|a, b| (&a.connector, a.task).cmp(&(&b.connector, b.task)));
    }
    Ok(Json(info).into_response())
}

/// Whether the REST URL `url` is the worker known as `worker_id` (its advertised host:port).
fn same_worker(url: &str, worker_id: &str) -> bool {
    let host_port = url.split_once("://").map_or(url, |(_, rest)| rest);
    host_port.trim_end_matches('/') == worker_id
}

/// One partition of `GET /weir/v1/connectors/{name}/lag`.
#[derive(Serialize)]
struct PartitionLagInfo {
    topic: String,
    partition: i32,
    committed: Option<i64>,
    end: i64,
    /// Records between the committed offset and the end; null before the group's first
    /// commit.
    lag: Option<i64>,
}

/// `GET /weir/v1/connectors/{name}/lag`: how far a sink's consumer group is behind the end of
/// each partition it reads, by its committed offsets.
pub async fn lag(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, RestError> {
    let partitions: Vec<PartitionLagInfo> = state
        .herder()?
        .sink_lag(&name)
        .await?
        .into_iter()
        .map(|p| PartitionLagInfo {
            lag: p.committed.map(|c| (p.end - c).max(0)),
            topic: p.topic,
            partition: p.partition,
            committed: p.committed,
            end: p.end,
        })
        .collect();
    Ok(Json(serde_json::json!({ "partitions": partitions })).into_response())
}
