//! Creates the topics a source task's records go to, before the first record of each is sent,
//! with its connector's topic creation groups (`config::topic_creation`), as Kafka Connect's
//! source tasks do: once per topic and task, a topic that exists being left as it is.

use std::collections::HashSet;

use crate::config::topic_creation::TopicCreation;
use crate::config::worker::InternalTopic;
use crate::kafka::{KafkaClients, create_topic_if_missing};
use crate::worker::TaskError;

/// A task's topic creation, with the topics it knows exist.
pub(super) struct TopicCreator {
    creation: TopicCreation,
    clients: KafkaClients,
    known: HashSet<String>,
}

impl TopicCreator {
    /// The creator of a connector with these groups.
    pub(super) fn new(creation: TopicCreation, clients: KafkaClients) -> Self {
        TopicCreator {
            creation,
            clients,
            known: HashSet::new(),
        }
    }

    /// Makes sure `topic` exists: the first time, it is created with its group's settings
    /// unless it exists. A topic that cannot be created and does not exist fails the task.
    pub(super) async fn ensure(&mut self, topic: &str) -> Result<(), TaskError> {
        if self.known.contains(topic) {
            return Ok(());
        }
        let Some(group) = self.creation.group_for(topic) else {
            return Ok(());
        };
        let shape = InternalTopic {
            name: topic.to_owned(),
            partitions: group.partitions,
            replication_factor: group.replication_factor,
        };
        let configs: Vec<(&str, &str)> = group.configs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if let Err(e) = create_topic_if_missing(&self.clients, &shape, &configs).await {
            // Not allowed to create topics, say, while this one exists all the same.
            let exists = self
                .clients
                .partitions(Some(topic))
                .await
                .is_ok_and(|found| found.iter().any(|(t, _)| t == topic));
            if !exists {
                return Err(TaskError::Setup(format!(
                    "Task failed to create new topic {topic} (creation group {}): {e}. Ensure that the task is authorized to create topics or that the topic exists and restart the task",
                    group.name
                )));
            }
        }
        tracing::debug!(topic, group = %group.name, "the topic exists");
        self.known.insert(topic.to_owned());
        Ok(())
    }
}
