//! A station's edge boxes: the list with how fresh each is, and revoking one.

use axum::extract::State;
use gasq_shared::{DeviceId, StationId};

use super::extract::{ApiJson, ApiPath, Authorized, Provisioners};
use crate::app::devices::{self, DeviceView};
use crate::error::ApiResult;
use crate::state::AppState;

/// The station's edge boxes, oldest first: when each enrolled, last pulled and pushed,
/// and whether it was revoked.
#[utoipa::path(get, path = "/api/v1/stations/{id}/devices", tag = "edge", params(("id" = u32, Path)),
    responses((status = 200, body = Vec<DeviceView>), (status = 403), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn list_devices(
    State(state): State<AppState>,
    staff: Authorized<Provisioners>,
    ApiPath(station): ApiPath<StationId>,
) -> ApiResult<ApiJson<Vec<DeviceView>>> {
    Ok(ApiJson(devices::list(&state, &staff, station).await?))
}

/// Revokes an edge box: from now on every edge route answers it 401 `device_revoked`.
/// Revoking a revoked box changes nothing.
#[utoipa::path(post, path = "/api/v1/edge/devices/{id}/revoke", tag = "edge", params(("id" = String, Path, description = "the device id")),
    responses((status = 200, body = DeviceView), (status = 403), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn revoke_device(
    State(state): State<AppState>,
    staff: Authorized<Provisioners>,
    ApiPath(device): ApiPath<DeviceId>,
) -> ApiResult<ApiJson<DeviceView>> {
    Ok(ApiJson(devices::revoke(&state, &staff, device).await?))
}
