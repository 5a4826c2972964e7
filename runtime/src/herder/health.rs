//! The worker's health, as `GET /health` answers it (Kafka Connect's KIP-1017): healthy when
//! the herder's loop answers and every internal topic can be read to its end, within Kafka
//! Connect's health-check timeout. A worker that cannot reach its internal topics cannot take a
//! config, a restart or a status, and must say so to whatever probes it.

use std::time::Duration;

use tokio::sync::oneshot;

use super::{Command, Herder};
use crate::storage::StorageError;

/// How long the check may take, as Kafka Connect's.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

impl Herder {
    /// Checks the worker's health; the error says what failed, for the answer's message.
    pub async fn health(&self) -> Result<(), String> {
        let check = async {
            let (done, answered) = oneshot::channel();
            self.shared
                .commands
                .send(Command::Ping { done })
                .map_err(|_| "The worker is shutting down.".to_owned())?;
            answered.await.map_err(|_| "The worker is shutting down.".to_owned())?;
            let parts = self.parts();
            let config = &parts.config;
            let unreadable =
                |topic: &str, e: StorageError| format!("The worker cannot read its internal topic {topic}: {e}.");
            let (configs, offsets, statuses) = tokio::join!(
                parts.configs.catch_up(),
                parts.offsets.worker().read_to_end(),
                parts.statuses.read_to_end()
            );
            configs.map_err(|e| unreadable(&config.config_topic.name, e))?;
            offsets.map_err(|e| unreadable(&config.offset_topic.name, e))?;
            statuses.map_err(|e| unreadable(&config.status_topic.name, e))
        };
        tokio::time::timeout(HEALTH_TIMEOUT, check).await.unwrap_or_else(|_| {
            Err(format!(
                "The worker could not read its internal topics to their end within {} s.",
                HEALTH_TIMEOUT.as_secs()
            ))
        })
    }
}
