//! Token signing keys: made on first start, rotated without downtime.
//!
//! Rotation publishes a new key at once but lets it sign only after a lead time
//! (default 24 h), so every edge has synced it before the first token it signed
//! reaches a lane. Older keys are then `retired`: they still verify, never sign.
//! Keys are cached and reloaded every minute, so replicas agree soon after a rotation.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::SigningKey;
use gasq_shared::keys::{KeyStatus, TokenKey, TokenKeys};
use gasq_shared::token::{KeySet, TokenClaims};
use tokio::sync::RwLock;

use crate::crypto::Crypto;
use crate::domain::AuditEntry;
use crate::store::{SigningKeyRecord, Store, StoreError};

const RELOAD_EVERY: StdDuration = StdDuration::from_secs(60);

struct LoadedKey {
    kid: u8,
    key: SigningKey,
    signing_from: DateTime<Utc>,
}

struct Cache {
    keys: Vec<LoadedKey>,
    loaded_at: Instant,
}

/// Signs tokens and publishes verification keys.
pub struct TokenSigner {
    store: Arc<dyn Store>,
    crypto: Crypto,
    cache: RwLock<Option<Cache>>,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner")
    }
}

/// Why a token could not be signed or a key made.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing key {0} does not decrypt with this master key")]
    Unwrap(u8),
    #[error("no signing key is active yet")]
    NoActiveKey,
    #[error("all 255 key ids are used")]
    KidsExhausted,
    #[error("token: {0}")]
    Token(#[from] gasq_shared::token::TokenError),
}

impl TokenSigner {
    pub fn new(store: Arc<dyn Store>, crypto: Crypto) -> Self {
        Self {
            store,
            crypto,
            cache: RwLock::new(None),
        }
    }

    /// Makes the first key if there is none (safe when replicas start together).
    pub async fn ensure_key(&self) -> Result<(), SigningError> {
        if self.store.signing_keys().await?.is_empty() {
            match self.create_key(1, Utc::now(), None).await {
                Ok(()) | Err(SigningError::Store(StoreError::Conflict(_))) => {}
                Err(e) => return Err(e),
            }
        }
        self.reload().await
    }

    /// Publishes a new key that starts signing after `lead`. Returns its kid.
    pub async fn rotate(
        &self,
        lead: Duration,
        actor: Option<AuditEntry>,
    ) -> Result<u8, SigningError> {
        let existing = self.store.signing_keys().await?;
        let next = existing.iter().map(|k| k.kid).max().unwrap_or(0);
        let kid = next.checked_add(1).ok_or(SigningError::KidsExhausted)?;
        self.create_key(kid, Utc::now() + lead, actor).await?;
        self.reload().await?;
        Ok(kid)
    }

    async fn create_key(
        &self,
        kid: u8,
        signing_from: DateTime<Utc>,
        actor: Option<AuditEntry>,
    ) -> Result<(), SigningError> {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let record = SigningKeyRecord {
            kid,
            public_key: key.verifying_key().to_bytes(),
            private_key_enc: self.crypto.wrap_key(key.as_bytes()),
            created_at: Utc::now(),
            signing_from,
        };
        let mut audit = actor.unwrap_or_default();
        audit.action = "token_key.create".into();
        audit.target = format!("token_key:{kid}");
        audit.detail = serde_json::json!({ "signing_from": signing_from });
        self.store.insert_signing_key(record, audit).await?;
        Ok(())
    }

    async fn reload(&self) -> Result<(), SigningError> {
        let records = self.store.signing_keys().await?;
        // A kid never changes its key: only kids new to this process are unwrapped
        // (the published set reloads on every request, so this stays one query).
        let known: Vec<(u8, SigningKey)> = match &*self.cache.read().await {
            Some(c) => c.keys.iter().map(|k| (k.kid, k.key.clone())).collect(),
            None => Vec::new(),
        };
        let mut keys = Vec::new();
        for r in records {
            let cached = known
                .iter()
                .find(|(kid, key)| *kid == r.kid && key.verifying_key().to_bytes() == r.public_key)
                .map(|(_, key)| key.clone());
            let key = match cached {
                Some(key) => key,
                None => {
                    let raw = self
                        .crypto
                        .unwrap_key(&r.private_key_enc)
                        .map_err(|_| SigningError::Unwrap(r.kid))?;
                    let bytes: [u8; 32] = raw
                        .as_slice()
                        .try_into()
                        .map_err(|_| SigningError::Unwrap(r.kid))?;
                    SigningKey::from_bytes(&bytes)
                }
            };
            keys.push(LoadedKey {
                kid: r.kid,
                key,
                signing_from: r.signing_from,
            });
        }
        keys.sort_by_key(|k| k.signing_from);
        *self.cache.write().await = Some(Cache {
            keys,
            loaded_at: Instant::now(),
        });
        Ok(())
    }

    async fn fresh(&self) -> Result<tokio::sync::RwLockReadGuard<'_, Option<Cache>>, SigningError> {
        let stale = match &*self.cache.read().await {
            Some(c) => c.loaded_at.elapsed() > RELOAD_EVERY,
            None => true,
        };
        if stale {
            self.reload().await?;
        }
        Ok(self.cache.read().await)
    }

    /// Signs claims with the key that signs now (the claims' `kid` is set here).
    pub async fn sign(&self, mut claims: TokenClaims) -> Result<String, SigningError> {
        let now = Utc::now();
        let guard = self.fresh().await?;
        let cache = guard.as_ref().ok_or(SigningError::NoActiveKey)?;
        let signer = cache
            .keys
            .iter()
            .rev()
            .find(|k| k.signing_from <= now)
            .ok_or(SigningError::NoActiveKey)?;
        claims.kid = signer.kid;
        Ok(claims.sign(&signer.key)?)
    }

    /// The key set straight from the store, for edges and `GET /api/v1/token-keys`: a
    /// rotation made by another process (`gasq-cloud keys rotate`, another replica)
    /// is published at once, never as the old set (the cache may be a minute old).
    pub async fn published_now(&self) -> Result<TokenKeys, SigningError> {
        self.reload().await?;
        self.published().await
    }

    /// The key set as published, from the cache (at most a minute old).
    pub async fn published(&self) -> Result<TokenKeys, SigningError> {
        let now = Utc::now();
        let guard = self.fresh().await?;
        let Some(cache) = guard.as_ref() else {
            return Ok(TokenKeys::default());
        };
        let signer = cache
            .keys
            .iter()
            .rev()
            .find(|k| k.signing_from <= now)
            .map(|k| k.kid);
        let signer_from = cache
            .keys
            .iter()
            .find(|k| Some(k.kid) == signer)
            .map(|k| k.signing_from);
        let mut keys: Vec<TokenKey> = cache
            .keys
            .iter()
            .map(|k| {
                let retired = signer_from.is_some_and(|from| k.signing_from < from);
                let status = if retired {
                    KeyStatus::Retired
                } else {
                    KeyStatus::Active
                };
                TokenKey::new(k.kid, &k.key.verifying_key(), status, Some(k.kid) == signer)
            })
            .collect();
        keys.sort_by_key(|k| k.kid);
        Ok(TokenKeys { keys })
    }

    /// Every published key, for verifying tokens in the cloud.
    pub async fn key_set(&self) -> Result<KeySet, SigningError> {
        let guard = self.fresh().await?;
        let mut set = KeySet::new();
        if let Some(cache) = guard.as_ref() {
            for k in &cache.keys {
                set.insert(k.kid, k.key.verifying_key());
            }
        }
        Ok(set)
    }
}
