//! Kafka clients: their configs, built from the worker config, and topic administration.

pub mod producer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::BaseProducer;
use weir_connector_api::Props;

use crate::config::WorkerConfig;
use crate::config::worker::InternalTopic;
use crate::sync::lock;

pub use producer::Producer;

/// How long a metadata or admin request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A Kafka operation that failed, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {source}")]
pub struct KafkaOpError {
    /// What was being done.
    pub context: String,
    /// The client's error.
    #[source]
    pub source: KafkaError,
}

/// Attaches context to a Kafka client result.
pub trait KafkaContext<T> {
    /// Wraps the error with what was being done.
    fn context(self, context: impl FnOnce() -> String) -> Result<T, KafkaOpError>;
}

impl<T> KafkaContext<T> for Result<T, KafkaError> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T, KafkaOpError> {
        self.map_err(|source| KafkaOpError {
            context: context(),
            source,
        })
    }
}

/// Producers by their settings.
type ProducerCache = Arc<Mutex<HashMap<Vec<(String, String)>, Producer>>>;

/// The settings every Kafka client of this worker starts from, and the producers it shares.
#[derive(Clone)]
pub struct KafkaClients {
    bootstrap_servers: String,
    /// The worker's `security.protocol` and its TLS and SASL settings, in librdkafka's names.
    security: Props,
    producer: Props,
    consumer: Props,
    admin: Props,
    producers: ProducerCache,
}

impl KafkaClients {
    /// The clients' settings from the worker config.
    pub fn new(config: &WorkerConfig) -> Self {
        KafkaClients {
            bootstrap_servers: config.bootstrap_servers.clone(),
            security: config.broker_security.librdkafka_settings(),
            producer: config.producer.clone(),
            consumer: config.consumer.clone(),
            admin: config.admin.clone(),
            producers: ProducerCache::default(),
        }
    }

    /// A producer with these settings (as [`KafkaClients::producer_config`]), shared by every
    /// caller that asks for the same settings. Each producer costs threads and connections, so
    /// tasks share one unless a connector overrides producer settings.
    pub fn shared_producer(
        &self,
        defaults: &[(&str, &str)],
        overrides: &Props,
        required: &[(&str, &str)],
    ) -> Result<Producer, KafkaOpError> {
        let config = self.producer_config(defaults, overrides, required);
        let key: Vec<(String, String)> = config
            .config_map()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut producers = lock(&self.producers);
        if let Some(producer) = producers.get(&key) {
            return Ok(producer.clone());
        }
        let producer = Producer::create(&config)
            .context(|| "creating a producer (check producer.* and producer.override.*)".into())?;
        producers.insert(key, producer.clone());
        Ok(producer)
    }

    /// A client config: Weir's `defaults`, then the worker's security settings, then its settings
    /// for this kind of client, then the connector's `overrides`, then the `required` settings
    /// that guarantees depend on.
    fn build(
        &self,
        defaults: &[(&str, &str)],
        worker: &Props,
        overrides: &Props,
        required: &[(&str, &str)],
    ) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.bootstrap_servers);
        for (k, v) in defaults {
            config.set(*k, *v);
        }
        for (k, v) in self.security.iter().chain(worker).chain(overrides) {
            config.set(k, v);
        }
        for (k, v) in required {
            config.set(*k, *v);
        }
        config
    }

    /// A producer config (`producer.*` over `defaults`; see [`KafkaClients::build`]).
    pub fn producer_config(
        &self,
        defaults: &[(&str, &str)],
        overrides: &Props,
        required: &[(&str, &str)],
    ) -> ClientConfig {
        self.build(defaults, &self.producer, overrides, required)
    }

    /// A consumer config (`consumer.*` over `defaults`; see [`KafkaClients::build`]).
    pub fn consumer_config(
        &self,
        defaults: &[(&str, &str)],
        overrides: &Props,
        required: &[(&str, &str)],
    ) -> ClientConfig {
        self.build(defaults, &self.consumer, overrides, required)
    }

    /// An admin client.
    pub fn admin(&self) -> Result<AdminClient<DefaultClientContext>, KafkaOpError> {
        self.build(&[], &self.admin, &Props::new(), &[])
            .create()
            .context(|| "creating the Kafka admin client (check the admin.* settings)".into())
    }

    /// Builds each kind of client once, so a bad `producer.*`, `consumer.*` or `admin.*` key is
    /// reported at start, naming the key.
    pub fn check(&self) -> Result<(), KafkaOpError> {
        self.admin()?;
        let _: BaseProducer = self
            .producer_config(&[], &Props::new(), &[])
            .create()
            .context(|| "checking the producer.* settings".into())?;
        let _: BaseConsumer = self
            .consumer_config(&[], &Props::new(), &[])
            .create()
            .context(|| "checking the consumer.* settings".into())?;
        Ok(())
    }

    /// The Kafka cluster's id.
    pub async fn cluster_id(&self) -> Option<String> {
        let consumer: BaseConsumer = self.consumer_config(&[], &Props::new(), &[]).create().ok()?;
        tokio::task::spawn_blocking(move || consumer.client().fetch_cluster_id(REQUEST_TIMEOUT))
            .await
            .ok()
            .flatten()
    }

    /// The partition count of each topic, from the cluster's metadata (all topics if `topic` is `None`).
    pub async fn partitions(&self, topic: Option<&str>) -> Result<Vec<(String, i32)>, KafkaOpError> {
        let consumer: BaseConsumer = self
            .consumer_config(&[], &Props::new(), &[])
            .create()
            .context(|| "creating a metadata client".into())?;
        let topic = topic.map(str::to_owned);
        let described = topic.clone().unwrap_or_else(|| "all topics".into());
        tokio::task::spawn_blocking(move || {
            let metadata = consumer.fetch_metadata(topic.as_deref(), REQUEST_TIMEOUT)?;
            Ok(metadata
                .topics()
                .iter()
                .filter(|t| t.error().is_none())
                .map(|t| (t.name().to_owned(), t.partitions().len() as i32))
                .collect())
        })
        .await
        .unwrap_or(Err(KafkaError::Canceled))
        .context(|| format!("reading the metadata of {described}"))
    }
}

/// Fences the transactional producers of these ids (Kafka Connect's `Admin.fenceProducers`):
/// a producer of each id is started, which bumps the id's epoch on its transaction
/// coordinator, aborts what an older producer of that id left open, and makes anything it
/// tries next fail. All at once, each on a thread of its own (starting a producer blocks).
pub async fn fence_producers(clients: &KafkaClients, ids: &[String]) -> Result<(), KafkaOpError> {
    use rdkafka::producer::Producer as _;
    let fences = ids.iter().map(|id| {
        let config = clients.producer_config(&[], &Props::new(), &[("transactional.id", id)]);
        let id = id.clone();
        async move {
            let fenced = tokio::task::spawn_blocking(move || {
                let producer: BaseProducer = config.create()?;
                producer.init_transactions(REQUEST_TIMEOUT)
            })
            .await
            .unwrap_or(Err(KafkaError::Canceled));
            fenced.context(|| format!("fencing the producers of transactional id {id}"))
        }
    });
    futures::future::try_join_all(fences).await?;
    Ok(())
}

/// Creates a topic if it does not exist.
pub async fn create_topic_if_missing(
    clients: &KafkaClients,
    topic: &InternalTopic,
    configs: &[(&str, &str)],
) -> Result<(), KafkaOpError> {
    let admin = clients.admin()?;
    let mut new = NewTopic::new(
        &topic.name,
        topic.partitions,
        TopicReplication::Fixed(topic.replication_factor),
    );
    for (k, v) in configs {
        new = new.set(k, v);
    }
    let options = AdminOptions::new().operation_timeout(Some(REQUEST_TIMEOUT));
    let results = admin
        .create_topics([&new], &options)
        .await
        .context(|| format!("creating topic {}", topic.name))?;
    for result in results {
        match result {
            Ok(name) => tracing::info!(topic = %name, partitions = topic.partitions, "created topic"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(KafkaOpError {
                    context: format!("creating topic {name}"),
                    source: KafkaError::AdminOp(code),
                });
            }
        }
    }
    Ok(())
}

/// A topic's `cleanup.policy`. A broker that has just created the topic (or just started) may
/// not report its configs yet: asked again for a while before giving up.
async fn cleanup_policy(clients: &KafkaClients, topic: &str) -> Result<String, KafkaOpError> {
    let admin = clients.admin()?;
    let options = AdminOptions::new().request_timeout(Some(REQUEST_TIMEOUT));
    let mut attempts = 0;
    loop {
        let described = admin
            .describe_configs([&ResourceSpecifier::Topic(topic)], &options)
            .await
            .context(|| format!("describing topic {topic}"))?;
        let policy = described
            .into_iter()
            .flatten()
            .find_map(|resource| resource.get("cleanup.policy").and_then(|e| e.value.clone()));
        match policy {
            Some(policy) => return Ok(policy),
            None if attempts < 20 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            None => {
                return Err(KafkaOpError {
                    context: format!("the broker does not report the cleanup.policy of topic {topic}"),
                    source: KafkaError::AdminOp(RDKafkaErrorCode::InvalidConfig),
                });
            }
        }
    }
}

/// Creates an internal topic, compacted, if it does not exist; checks its partition count if
/// it must have exactly one partition.
pub async fn ensure_internal_topic(
    clients: &KafkaClients,
    topic: &InternalTopic,
    exactly_one_partition: bool,
) -> Result<(), KafkaOpError> {
    create_topic_if_missing(clients, topic, &[("cleanup.policy", "compact")]).await?;
    let policy = cleanup_policy(clients, &topic.name).await?;
    if !policy.split(',').any(|p| p.trim() == "compact") {
        return Err(KafkaOpError {
            context: format!(
                "topic {} has cleanup.policy={policy}, but internal topics must be compacted; set cleanup.policy=compact on it or choose another topic",
                topic.name
            ),
            source: KafkaError::AdminOp(RDKafkaErrorCode::InvalidConfig),
        });
    }
    if exactly_one_partition {
        let partitions = clients.partitions(Some(&topic.name)).await?;
        if let Some((_, n)) = partitions.iter().find(|(t, n)| *t == topic.name && *n != 1) {
            return Err(KafkaOpError {
                context: format!(
                    "topic {} has {n} partitions, but the config topic must have exactly one; delete it or choose another config.storage.topic",
                    topic.name
                ),
                source: KafkaError::AdminOp(RDKafkaErrorCode::InvalidPartitions),
            });
        }
    }
    Ok(())
}
