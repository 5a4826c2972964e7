//! A connector's offsets: read, altered and reset (KIP-875), for sources on the offsets topic and
//! for sinks in their consumer group.

use weir_connector_api::{ConnectorKind, Props};

use super::{Herder, HerderError, sink_offsets};
use crate::config::ConnectorConfig;
use crate::model::{PartitionLag, PartitionOffset, TargetState};
use crate::storage::ConnectorOffsets;

impl Herder {
    /// A connector's offsets: source offsets from the offsets topic, sink offsets from its
    /// consumer group.
    pub async fn offsets(&self, name: &str) -> Result<Vec<PartitionOffset>, HerderError> {
        let props = self.connector_config(name)?;
        let offsets = match self.kind_of(&props) {
            Some(ConnectorKind::Sink) => {
                let config = ConnectorConfig::parse(ConnectorKind::Sink, &props)
                    .map_err(|e| HerderError::BadRequest(e.to_string()))?;
                sink_offsets::read(&self.parts().clients, &config).await?
            }
            _ => self
                .source_offsets(&props)
                .await?
                .connector_offsets(name)
                .into_iter()
                .map(|(partition, offset)| PartitionOffset {
                    partition,
                    offset: Some(offset),
                })
                .collect(),
        };
        Ok(offsets)
    }

    /// How far a sink connector's consumer group is behind each partition it reads.
    pub async fn sink_lag(&self, name: &str) -> Result<Vec<PartitionLag>, HerderError> {
        let props = self.connector_config(name)?;
        if self.kind_of(&props) != Some(ConnectorKind::Sink) {
            return Err(HerderError::BadRequest(format!(
                "{name} is not a sink connector: only a sink's consumer group has a lag"
            )));
        }
        let config =
            ConnectorConfig::parse(ConnectorKind::Sink, &props).map_err(|e| HerderError::BadRequest(e.to_string()))?;
        sink_offsets::lag(&self.parts().clients, &config).await
    }

    /// Checks that a connector exists and is stopped, with no task left running; returns its kind.
    fn stopped_kind(&self, name: &str) -> Result<Option<ConnectorKind>, HerderError> {
        let props = self.connector_config(name)?;
        let snapshot = self.parts().configs.snapshot();
        let running = self.parts().worker.runs_tasks_of(name);
        if snapshot.target_state(name) != TargetState::Stopped || running || !snapshot.task_configs(name).is_empty() {
            return Err(HerderError::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(self.kind_of(&props))
    }

    /// Replaces some of a stopped connector's offsets.
    pub async fn alter_offsets(&self, name: &str, offsets: Vec<PartitionOffset>) -> Result<String, HerderError> {
        let props = self.connector_config(name)?;
        self.leader_only("process external offsets modification requests")?;
        if offsets.is_empty() {
            return Err(HerderError::BadRequest(
                "Partitions / offsets need to be provided for an alter offsets request".into(),
            ));
        }
        match self.stopped_kind(name)? {
            Some(ConnectorKind::Sink) => sink_offsets::alter(&self.parts().clients, name, &offsets).await?,
            _ => {
                let entries: Vec<_> = offsets.into_iter().map(|e| (e.partition, e.offset)).collect();
                self.source_offsets(&props).await?.put(name, &entries).await?;
            }
        }
        Ok("The offsets for this connector have been altered successfully".into())
    }

    /// Writes the offsets a connector is created with (KIP-995), before its config: a sink's
    /// to its consumer group, a source's to the offsets topic.
    pub(super) async fn write_initial_offsets(
        &self,
        name: &str,
        props: &Props,
        offsets: Vec<PartitionOffset>,
    ) -> Result<(), HerderError> {
        if offsets.is_empty() {
            return Ok(());
        }
        match self.kind_of(props) {
            Some(ConnectorKind::Sink) => sink_offsets::alter(&self.parts().clients, name, &offsets).await?,
            _ => {
                let entries: Vec<_> = offsets.into_iter().map(|e| (e.partition, e.offset)).collect();
                self.source_offsets(props).await?.put(name, &entries).await?;
            }
        }
        tracing::info!(connector = name, "initial offsets written");
        Ok(())
    }

    /// Forgets all of a stopped connector's offsets.
    pub async fn reset_offsets(&self, name: &str) -> Result<String, HerderError> {
        let props = self.connector_config(name)?;
        self.leader_only("process external offsets modification requests")?;
        match self.stopped_kind(name)? {
            Some(ConnectorKind::Sink) => sink_offsets::reset(&self.parts().clients, name).await?,
            _ => {
                let offsets = self.source_offsets(&props).await?;
                let entries: Vec<_> = offsets
                    .connector_offsets(name)
                    .into_iter()
                    .map(|(p, _)| (p, None))
                    .collect();
                offsets.put(name, &entries).await?;
            }
        }
        Ok("The offsets for this connector have been reset successfully".into())
    }

    /// A source connector's offsets topics, as its config names them, read to their end.
    async fn source_offsets(&self, props: &Props) -> Result<ConnectorOffsets, HerderError> {
        let own = props.get("offsets.storage.topic").map(String::as_str);
        let offsets = self.parts().offsets.connector(own).await?;
        offsets.read_to_end().await?;
        Ok(offsets)
    }
}
