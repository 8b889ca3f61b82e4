//! `EdgeDevice`: an enrolled edge box, from its device JWT (EdDSA, signed with the key
//! it made at enrollment, verified against the public key the cloud stored then).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gasq_shared::DeviceId;
use gasq_shared::sync::{
    DEVICE_JWT_AUDIENCE, DEVICE_JWT_LEEWAY_SECS, DEVICE_JWT_TTL_SECS, DeviceClaims,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Device;

/// Clock difference tolerated between an edge and the cloud (the edge's doctor blames
/// a 401 on the clock beyond the same figure).
const LEEWAY_SECS: u64 = DEVICE_JWT_LEEWAY_SECS.unsigned_abs();

/// A verified edge device.
#[derive(Debug, Clone)]
pub struct EdgeDevice(pub Device);

fn denied(detail: &str) -> ApiError {
    ApiError::unauthorized("invalid_device_token", detail.to_owned())
}

impl FromRequestParts<AppState> for EdgeDevice {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| denied("send `Authorization: Bearer <device JWT>`"))?;
        // Read the subject first to find the key; nothing is trusted until it verifies.
        let unverified = jsonwebtoken::dangerous::insecure_decode::<DeviceClaims>(token)
            .map_err(|_| denied("the device token is not a JWT"))?;
        let id: DeviceId = unverified
            .claims
            .sub
            .parse()
            .map_err(|_| denied("the device token names no device"))?;
        let device = state.store.device(id).await?.ok_or_else(|| {
            denied("this device is not enrolled: run `gasq-edge enroll` with a new code")
        })?;
        if device.revoked_at.is_some() {
            return Err(denied(
                "this device was revoked: enroll the box again with a new code",
            ));
        }
        let key = DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(device.public_key))
            .map_err(|_| {
                ApiError::internal(anyhow::anyhow!("stored device key {id} is invalid"))
            })?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[DEVICE_JWT_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        let claims = jsonwebtoken::decode::<DeviceClaims>(token, &key, &validation)
            .map_err(|e| {
                denied(&format!(
                    "the device token does not verify ({e}): check the box's clock and key"
                ))
            })?
            .claims;
        // Short-lived means short-lived: a token minted to last for years is refused.
        let now = chrono::Utc::now().timestamp();
        let leeway = LEEWAY_SECS as i64;
        if claims.iat > now + leeway || claims.exp - claims.iat > DEVICE_JWT_TTL_SECS + leeway {
            return Err(denied(&format!(
                "device tokens must be issued now and live at most {DEVICE_JWT_TTL_SECS} s: check the box's clock"
            )));
        }
        Ok(Self(device))
    }
}
