//! The session key workers sign their requests to each other with (Kafka Connect's
//! `SessionKey` and `InternalRequestSignature`): the leader generates it and keeps it on the
//! config topic as `session-key`; a worker sends the HMAC of a request body under it, and the
//! receiver computes the same and compares.

use hmac::{Hmac, Mac};
use sha2::{Sha224, Sha256, Sha384, Sha512};

/// An HMAC algorithm, by its Java name (`inter.worker.*.algorithm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacAlgorithm {
    /// `HmacSHA224`.
    HmacSha224,
    /// `HmacSHA256`, Kafka Connect's default.
    HmacSha256,
    /// `HmacSHA384`.
    HmacSha384,
    /// `HmacSHA512`.
    HmacSha512,
}

impl MacAlgorithm {
    /// Every algorithm, in the order they are listed to users.
    pub const ALL: [MacAlgorithm; 4] = [
        MacAlgorithm::HmacSha256,
        MacAlgorithm::HmacSha224,
        MacAlgorithm::HmacSha384,
        MacAlgorithm::HmacSha512,
    ];

    /// The Java name, as the config and the `X-Connect-Request-Signature-Algorithm` header
    /// spell it.
    pub fn name(self) -> &'static str {
        match self {
            MacAlgorithm::HmacSha224 => "HmacSHA224",
            MacAlgorithm::HmacSha256 => "HmacSHA256",
            MacAlgorithm::HmacSha384 => "HmacSHA384",
            MacAlgorithm::HmacSha512 => "HmacSHA512",
        }
    }

    /// The algorithm of a Java name.
    pub fn parse(name: &str) -> Option<Self> {
        MacAlgorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The key size Java's `KeyGenerator` picks for it, in bits.
    pub fn default_key_bits(self) -> usize {
        match self {
            MacAlgorithm::HmacSha224 => 224,
            MacAlgorithm::HmacSha256 => 256,
            MacAlgorithm::HmacSha384 => 384,
            MacAlgorithm::HmacSha512 => 512,
        }
    }

    /// The MAC of `message` under `key`.
    fn mac(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        fn compute<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).expect("an HMAC takes a key of any length");
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            MacAlgorithm::HmacSha224 => compute::<Hmac<Sha224>>(key, message),
            MacAlgorithm::HmacSha256 => compute::<Hmac<Sha256>>(key, message),
            MacAlgorithm::HmacSha384 => compute::<Hmac<Sha384>>(key, message),
            MacAlgorithm::HmacSha512 => compute::<Hmac<Sha512>>(key, message),
        }
    }
}

/// The group's current session key. Its `Debug` hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    /// The key's bytes.
    pub key: Vec<u8>,
    /// The algorithm it was generated for, by its Java name.
    pub algorithm: String,
    /// When the leader generated it, in milliseconds since the epoch.
    pub created_ms: i64,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKey")
            .field("key", &"[hidden]")
            .field("algorithm", &self.algorithm)
            .field("created_ms", &self.created_ms)
            .finish()
    }
}

impl SessionKey {
    /// A fresh random key of `bits` bits for `algorithm`, created at `now_ms`.
    pub fn generate(algorithm: MacAlgorithm, bits: usize, now_ms: i64) -> Result<Self, getrandom::Error> {
        let mut key = vec![0; bits.div_ceil(8)];
        getrandom::fill(&mut key)?;
        Ok(SessionKey {
            key,
            algorithm: algorithm.name().to_owned(),
            created_ms: now_ms,
        })
    }

    /// The signature of a request `body` with `algorithm`.
    pub fn sign(&self, algorithm: MacAlgorithm, body: &[u8]) -> Vec<u8> {
        algorithm.mac(&self.key, body)
    }

    /// Whether `signature` is the signature of `body` with `algorithm`, compared in constant time.
    pub fn verify(&self, algorithm: MacAlgorithm, body: &[u8], signature: &[u8]) -> bool {
        let expected = self.sign(algorithm, body);
        expected.len() == signature.len()
            && expected.iter().zip(signature).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_javas_hmac() {
        // javax.crypto.Mac "HmacSHA256" with key "key" over the pangram (RFC 4231 style vector).
        let key = SessionKey {
            key: b"key".to_vec(),
            algorithm: "HmacSHA256".into(),
            created_ms: 0,
        };
        let body = b"The quick brown fox jumps over the lazy dog";
        let signature = key.sign(MacAlgorithm::HmacSha256, body);
        let hex: String = signature.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
        assert!(key.verify(MacAlgorithm::HmacSha256, body, &signature));
        assert!(!key.verify(MacAlgorithm::HmacSha256, b"another body", &signature));
        assert!(!key.verify(MacAlgorithm::HmacSha512, body, &signature));
    }

    #[test]
    fn keys_are_random_of_the_size_asked_and_hidden_from_debug() {
        let a = SessionKey::generate(MacAlgorithm::HmacSha256, 256, 1).unwrap();
        let b = SessionKey::generate(MacAlgorithm::HmacSha256, 256, 1).unwrap();
        assert_eq!(a.key.len(), 32);
        assert_ne!(a.key, b.key);
        assert!(!format!("{a:?}").contains(&format!("{:?}", a.key)));
    }

    #[test]
    fn names_round_trip() {
        for algorithm in MacAlgorithm::ALL {
            assert_eq!(MacAlgorithm::parse(algorithm.name()), Some(algorithm));
        }
        assert_eq!(MacAlgorithm::parse("HmacMD5"), None);
    }
}
