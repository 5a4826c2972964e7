//! Which Kafka client settings a connector config may override (`producer.override.*`,
//! `consumer.override.*`, `admin.override.*`): Kafka Connect's
//! `connector.client.config.override.policy` (KIP-458, and KIP-1188's Allowlist). Whoever may
//! create connectors must not point the worker's clients at a SASL login module, a plugin
//! library or another cluster: Weir's default, Allowlist, lets through the tuning settings of
//! `connector.client.config.override.allowlist` only.

use std::collections::BTreeSet;

use weir_connector_api::{ConnectorKind, Props};

/// The policy's key.
pub const POLICY_KEY: &str = "connector.client.config.override.policy";
/// The Allowlist policy's list.
pub const ALLOWLIST_KEY: &str = "connector.client.config.override.allowlist";

/// The policy names, and the Kafka Connect classes they also go by.
pub const POLICY_NAMES: [&str; 7] = [
    "None",
    "Principal",
    "All",
    "Allowlist",
    "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy",
    "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy",
    "org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy",
];

/// The librdkafka settings a connector may tune under the default Allowlist: batching,
/// compression, timeouts and fetch sizes, nothing about security, plugins or where to connect.
pub const DEFAULT_ALLOWLIST: &str = "acks,request.required.acks,enable.idempotence,\
max.in.flight.requests.per.connection,max.in.flight,linger.ms,queue.buffering.max.ms,batch.size,\
batch.num.messages,compression.type,compression.codec,compression.level,message.max.bytes,\
queue.buffering.max.messages,queue.buffering.max.kbytes,message.timeout.ms,delivery.timeout.ms,\
request.timeout.ms,retries,retry.backoff.ms,retry.backoff.max.ms,partitioner,sticky.partitioning.linger.ms,\
auto.offset.reset,fetch.min.bytes,fetch.max.bytes,fetch.wait.max.ms,max.partition.fetch.bytes,\
fetch.message.max.bytes,queued.min.messages,queued.max.messages.kbytes,fetch.queue.backoff.ms,\
isolation.level,session.timeout.ms,heartbeat.interval.ms,max.poll.interval.ms,partition.assignment.strategy,\
statistics.interval.ms,client.id";

/// The settings the Principal policy lets through (Kafka Connect's, and librdkafka's names
/// for the same).
const PRINCIPAL: [&str; 6] = [
    "sasl.jaas.config",
    "sasl.mechanism",
    "security.protocol",
    "sasl.mechanisms",
    "sasl.username",
    "sasl.password",
];

/// What a connector may override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientOverridePolicy {
    /// Nothing.
    None,
    /// Its SASL identity only.
    Principal,
    /// Anything.
    All,
    /// The settings listed.
    Allowlist(BTreeSet<String>),
}

impl Default for ClientOverridePolicy {
    fn default() -> Self {
        ClientOverridePolicy::Allowlist(list(DEFAULT_ALLOWLIST))
    }
}

impl ClientOverridePolicy {
    /// The policy a worker's `policy` and `allowlist` values name (already validated).
    pub fn parse(policy: &str, allowlist: &str) -> Self {
        let short = policy
            .trim()
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .trim_end_matches("ConnectorClientConfigOverridePolicy")
            .to_ascii_lowercase();
        match short.as_str() {
            "none" => ClientOverridePolicy::None,
            "principal" => ClientOverridePolicy::Principal,
            "all" => ClientOverridePolicy::All,
            _ => ClientOverridePolicy::Allowlist(list(allowlist)),
        }
    }

    /// Its name in error messages, as Kafka Connect's.
    fn name(&self) -> &'static str {
        match self {
            ClientOverridePolicy::None => "None",
            ClientOverridePolicy::Principal => "Principal",
            ClientOverridePolicy::All => "All",
            ClientOverridePolicy::Allowlist(_) => "Allowlist",
        }
    }

    fn allows(&self, setting: &str) -> bool {
        match self {
            ClientOverridePolicy::None => false,
            ClientOverridePolicy::Principal => PRINCIPAL.contains(&setting),
            ClientOverridePolicy::All => true,
            ClientOverridePolicy::Allowlist(allowed) => allowed.contains(setting),
        }
    }

    /// The overrides of a `kind` connector's config the policy refuses, each with Kafka
    /// Connect's message. A source's producer and admin client, and a sink's consumer,
    /// producer and admin client (its dead letter queue), are checked.
    pub fn refused(&self, kind: ConnectorKind, props: &Props) -> Vec<(String, String)> {
        let prefixes: &[&str] = match kind {
            ConnectorKind::Source => &["producer.override.", "admin.override."],
            ConnectorKind::Sink => &["consumer.override.", "producer.override.", "admin.override."],
        };
        props
            .keys()
            .filter_map(|key| {
                let setting = prefixes.iter().find_map(|p| key.strip_prefix(p))?;
                (!self.allows(setting)).then(|| {
                    (
                        key.clone(),
                        format!(
                            "The '{}' policy does not allow '{setting}' to be overridden in the connector configuration.",
                            self.name()
                        ),
                    )
                })
            })
            .collect()
    }
}

fn list(text: &str) -> BTreeSet<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(keys: &[&str]) -> Props {
        keys.iter().map(|k| ((*k).to_owned(), "x".to_owned())).collect()
    }

    #[test]
    fn the_default_lets_tuning_through_and_refuses_logins_and_libraries() {
        let config = props(&[
            "producer.override.linger.ms",
            "producer.override.sasl.jaas.config",
            "producer.override.plugin.library.paths",
            "consumer.override.sasl.jaas.config",
        ]);
        let refused = ClientOverridePolicy::default().refused(ConnectorKind::Source, &config);
        let keys: Vec<&str> = refused.iter().map(|(k, _)| k.as_str()).collect();
        // A source's consumer overrides are not used, so not checked.
        assert_eq!(
            keys,
            [
                "producer.override.plugin.library.paths",
                "producer.override.sasl.jaas.config"
            ]
        );
        assert_eq!(
            refused[1].1,
            "The 'Allowlist' policy does not allow 'sasl.jaas.config' to be overridden in the connector configuration."
        );
    }

    #[test]
    fn the_default_takes_the_usual_reliability_and_batching_settings() {
        // What bench/ and most production source configs set.
        let config = props(&[
            "producer.override.acks",
            "producer.override.enable.idempotence",
            "producer.override.max.in.flight.requests.per.connection",
            "producer.override.linger.ms",
            "producer.override.batch.size",
            "producer.override.compression.type",
        ]);
        assert!(
            ClientOverridePolicy::default()
                .refused(ConnectorKind::Source, &config)
                .is_empty()
        );
    }

    #[test]
    fn kafka_connects_policies_by_name_or_class() {
        let config = props(&[
            "consumer.override.sasl.jaas.config",
            "consumer.override.fetch.min.bytes",
        ]);
        let refused = |policy: &str| {
            ClientOverridePolicy::parse(policy, "fetch.min.bytes")
                .refused(ConnectorKind::Sink, &config)
                .len()
        };
        assert_eq!(refused("None"), 2);
        assert_eq!(
            refused("org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy"),
            1
        );
        assert_eq!(refused("All"), 0);
        assert_eq!(refused("Allowlist"), 1);
    }
}
