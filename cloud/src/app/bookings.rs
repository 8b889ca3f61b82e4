//! Booking a slot, reading and listing bookings, cancelling one. Every booking — from
//! the API, the web pages or the demo traffic — passes [`book`], so every booking
//! keeps the same rules.

use chrono::{DateTime, Duration, Utc};
use gasq_shared::{BookingId, Quantity, StationId, VehicleId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::access;
use super::slots::RushLevel;
use super::{App, Invalid};
use crate::domain::limits::{LimitHit, Limits};
use crate::domain::money::{self, CancelledBy};
use crate::domain::{Actor, Booking, BookingStatus, PaymentMethod, Station, slots};
use crate::payments::{OrderRequest, PaymentOrder};
use crate::store::{CreateBooking, IdempotencyKey, NewBooking, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("booking not found")]
    NotFound,
    /// The slot is fully booked; `replayed` when this is the remembered answer to an
    /// `Idempotency-Key` seen before.
    #[error("that slot is fully booked")]
    SlotFull { station: StationId, replayed: bool },
    /// A booking limit ("No hogging", docs/architecture.md); the text says which and
    /// when it frees.
    #[error(transparent)]
    Limit(LimitHit),
    #[error("this Idempotency-Key was used with a different request")]
    KeyReused,
    #[error("an Idempotency-Key is 1 to 255 visible ASCII characters")]
    BadIdempotencyKey,
    #[error("a {} booking cannot be cancelled", .0.as_str())]
    NotCancellable(BookingStatus),
    #[error(transparent)]
    Payment(#[from] crate::payments::GatewayError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, BookingError>;

/// A booking request.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    pub station_id: StationId,
    pub vehicle_id: VehicleId,
    /// Start of a slot from `GET /api/v1/stations/{id}/slots`.
    pub slot_start: DateTime<Utc>,
    /// Kilograms of CNG; leave out to fill to full (online: the station's fill-to-full
    /// amount is paid up front and the fill settles it).
    pub quantity_kg: Option<f64>,
    pub payment_method: PaymentMethod,
}

/// An `Idempotency-Key` as sent (1 to 255 visible ASCII characters), bound to the
/// request it came with: the parsed request, re-serialised, so formatting differences
/// are not "another body".
pub fn idempotency_key(key: &str, req: &BookingRequest) -> Result<IdempotencyKey> {
    if !(1..=255).contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BookingError::BadIdempotencyKey);
    }
    let canonical = serde_json::to_vec(req).unwrap_or_default();
    Ok(IdempotencyKey {
        key: key.to_owned(),
        request_hash: Sha256::digest(&canonical).to_vec(),
    })
}

/// A booking made, or the one an `Idempotency-Key` made before.
#[derive(Debug, Clone)]
pub struct Booked {
    pub booking: Booking,
    pub replayed: bool,
}

fn not_your_vehicle() -> Invalid {
    Invalid::new(
        "vehicle_id",
        "not one of your vehicles: add it with POST /api/v1/vehicles",
    )
}

/// Books a slot. `at_station` is confirmed at once; `online` holds the slot while the
/// driver pays. With an `Idempotency-Key`, a retry gets the first answer again.
pub async fn book(
    app: &App,
    driver: &Actor,
    req: BookingRequest,
    idem: Option<IdempotencyKey>,
) -> Result<Booked> {
    // A retry is answered from the first request's booking before anything else is
    // checked or a second payment order is made (the claim in the store stays the
    // decision when two attempts race).
    if let Some(key) = &idem
        && let Some(first) = app
            .store
            .idempotent_answer(driver.id, key, Utc::now())
            .await?
    {
        return answer(first, req.station_id);
    }
    let new = new_booking(app, driver, &req).await?;
    let entry = driver.audit(
        "booking.create",
        format!("booking:{}", new.id),
        serde_json::json!({
            "station_id": req.station_id, "slot_start": req.slot_start,
            "payment_method": req.payment_method,
        }),
    );
    match app.store.create_booking(new, idem, entry).await {
        // Removed (DELETE /api/v1/vehicles/{id}) since it was read.
        Err(StoreError::NotFound("vehicle")) => Err(not_your_vehicle().into()),
        other => answer(other?, req.station_id),
    }
}

fn answer(outcome: CreateBooking, station: StationId) -> Result<Booked> {
    match outcome {
        CreateBooking::Created(booking) => Ok(Booked {
            booking,
            replayed: false,
        }),
        CreateBooking::Replayed(booking) => Ok(Booked {
            booking,
            replayed: true,
        }),
        CreateBooking::SlotFull => Err(BookingError::SlotFull {
            station,
            replayed: false,
        }),
        CreateBooking::ReplayedSlotFull => Err(BookingError::SlotFull {
            station,
            replayed: true,
        }),
        CreateBooking::KeyReused => Err(BookingError::KeyReused),
        CreateBooking::Limited(hit) => Err(BookingError::Limit(hit)),
    }
}

/// Checks a request against the station, the driver's vehicles and the slot grid, and
/// prices it (an online booking gets its payment order and a hold).
pub(crate) async fn new_booking(
    app: &App,
    driver: &Actor,
    req: &BookingRequest,
) -> Result<NewBooking> {
    let vehicle = app
        .store
        .vehicle(req.vehicle_id)
        .await?
        .filter(|v| v.user_id == driver.id)
        .ok_or_else(not_your_vehicle)?;
    assemble(app, driver, req, Some(vehicle)).await
}

/// Books by phone (the IVR): with the driver's vehicle when they have exactly one, else
/// with none — the lane matches the booking's code. Paid at the station.
pub async fn book_by_phone(
    app: &App,
    driver: &Actor,
    station_id: StationId,
    slot_start: DateTime<Utc>,
    quantity_kg: Option<f64>,
) -> Result<Booked> {
    let mut mine = app.store.vehicles(driver.id).await?;
    let vehicle = (mine.len() == 1).then(|| mine.remove(0));
    let req = BookingRequest {
        station_id,
        vehicle_id: vehicle.as_ref().map_or_else(VehicleId::new, |v| v.id),
        slot_start,
        quantity_kg,
        payment_method: PaymentMethod::AtStation,
    };
    let new = assemble(app, driver, &req, vehicle).await?;
    let entry = driver.audit(
        "booking.create",
        format!("booking:{}", new.id),
        serde_json::json!({ "station_id": station_id, "slot_start": slot_start, "by": "phone" }),
    );
    answer(
        app.store.create_booking(new, None, entry).await?,
        station_id,
    )
}

/// A booking of `req` for `driver`, checked against the station and its grid, and priced.
async fn assemble(
    app: &App,
    driver: &Actor,
    req: &BookingRequest,
    vehicle: Option<crate::domain::Vehicle>,
) -> Result<NewBooking> {
    let quantity = Quantity::from_kg(req.quantity_kg)
        .map_err(|e| Invalid::new("quantity_kg", e.to_string()))?;
    let station = app
        .store
        .station(req.station_id)
        .await?
        .ok_or_else(|| Invalid::new("station_id", "no such station"))?;
    let now = Utc::now();
    let horizon = app.settings.bookings.horizon_days;
    slots::check_bookable(&station.policy, req.slot_start, now, horizon)
        .map_err(|e| Invalid::new("slot_start", e.to_string()))?;
    let id = BookingId::new();
    let forecast = super::slots::forecast_or_none(
        app,
        &station,
        slots::local_date(&station.policy, req.slot_start),
    )
    .await;
    let (forecast_walkins, calm) = forecast.as_ref().map_or((0, false), |f| {
        (
            super::forecast::expected_walkins(f, &station, req.slot_start),
            super::forecast::slot_rush(f, req.slot_start) == RushLevel::Low,
        )
    });
    // The price of the booking's moment, with the calm-slot discount where it applies.
    let price = money::slot_price(station.price_paise_per_kg, &station.money, calm);
    let payment = payment(
        app,
        &station,
        (id, price),
        quantity,
        req.payment_method,
        now,
    )
    .await?;
    let (valid_from, valid_until) = slots::validity_window(&station.policy, req.slot_start);
    Ok(NewBooking {
        id,
        user_id: driver.id,
        vehicle_id: vehicle.as_ref().map(|v| v.id),
        registration: vehicle.map(|v| v.registration.to_string()),
        station_id: station.id,
        slot_start: req.slot_start,
        slot_end: slots::slot_end(&station.policy, req.slot_start),
        forecast_walkins,
        quantity,
        payment_method: req.payment_method,
        status: payment.status,
        amount_paise: payment.amount,
        price_paise_per_kg: price,
        payment_provider: payment.order.as_ref().map(|o| o.provider.clone()),
        payment_order_id: payment.order.map(|o| o.order_id),
        hold_expires_at: payment.hold,
        valid_from,
        valid_until,
        codes: super::lanecodes::candidates(app, &station, id, valid_from, valid_until),
        now,
        limits: Limits {
            max_live: app.settings.bookings.max_live_per_driver,
            per_hour: app.settings.bookings.max_per_driver_per_hour,
        },
    })
}

/// How a booking will be paid: at the station (confirmed now), or online (held while
/// the driver pays the order).
struct Payment {
    status: BookingStatus,
    amount: Option<i64>,
    order: Option<PaymentOrder>,
    hold: Option<DateTime<Utc>>,
}

async fn payment(
    app: &App,
    station: &Station,
    (id, price_paise_per_kg): (BookingId, i64),
    quantity: Quantity,
    method: PaymentMethod,
    now: DateTime<Utc>,
) -> Result<Payment> {
    if method == PaymentMethod::AtStation {
        return Ok(Payment {
            status: BookingStatus::Confirmed,
            amount: None,
            order: None,
            hold: None,
        });
    }
    // "Fill to full" pays for the station's maximum up front; the fill settles it.
    let centikg = if quantity.is_fill_to_full() {
        station.money.fill_to_full_centikg
    } else {
        quantity.centikg()
    };
    let amount = money::amount_for(u32::from(centikg), price_paise_per_kg);
    let order = app
        .payments
        .create_order(OrderRequest {
            booking: id,
            station: station.id,
            amount_paise: amount,
        })
        .await
        .map_err(BookingError::Payment)?;
    Ok(Payment {
        status: BookingStatus::PendingPayment,
        amount: Some(amount),
        order: Some(order),
        hold: Some(now + Duration::minutes(app.settings.bookings.payment_hold_minutes)),
    })
}

/// The caller's own bookings, newest slot first.
pub async fn mine(app: &App, user: &Actor) -> Result<Vec<Booking>> {
    Ok(app.store.bookings_for_user(user.id, 100).await?)
}

/// A booking the caller may see: their own, or one at a station they administer.
/// Others get `NotFound`, so booking ids cannot be probed.
pub async fn visible(app: &App, user: &Actor, id: BookingId) -> Result<Booking> {
    let booking = app.store.booking(id).await?.ok_or(BookingError::NotFound)?;
    if booking.user_id == user.id || access::administers(app, user, booking.station_id).await? {
        Ok(booking)
    } else {
        Err(BookingError::NotFound)
    }
}

/// Cancels a pending or confirmed booking and frees its place. A paid booking is
/// refunded: by the station's policy when its driver cancels, in full when the
/// station's staff do (a lane fault, a closed station).
pub async fn cancel(app: &App, user: &Actor, id: BookingId) -> Result<Booking> {
    let booking = visible(app, user, id).await?;
    let by = if booking.user_id == user.id {
        CancelledBy::Driver
    } else {
        CancelledBy::Station
    };
    let entry = user.audit(
        "booking.cancel",
        format!("booking:{id}"),
        serde_json::json!({ "was": booking.status, "by_station": by == CancelledBy::Station }),
    );
    let cancelled = app
        .store
        .cancel_paid_booking(id, Utc::now(), by, entry)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => BookingError::NotCancellable(booking.status),
            other => other.into(),
        })?;
    Ok(cancelled.booking)
}
