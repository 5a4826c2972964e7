//! Who may call the REST API (Weir's; Kafka Connect's API is open unless a REST extension
//! closes it): HTTP Basic against a credentials file of hashed passwords, and bearer tokens,
//! each with a role. A viewer may read; an admin may also change. Once a credentials file is
//! configured, everything but `GET /health` needs credentials, the console included.
//!
//! Requests between workers carry the user's `Authorization` when forwarded; the two internal
//! endpoints (task configs, fencing) are signed with the group's session key instead, and their
//! handlers check the signature, as Kafka Connect's basic-auth extension leaves them to.
//!
//! Passwords are stored as Argon2id PHC strings (`weir hash-password` makes one) and tokens as
//! SHA-256 digests (`weir new-token`); a request's credentials, once verified, are remembered by
//! their digest so that Argon2 runs once per client, not once per request. No secret is logged
//! or answered.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AppState, RestError};
use crate::group::SIGNATURE_HEADER;
use crate::sync::lock;

/// How many verified credentials are remembered; past that the memory starts over.
const REMEMBERED: usize = 1024;

/// What a caller may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read: `GET` and `HEAD`.
    Viewer,
    /// Everything.
    Admin,
}

/// Why a credentials file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// It could not be read.
    #[error("cannot read the credentials file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// It is not what it should be; each entry names what is wrong.
    #[error("the credentials file {path} is invalid: {}", .errors.join("; "))]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        errors: Vec<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    users: Vec<UserEntry>,
    #[serde(default)]
    tokens: Vec<TokenEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    name: String,
    role: Role,
    password_hash: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    name: String,
    role: Role,
    token_sha256: String,
}

/// Who made a request.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Principal {
    name: String,
    role: Role,
}

/// The users and tokens allowed in, and the credentials verified so far.
pub struct Credentials {
    users: HashMap<String, (Role, String)>,
    tokens: Vec<(String, Role, [u8; 32])>,
    verified: Mutex<HashMap<[u8; 32], Principal>>,
}

impl Credentials {
    /// Reads a credentials file:
    /// `users: [{name, role, password_hash}]`, `tokens: [{name, role, token_sha256}]`.
    pub fn load(path: &Path) -> Result<Self, CredentialsError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: shown.clone(),
            source,
        })?;
        let invalid = |errors| CredentialsError::Invalid {
            path: shown.clone(),
            errors,
        };
        let file: File = serde_yaml::from_str(&text).map_err(|e| invalid(vec![e.to_string()]))?;
        let mut errors = Vec::new();
        let mut users = HashMap::new();
        for user in file.users {
            if PasswordHash::new(&user.password_hash).is_err() {
                errors.push(format!(
                    "user {}: password_hash is not a PHC string (make one with weir hash-password)",
                    user.name
                ));
            } else if users
                .insert(user.name.clone(), (user.role, user.password_hash))
                .is_some()
            {
                errors.push(format!("user {} is listed twice", user.name));
            }
        }
        let mut tokens = Vec::new();
        for token in file.tokens {
            let digest = hex_digest(&token.token_sha256);
            match digest {
                Some(digest) => tokens.push((token.name, token.role, digest)),
                None => errors.push(format!("token {}: token_sha256 is not 64 hex digits", token.name)),
            }
        }
        if users.is_empty() && tokens.is_empty() {
            errors.push("no user and no token: nobody could call the API".into());
        }
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        Ok(Credentials {
            users,
            tokens,
            verified: Mutex::default(),
        })
    }

    /// Who an `Authorization` header says the caller is, if its credentials hold.
    fn authenticate(&self, header: &HeaderValue) -> Option<Principal> {
        let digest: [u8; 32] = Sha256::digest(header.as_bytes()).into();
        if let Some(principal) = lock(&self.verified).get(&digest) {
            return Some(principal.clone());
        }
        let text = header.to_str().ok()?;
        let (scheme, value) = text.split_once(' ')?;
        let principal = if scheme.eq_ignore_ascii_case("basic") {
            let decoded = BASE64.decode(value.trim()).ok()?;
            let decoded = String::from_utf8(decoded).ok()?;
            let (name, password) = decoded.split_once(':')?;
            let (role, hash) = self.users.get(name)?;
            let hash = PasswordHash::new(hash).ok()?;
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .ok()?;
            Principal {
                name: name.to_owned(),
                role: *role,
            }
        } else if scheme.eq_ignore_ascii_case("bearer") {
            let presented: [u8; 32] = Sha256::digest(value.trim().as_bytes()).into();
            let (name, role, _) = self
                .tokens
                .iter()
                .find(|(_, _, digest)| bool::from(digest.ct_eq(&presented)))?;
            Principal {
                name: format!("token {name}"),
                role: *role,
            }
        } else {
            return None;
        };
        let mut verified = lock(&self.verified);
        if verified.len() >= REMEMBERED {
            verified.clear();
        }
        verified.insert(digest, principal.clone());
        Some(principal)
    }
}

/// 64 hex digits as bytes.
fn hex_digest(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Whether a request needs no credentials: the health check, and the internal requests that
/// carry the session key's signature (their handlers verify it).
fn exempt(request: &Request) -> bool {
    let path = request.uri().path();
    let method = request.method();
    if method == Method::GET && path == "/health" {
        return true;
    }
    let internal = (method == Method::POST && path.starts_with("/connectors/") && path.ends_with("/tasks"))
        || (method == Method::PUT && path.starts_with("/connectors/") && path.ends_with("/fence"));
    internal && request.headers().contains_key(SIGNATURE_HEADER)
}

/// The middleware: lets a request through if its credentials allow it, else answers 401
/// (none or wrong) or 403 (a viewer asking to change something).
pub async fn require(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(credentials) = state.credentials.as_deref() else {
        return next.run(request).await;
    };
    if exempt(&request) {
        return next.run(request).await;
    }
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let principal = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|header| credentials.authenticate(header));
    match principal {
        None => {
            tracing::warn!(%method, %path, "REST request refused: no valid credentials");
            let mut response = RestError::new(
                StatusCode::UNAUTHORIZED,
                "Credentials are required: HTTP Basic or a bearer token",
            )
            .into_response();
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Weir\", charset=\"UTF-8\""),
            );
            response
        }
        Some(principal) if principal.role == Role::Viewer && method != Method::GET && method != Method::HEAD => {
            tracing::warn!(user = %principal.name, %method, %path, "REST request refused: a viewer may only read");
            RestError::new(
                StatusCode::FORBIDDEN,
                format!("{} may only read: {method} {path} needs the admin role", principal.name),
            )
            .into_response()
        }
        Some(_) => next.run(request).await,
    }
}

/// An Argon2id PHC string of `password`, for a credentials file.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// A new random bearer token and its SHA-256 digest (hex), for a credentials file.
pub fn new_token() -> Result<(String, String), String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let digest = Sha256::digest(token.as_bytes());
    let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok((token, hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> (Credentials, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let (token, digest) = new_token().expect("token");
        let file = dir.path().join("credentials.yaml");
        std::fs::write(
            &file,
            format!(
                "users:\n  - name: alice\n    role: admin\n    password_hash: \"{}\"\ntokens:\n  - name: ci\n    role: viewer\n    token_sha256: {digest}\n",
                hash_password("wonderland").expect("hash")
            ),
        )
        .expect("write");
        (Credentials::load(&file).expect("credentials"), token)
    }

    fn header(text: &str) -> HeaderValue {
        HeaderValue::from_str(text).expect("header")
    }

    #[test]
    fn basic_and_bearer_credentials_are_checked_and_remembered() {
        let (credentials, token) = credentials();
        let alice = header(&format!("Basic {}", BASE64.encode("alice:wonderland")));
        let admin = credentials.authenticate(&alice).expect("alice");
        assert_eq!((admin.name.as_str(), admin.role), ("alice", Role::Admin));
        assert_eq!(credentials.authenticate(&alice), Some(admin), "remembered");
        assert_eq!(lock(&credentials.verified).len(), 1);
        assert!(
            credentials
                .authenticate(&header(&format!("Basic {}", BASE64.encode("alice:queen"))))
                .is_none()
        );
        assert!(
            credentials
                .authenticate(&header(&format!("Basic {}", BASE64.encode("mallory:x"))))
                .is_none()
        );
        let viewer = credentials
            .authenticate(&header(&format!("Bearer {token}")))
            .expect("token");
        assert_eq!(viewer.role, Role::Viewer);
        assert!(credentials.authenticate(&header("Bearer not-the-token")).is_none());
        assert!(credentials.authenticate(&header("Digest x")).is_none());
    }

    #[test]
    fn a_file_without_anyone_or_with_a_clear_password_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("credentials.yaml");
        std::fs::write(
            &file,
            "users:\n  - name: bob\n    role: viewer\n    password_hash: hunter2\n",
        )
        .expect("write");
        let error = Credentials::load(&file).err().expect("refused").to_string();
        assert!(
            error.contains("not a PHC string") && !error.contains("hunter2"),
            "{error}"
        );
        std::fs::write(&file, "users: []\n").expect("write");
        assert!(Credentials::load(&file).is_err());
    }
}
