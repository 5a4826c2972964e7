//! SASL authentication of a group client's connection, as Kafka has it (KIP-43, KIP-152):
//! SaslHandshake names the mechanism, then SaslAuthenticate requests carry its messages. The
//! mechanisms' messages come from the `sasl` crate; it has no SCRAM-SHA-512, so [`Sha512`]
//! provides that hash to its SCRAM.

use hmac::{Hmac, Mac};
use kafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;
use sasl::client::Mechanism;
use sasl::client::mechanisms::{Plain, Scram};
use sasl::common::scram::{DeriveError, ScramProvider, Sha256};
use sasl::common::{ChannelBinding, Password};
use sha2::Digest;

use super::connection::{Connection, ConnectionError};
use crate::config::broker_security::{SaslCredentials, SaslMechanism};

/// Authenticates `connection` with `credentials`.
pub async fn authenticate(
    connection: &mut Connection,
    credentials: &SaslCredentials,
    timeout: std::time::Duration,
) -> Result<(), ConnectionError> {
    let name = credentials.mechanism.name();
    let refused = |connection: &Connection, message: String| ConnectionError::Authentication {
        broker: connection.broker().to_owned(),
        mechanism: name,
        message,
    };
    let handshake = connection
        .send(
            |_| SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(name)),
            timeout,
        )
        .await?;
    if handshake.error_code != 0 {
        let offered: Vec<&str> = handshake.mechanisms.iter().map(|m| m.as_str()).collect();
        return Err(refused(
            connection,
            format!("the broker does not enable it (it enables {})", offered.join(", ")),
        ));
    }
    let mut mechanism = mechanism(credentials).map_err(|e| refused(connection, e))?;
    // PLAIN is one message; SCRAM two (client-first, client-final), and the server's last
    // answer carries the signature that proves it knew the password too.
    let rounds = if credentials.mechanism == SaslMechanism::Plain {
        1
    } else {
        2
    };
    let mut message = mechanism.initial();
    for round in 1..=rounds {
        let answer = connection
            .send(
                |_| SaslAuthenticateRequest::default().with_auth_bytes(message.clone().into()),
                timeout,
            )
            .await?;
        if answer.error_code != 0 {
            let reason = answer.error_message.as_ref().map_or("", |m| m.as_str());
            return Err(refused(connection, format!("refused: {reason}")));
        }
        let step = if round < rounds {
            mechanism.response(&answer.auth_bytes).map(|next| message = next)
        } else {
            mechanism.success(&answer.auth_bytes)
        };
        step.map_err(|e| refused(connection, e.to_string()))?;
    }
    Ok(())
}

/// The client side of the mechanism.
fn mechanism(credentials: &SaslCredentials) -> Result<Box<dyn Mechanism + Send>, String> {
    let user = credentials.username.clone();
    let password = || Password::from(credentials.password.reveal());
    // Kafka's SCRAM has no channel binding: the client says so ("n,,").
    Ok(match credentials.mechanism {
        SaslMechanism::Plain => Box::new(Plain::new(user, credentials.password.reveal())),
        SaslMechanism::ScramSha256 => {
            Box::new(Scram::<Sha256>::new(user, password(), ChannelBinding::None).map_err(|e| format!("{e:?}"))?)
        }
        SaslMechanism::ScramSha512 => {
            Box::new(Scram::<Sha512>::new(user, password(), ChannelBinding::None).map_err(|e| format!("{e:?}"))?)
        }
    })
}

/// SHA-512 for SCRAM-SHA-512 (RFC 5802's H, HMAC and Hi).
pub struct Sha512;

impl ScramProvider for Sha512 {
    type Secret = sasl::secret::Plain;

    fn name() -> &'static str {
        "SHA-512"
    }

    fn hash(data: &[u8]) -> Vec<u8> {
        sha2::Sha512::digest(data).to_vec()
    }

    fn hmac(data: &[u8], key: &[u8]) -> Result<Vec<u8>, hmac::digest::InvalidLength> {
        let mut mac = Hmac::<sha2::Sha512>::new_from_slice(key)?;
        mac.update(data);
        Ok(mac.finalize().into_bytes().to_vec())
    }

    fn derive(password: &Password, salt: &[u8], iterations: u32) -> Result<Vec<u8>, DeriveError> {
        let Password::Plain(plain) = password else {
            return Err(DeriveError::IncompatibleHashingMethod(
                "a derived password".into(),
                Self::name().into(),
            ));
        };
        let mut derived = vec![0; 64];
        pbkdf2::pbkdf2::<Hmac<sha2::Sha512>>(plain.as_bytes(), salt, iterations, &mut derived)?;
        Ok(derived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hi (PBKDF2) of one iteration is HMAC(password, salt || INT(1)): the derivation uses
    /// SHA-512 throughout. That a broker accepts the proofs is tested against a real one.
    #[test]
    fn sha512_derives_as_pbkdf2_hmac_sha512() {
        let salt = [0x5b, 0x3a, 0x2f, 0x1e];
        let derived = Sha512::derive(&Password::from("pencil"), &salt, 1).expect("derive");
        // One iteration of PBKDF2 is HMAC(password, salt || INT(1)).
        let mut block = salt.to_vec();
        block.extend_from_slice(&1u32.to_be_bytes());
        assert_eq!(derived, Sha512::hmac(&block, b"pencil").expect("hmac"));
        assert_eq!(derived.len(), 64);
    }
}
