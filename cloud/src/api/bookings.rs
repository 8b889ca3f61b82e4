//! Bookings: create (with `Idempotency-Key`), read, list, cancel.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use gasq_shared::{BookingId, Quantity, StationId, VehicleId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, CurrentUser, Drivers};
use crate::domain::{Booking, BookingStatus, PaymentMethod, slots};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::payments::PaymentOrder;
use crate::state::AppState;
use crate::store::{CreateBooking, FirstAnswer, IdempotencyKey, NewBooking, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_booking, list_bookings))
        .routes(routes!(get_booking))
        .routes(routes!(cancel_booking))
}

/// A booking request.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBookingRequest {
    pub station_id: StationId,
    pub vehicle_id: VehicleId,
    /// Start of a slot from `GET /api/v1/stations/{id}/slots`.
    pub slot_start: DateTime<Utc>,
    /// Kilograms of CNG; leave out to fill to full (pay at the station).
    pub quantity_kg: Option<f64>,
    pub payment_method: PaymentMethod,
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
    hold_expires_at: Option<DateTime<Utc>>,
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
            payment,
            hold_expires_at: b.hold_expires_at,
            valid_from: b.valid_from,
            valid_until: b.valid_until,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

/// Reads an `Idempotency-Key` header: 1 to 255 visible ASCII characters.
fn idempotency_key(
    headers: &HeaderMap,
    req: &CreateBookingRequest,
) -> ApiResult<Option<IdempotencyKey>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1-255 visible ASCII characters",
            )
        })?;
    // The parsed request, re-serialised, so formatting differences are not "another body".
    let canonical = serde_json::to_vec(req).map_err(ApiError::internal)?;
    Ok(Some(IdempotencyKey {
        key: key.to_owned(),
        request_hash: Sha256::digest(&canonical).to_vec(),
    }))
}

/// Books a slot. `at_station` is confirmed at once; `online` holds the slot while the
/// driver pays. Send an `Idempotency-Key` to retry safely: for 24 hours the same key
/// and body get the first answer again (the same booking, or the same 409 slot_full),
/// marked `Idempotent-Replayed: true`; the same key with another body is refused with
/// 422. After 24 hours the key is forgotten and a request with it is a new one.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "bookings", request_body = CreateBookingRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry key, 1-255 characters")),
    responses((status = 201, body = BookingView), (status = 409, description = "slot full"), (status = 422)),
    security(("bearer" = [])))]
async fn create_booking(
    State(state): State<AppState>,
    driver: Authorized<Drivers>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateBookingRequest>,
) -> ApiResult<Response> {
    let idem = idempotency_key(&headers, &req)?;
    let station = req.station_id;
    match book(&state, &driver, req, idem).await? {
        CreateBooking::Created(b) => {
            Ok((StatusCode::CREATED, ApiJson(BookingView::from(b))).into_response())
        }
        CreateBooking::Replayed(b) => Ok(replayed(b)),
        CreateBooking::KeyReused => Err(key_reused()),
        CreateBooking::SlotFull => Err(slot_full(station)),
        CreateBooking::ReplayedSlotFull => {
            let mut res = slot_full(station).into_response();
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(res)
        }
    }
}

fn slot_full(station: StationId) -> ApiError {
    ApiError::conflict(
        "slot_full",
        format!(
            "that slot is fully booked: pick another from GET /api/v1/stations/{station}/slots \
             (with a new Idempotency-Key if you send one)"
        ),
    )
}

/// Books a slot for a driver: the API handler and the demo traffic share this, so
/// every booking passes the same rules.
pub async fn book(
    state: &AppState,
    driver: &CurrentUser,
    req: CreateBookingRequest,
    idem: Option<IdempotencyKey>,
) -> ApiResult<CreateBooking> {
    // A retry is answered from the first request's booking before anything else is
    // checked or a second payment order is made (the claim in the store stays the
    // decision when two attempts race).
    if let Some(key) = &idem
        && let Some((hash, first)) = state
            .store
            .idempotent_booking(driver.id, &key.key, Utc::now())
            .await?
    {
        return Ok(match first {
            _ if hash != key.request_hash => CreateBooking::KeyReused,
            FirstAnswer::Booked(booking) => CreateBooking::Replayed(*booking),
            FirstAnswer::SlotFull => CreateBooking::ReplayedSlotFull,
        });
    }
    let quantity = Quantity::from_kg(req.quantity_kg)
        .map_err(|e| ApiError::invalid("quantity_kg", e.to_string()))?;
    let station = state
        .store
        .station(req.station_id)
        .await?
        .ok_or_else(|| ApiError::invalid("station_id", "no such station"))?;
    let vehicle = state
        .store
        .vehicle(req.vehicle_id)
        .await?
        .filter(|v| v.user_id == driver.id)
        .ok_or_else(|| {
            ApiError::invalid(
                "vehicle_id",
                "not one of your vehicles: add it with POST /api/v1/vehicles",
            )
        })?;
    let now = Utc::now();
    slots::check_bookable(
        &station,
        req.slot_start,
        now,
        state.settings.bookings.horizon_days,
    )
    .map_err(|e| ApiError::invalid("slot_start", e.to_string()))?;
    let id = BookingId::new();
    let (status, amount, order, hold) = match req.payment_method {
        PaymentMethod::AtStation => (BookingStatus::Confirmed, None, None::<PaymentOrder>, None),
        PaymentMethod::Online => {
            let Some(centikg) =
                (!quantity.is_fill_to_full()).then(|| i64::from(quantity.centikg()))
            else {
                return Err(ApiError::invalid(
                    "quantity_kg",
                    "give a quantity to pay online, or choose payment_method at_station",
                ));
            };
            let amount = (centikg * station.price_paise_per_kg + 50) / 100;
            let order = state
                .payments
                .create_order(id, amount)
                .await
                .map_err(ApiError::internal)?;
            let hold = now + Duration::minutes(state.settings.bookings.payment_hold_minutes);
            (
                BookingStatus::PendingPayment,
                Some(amount),
                Some(order),
                Some(hold),
            )
        }
    };
    let (valid_from, valid_until) = slots::validity_window(&station, req.slot_start);
    let new = NewBooking {
        id,
        user_id: driver.id,
        vehicle_id: Some(vehicle.id),
        registration: Some(vehicle.registration.to_string()),
        station_id: station.id,
        slot_start: req.slot_start,
        slot_end: slots::slot_end(&station, req.slot_start),
        walkin_reserve: 0,
        quantity,
        payment_method: req.payment_method,
        status,
        amount_paise: amount,
        payment_provider: order.as_ref().map(|o| o.provider.clone()),
        payment_order_id: order.map(|o| o.order_id),
        hold_expires_at: hold,
        valid_from,
        valid_until,
        now,
    };
    let audit = driver.audit("booking.create", format!("booking:{id}"), serde_json::json!({
        "station_id": station.id, "slot_start": req.slot_start, "payment_method": req.payment_method,
    }));
    match state.store.create_booking(new, idem, audit).await {
        // Removed (DELETE /api/v1/vehicles/{id}) since it was read above.
        Err(StoreError::NotFound("vehicle")) => Err(ApiError::invalid(
            "vehicle_id",
            "not one of your vehicles: add it with POST /api/v1/vehicles",
        )),
        other => other.map_err(Into::into),
    }
}

/// The answer to a retried request: the first request's booking, marked as a replay.
fn replayed(b: Booking) -> Response {
    let mut res = (StatusCode::CREATED, ApiJson(BookingView::from(b))).into_response();
    res.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}

fn key_reused() -> ApiError {
    ApiError::unprocessable(
        "idempotency_key_reused",
        "this Idempotency-Key was used with a different request: use a new key for a new booking",
    )
}

/// The caller's own bookings, newest slot first.
#[utoipa::path(get, path = "/api/v1/bookings", tag = "bookings", responses((status = 200, body = [BookingView])),
    security(("bearer" = [])))]
async fn list_bookings(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<ApiJson<Vec<BookingView>>> {
    let bookings = state.store.bookings_for_user(user.id, 100).await?;
    Ok(ApiJson(bookings.into_iter().map(Into::into).collect()))
}

/// Loads a booking the caller may see: their own, or one at a station they manage.
/// Others get 404, so booking ids cannot be probed.
pub async fn visible_booking(
    state: &AppState,
    user: &CurrentUser,
    id: BookingId,
) -> ApiResult<Booking> {
    let booking = state
        .store
        .booking(id)
        .await?
        .ok_or_else(|| ApiError::not_found("booking"))?;
    if booking.user_id == user.id || user.administers(state, booking.station_id).await? {
        Ok(booking)
    } else {
        Err(ApiError::not_found("booking"))
    }
}

#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "bookings", params(("id" = BookingId, Path)),
    responses((status = 200, body = BookingView), (status = 404)), security(("bearer" = [])))]
async fn get_booking(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<BookingId>,
) -> ApiResult<ApiJson<BookingView>> {
    Ok(ApiJson(visible_booking(&state, &user, id).await?.into()))
}

/// Cancels a pending or confirmed booking and frees its place.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", tag = "bookings", params(("id" = BookingId, Path)),
    responses((status = 200, body = BookingView), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn cancel_booking(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<BookingId>,
) -> ApiResult<ApiJson<BookingView>> {
    let booking = visible_booking(&state, &user, id).await?;
    let audit = user.audit(
        "booking.cancel",
        format!("booking:{id}"),
        serde_json::json!({ "was": booking.status }),
    );
    let cancelled = state
        .store
        .cancel_booking(id, Utc::now(), audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::conflict(
                "not_cancellable",
                format!("a {} booking cannot be cancelled", booking.status.as_str()),
            ),
            other => other.into(),
        })?;
    Ok(ApiJson(cancelled.into()))
}
