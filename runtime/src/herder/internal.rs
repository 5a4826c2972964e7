//! The requests workers send each other, and the session key that signs them: a connector's
//! task configs go to the leader, which writes them (Kafka Connect's `POST
//! /connectors/{name}/tasks`); in a `sessioned` group the leader keeps a session key on the
//! config topic, rotated every `inter.worker.key.ttl.ms`, and takes only requests signed with it.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use weir_connector_api::Props;

use super::{Herder, HerderError};
use crate::group::{ConnectProtocol, GroupView, Signer};
use crate::model::{MacAlgorithm, SessionKey};

/// A request's signature, as its headers carry it.
#[derive(Clone, Debug)]
pub struct RequestSignature {
    /// `X-Connect-Request-Signature-Algorithm`.
    pub algorithm: String,
    /// `X-Connect-Authorization`: the signature, base64.
    pub signature: String,
}

/// Milliseconds since the epoch.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Herder {
    /// Writes task configs another worker's connector asked for, after checking the request's
    /// signature when the group signs its requests (Kafka Connect's answers: 400 when unsigned
    /// or of an algorithm not accepted, 503 before a key is known, 403 when wrong).
    pub async fn put_task_configs(
        &self,
        name: &str,
        body: &[u8],
        signature: Option<RequestSignature>,
    ) -> Result<(), HerderError> {
        self.internal_to_leader(body, signature, "write task configurations")?;
        self.connector_config(name)?;
        let configs: Vec<Props> = serde_json::from_slice(body)
            .map_err(|e| HerderError::BadRequest(format!("Task configs must be a list of string maps: {e}")))?;
        self.parts().configs.put_task_configs(name, &configs).await?;
        tracing::info!(
            connector = name,
            tasks = configs.len(),
            "task configs written for another worker"
        );
        Ok(())
    }

    /// Checks a request another worker sent this one as the leader: its signature when the
    /// group signs its requests, then that this worker leads (to `what` otherwise).
    pub(super) fn internal_to_leader(
        &self,
        body: &[u8],
        signature: Option<RequestSignature>,
        what: &str,
    ) -> Result<(), HerderError> {
        // One view for both checks: read twice, the first could say "not joined" (no
        // signature needed) and the second "leader".
        let view = self.group_view();
        if view
            .as_deref()
            .is_none_or(|view| view.protocol == ConnectProtocol::Sessioned)
        {
            self.verify(body, signature)?;
        }
        super::leader_in(view.as_deref(), what)
    }

    /// Checks a request's signature against the session key.
    fn verify(&self, body: &[u8], signature: Option<RequestSignature>) -> Result<(), HerderError> {
        let signature =
            signature.ok_or_else(|| HerderError::BadRequest("Internal request missing required signature".into()))?;
        let accepted = &self.parts().config.inter_worker.verification_algorithms;
        let algorithm = MacAlgorithm::parse(&signature.algorithm)
            .filter(|a| accepted.contains(a))
            .ok_or_else(|| {
                HerderError::BadRequest(format!(
                    "This worker does not support the '{}' key signing algorithm used by other workers. This worker is currently configured to use: [{}]. Check that all workers' configuration files permit the same set of signature algorithms, and correct any misconfigured worker and restart it.",
                    signature.algorithm,
                    accepted.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
                ))
            })?;
        let Some(key) = self.parts().configs.snapshot().session_key else {
            return Err(HerderError::Unavailable(
                "This worker is still starting up and has not been able to read a session key from the config topic yet"
                    .into(),
            ));
        };
        let signature = BASE64
            .decode(signature.signature.as_bytes())
            .map_err(|e| HerderError::BadRequest(format!("The request signature is not base64: {e}")))?;
        if key.verify(algorithm, body, &signature) {
            Ok(())
        } else {
            Err(HerderError::Forbidden(
                "Internal request contained invalid signature.".into(),
            ))
        }
    }

    /// Sends a connector's task configs to the leader to write, signed when the group signs.
    pub(super) async fn send_task_configs(
        &self,
        view: &GroupView,
        name: &str,
        configs: &[Props],
    ) -> Result<(), String> {
        let key = self.parts().configs.snapshot().session_key;
        let signer = self.signer(view, key.as_ref())?;
        self.parts()
            .client
            .put_task_configs(&view.leader_url, name, configs, signer)
            .await
            .map_err(|e| e.to_string())
    }

    /// What signs a request to the leader: the session key in a `sessioned` group (an error
    /// before one is read), nothing in a `compatible` one.
    pub(super) fn signer<'k>(
        &self,
        view: &GroupView,
        key: Option<&'k SessionKey>,
    ) -> Result<Option<Signer<'k>>, String> {
        match (key, view.protocol) {
            (Some(key), ConnectProtocol::Sessioned) => Ok(Some(Signer {
                key,
                algorithm: self.parts().config.inter_worker.signature_algorithm,
            })),
            (None, ConnectProtocol::Sessioned) => Err("no session key has been read yet".into()),
            _ => Ok(None),
        }
    }

    /// As the leader of a `sessioned` group, writes a new session key when there is none, it
    /// expired, or it is of another algorithm than the config asks for (as Kafka Connect: a key
    /// of another size, say one a Kafka Connect leader wrote, serves until it expires).
    pub(super) async fn rotate_session_key(&self, view: &GroupView) {
        if !view.is_leader() || view.protocol != ConnectProtocol::Sessioned {
            return;
        }
        let settings = &self.parts().config.inter_worker;
        let now = now_ms();
        let ttl = i64::try_from(settings.key_ttl.as_millis()).unwrap_or(i64::MAX);
        let current = self.parts().configs.snapshot().session_key;
        let fresh = current.as_ref().is_some_and(|key| {
            key.created_ms.saturating_add(ttl) > now && key.algorithm == settings.key_algorithm.name()
        });
        if fresh {
            return;
        }
        let key = match SessionKey::generate(settings.key_algorithm, settings.key_bits, now) {
            Ok(key) => key,
            Err(e) => {
                tracing::error!(error = %e, "cannot generate a session key");
                return;
            }
        };
        match self.parts().configs.put_session_key(&key).await {
            Ok(()) => tracing::info!(algorithm = %key.algorithm, "wrote a new session key"),
            Err(e) => tracing::error!(error = %e, "could not write a new session key; will retry"),
        }
    }
}
