//! E-tokens: the published verification keys, and a booking's token as text, SVG and
//! PNG QR codes.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use gasq_shared::BookingId;
use gasq_shared::keys::TokenKeys;
use gasq_shared::token::{TokenClaims, TokenFlags};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bookings::visible_booking;
use crate::auth::CurrentUser;
use crate::domain::{Booking, BookingStatus, PaymentMethod};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::qr;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token_keys))
        .routes(routes!(booking_token))
        .routes(routes!(booking_qr_svg))
        .routes(routes!(booking_qr_png))
}

/// The token verification keys (public; edges and any verifier fetch these). Read
/// from the store on each request, so a rotation is published at once.
#[utoipa::path(get, path = "/api/v1/token-keys", tag = "tokens", responses((status = 200, body = TokenKeys)))]
async fn token_keys(State(state): State<AppState>) -> ApiResult<ApiJson<TokenKeys>> {
    Ok(ApiJson(
        state
            .signer
            .published_now()
            .await
            .map_err(ApiError::internal)?,
    ))
}

/// A booking's e-token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// The QR text (`GQ1:…`).
    token: String,
    valid_from: DateTime<Utc>,
    valid_until: DateTime<Utc>,
}

fn unix(t: DateTime<Utc>) -> u32 {
    u32::try_from(t.timestamp().max(0)).unwrap_or(u32::MAX)
}

/// Signs the token of a booking that may be fuelled.
pub async fn issue(state: &AppState, b: &Booking) -> ApiResult<String> {
    if b.status != BookingStatus::Confirmed {
        let next = match b.status {
            BookingStatus::PendingPayment => "pay for the booking first",
            BookingStatus::Redeemed | BookingStatus::Completed => "it has been used at the station",
            _ => "make a new booking",
        };
        return Err(ApiError::conflict(
            "token_unavailable",
            format!("a {} booking has no e-token: {next}", b.status.as_str()),
        ));
    }
    let claims = TokenClaims {
        kid: 0, // set by the signer
        booking_id: b.id,
        station_id: b.station_id.get(),
        valid_from: unix(b.valid_from),
        valid_until: unix(b.valid_until),
        quantity: b.quantity,
        flags: TokenFlags {
            prepaid: b.payment_method == PaymentMethod::Online,
            fleet: false,
        },
        vehicle: b.registration.clone().unwrap_or_default(),
    };
    state.signer.sign(claims).await.map_err(ApiError::internal)
}

#[utoipa::path(get, path = "/api/v1/bookings/{id}/token", tag = "tokens", params(("id" = BookingId, Path)),
    responses((status = 200, body = TokenView), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn booking_token(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<BookingId>,
) -> ApiResult<ApiJson<TokenView>> {
    let b = visible_booking(&state, &user, id).await?;
    let token = issue(&state, &b).await?;
    Ok(ApiJson(TokenView {
        token,
        valid_from: b.valid_from,
        valid_until: b.valid_until,
    }))
}

async fn qr_code(state: &AppState, user: &CurrentUser, id: BookingId) -> ApiResult<qrcode::QrCode> {
    let b = visible_booking(state, user, id).await?;
    let token = issue(state, &b).await?;
    qr::encode(&token).map_err(|e| ApiError::internal(anyhow::anyhow!("QR encoding: {e:?}")))
}

/// The e-token as an SVG QR code.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/qr.svg", tag = "tokens", params(("id" = BookingId, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404), (status = 409)),
    security(("bearer" = [])))]
async fn booking_qr_svg(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<BookingId>,
) -> ApiResult<impl IntoResponse> {
    let code = qr_code(&state, &user, id).await?;
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
async fn booking_qr_png(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<BookingId>,
) -> ApiResult<impl IntoResponse> {
    let code = qr_code(&state, &user, id).await?;
    let png = qr::png(&code, 8).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    ))
}
