//! The audit log in the database. [`append_audit!`] appends inside the caller's
//! transaction, so a state change and its audit entry commit together or not at all.
//! The single `audit_head` row is locked while appending (PostgreSQL `FOR UPDATE`;
//! SQLite's write lock), so concurrent appenders queue and the chain never forks.
//! Callers append last in their transaction to hold that lock only briefly.

use async_trait::async_trait;

use super::rows::AuditRow;
use super::sql::{in_tx, on_pool};
use super::{AuditFilter, AuditRecord, AuditStore, SqlStore, StoreResult};
use crate::domain::AuditEntry;

/// Appends `$entry` (an `AuditEntry`) to the chain inside transaction `$tx`.
macro_rules! append_audit {
    ($tx:ident, $pg:ident, $entry:expr) => {{
        let entry: &$crate::domain::AuditEntry = &$entry;
        let head_sql = if $pg {
            "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
        } else {
            "SELECT seq, hash FROM audit_head WHERE id = 1"
        };
        let (head_seq, head_hash): (i64, Vec<u8>) =
            sqlx::query_as(head_sql).fetch_one(&mut *$tx).await?;
        let seq = head_seq + 1;
        let at_micros = chrono::Utc::now().timestamp_micros();
        let detail = entry.detail.to_string();
        let fields = $crate::audit::ChainFields {
            seq,
            at_micros,
            actor_id: entry.actor_id.map(|u| u.0),
            actor_role: entry.actor_role.map(|r| r.as_str()),
            action: &entry.action,
            target: &entry.target,
            ip: entry.ip.as_deref(),
            detail: &detail,
        };
        let hash = $crate::audit::entry_hash(&head_hash, &fields).to_vec();
        sqlx::query(
            "INSERT INTO audit_log (seq, at_micros, actor_id, actor_role, action, target, ip, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(seq)
        .bind(at_micros)
        .bind(fields.actor_id)
        .bind(fields.actor_role)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.ip)
        .bind(&detail)
        .bind(&head_hash)
        .bind(&hash)
        .execute(&mut *$tx)
        .await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&hash)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(super) use append_audit;

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, entry: AuditEntry) -> StoreResult<()> {
        in_tx!(self, |tx, pg| {
            append_audit!(tx, pg, entry);
        });
        Ok(())
    }

    async fn audit_entries(&self, f: AuditFilter) -> StoreResult<Vec<AuditRecord>> {
        let rows: Vec<AuditRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT * FROM audit_log \
                 WHERE ($1 IS NULL OR action = $1) AND ($2 IS NULL OR actor_id = $2) \
                   AND ($3 IS NULL OR target = $3) AND ($4 IS NULL OR at_micros >= $4) \
                   AND ($5 IS NULL OR at_micros < $5) AND ($6 IS NULL OR seq < $6) \
                 ORDER BY seq DESC LIMIT $7",
            )
            .bind(&f.action)
            .bind(f.actor_id.map(|u| u.0))
            .bind(&f.target)
            .bind(f.since_micros)
            .bind(f.until_micros)
            .bind(f.before_seq)
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
}
