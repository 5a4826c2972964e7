//! Log levels at run time (`/admin/loggers`): this worker's, or the whole cluster's through a
//! record on the config topic that every worker applies once read (Kafka Connect's KIP-976).

use super::{Herder, HerderError};
use crate::logging::{Level, LogLevels};

impl Herder {
    /// This worker's log levels.
    pub fn log_levels(&self) -> &LogLevels {
        &self.parts().log_levels
    }

    /// Sets a logger's level on every worker, this one included, by a record on the config
    /// topic.
    pub async fn set_cluster_logger_level(&self, namespace: &str, level: Level) -> Result<(), HerderError> {
        self.parts().configs.put_logger_level(namespace, level.name()).await?;
        Ok(())
    }

    /// Applies a cluster-wide level read from the config topic.
    pub(super) fn apply_cluster_logger_level(&self, namespace: &str, level: &str) {
        let Some(parsed) = Level::parse(level) else {
            tracing::error!(%namespace, %level, "ignoring a cluster log level that is no level");
            return;
        };
        if let Err(e) = self.log_levels().set(namespace, parsed) {
            tracing::error!(%namespace, %level, error = %e, "cannot apply a cluster log level");
        }
    }
}
