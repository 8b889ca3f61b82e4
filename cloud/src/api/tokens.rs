//! E-tokens: the published verification keys, and a booking's token as text, SVG and
//! PNG QR codes.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use gasq_shared::BookingId;
use gasq_shared::keys::TokenKeys;

use super::extract::{ApiJson, ApiPath};
use crate::app::tokens::{self, IssuedToken};
use crate::domain::Actor;
use crate::error::{ApiError, ApiResult};
use crate::qr;
use crate::state::AppState;

/// The token verification keys (public; edges and any verifier fetch these). Read
/// from the store on each request, so a rotation is published at once.
#[utoipa::path(get, path = "/api/v1/token-keys", tag = "tokens", responses((status = 200, body = TokenKeys)))]
pub(crate) async fn token_keys(State(state): State<AppState>) -> ApiResult<ApiJson<TokenKeys>> {
    Ok(ApiJson(tokens::published_keys(&state).await?))
}

#[utoipa::path(get, path = "/api/v1/bookings/{id}/token", tag = "tokens", params(("id" = BookingId, Path)),
    responses((status = 200, body = IssuedToken), (status = 404), (status = 409)), security(("bearer" = [])))]
pub(crate) async fn booking_token(
    State(state): State<AppState>,
    user: Actor,
    ApiPath(id): ApiPath<BookingId>,
) -> ApiResult<ApiJson<IssuedToken>> {
    Ok(ApiJson(tokens::for_booking(&state, &user, id).await?))
}

/// The e-token as an SVG QR code.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/qr.svg", tag = "tokens", params(("id" = BookingId, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub(crate) async fn booking_qr_svg(
    State(state): State<AppState>,
    user: Actor,
    ApiPath(id): ApiPath<BookingId>,
) -> ApiResult<impl IntoResponse> {
    let code = tokens::qr_code(&state, &user, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        qr::svg(&code),
    ))
}

/// The e-token as a PNG QR code.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/qr.png", tag = "tokens", params(("id" = BookingId, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub(crate) async fn booking_qr_png(
    State(state): State<AppState>,
    user: Actor,
    ApiPath(id): ApiPath<BookingId>,
) -> ApiResult<impl IntoResponse> {
    let code = tokens::qr_code(&state, &user, id).await?;
    let png = qr::png(&code, 8).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    ))
}
