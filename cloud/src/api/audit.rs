//! `GET /api/v1/audit` — the audit log for super admins, newest first, with filters.

use axum::extract::State;
use chrono::{DateTime, Utc};
use gasq_shared::UserId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, SuperAdmins};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::state::AppState;
use crate::store::AuditFilter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// e.g. `booking.create`
    action: Option<String>,
    actor_id: Option<UserId>,
    /// e.g. `booking:<id>`, `station:42`
    target: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    /// Page backwards: entries with a lower `id` than this.
    before: Option<i64>,
    /// 1 to 500, default 100.
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// Order of writing; page with `before`.
    id: i64,
    /// Place in the hash chain; `null` until sealed.
    seq: Option<i64>,
    at: DateTime<Utc>,
    actor_id: Option<UserId>,
    actor_role: Option<String>,
    action: String,
    target: String,
    ip: Option<String>,
    detail: serde_json::Value,
    /// This entry's hash in the chain (hex); `null` until sealed (within a second).
    hash: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    entries: Vec<AuditEntryView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    next_before: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403)), security(("bearer" = [])))]
async fn list_audit(
    State(state): State<AppState>,
    _admin: Authorized<SuperAdmins>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<ApiJson<AuditPage>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "limit must be 1 to 500",
        ));
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
    let records = state.store.audit_entries(filter).await?;
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
    Ok(ApiJson(AuditPage {
        entries,
        next_before,
    }))
}
