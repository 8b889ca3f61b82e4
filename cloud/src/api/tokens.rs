//! E-tokens: the published verification keys, and a booking's token as text, SVG and
//! PNG QR codes.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use gasq_shared::BookingId;
use gasq_shared::keys::TokenKeys;

use super::extract::{ApiJson, ApiPath};
use crate::app::grace::{self, RefreshError, RefreshRequest, Refreshed};
use crate::app::tokens::{self, IssuedToken};
use crate::domain::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode, problem_response};
use crate::qr;
use crate::state::AppState;
use axum::body::Bytes;
use axum::response::Response;
use gasq_shared::problem::Problem;

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

/// Refreshes the e-token of a driver held up on the way: the late edge of its window
/// moves by the traffic on the trip (with `lat`/`lon`, the driver's position now) and
/// the rain at the station, within the station's bounds — while the slot they will
/// arrive in has room. The body is optional. The lane code changes with the window.
/// `409 too_late` or `slot_full` carry `suggestions` (slots to book instead).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/token/refresh", tag = "tokens", params(("id" = BookingId, Path)),
    request_body(content = Option<RefreshRequest>, description = "where the driver is now (optional)"),
    responses((status = 200, body = Refreshed), (status = 400), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub(crate) async fn refresh_token(
    State(state): State<AppState>,
    user: Actor,
    ApiPath(id): ApiPath<BookingId>,
    body: Bytes,
) -> ApiResult<Response> {
    let req = if body.iter().all(u8::is_ascii_whitespace) {
        RefreshRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(
                ErrorCode::InvalidBody,
                format!("send {{\"lat\": …, \"lon\": …}} or nothing: {e}"),
            )
        })?
    };
    match grace::refresh(&state, &user, id, req).await {
        Ok(r) => Ok(ApiJson(r).into_response()),
        Err(e @ (RefreshError::TooLate { .. } | RefreshError::SlotFull { .. })) => {
            let (code, suggestions) = match &e {
                RefreshError::TooLate { suggestions, .. } => (ErrorCode::TooLate, suggestions),
                RefreshError::SlotFull { suggestions } => (ErrorCode::SlotFull, suggestions),
                _ => unreachable!("matched above"),
            };
            let mut p = Problem::new(409, code.as_str(), "Conflict", Some(e.to_string()));
            p.suggestions = serde_json::to_value(suggestions).ok();
            Ok(problem_response(p, None))
        }
        Err(e) => Err(e.into()),
    }
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
