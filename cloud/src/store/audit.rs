//! The hash-chained audit log. [`append`] inserts inside the caller's transaction, so
//! a state change and its audit entry commit together or not at all. It takes no lock:
//! the sealer (`seal.rs`) links committed entries into the hash chain soon after, off
//! the request path.

use async_trait::async_trait;
use chrono::Utc;
use gasq_shared::UserId;
use uuid::Uuid;

use super::db::{Tx, query};
use super::{SqlStore, StoreResult};
use crate::domain::AuditEntry;
pub use crate::domain::AuditRecord;

/// Filters for reading the audit log (newest first).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<UserId>,
    pub target: Option<String>,
    pub since_micros: Option<i64>,
    pub until_micros: Option<i64>,
    /// Entries with `id` below this (paging backwards).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, entry: AuditEntry) -> StoreResult<()>;
    async fn audit_entries(&self, filter: AuditFilter) -> StoreResult<Vec<AuditRecord>>;
    /// Sealed entries in chain order after `after_seq`, for verification.
    async fn audit_chain(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditRecord>>;
}

/// Appends `entry` to the log inside `tx`, unsealed.
pub async fn append(tx: &mut Tx, entry: &AuditEntry) -> StoreResult<()> {
    tx.execute(
        query(
            "INSERT INTO audit_log (at_micros, actor_id, actor_role, action, target, ip, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Utc::now().timestamp_micros())
        .bind(entry.actor_id)
        .bind(entry.actor_role.map(|r| r.as_str()))
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(entry.ip.clone())
        .bind(entry.detail.to_string()),
    )
    .await?;
    Ok(())
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, entry: AuditEntry) -> StoreResult<()> {
        let mut tx = self.db.begin().await?;
        append(&mut tx, &entry).await?;
        tx.commit().await
    }

    async fn audit_entries(&self, f: AuditFilter) -> StoreResult<Vec<AuditRecord>> {
        let rows: Vec<AuditRow> = self
            .db
            .fetch_all(
                query(
                    "SELECT * FROM audit_log \
                     WHERE ($1 IS NULL OR action = $1) AND ($2 IS NULL OR actor_id = $2) \
                       AND ($3 IS NULL OR target = $3) AND ($4 IS NULL OR at_micros >= $4) \
                       AND ($5 IS NULL OR at_micros < $5) AND ($6 IS NULL OR id < $6) \
                     ORDER BY id DESC LIMIT $7",
                )
                .bind(f.action)
                .bind(f.actor_id)
                .bind(f.target)
                .bind(f.since_micros)
                .bind(f.until_micros)
                .bind(f.before_id)
                .bind(f.limit),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn audit_chain(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        let rows: Vec<AuditRow> = self
            .db
            .fetch_all(
                query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
                    .bind(after_seq)
                    .bind(limit),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: i64,
    seq: Option<i64>,
    at_micros: i64,
    actor_id: Option<Uuid>,
    actor_role: Option<String>,
    action: String,
    target: String,
    ip: Option<String>,
    detail: String,
    prev_hash: Option<Vec<u8>>,
    hash: Option<Vec<u8>>,
}

impl From<AuditRow> for AuditRecord {
    fn from(r: AuditRow) -> Self {
        AuditRecord {
            id: r.id,
            seq: r.seq,
            at_micros: r.at_micros,
            actor_id: r.actor_id.map(Into::into),
            actor_role: r.actor_role,
            action: r.action,
            target: r.target,
            ip: r.ip,
            detail: r.detail,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}
