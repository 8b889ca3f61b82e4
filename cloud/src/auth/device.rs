//! Edge devices' JWTs: EdDSA, signed with the key the box made at enrollment, verified
//! against the public key the cloud stored then. Short-lived means short-lived: a token
//! minted to last longer than [`DEVICE_JWT_TTL_SECS`] is refused.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gasq_shared::DeviceId;
use gasq_shared::sync::{
    DEVICE_JWT_AUDIENCE, DEVICE_JWT_LEEWAY_SECS, DEVICE_JWT_TTL_SECS, DeviceClaims,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::store::{Device, Store, StoreError};

/// Clock difference tolerated between an edge and the cloud (the edge's doctor blames
/// a 401 on the clock beyond the same figure).
const LEEWAY_SECS: u64 = DEVICE_JWT_LEEWAY_SECS.unsigned_abs();

/// Why a device token was refused; each says what the box's operator should check.
#[derive(Debug, thiserror::Error)]
pub enum DeviceTokenError {
    #[error("the device token is not a JWT")]
    NotAJwt,
    #[error("the device token names no device")]
    NoDevice,
    #[error("this device is not enrolled: run `gasq-edge enroll` with a new code")]
    NotEnrolled,
    #[error("this device was revoked: enroll the box again with a new code")]
    Revoked,
    #[error("the device token does not verify ({0}): check the box's clock and key")]
    BadSignature(String),
    #[error(
        "device tokens must be issued now and live at most {DEVICE_JWT_TTL_SECS} s: check the box's clock"
    )]
    TooLong,
    #[error("stored device key {0} is invalid")]
    StoredKey(DeviceId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The enrolled, unrevoked device that signed `token`.
pub async fn authenticate(store: &dyn Store, token: &str) -> Result<Device, DeviceTokenError> {
    // Read the subject first to find the key; nothing is trusted until it verifies.
    let unverified = jsonwebtoken::dangerous::insecure_decode::<DeviceClaims>(token)
        .map_err(|_| DeviceTokenError::NotAJwt)?;
    let id: DeviceId = unverified
        .claims
        .sub
        .parse()
        .map_err(|_| DeviceTokenError::NoDevice)?;
    let device = store
        .device(id)
        .await?
        .ok_or(DeviceTokenError::NotEnrolled)?;
    let key = DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(device.public_key))
        .map_err(|_| DeviceTokenError::StoredKey(id))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[DEVICE_JWT_AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iat", "aud", "sub"]);
    validation.leeway = LEEWAY_SECS;
    let claims = jsonwebtoken::decode::<DeviceClaims>(token, &key, &validation)
        .map_err(|e| DeviceTokenError::BadSignature(e.to_string()))?
        .claims;
    let now = chrono::Utc::now().timestamp();
    let leeway = DEVICE_JWT_LEEWAY_SECS;
    if claims.iat > now + leeway || claims.exp - claims.iat > DEVICE_JWT_TTL_SECS + leeway {
        return Err(DeviceTokenError::TooLong);
    }
    // Only after the signature verified: nobody but the box itself learns it was revoked.
    if device.revoked_at.is_some() {
        return Err(DeviceTokenError::Revoked);
    }
    Ok(device)
}
