//! The audit log in the database. [`append_audit!`] inserts inside the caller's
//! transaction, so a state change and its audit entry commit together or not at all.
//! It takes no lock: the sealer (`seal.rs`) links committed entries into the hash chain
//! soon after, off the request path.

use async_trait::async_trait;

use super::rows::AuditRow;
use super::sql::{in_tx, on_pool};
use super::{AuditFilter, AuditRecord, AuditStore, SqlStore, StoreResult};
use crate::domain::AuditEntry;

/// Appends `$entry` (an `AuditEntry`) to the log inside transaction `$tx`, unsealed.
macro_rules! append_audit {
    ($tx:ident, $entry:expr) => {{
        let entry: &$crate::domain::AuditEntry = &$entry;
        sqlx::query(
            "INSERT INTO audit_log (at_micros, actor_id, actor_role, action, target, ip, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(chrono::Utc::now().timestamp_micros())
        .bind(entry.actor_id.map(|u| u.0))
        .bind(entry.actor_role.map(|r| r.as_str()))
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.ip)
        .bind(entry.detail.to_string())
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(super) use append_audit;

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, entry: AuditEntry) -> StoreResult<()> {
        in_tx!(self, |tx, pg| {
            append_audit!(tx, entry);
        });
        Ok(())
    }

    async fn audit_entries(&self, f: AuditFilter) -> StoreResult<Vec<AuditRecord>> {
        let rows: Vec<AuditRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT * FROM audit_log \
                 WHERE ($1 IS NULL OR action = $1) AND ($2 IS NULL OR actor_id = $2) \
                   AND ($3 IS NULL OR target = $3) AND ($4 IS NULL OR at_micros >= $4) \
                   AND ($5 IS NULL OR at_micros < $5) AND ($6 IS NULL OR id < $6) \
                 ORDER BY id DESC LIMIT $7",
            )
            .bind(&f.action)
            .bind(f.actor_id.map(|u| u.0))
            .bind(&f.target)
            .bind(f.since_micros)
            .bind(f.until_micros)
            .bind(f.before_id)
            .bind(f.limit)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn audit_chain(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        let rows: Vec<AuditRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after_seq)
                .bind(limit)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn seal_audit(&self, limit: i64) -> StoreResult<usize> {
        self.seal_audit_batch(limit).await
    }

    async fn unsealed_audit(&self) -> StoreResult<i64> {
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE seq IS NULL")
                .fetch_one(p)
                .await?
        }))
    }
}
