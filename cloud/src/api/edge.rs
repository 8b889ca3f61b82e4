//! Edge boxes: one-time enrollment codes, enrollment, and the sync endpoints
//! (`changes` pulled by cursor, `events` pushed from the edge's outbox). The JSON
//! shapes live in `gasq_shared::sync`; `docs/sync-protocol.md` describes them.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gasq_shared::StationId;
use gasq_shared::sync::{
    ChangesResponse, EnrollRequest, EnrollResponse, EventBatch, EventsResponse,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{ApiJson, ApiPath, ApiQuery, Authorized, EdgeDevice, Provisioners};
use crate::app::enrollment::{self, EnrollmentCode};
use crate::app::{ingest, sync};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::DeviceHealth;

/// Makes a one-time code that enrolls one edge box for this station.
#[utoipa::path(post, path = "/api/v1/stations/{id}/enrollment-codes", tag = "edge", params(("id" = u32, Path)),
    responses((status = 201, body = EnrollmentCode), (status = 403), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn create_code(
    State(state): State<AppState>,
    staff: Authorized<Provisioners>,
    ApiPath(station): ApiPath<StationId>,
) -> ApiResult<(StatusCode, ApiJson<EnrollmentCode>)> {
    let code = enrollment::create_code(&state, &staff, station).await?;
    Ok((StatusCode::CREATED, ApiJson(code)))
}

/// Enrolls an edge box with a one-time code and its device public key.
#[utoipa::path(post, path = "/api/v1/edge/enroll", tag = "edge", request_body = EnrollRequest,
    responses((status = 200, body = EnrollResponse), (status = 404, description = "unknown, used, expired or burned code"), (status = 422)))]
pub(crate) async fn enroll(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> ApiResult<ApiJson<EnrollResponse>> {
    Ok(ApiJson(enrollment::enroll(&state, req).await?))
}

/// What the edge reports about itself on each request.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct HealthParams {
    /// Events waiting in the edge's outbox.
    outbox_depth: Option<i64>,
    /// When the oldest of them was recorded.
    oldest_unsent_at: Option<DateTime<Utc>>,
    /// Events the edge set aside after the cloud kept refusing them.
    quarantined: Option<i64>,
    /// When the edge took this snapshot: an older one than the cloud has is ignored.
    health_at: Option<DateTime<Utc>>,
}

impl From<&HealthParams> for DeviceHealth {
    fn from(h: &HealthParams) -> Self {
        Self {
            outbox_depth: h.outbox_depth.map(|d| d.max(0)),
            oldest_unsent_at: h.oldest_unsent_at,
            quarantined: h.quarantined.map(|d| d.max(0)),
            at: h.health_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct Cursor {
    /// The cursor from the last answer; absent or 0 asks for a full resync.
    since: Option<i64>,
    /// Seconds to hold the request while the station has no change after `since`
    /// (a long poll; at most 25, longer waits are cut to 25). Absent or 0: answer now.
    wait: Option<u64>,
}

/// Changes for the device's station since a cursor (or the full picture).
#[utoipa::path(get, path = "/api/v1/edge/changes", tag = "edge", params(Cursor, HealthParams),
    responses((status = 200, body = ChangesResponse), (status = 401)), security(("device_jwt" = [])))]
pub(crate) async fn changes(
    State(state): State<AppState>,
    EdgeDevice(device): EdgeDevice,
    ApiQuery(cursor): ApiQuery<Cursor>,
    ApiQuery(health): ApiQuery<HealthParams>,
) -> ApiResult<ApiJson<ChangesResponse>> {
    let since = cursor.since.unwrap_or(0);
    let wait = Duration::from_secs(cursor.wait.unwrap_or(0));
    Ok(ApiJson(
        sync::pull(&state, &device, since, wait, (&health).into()).await?,
    ))
}

/// Events the edge recorded, in order, each with its edge-made id.
#[utoipa::path(post, path = "/api/v1/edge/events", tag = "edge", params(HealthParams), request_body = EventBatch,
    responses((status = 200, body = EventsResponse), (status = 401), (status = 422)), security(("device_jwt" = [])))]
pub(crate) async fn events(
    State(state): State<AppState>,
    EdgeDevice(device): EdgeDevice,
    ApiQuery(health): ApiQuery<HealthParams>,
    ApiJson(batch): ApiJson<serde_json::Value>,
) -> ApiResult<ApiJson<EventsResponse>> {
    Ok(ApiJson(
        ingest::push(&state, &device, batch, (&health).into()).await?,
    ))
}
