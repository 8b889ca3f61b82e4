//! Edge boxes: one-time enrollment codes, enrollment, and the sync endpoints
//! (`changes` pulled by cursor, `events` pushed from the edge's outbox). The JSON
//! shapes live in `gasq_shared::sync`; `docs/sync-protocol.md` describes them.

use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use gasq_shared::sync::{
    ChangesResponse, EnrollRequest, EnrollResponse, EventBatch, EventsResponse,
};
use gasq_shared::{DeviceId, StationId, UserId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::stations::load_station;
use crate::auth::device::EdgeDevice;
use crate::auth::{Authorized, Provisioners};
use crate::domain::{AuditEntry, codes};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use crate::store::{DeviceHealth, EnrollOutcome, NewDevice, NewEnrollmentCode};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_code))
        .routes(routes!(changes))
        .routes(routes!(events))
}

/// The enrollment route, rate-limited per client IP like the auth routes.
pub fn enroll_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(enroll))
}

/// A new one-time enrollment code.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentCode {
    /// Give this to `gasq-edge enroll --code`. Works once.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Makes a one-time code that enrolls one edge box for this station.
#[utoipa::path(post, path = "/api/v1/stations/{id}/enrollment-codes", tag = "edge", params(("id" = u32, Path)),
    responses((status = 201, body = EnrollmentCode), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn create_code(
    State(state): State<AppState>,
    user: Authorized<Provisioners>,
    ApiPath(station): ApiPath<StationId>,
) -> ApiResult<(StatusCode, ApiJson<EnrollmentCode>)> {
    user.require_station(&state, station).await?;
    load_station(&state, station).await?;
    let audit = user.audit(
        "edge.enrollment_code",
        format!("station:{station}"),
        serde_json::json!({}),
    );
    let code = new_enrollment_code(&state, station, Some(user.id), audit).await?;
    Ok((StatusCode::CREATED, ApiJson(code)))
}

/// Makes and stores a one-time enrollment code (the route and `gasq-cloud
/// enrollment-code` share this). Only a hash of the secret part is kept.
pub async fn new_enrollment_code(
    state: &AppState,
    station: StationId,
    created_by: Option<UserId>,
    mut audit: AuditEntry,
) -> ApiResult<EnrollmentCode> {
    let (id, secret) = (codes::random_code(4), codes::random_code(8));
    let now = Utc::now();
    let expires_at = now + Duration::hours(state.settings.edge.enrollment_code_ttl_hours);
    let code = NewEnrollmentCode {
        id: id.clone(),
        secret_hash: secret_hash(&secret),
        station_id: station,
        created_by,
        created_at: now,
        expires_at,
    };
    audit.detail = serde_json::json!({ "code_id": id, "expires_at": expires_at });
    state.store.create_enrollment_code(code, audit).await?;
    Ok(EnrollmentCode {
        code: format!("{id}-{}-{}", &secret[..4], &secret[4..]),
        expires_at,
    })
}

/// Enrolls an edge box with a one-time code and its device public key.
#[utoipa::path(post, path = "/api/v1/edge/enroll", tag = "edge", request_body = EnrollRequest,
    responses((status = 200, body = EnrollResponse), (status = 404, description = "unknown, used, expired or burned code"), (status = 422)))]
async fn enroll(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> ApiResult<ApiJson<EnrollResponse>> {
    let public_key: [u8; 32] = URL_SAFE_NO_PAD
        .decode(req.public_key.trim_end_matches('='))
        .ok()
        .and_then(|k| k.try_into().ok())
        .filter(|k| ed25519_dalek::VerifyingKey::from_bytes(k).is_ok())
        .ok_or_else(|| {
            ApiError::invalid(
                "public_key",
                "must be a 32-byte Ed25519 public key, base64url",
            )
        })?;
    let typed = codes::normalize(&req.code);
    if typed.len() != 12 || !codes::is_code(&typed) {
        return Err(ApiError::invalid(
            "code",
            "an enrollment code has 12 characters (XXXX-XXXX-XXXX)",
        ));
    }
    let (id, secret) = typed.split_at(4);
    let attendant_secret = codes::random_code(16);
    let device = NewDevice {
        id: DeviceId::new(),
        public_key,
        hostname: req.hostname.map(|h| h.chars().take(100).collect()),
        version: req.version.map(|v| v.chars().take(40).collect()),
        attendant_secret_enc: state.crypto.encrypt_pii(&attendant_secret),
    };
    let device_id = device.id;
    let max = state.settings.edge.enrollment_attempts_per_code;
    let gone = |why: &str| {
        ApiError::client(
            StatusCode::NOT_FOUND,
            "enrollment_code_invalid",
            format!("{why}: ask the station admin for a new code"),
        )
    };
    let station = match state
        .store
        .enroll_device(id, &secret_hash(secret), device, Utc::now(), max)
        .await?
    {
        EnrollOutcome::Enrolled(station) => station,
        EnrollOutcome::Unknown | EnrollOutcome::WrongSecret { .. } => {
            return Err(gone("this enrollment code is not valid"));
        }
        EnrollOutcome::Expired => return Err(gone("this enrollment code has expired")),
        EnrollOutcome::Used => return Err(gone("this enrollment code was already used")),
        EnrollOutcome::Burned => {
            return Err(gone(
                "this enrollment code was tried too often and no longer works",
            ));
        }
    };
    let station = load_station(&state, station).await?;
    let keys = state
        .signer
        .published_now()
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(device = %device_id, station = %station.code, "edge enrolled");
    Ok(ApiJson(EnrollResponse {
        device_id,
        station: super::edge_sync::config(&station),
        keys,
        attendant_secret,
    }))
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
}

impl From<&HealthParams> for DeviceHealth {
    fn from(h: &HealthParams) -> Self {
        Self {
            outbox_depth: h.outbox_depth.map(|d| d.max(0)),
            oldest_unsent_at: h.oldest_unsent_at,
            quarantined: h.quarantined.map(|d| d.max(0)),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ChangesQuery {
    /// The cursor from the last answer; absent or 0 asks for a full resync.
    since: Option<i64>,
    /// Events waiting in the edge's outbox.
    outbox_depth: Option<i64>,
    /// When the oldest of them was recorded.
    oldest_unsent_at: Option<DateTime<Utc>>,
    /// Events the edge set aside after the cloud kept refusing them.
    quarantined: Option<i64>,
}

/// Changes for the device's station since a cursor (or the full picture).
#[utoipa::path(get, path = "/api/v1/edge/changes", tag = "edge", params(ChangesQuery),
    responses((status = 200, body = ChangesResponse), (status = 401)), security(("device_jwt" = [])))]
async fn changes(
    State(state): State<AppState>,
    EdgeDevice(device): EdgeDevice,
    ApiQuery(q): ApiQuery<ChangesQuery>,
) -> ApiResult<ApiJson<ChangesResponse>> {
    let answer = super::edge_sync::changes(&state, device.station_id, q.since.unwrap_or(0)).await?;
    let health = DeviceHealth {
        outbox_depth: q.outbox_depth.map(|d| d.max(0)),
        oldest_unsent_at: q.oldest_unsent_at,
        quarantined: q.quarantined.map(|d| d.max(0)),
    };
    state
        .store
        .record_pull(device.id, Utc::now(), answer.cursor, health)
        .await?;
    Ok(ApiJson(answer))
}

/// Events the edge recorded, in order, each with its edge-made id.
#[utoipa::path(post, path = "/api/v1/edge/events", tag = "edge", params(HealthParams), request_body = EventBatch,
    responses((status = 200, body = EventsResponse), (status = 401), (status = 422)), security(("device_jwt" = [])))]
async fn events(
    State(state): State<AppState>,
    EdgeDevice(device): EdgeDevice,
    ApiQuery(health): ApiQuery<HealthParams>,
    ApiJson(batch): ApiJson<serde_json::Value>,
) -> ApiResult<ApiJson<EventsResponse>> {
    let station = load_station(&state, device.station_id).await?;
    let (valid, rejected) = super::edge_sync::parse_events(&station, batch)?;
    let result = state
        .store
        .ingest_events(station.id, device.id, valid, Utc::now())
        .await?;
    if result.new > 0 {
        tracing::info!(device = %device.id, new = result.new, "edge events ingested");
    }
    state
        .store
        .record_push(device.id, Utc::now(), (&health).into())
        .await?;
    Ok(ApiJson(EventsResponse {
        acked: result.acked,
        rejected,
    }))
}
