//! Bookings: create (with `Idempotency-Key`), read, list, cancel.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, StationId, VehicleId};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath, Authorized, Drivers};
use crate::app::bookings::{self, BookingError, BookingRequest};
use crate::app::suggest;
use crate::domain::{Actor, Booking, BookingStatus, PaymentMethod};
use crate::error::{ApiError, ApiResult, problem_response};
use crate::payments::PaymentOrder;
use crate::state::AppState;
use crate::store::IdempotencyKey;
use gasq_shared::problem::Problem;

/// A booking just made: the booking, and — when the forecast calls its slot a rush —
/// calmer slots and stations nearby (the booking stands; the driver may move it).
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingCreated {
    #[serde(flatten)]
    booking: BookingView,
    #[serde(skip_serializing_if = "Option::is_none")]
    suggestions: Option<suggest::Suggestions>,
}

/// A booking as its driver (or station staff) sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingView {
    id: BookingId,
    /// Short code to quote by SMS or at the lane.
    code: String,
    status: BookingStatus,
    station_id: StationId,
    vehicle_id: Option<VehicleId>,
    registration: Option<String>,
    slot_start: DateTime<Utc>,
    slot_end: DateTime<Utc>,
    /// `null` = fill to full.
    quantity_kg: Option<f64>,
    payment_method: PaymentMethod,
    amount_paise: Option<i64>,
    /// While `pending_payment`: the order to pay, and until when the slot is held.
    payment: Option<PaymentOrder>,
    /// While `pending_payment`: the checkout page to pay on.
    pay_url: Option<String>,
    /// The price per kg the booking keeps, and what its payment paid.
    price_paise_per_kg: Option<i64>,
    paid_paise: Option<i64>,
    hold_expires_at: Option<DateTime<Utc>>,
    /// When the driver answered the reminder "Coming" (staff see who is on the way).
    coming_at: Option<DateTime<Utc>>,
    /// The e-token's validity window.
    valid_from: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Booking> for BookingView {
    fn from(b: Booking) -> Self {
        let payment = match (&b.payment_provider, &b.payment_order_id, b.amount_paise) {
            (Some(provider), Some(order_id), Some(amount_paise))
                if b.status == BookingStatus::PendingPayment =>
            {
                Some(PaymentOrder {
                    provider: provider.clone(),
                    order_id: order_id.clone(),
                    amount_paise,
                    currency: "INR".into(),
                })
            }
            _ => None,
        };
        Self {
            id: b.id,
            code: b.code,
            status: b.status,
            station_id: b.station_id,
            vehicle_id: b.vehicle_id,
            registration: b.registration,
            slot_start: b.slot_start,
            slot_end: b.slot_end,
            quantity_kg: b.quantity.kg(),
            payment_method: b.payment_method,
            amount_paise: b.amount_paise,
            pay_url: payment.as_ref().map(|_| format!("/pay/{}", b.id)),
            payment,
            price_paise_per_kg: b.price_paise_per_kg,
            paid_paise: b.paid_paise,
            hold_expires_at: b.hold_expires_at,
            coming_at: b.coming_at,
            valid_from: b.valid_from,
            valid_until: b.valid_until,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

/// The `Idempotency-Key` header, if sent, bound to the request.
fn idempotency_key(headers: &HeaderMap, req: &BookingRequest) -> ApiResult<Option<IdempotencyKey>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    // Not text at all is as bad as text that breaks the rules.
    let key = value.to_str().unwrap_or("\u{0}");
    Ok(Some(bookings::idempotency_key(key, req)?))
}

/// A slot_full answer with where to go instead (`suggestions`: calmer slots here, calm
/// stations nearby). Without suggestions (none to make, or they failed) it is the plain
/// problem: a driver is never refused because suggesting failed.
async fn with_suggestions(
    state: &AppState,
    err: ApiError,
    station: StationId,
    wanted: DateTime<Utc>,
) -> Response {
    let ApiError::Client {
        status,
        code,
        detail,
        ..
    } = &err
    else {
        return err.into_response();
    };
    let Ok(Some(here)) = state.store.station(station).await else {
        return err.into_response();
    };
    match suggest::around(state, &here, wanted).await {
        Ok(s) => {
            let mut p = Problem::new(
                status.as_u16(),
                code.as_str(),
                status.canonical_reason().unwrap_or("Conflict"),
                Some(detail.clone()),
            );
            p.suggestions = serde_json::to_value(s).ok();
            problem_response(p, None)
        }
        Err(e) => {
            tracing::warn!(error = %e, "no suggestions for a full slot");
            err.into_response()
        }
    }
}

/// Marks an answer as the replay of an earlier request with the same key.
fn replayed(mut res: Response) -> Response {
    res.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}

/// Books a slot. `at_station` is confirmed at once; `online` holds the slot while the
/// driver pays. Send an `Idempotency-Key` to retry safely: for 24 hours the same key
/// and body get the first answer again (the same booking, or the same 409 slot_full),
/// marked `Idempotent-Replayed: true`; the same key with another body is refused with
/// 422. After 24 hours the key is forgotten and a request with it is a new one.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "bookings", request_body = BookingRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry key, 1-255 characters")),
    responses((status = 201, body = BookingCreated), (status = 409, description = "slot full"), (status = 422)),
    security(("bearer" = [])))]
pub(crate) async fn create_booking(
    State(state): State<AppState>,
    driver: Authorized<Drivers>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<BookingRequest>,
) -> ApiResult<Response> {
    let idem = idempotency_key(&headers, &req)?;
    let (station, wanted) = (req.station_id, req.slot_start);
    match bookings::book(&state, &driver, req, idem).await {
        Ok(booked) => {
            let suggestions = match state.store.station(station).await {
                Ok(Some(here)) => suggest::if_rush(&state, &here, wanted)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "no suggestions for a rush slot");
                        None
                    }),
                _ => None,
            };
            let res = (
                StatusCode::CREATED,
                ApiJson(BookingCreated {
                    booking: BookingView::from(booked.booking),
                    suggestions,
                }),
            );
            let res = res.into_response();
            Ok(if booked.replayed { replayed(res) } else { res })
        }
        Err(e @ BookingError::SlotFull { replayed, .. }) => {
            let res = with_suggestions(&state, ApiError::from(e), station, wanted).await;
            Ok(if replayed { self::replayed(res) } else { res })
        }
        Err(e) => Err(e.into()),
    }
}

/// The caller's own bookings, newest slot first.
#[utoipa::path(get, path = "/api/v1/bookings", tag = "bookings", responses((status = 200, body = [BookingView])),
    security(("bearer" = [])))]
pub(crate) async fn list_bookings(
    State(state): State<AppState>,
    user: Actor,
) -> ApiResult<ApiJson<Vec<BookingView>>> {
    let mine = bookings::mine(&state, &user).await?;
    Ok(ApiJson(mine.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "bookings", params(("id" = BookingId, Path)),
    responses((status = 200, body = BookingView), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn get_booking(
    State(state): State<AppState>,
    user: Actor,
    ApiPath(id): ApiPath<BookingId>,
) -> ApiResult<ApiJson<BookingView>> {
    Ok(ApiJson(bookings::visible(&state, &user, id).await?.into()))
}

/// Cancels a pending or confirmed booking and frees its place.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", tag = "bookings", params(("id" = BookingId, Path)),
    responses((status = 200, body = BookingView), (status = 404), (status = 409)), security(("bearer" = [])))]
pub(crate) async fn cancel_booking(
    State(state): State<AppState>,
    user: Actor,
    ApiPath(id): ApiPath<BookingId>,
) -> ApiResult<ApiJson<BookingView>> {
    Ok(ApiJson(bookings::cancel(&state, &user, id).await?.into()))
}
