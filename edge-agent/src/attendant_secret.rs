//! The attendant credential: a station-local secret issued at enrollment, of which the
//! box keeps only an argon2id hash ([`hash_secret`]); [`AttendantAuth`] checks the
//! secrets the attendant API is sent (as `Authorization: Bearer …`).
//!
//! argon2 is slow on purpose (tens of ms), so it runs off the async workers, and once a
//! secret has verified, its SHA-256 is remembered and later requests are compared
//! against that in constant time. Guessing is throttled: after `MAX_FAILURES` wrong
//! secrets within `FAILURE_WINDOW`, unknown secrets are refused without even hashing
//! them until the window has passed (attendants already signed in are not affected).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Hashes a secret for storage (argon2id, random salt, PHC string).
pub fn hash_secret(secret: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Wrong secrets tolerated per window before guessing is throttled.
const MAX_FAILURES: u32 = 10;
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// The outcome of presenting a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Ok,
    Wrong,
    /// Too many wrong secrets lately: not even checked.
    Throttled,
}

/// Checks presented secrets against the stored hash.
#[derive(Debug)]
pub struct AttendantAuth {
    hash: String,
    verified: Mutex<Option<[u8; 32]>>,
    /// Start of the current failure window and the failures in it.
    failures: Mutex<(Instant, u32)>,
}

impl AttendantAuth {
    pub fn new(hash: String) -> Self {
        Self {
            hash,
            verified: Mutex::new(None),
            failures: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Whether `candidate` is the attendant secret.
    pub async fn check(self: &Arc<Self>, candidate: &str) -> Check {
        let digest: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        let known = *self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = known
            && bool::from(known.ct_eq(&digest))
        {
            return Check::Ok;
        }
        if self.throttled() {
            return Check::Throttled;
        }
        if self.verify(candidate).await {
            *self.verified.lock().unwrap_or_else(|p| p.into_inner()) = Some(digest);
            Check::Ok
        } else {
            self.failed();
            Check::Wrong
        }
    }

    fn throttled(&self) -> bool {
        let (since, count) = *self.failures.lock().unwrap_or_else(|p| p.into_inner());
        count >= MAX_FAILURES && since.elapsed() < FAILURE_WINDOW
    }

    fn failed(&self) {
        let mut window = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if window.0.elapsed() >= FAILURE_WINDOW {
            *window = (Instant::now(), 0);
        }
        window.1 += 1;
    }

    /// The argon2 comparison, off the async workers.
    async fn verify(self: &Arc<Self>, candidate: &str) -> bool {
        let this = self.clone();
        let candidate = candidate.to_owned();
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&this.hash)
                .map(|hash| {
                    Argon2::default()
                        .verify_password(candidate.as_bytes(), &hash)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_right_secret_passes_and_a_wrong_one_does_not() {
        let auth = Arc::new(AttendantAuth::new(hash_secret("s3cret").unwrap()));
        assert_eq!(auth.check("guess").await, Check::Wrong);
        assert_eq!(auth.check("s3cret").await, Check::Ok);
        assert_eq!(
            auth.check("s3cret").await,
            Check::Ok,
            "again, from the cache"
        );
        assert_eq!(auth.check("s3cret ").await, Check::Wrong);
    }

    #[tokio::test]
    async fn guessing_is_throttled_but_a_known_attendant_keeps_working() {
        let auth = Arc::new(AttendantAuth::new(hash_secret("s3cret").unwrap()));
        assert_eq!(auth.check("s3cret").await, Check::Ok);
        for i in 0..MAX_FAILURES {
            assert_eq!(auth.check(&format!("guess{i}")).await, Check::Wrong);
        }
        assert_eq!(auth.check("one more guess").await, Check::Throttled);
        assert_eq!(auth.check("s3cret").await, Check::Ok);
    }
}
