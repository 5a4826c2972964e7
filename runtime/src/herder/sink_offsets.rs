//! A sink connector's offsets: the committed offsets of its consumer group `connect-<name>`.

use rdkafka::admin::AdminOptions;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;
use weir_connector_api::Props;

use super::HerderError;
use crate::config::ConnectorConfig;
use crate::kafka::{KafkaClients, KafkaContext, REQUEST_TIMEOUT};
use crate::model::{PartitionLag, PartitionOffset};
use crate::worker::consumer_group;

fn group_consumer(clients: &KafkaClients, connector: &str) -> Result<BaseConsumer, HerderError> {
    let group = consumer_group(connector);
    Ok(clients
        .consumer_config(
            &[],
            &Props::new(),
            &[("group.id", &group), ("enable.auto.commit", "false")],
        )
        .create()
        .context(|| format!("creating a client for group {group}"))?)
}

/// The topics a sink reads now: its list, or the existing topics matching its pattern.
async fn topics(clients: &KafkaClients, config: &ConnectorConfig) -> Result<Vec<(String, i32)>, HerderError> {
    let all = clients.partitions(None).await?;
    let matches = |topic: &str| match &config.topics_regex {
        Some(pattern) => regex::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(topic)),
        None => config.topics.iter().any(|t| t == topic),
    };
    Ok(all.into_iter().filter(|(t, _)| matches(t)).collect())
}

/// Every partition of the topics the sink reads, each with offset `at`.
async fn partition_list(
    clients: &KafkaClients,
    config: &ConnectorConfig,
    at: Offset,
) -> Result<TopicPartitionList, HerderError> {
    let mut list = TopicPartitionList::new();
    for (topic, partitions) in topics(clients, config).await? {
        for p in 0..partitions {
            list.add_partition_offset(&topic, p, at)
                .context(|| format!("listing {topic}-{p}"))?;
        }
    }
    Ok(list)
}

/// The committed offset of every partition the sink has read.
pub async fn read(clients: &KafkaClients, config: &ConnectorConfig) -> Result<Vec<PartitionOffset>, HerderError> {
    let list = partition_list(clients, config, Offset::Invalid).await?;
    let consumer = group_consumer(clients, &config.name)?;
    let committed = tokio::task::spawn_blocking(move || consumer.committed_offsets(list, REQUEST_TIMEOUT))
        .await
        .unwrap_or(Err(KafkaError::Canceled))
        .context(|| format!("reading the offsets of group {}", consumer_group(&config.name)))?;
    Ok(committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(offset) => Some(PartitionOffset {
                partition: json!({"kafka_topic": e.topic(), "kafka_partition": e.partition()})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                offset: json!({"kafka_offset": offset}).as_object().cloned(),
            }),
            _ => None,
        })
        .collect())
}

/// How far the sink's committed offsets are behind the end of each partition it reads: the
/// committed and end offsets of every partition in two requests.
pub async fn lag(clients: &KafkaClients, config: &ConnectorConfig) -> Result<Vec<PartitionLag>, HerderError> {
    let list = partition_list(clients, config, Offset::End).await?;
    let consumer = group_consumer(clients, &config.name)?;
    let (committed, ends) = tokio::task::spawn_blocking(move || {
        let committed = consumer.committed_offsets(list.clone(), REQUEST_TIMEOUT)?;
        let ends = consumer.offsets_for_times(list, REQUEST_TIMEOUT)?;
        Ok((committed, ends))
    })
    .await
    .unwrap_or(Err(KafkaError::Canceled))
    .context(|| format!("reading the lag of group {}", consumer_group(&config.name)))?;
    Ok(ends
        .elements()
        .iter()
        .filter_map(|e| {
            let Offset::Offset(end) = e.offset() else {
                return None;
            };
            let committed = match committed.find_partition(e.topic(), e.partition()).map(|c| c.offset()) {
                Some(Offset::Offset(offset)) => Some(offset),
                _ => None,
            };
            Some(PartitionLag {
                topic: e.topic().to_owned(),
                partition: e.partition(),
                committed,
                end,
            })
        })
        .collect())
}

/// Checks and commits new offsets for the sink's group (the connector must be stopped).
pub async fn alter(clients: &KafkaClients, connector: &str, offsets: &[PartitionOffset]) -> Result<(), HerderError> {
    let mut list = TopicPartitionList::new();
    for entry in offsets {
        let topic = entry.partition.get("kafka_topic").and_then(|t| t.as_str());
        let partition = entry
            .partition
            .get("kafka_partition")
            .and_then(|p| p.as_i64())
            .and_then(|p| i32::try_from(p).ok());
        let (Some(topic), Some(partition)) = (topic, partition) else {
            return Err(HerderError::BadRequest(format!(
                "Sink connector partitions must have a string 'kafka_topic' and an integer 'kafka_partition': {}",
                serde_json::Value::Object(entry.partition.clone())
            )));
        };
        let Some(offset) = &entry.offset else {
            return Err(HerderError::BadRequest(
                "Resetting a single partition of a sink connector is not supported; DELETE /connectors/{name}/offsets resets them all".into(),
            ));
        };
        let offset = offset
            .get("kafka_offset")
            .and_then(|o| o.as_i64())
            .filter(|o| *o >= 0)
            .ok_or_else(|| {
                HerderError::BadRequest(format!(
                    "Sink connector offsets must have a non-negative integer 'kafka_offset': {}",
                    serde_json::Value::Object(offset.clone())
                ))
            })?;
        list.add_partition_offset(topic, partition, Offset::Offset(offset))
            .context(|| "building the offsets".into())?;
    }
    let consumer = group_consumer(clients, connector)?;
    let consumer = wait_until_empty(consumer, connector).await?;
    tokio::task::spawn_blocking(move || consumer.commit(&list, CommitMode::Sync))
        .await
        .unwrap_or(Err(KafkaError::Canceled))
        .context(|| format!("committing offsets for group {}", consumer_group(connector)))?;
    Ok(())
}

/// How long the members of a stopped sink's group may take to leave it.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(30);

/// Waits until the group has no member: the tasks of a stopped sink may still be leaving it,
/// and the broker takes offsets only for an empty group.
async fn wait_until_empty(consumer: BaseConsumer, connector: &str) -> Result<BaseConsumer, HerderError> {
    let group = consumer_group(connector);
    let deadline = Instant::now() + LEAVE_TIMEOUT;
    let consumer = Arc::new(consumer);
    loop {
        let (probe, name) = (consumer.clone(), group.clone());
        let members = tokio::task::spawn_blocking(move || {
            probe
                .fetch_group_list(Some(&name), REQUEST_TIMEOUT)
                .map(|list| list.groups().iter().map(|g| g.members().len()).sum::<usize>())
        })
        .await
        .unwrap_or(Err(KafkaError::Canceled))
        .context(|| format!("describing group {group}"))?;
        if members == 0 {
            break;
        }
        if Instant::now() >= deadline {
            return Err(HerderError::Conflict(format!(
                "consumer group {group} still has {members} active member(s)"
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Arc::try_unwrap(consumer).map_err(|_| HerderError::Conflict(format!("consumer group {group} is busy")))
}

/// Deletes the sink's consumer group, so it starts over from `auto.offset.reset`.
pub async fn reset(clients: &KafkaClients, connector: &str) -> Result<(), HerderError> {
    let group = consumer_group(connector);
    wait_until_empty(group_consumer(clients, connector)?, connector).await?;
    let admin = clients.admin()?;
    let results = admin
        .delete_groups(&[&group], &AdminOptions::new().operation_timeout(Some(REQUEST_TIMEOUT)))
        .await
        .context(|| format!("deleting group {group}"))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((_, code)) => {
                return Err(HerderError::Conflict(format!(
                    "could not delete consumer group {group}: {code}"
                )));
            }
        }
    }
    Ok(())
}
