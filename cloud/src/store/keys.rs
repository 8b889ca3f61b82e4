//! Token signing keys.

use async_trait::async_trait;

use super::audit::append_audit;
use super::changes::log_change;
use super::rows::KeyRow;
use super::sql::{conflict_or, in_tx, on_pool};
use super::{KeyStore, SigningKeyRecord, SqlStore, StoreResult};
use crate::domain::AuditEntry;

#[async_trait]
impl KeyStore for SqlStore {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows: Vec<KeyRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM signing_keys ORDER BY kid")
                .fetch_all(p)
                .await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn insert_signing_key(&self, k: SigningKeyRecord, audit: AuditEntry) -> StoreResult<()> {
        in_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO signing_keys (kid, public_key, private_key_enc, created_at, signing_from) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(i32::from(k.kid))
            .bind(k.public_key.as_slice())
            .bind(&k.private_key_enc)
            .bind(k.created_at)
            .bind(k.signing_from)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_or(e, "this key id exists already"))?;
            // Every station's edges must learn the new key before it signs.
            let stations: Vec<i64> = sqlx::query_scalar("SELECT id FROM stations ORDER BY id")
                .fetch_all(&mut *tx)
                .await?;
            for station in stations {
                log_change!(tx, station, "keys", None::<uuid::Uuid>);
            }
            append_audit!(tx, audit);
        });
        Ok(())
    }
}
