//! A source task run by a component: one sandboxed instance per task.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use weir_connector_api::{ConnectError, Props, SourceMap, SourceRecord, SourceTask, SourceTaskContext};

use super::bindings::v0_1::source;
use super::convert;
use super::instance::{Running, TaskInstance};
use super::plugin::{Guest, LoadedPlugin};
use super::sandbox;

/// The most records asked of one `poll`.
const MAX_BATCH: u32 = 2000;
/// How long to wait after a poll that brought nothing, before the runtime polls again.
const IDLE_WAIT: Duration = Duration::from_millis(100);

/// A source task whose logic is a component's.
pub struct WasmSourceTask {
    instance: TaskInstance<source::Source>,
}

impl WasmSourceTask {
    /// An unstarted task of a plugin.
    pub fn new(plugin: Arc<LoadedPlugin>) -> Self {
        WasmSourceTask {
            instance: TaskInstance::new(plugin),
        }
    }
}

#[async_trait]
impl SourceTask for WasmSourceTask {
    async fn start(&mut self, props: &Props, context: SourceTaskContext) -> Result<(), ConnectError> {
        let (mut store, guest, settings) = self.instance.plugin.instance(props, Some(context.offsets)).await?;
        let Guest::Source(guest) = guest else {
            return Err(ConnectError::Fatal(format!(
                "plugin {} is not a source",
                self.instance.plugin.name
            )));
        };
        let config = convert::pairs(props);
        sandbox::call_guest(&mut store, settings.call_timeout, "open", async |store| {
            guest.weir_connector_source_connector().call_open(store, &config).await
        })
        .await?;
        self.instance.started(Running {
            store,
            guest,
            budget: settings.call_timeout,
        });
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let Running { store, guest, budget } = self.instance.running()?;
        let records = sandbox::call_guest(store, *budget, "poll", async |store| {
            guest
                .weir_connector_source_connector()
                .call_poll(store, MAX_BATCH)
                .await
        })
        .await?;
        if records.len() > MAX_BATCH as usize {
            return Err(ConnectError::Fatal(format!(
                "plugin {} returned {} records from poll; it was asked for at most {MAX_BATCH}",
                self.instance.plugin.name,
                records.len()
            )));
        }
        if records.is_empty() {
            tokio::time::sleep(IDLE_WAIT).await;
        }
        convert::source_records(records)
    }

    async fn commit(&mut self, committed: &[(SourceMap, SourceMap)]) -> Result<(), ConnectError> {
        let Running { store, guest, budget } = self.instance.running()?;
        let offsets: Vec<(String, String)> = committed
            .iter()
            .map(|(partition, offset)| {
                (
                    serde_json::Value::Object(partition.clone()).to_string(),
                    serde_json::Value::Object(offset.clone()).to_string(),
                )
            })
            .collect();
        sandbox::call_guest(store, *budget, "commit", async |store| {
            guest
                .weir_connector_source_connector()
                .call_commit(store, &offsets)
                .await
        })
        .await
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        let Some(Running {
            mut store,
            guest,
            budget,
        }) = self.instance.take()
        else {
            return Ok(());
        };
        sandbox::call_guest(&mut store, budget, "close", async |store| {
            guest.weir_connector_source_connector().call_close(store).await
        })
        .await
    }
}
