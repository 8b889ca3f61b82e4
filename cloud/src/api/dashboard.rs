//! `GET /api/v1/stations/{id}/dashboard`.

use axum::extract::State;
use gasq_shared::StationId;

use super::extract::{ApiJson, ApiPath, Authorized, Provisioners};
use crate::app::dashboard::{self, Dashboard};
use crate::error::ApiResult;
use crate::state::AppState;

/// Lanes, queue, today's numbers, the health of each edge box (how stale its data
/// is), and open reconciliation cases.
#[utoipa::path(get, path = "/api/v1/stations/{id}/dashboard", tag = "stations", params(("id" = u32, Path)),
    responses((status = 200, body = Dashboard), (status = 403), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    user: Authorized<Provisioners>,
    ApiPath(id): ApiPath<StationId>,
) -> ApiResult<ApiJson<Dashboard>> {
    Ok(ApiJson(dashboard::dashboard(&state, &user, id).await?))
}
