//! The audit log: reading it (super admins), and verifying its hash chain
//! (`gasq-cloud audit verify`).

use chrono::{DateTime, Utc};
use gasq_shared::UserId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{App, Invalid};
use crate::domain::audit::{ChainBreak, ChainVerifier};
use crate::store::{AuditFilter, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The chain is broken: an entry was altered, removed or inserted.
    #[error("audit log is NOT intact: {broken} ({verified} entries before it verified)")]
    Broken { broken: ChainBreak, verified: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// e.g. `booking.create`
    pub action: Option<String>,
    pub actor_id: Option<UserId>,
    /// e.g. `booking:<id>`, `station:42`
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Page backwards: entries with a lower `id` than this.
    pub before: Option<i64>,
    /// 1 to 500, default 100.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// Order of writing; page with `before`.
    pub id: i64,
    /// Place in the hash chain; `null` until sealed.
    pub seq: Option<i64>,
    pub at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub actor_role: Option<String>,
    pub action: String,
    pub target: String,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
    /// This entry's hash in the chain (hex); `null` until sealed (within a second).
    pub hash: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// A page of the audit log, newest first.
pub async fn page(app: &App, q: AuditQuery) -> Result<AuditPage, AuditError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Invalid::new("limit", "must be 1 to 500").into());
    }
    let filter = AuditFilter {
        action: q.action,
        actor_id: q.actor_id,
        target: q.target,
        since_micros: q.since.map(|t| t.timestamp_micros()),
        until_micros: q.until.map(|t| t.timestamp_micros()),
        before_id: q.before,
        limit,
    };
    let records = app.store.audit_entries(filter).await?;
    let next_before = (records.len() as i64 == limit)
        .then(|| records.last().map(|r| r.id))
        .flatten();
    let entries = records
        .into_iter()
        .map(|r| AuditEntryView {
            id: r.id,
            seq: r.seq,
            at: DateTime::from_timestamp_micros(r.at_micros).unwrap_or_default(),
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            action: r.action,
            target: r.target,
            ip: r.ip,
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::String(r.detail)),
            hash: r.hash.map(hex::encode),
        })
        .collect();
    Ok(AuditPage {
        entries,
        next_before,
    })
}

/// Seals what committed since the last seal, then recomputes the whole chain; returns
/// how many entries verified.
pub async fn verify(app: &App) -> Result<i64, AuditError> {
    while app.store.seal_audit(1000).await? > 0 {}
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let page = app.store.audit_chain(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq.unwrap_or(after);
        for record in &page {
            verifier
                .check(record)
                .map_err(|broken| AuditError::Broken {
                    broken,
                    verified: verifier.verified(),
                })?;
        }
    }
    Ok(verifier.verified())
}
