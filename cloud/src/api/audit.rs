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
