//! The attendant credential: a station-local secret issued at enrollment, of which the
//! box keeps only an argon2id hash ([`hash_secret`]); [`AttendantAuth`] checks the
//! secrets the attendant API is sent (as `Authorization: Bearer …`).
//!
//! argon2 is slow on purpose (tens of ms), so it runs off the async workers, and once a
//! secret has verified, its SHA-256 is remembered and later requests are compared
//! against that in constant time.
//!
//! Guessing is throttled per client address ([`Lockouts`]): after a few wrong secrets an
//! address must wait before its next attempt is even checked, the wait doubling with
//! each further attempt (checked or not). Only that address waits: an attendant's tablet elsewhere on the
//! LAN signs in with the right secret at once, however long a phone keeps guessing.

use std::collections::HashMap;
use std::net::IpAddr;
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

/// Wrong secrets an address may send; after the last of them it has to wait.
const FREE_FAILURES: u32 = 5;
/// The first wait; each further failure doubles it, up to [`MAX_WAIT`].
const FIRST_WAIT: Duration = Duration::from_secs(1);
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// An address that has not failed for this long starts afresh.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Addresses remembered at most (the oldest failures are forgotten first).
const MAX_ADDRESSES: usize = 4096;

/// The outcome of presenting a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Ok,
    Wrong,
    /// Too many wrong secrets from this address lately: not even checked. The address
    /// may try again after this long (longer if it knocks meanwhile).
    Throttled(Duration),
}

/// One address's failures.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    /// No attempt from this address is checked before this.
    locked_until: Instant,
}

/// Failed attempts per client address, with growing waits (see the module docs).
#[derive(Debug, Default)]
pub struct Lockouts(HashMap<IpAddr, Failures>);

impl Lockouts {
    /// Whether `addr` must wait at `now`.
    pub fn locked(&self, addr: IpAddr, now: Instant) -> bool {
        self.0.get(&addr).is_some_and(|f| now < f.locked_until)
    }

    /// `addr` sent a wrong secret at `now`.
    pub fn failed(&mut self, addr: IpAddr, now: Instant) {
        self.0
            .retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
        if self.0.len() >= MAX_ADDRESSES && !self.0.contains_key(&addr) {
            let oldest = self.0.iter().min_by_key(|(_, f)| f.last).map(|(a, _)| *a);
            oldest.map(|a| self.0.remove(&a));
        }
        let entry = self.0.entry(addr).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: now,
        });
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        if let Some(over) = entry.count.checked_sub(FREE_FAILURES) {
            let wait = FIRST_WAIT
                .saturating_mul(1u32 << over.min(20))
                .min(MAX_WAIT);
            entry.locked_until = now + wait;
        }
    }

    /// How long `addr` must still wait at `now`.
    pub fn wait_left(&self, addr: IpAddr, now: Instant) -> Duration {
        self.0.get(&addr).map_or(Duration::ZERO, |f| {
            f.locked_until.saturating_duration_since(now)
        })
    }

    /// `addr` signed in: its failures are forgotten.
    pub fn succeeded(&mut self, addr: IpAddr) {
        self.0.remove(&addr);
    }
}

/// Checks presented secrets against the stored hash.
#[derive(Debug)]
pub struct AttendantAuth {
    hash: String,
    verified: Mutex<Option<[u8; 32]>>,
    lockouts: Mutex<Lockouts>,
}

impl AttendantAuth {
    pub fn new(hash: String) -> Self {
        Self {
            hash,
            verified: Mutex::new(None),
            lockouts: Mutex::new(Lockouts::default()),
        }
    }

    /// How long `from` must still wait, if it is locked out. Knocking while locked out
    /// counts as a failure: an address that keeps at it waits longer and longer, and
    /// never gets a guess checked.
    fn knock(&self, from: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut lockouts = self.lockouts();
        if !lockouts.locked(from, now) {
            return None;
        }
        lockouts.failed(from, now);
        Some(lockouts.wait_left(from, now))
    }

    fn lockouts(&self) -> std::sync::MutexGuard<'_, Lockouts> {
        self.lockouts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `candidate`, sent from `from`, is the attendant secret.
    pub async fn check(self: &Arc<Self>, candidate: &str, from: IpAddr) -> Check {
        if let Some(wait) = self.knock(from) {
            return Check::Throttled(wait);
        }
        let digest: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        let known = *self.verified.lock().unwrap_or_else(|p| p.into_inner());
        let ok = match known {
            Some(known) => bool::from(known.ct_eq(&digest)),
            None => false,
        };
        if ok || self.verify(candidate).await {
            *self.verified.lock().unwrap_or_else(|p| p.into_inner()) = Some(digest);
            self.lockouts().succeeded(from);
            Check::Ok
        } else {
            self.lockouts().failed(from, Instant::now());
            Check::Wrong
        }
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

    const PHONE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 66));
    const TABLET: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 7));

    #[tokio::test]
    async fn the_right_secret_passes_and_a_wrong_one_does_not() {
        let auth = Arc::new(AttendantAuth::new(hash_secret("s3cret").unwrap()));
        assert_eq!(auth.check("guess", TABLET).await, Check::Wrong);
        assert_eq!(auth.check("s3cret", TABLET).await, Check::Ok);
        assert_eq!(
            auth.check("s3cret", TABLET).await,
            Check::Ok,
            "again, from the cache"
        );
        assert_eq!(auth.check("s3cret ", TABLET).await, Check::Wrong);
    }

    #[tokio::test]
    async fn a_guessing_address_is_blocked_alone() {
        let auth = Arc::new(AttendantAuth::new(hash_secret("s3cret").unwrap()));
        for i in 0..FREE_FAILURES {
            assert_eq!(auth.check(&format!("guess{i}"), PHONE).await, Check::Wrong);
        }
        assert!(matches!(
            auth.check("one more guess", PHONE).await,
            Check::Throttled(_)
        ));
        assert!(matches!(
            auth.check("s3cret", PHONE).await,
            Check::Throttled(_)
        ));
        // Never verified before, from another device: checked, and right.
        assert_eq!(auth.check("s3cret", TABLET).await, Check::Ok);
    }

    #[test]
    fn waits_grow_with_each_failure_and_end() {
        let mut lockouts = Lockouts::default();
        let t0 = Instant::now();
        for _ in 1..FREE_FAILURES {
            lockouts.failed(PHONE, t0);
        }
        assert!(
            !lockouts.locked(PHONE, t0),
            "the first failures do not lock"
        );
        lockouts.failed(PHONE, t0);
        assert!(lockouts.locked(PHONE, t0 + Duration::from_millis(999)));
        assert!(!lockouts.locked(PHONE, t0 + Duration::from_secs(1)));
        lockouts.failed(PHONE, t0 + Duration::from_secs(1));
        assert!(lockouts.locked(PHONE, t0 + Duration::from_millis(2999)));
        assert!(!lockouts.locked(PHONE, t0 + Duration::from_secs(3)));
        assert!(!lockouts.locked(TABLET, t0));
        lockouts.succeeded(PHONE);
        assert!(!lockouts.locked(PHONE, t0));
    }
}
