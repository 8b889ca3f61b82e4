//! [`EdgeDevice`]: an enrolled edge box, from its device JWT (`auth::device`).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::auth::device;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::store::Device;

/// A verified edge device.
#[derive(Debug, Clone)]
pub struct EdgeDevice(pub Device);

impl FromRequestParts<AppState> for EdgeDevice {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized(
                    ErrorCode::InvalidDeviceToken,
                    "send `Authorization: Bearer <device JWT>`",
                )
            })?;
        Ok(Self(
            device::authenticate(state.store.as_ref(), token).await?,
        ))
    }
}
