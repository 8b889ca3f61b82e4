//! The waitlist, whoever asks (API, SMS): join a full slot, see where you are, take an
//! offered place, leave. The place-keeping rules are the store's (`store/waitlist.rs`).

use chrono::{DateTime, Utc};
use gasq_shared::{StationId, UserId, VehicleId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::bookings::{self, BookingError, BookingRequest};
use super::links::{self, Purpose};
use super::{App, Invalid};
use crate::domain::{Actor, Booking, PaymentMethod};
use crate::store::{Accepted, Joined, StoreError, WaitEntry};

#[derive(Debug, thiserror::Error)]
pub enum WaitlistError {
    #[error(transparent)]
    Booking(#[from] BookingError),
    /// The slot has a free place: book it.
    #[error("that slot has a free place: book it")]
    HasPlaces,
    #[error("no such place on the waitlist")]
    NotFound,
    /// No live offer (never made, lapsed, or taken).
    #[error("there is no place offered to you for this now")]
    NoOffer,
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, WaitlistError>;

/// Asking to wait for a full slot.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitRequest {
    pub station_id: StationId,
    pub vehicle_id: VehicleId,
    pub slot_start: DateTime<Utc>,
    /// Kilograms; leave out to fill to full.
    pub quantity_kg: Option<f64>,
}

/// A place on the waitlist, and how many are ahead.
#[derive(Debug, Serialize, ToSchema)]
pub struct Waiting {
    #[serde(flatten)]
    pub entry: WaitEntry,
    /// 1 = next when a place frees.
    pub position: i64,
}

/// Joins the waitlist of a full slot (pay at the station once booked).
pub async fn join(app: &App, driver: &Actor, req: WaitRequest) -> Result<Waiting> {
    // The same checks as a booking (station, vehicle, grid, horizon, quantity).
    let as_booking = BookingRequest {
        station_id: req.station_id,
        vehicle_id: req.vehicle_id,
        slot_start: req.slot_start,
        quantity_kg: req.quantity_kg,
        payment_method: PaymentMethod::AtStation,
    };
    let new = bookings::new_booking(app, driver, &as_booking).await?;
    // A driver the booking limits would refuse now is told so now, not when a place
    // is offered and then held for nobody.
    if let Some(hit) = app.store.standing_limit(&new).await? {
        return Err(BookingError::Limit(hit).into());
    }
    let joined = app
        .store
        .join_waitlist(
            new.station_id,
            new.slot_start,
            driver.id,
            req.vehicle_id,
            i32::from(new.quantity.centikg()),
            Utc::now(),
        )
        .await?;
    match joined {
        Joined::Waiting { entry, position } => Ok(Waiting { entry, position }),
        Joined::HasPlaces => Err(WaitlistError::HasPlaces),
    }
}

/// The caller's live places on waitlists.
pub async fn mine(app: &App, driver: &Actor) -> Result<Vec<WaitEntry>> {
    Ok(app.store.my_waitlist(driver.id).await?)
}

/// Takes the place offered to the caller on entry `id`: a confirmed booking.
pub async fn accept(app: &App, driver: &Actor, id: Uuid) -> Result<Booking> {
    let entry = app
        .store
        .waitlist_entry(id)
        .await?
        .filter(|e| e.user_id == driver.id.0)
        .ok_or(WaitlistError::NotFound)?;
    let station = StationId::try_from(entry.station_id).map_err(StoreError::corrupt)?;
    let req = BookingRequest {
        station_id: station,
        vehicle_id: entry.vehicle_id.into(),
        slot_start: entry.slot_start,
        quantity_kg: (entry.quantity_centikg > 0)
            .then(|| f64::from(entry.quantity_centikg) / 100.0),
        payment_method: PaymentMethod::AtStation,
    };
    let new = bookings::new_booking(app, driver, &req).await?;
    let audit = driver.audit(
        "waitlist.accept",
        format!("booking:{}", new.id),
        serde_json::json!({ "waitlist": id }),
    );
    match app.store.accept_offer(id, new, audit).await? {
        Accepted::Booked(b) => Ok(*b),
        Accepted::NoOffer => Err(WaitlistError::NoOffer),
        Accepted::Limited(hit) => Err(BookingError::Limit(hit).into()),
    }
}

/// The offer the caller has now, if any (what an SMS `YES` takes).
pub async fn current_offer(app: &App, driver: &Actor) -> Result<Option<WaitEntry>> {
    Ok(app
        .store
        .my_waitlist(driver.id)
        .await?
        .into_iter()
        .find(|e| e.status == "offered" && e.offer_expires_at.is_some_and(|t| t > Utc::now())))
}

/// The offer page's link for waitlist entry `id` (sent with the offer).
pub fn offer_link(app: &App, id: Uuid) -> String {
    links::url(app, Purpose::Offer, id)
}

/// The entry an offer link is for, and its driver (the link acts for them: only they
/// were sent it). `None` for a link that does not verify or an entry that is gone.
pub async fn by_link(app: &App, token: &str) -> Result<Option<(WaitEntry, Actor)>> {
    let Some(id) = links::id_of(app, Purpose::Offer, token) else {
        return Ok(None);
    };
    let Some(entry) = app.store.waitlist_entry(id).await? else {
        return Ok(None);
    };
    let Some(user) = app.store.user(UserId::from(entry.user_id)).await? else {
        return Ok(None);
    };
    let driver = Actor {
        id: user.id,
        role: user.role,
        ip: None,
    };
    Ok(Some((entry, driver)))
}

/// Leaves a waitlist (an offered place passes to the next driver).
pub async fn leave(app: &App, driver: &Actor, id: Uuid) -> Result<()> {
    if app.store.leave_waitlist(id, driver.id, Utc::now()).await? {
        Ok(())
    } else {
        Err(WaitlistError::NotFound)
    }
}

impl From<Invalid> for WaitlistError {
    fn from(e: Invalid) -> Self {
        Self::Booking(e.into())
    }
}
