//! The attendant credential: a station-local secret issued at enrollment, of which the
//! box keeps only an argon2id hash. Requests send it as `Authorization: Bearer …`.
//!
//! argon2 is slow on purpose (tens of ms), so it runs off the async workers, and once a
//! secret has verified, its SHA-256 is remembered and later requests are compared
//! against that in constant time.

use std::sync::{Arc, Mutex};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use crate::agent::AgentState;

/// Hashes a secret for storage (argon2id, random salt, PHC string).
pub fn hash_secret(secret: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks presented secrets against the stored hash.
#[derive(Debug)]
pub struct AttendantAuth {
    hash: String,
    verified: Mutex<Option<[u8; 32]>>,
}

impl AttendantAuth {
    pub fn new(hash: String) -> Self {
        Self {
            hash,
            verified: Mutex::new(None),
        }
    }

    /// Whether `candidate` is the attendant secret.
    pub async fn check(self: &Arc<Self>, candidate: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        let known = *self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = known
            && bool::from(known.ct_eq(&digest))
        {
            return true;
        }
        let this = self.clone();
        let candidate = candidate.to_owned();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&this.hash)
                .map(|hash| {
                    Argon2::default()
                        .verify_password(candidate.as_bytes(), &hash)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        if ok {
            *self.verified.lock().unwrap_or_else(|p| p.into_inner()) = Some(digest);
        }
        ok
    }
}

/// Extractor: the request carries the attendant secret.
#[derive(Debug, Clone, Copy)]
pub struct Attendant;

impl FromRequestParts<Arc<AgentState>> for Attendant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AgentState>,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        if state.attendant.check(presented).await {
            Ok(Attendant)
        } else {
            tracing::warn!("attendant API: wrong secret presented");
            Err(ApiError::Unauthorized)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_right_secret_passes_and_a_wrong_one_does_not() {
        let auth = Arc::new(AttendantAuth::new(hash_secret("s3cret").unwrap()));
        assert!(!auth.check("guess").await);
        assert!(auth.check("s3cret").await);
        assert!(auth.check("s3cret").await, "again, from the cache");
        assert!(!auth.check("s3cret ").await);
    }
}
