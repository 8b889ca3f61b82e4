//! `GET /api/v1/audit` — the audit log for super admins, newest first, with filters.

use axum::extract::State;

use super::extract::{ApiJson, ApiQuery, Authorized, SuperAdmins};
use crate::app::audit::{self, AuditPage, AuditQuery};
use crate::error::ApiResult;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403)), security(("bearer" = [])))]
pub(crate) async fn list_audit(
    State(state): State<AppState>,
    _admin: Authorized<SuperAdmins>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<ApiJson<AuditPage>> {
    Ok(ApiJson(audit::page(&state, q).await?))
}

/// Which notifications to list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// `dead` (gave up after the last attempt: shown to fix by hand), `pending`, `sent`
    /// or `skipped`. Default `dead`.
    status: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    limit: Option<i64>,
}

/// Messages to drivers by status — above all the dead letters, which need a person.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "audit", params(NotificationQuery),
    responses((status = 200, body = [crate::store::NotificationView]), (status = 422)), security(("bearer" = [])))]
pub(crate) async fn list_notifications(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    _admin: super::extract::Authorized<super::extract::SuperAdmins>,
    super::extract::ApiQuery(q): super::extract::ApiQuery<NotificationQuery>,
) -> crate::error::ApiResult<super::extract::ApiJson<Vec<crate::store::NotificationView>>> {
    let status = q.status.unwrap_or_else(|| "dead".into());
    if !matches!(status.as_str(), "dead" | "pending" | "sent" | "skipped") {
        return Err(crate::app::Invalid::new("status", "dead, pending, sent or skipped").into());
    }
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(super::extract::ApiJson(
        state.store.notifications(&status, limit).await?,
    ))
}
