//! Token signing keys. Publishing a key tells every station's edges (through their
//! change logs) before the key signs anything.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::StationId;

use super::changes::{self, ChangeKind};
use super::db::query;
use super::{SqlStore, StoreError, StoreResult, audit};
use crate::domain::AuditEntry;

/// A token signing key as stored.
#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    pub kid: u8,
    pub public_key: [u8; 32],
    pub private_key_enc: Vec<u8>,
    pub created_at: DateTime<Utc>,
    /// The key signs from this moment (until a newer key starts signing).
    pub signing_from: DateTime<Utc>,
}

/// Token signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Fails with `Conflict` if the kid exists (another replica made it first).
    async fn insert_signing_key(&self, key: SigningKeyRecord, audit: AuditEntry)
    -> StoreResult<()>;
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows: Vec<KeyRow> = self
            .db
            .fetch_all(query("SELECT * FROM signing_keys ORDER BY kid"))
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn insert_signing_key(&self, k: SigningKeyRecord, entry: AuditEntry) -> StoreResult<()> {
        let mut tx = self.db.begin().await?;
        tx.execute(
            query(
                "INSERT INTO signing_keys (kid, public_key, private_key_enc, created_at, signing_from) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(i32::from(k.kid))
            .bind(k.public_key.as_slice())
            .bind(k.private_key_enc)
            .bind(k.created_at)
            .bind(k.signing_from),
        )
        .await
        .map_err(|e| e.conflict_if_taken("this key id exists already"))?;
        // Every station's edges must learn the new key before it signs.
        let stations: Vec<(i64,)> = tx
            .fetch_all(query("SELECT id FROM stations ORDER BY id"))
            .await?;
        for (id,) in stations {
            let station = StationId::try_from(id).map_err(StoreError::corrupt)?;
            changes::log(&mut tx, station, ChangeKind::Keys).await?;
        }
        audit::append(&mut tx, &entry).await?;
        tx.commit().await
    }
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: i32,
    public_key: Vec<u8>,
    private_key_enc: Vec<u8>,
    created_at: DateTime<Utc>,
    signing_from: DateTime<Utc>,
}

impl TryFrom<KeyRow> for SigningKeyRecord {
    type Error = StoreError;
    fn try_from(r: KeyRow) -> Result<Self, StoreError> {
        Ok(SigningKeyRecord {
            kid: u8::try_from(r.kid).map_err(|_| StoreError::corrupt("kid"))?,
            public_key: r
                .public_key
                .try_into()
                .map_err(|_| StoreError::corrupt("public key length"))?,
            private_key_enc: r.private_key_enc,
            created_at: r.created_at,
            signing_from: r.signing_from,
        })
    }
}
