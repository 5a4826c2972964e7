//! A sink task run by a component: one sandboxed instance per task.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use weir_connector_api::{ConnectError, Props, SinkRecord, SinkTask, TopicPartition};

use super::bindings::v0_1::{sink, types as wit};
use super::convert;
use super::instance::{Running, TaskInstance};
use super::plugin::{Guest, LoadedPlugin};
use super::sandbox;

/// A sink task whose logic is a component's.
pub struct WasmSinkTask {
    instance: TaskInstance<sink::Sink>,
}

impl WasmSinkTask {
    /// An unstarted task of a plugin.
    pub fn new(plugin: Arc<LoadedPlugin>) -> Self {
        WasmSinkTask {
            instance: TaskInstance::new(plugin),
        }
    }
}

#[async_trait]
impl SinkTask for WasmSinkTask {
    async fn start(&mut self, props: &Props) -> Result<(), ConnectError> {
        let (mut store, guest, settings) = self.instance.plugin.instance(props, None).await?;
        let Guest::Sink(guest) = guest else {
            return Err(ConnectError::Fatal(format!(
                "plugin {} is not a sink",
                self.instance.plugin.name
            )));
        };
        let config = convert::pairs(props);
        sandbox::call_guest(&mut store, settings.call_timeout, "open", async |store| {
            guest.weir_connector_sink_connector().call_open(store, &config).await
        })
        .await?;
        self.instance.started(Running {
            store,
            guest,
            budget: settings.call_timeout,
        });
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        let records = convert::sink_records(records)?;
        let Running { store, guest, budget } = self.instance.running()?;
        sandbox::call_guest(store, *budget, "put", async |store| {
            guest.weir_connector_sink_connector().call_put(store, &records).await
        })
        .await
    }

    async fn flush(&mut self, offsets: &BTreeMap<TopicPartition, i64>) -> Result<(), ConnectError> {
        let offsets: Vec<wit::TopicPartitionOffset> = offsets
            .iter()
            .map(|(tp, offset)| wit::TopicPartitionOffset {
                topic: tp.topic.clone(),
                partition: tp.partition,
                offset: *offset,
            })
            .collect();
        let Running { store, guest, budget } = self.instance.running()?;
        sandbox::call_guest(store, *budget, "flush", async |store| {
            guest.weir_connector_sink_connector().call_flush(store, &offsets).await
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
            guest.weir_connector_sink_connector().call_close(store).await
        })
        .await
    }
}
