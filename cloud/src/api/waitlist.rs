//! The waitlist: wait for a full slot, take the place offered when one frees, leave.

use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::bookings::BookingView;
use super::extract::{ApiJson, ApiPath, Authorized, Drivers};
use crate::app::waitlist::{self, WaitRequest, Waiting};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::WaitEntry;

/// Waits for a full slot. When a place frees, the first driver waiting is offered it
/// for 10 minutes (SMS, and here) and the place is held for them meanwhile; then the
/// next. 409 `slot_has_places` when the slot has a place: book it instead.
#[utoipa::path(post, path = "/api/v1/waitlist", tag = "bookings", request_body = WaitRequest,
    responses((status = 201, body = Waiting), (status = 409), (status = 422)), security(("bearer" = [])))]
pub(crate) async fn join(
    State(state): State<AppState>,
    driver: Authorized<Drivers>,
    ApiJson(req): ApiJson<WaitRequest>,
) -> ApiResult<(StatusCode, ApiJson<Waiting>)> {
    Ok((
        StatusCode::CREATED,
        ApiJson(waitlist::join(&state, &driver, req).await?),
    ))
}

/// The caller's places on waitlists (waiting, or offered until `offer_expires_at`).
#[utoipa::path(get, path = "/api/v1/waitlist", tag = "bookings",
    responses((status = 200, body = [WaitEntry])), security(("bearer" = [])))]
pub(crate) async fn mine(
    State(state): State<AppState>,
    driver: Authorized<Drivers>,
) -> ApiResult<ApiJson<Vec<WaitEntry>>> {
    Ok(ApiJson(waitlist::mine(&state, &driver).await?))
}

/// Takes the place offered: a confirmed booking (paid at the station).
#[utoipa::path(post, path = "/api/v1/waitlist/{id}/accept", tag = "bookings", params(("id" = String, Path)),
    responses((status = 201, body = BookingView), (status = 404), (status = 409)), security(("bearer" = [])))]
pub(crate) async fn accept(
    State(state): State<AppState>,
    driver: Authorized<Drivers>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, ApiJson<BookingView>)> {
    let booked = waitlist::accept(&state, &driver, id).await?;
    Ok((StatusCode::CREATED, ApiJson(booked.into())))
}

/// Leaves a waitlist; a place offered passes to the next driver.
#[utoipa::path(delete, path = "/api/v1/waitlist/{id}", tag = "bookings", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn leave(
    State(state): State<AppState>,
    driver: Authorized<Drivers>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    waitlist::leave(&state, &driver, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
