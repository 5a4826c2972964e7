//! Zombie fencing for exactly-once sources (Kafka Connect's KIP-618). Once a connector's task
//! configs change, its exactly-once tasks may not start until the leader has fenced the
//! transactional producers of the task ids the generation before used. A task of an id the new
//! generation no longer has cannot then commit anything. The leader records that it did with a
//! `tasks-fencing-<name>` record holding the new task count. Each task also fences its own id's
//! earlier instance as it starts (`worker::source_task`).

use super::{Herder, HerderError, RequestSignature};
use crate::kafka;

impl Herder {
    /// As the leader: fences `name`'s older tasks for another worker (`PUT
    /// /connectors/{name}/fence`, signed when the group signs), and answers once it has.
    pub async fn fence_zombies(
        &self,
        name: &str,
        body: &[u8],
        signature: Option<RequestSignature>,
    ) -> Result<(), HerderError> {
        self.internal_to_leader(body, signature, "fence zombie source tasks")?;
        self.connector_config(name)?;
        self.fence_here(name).await
    }

    /// Makes sure `name`'s older tasks are fenced: here when this worker leads, else by the
    /// leader, asked over REST.
    pub(super) async fn ensure_fenced(&self, name: &str) -> Result<(), String> {
        let view = self.group_view().ok_or("this worker is not in its group")?;
        if view.is_leader() {
            return self.fence_here(name).await.map_err(|e| e.to_string());
        }
        let key = self.parts().configs.snapshot().session_key;
        let signer = self.signer(&view, key.as_ref())?;
        self.parts()
            .client
            .fence(&view.leader_url, name, signer)
            .await
            .map_err(|e| e.to_string())
    }

    /// As the leader: when `name`'s task configs changed since it was last fenced, fences the
    /// producers of every task id of the generation before (Kafka Connect skips it when one
    /// task follows one, which fences itself as it starts, and when there was none), then
    /// writes the new task count.
    async fn fence_here(&self, name: &str) -> Result<(), HerderError> {
        let parts = self.parts();
        parts.configs.catch_up().await?;
        let config = parts.configs.snapshot();
        if !config.pending_fencing.contains(name) {
            return Ok(());
        }
        let count = config.task_configs(name).len();
        if let Some(&before) = config.task_counts.get(name)
            && !(before == 1 && count == 1)
        {
            let ids: Vec<String> = (0..before)
                .map(|task| format!("{}-{name}-{task}", parts.config.group_id))
                .collect();
            kafka::fence_producers(&parts.clients, &ids).await?;
            tracing::info!(
                connector = name,
                tasks = before,
                "fenced the producers of the older tasks"
            );
        }
        parts.configs.put_task_count(name, count).await?;
        Ok(())
    }
}
