//! Booking limits, checked inside the booking's transaction ("No hogging",
//! docs/architecture.md): one live booking per vehicle within an hour, at most
//! `max_live` live bookings per driver, at most `per_hour` bookings per driver an hour.
//!
//! IMPORTANT: a count is only a decision if nobody can book for the same driver or
//! vehicle between the count and the commit. So the transaction first serialises on
//! the driver, then on the vehicle's registration (a registration, not a vehicle row:
//! two accounts may register the same plate, and it is still one tank). On PostgreSQL
//! these are advisory locks, taken before any slot row (the lock order); on SQLite the
//! transaction already holds the write lock.

use super::NewBooking;
use crate::domain::limits::{self, LimitHit};
use crate::store::StoreResult;
use crate::store::db::{Query, Tx, lock_key, query};
use crate::store::stations::live_status_sql;
use chrono::{DateTime, Duration, Utc};

/// Serialises with every other booking of the same driver and vehicle, then checks
/// the limits; `Some` names the one that refuses `b`.
pub(crate) async fn check(tx: &mut Tx, b: &NewBooking) -> StoreResult<Option<LimitHit>> {
    tx.serialize_on(lock_key("driver", &b.user_id.to_string()))
        .await?;
    if let Some(reg) = &b.registration {
        tx.serialize_on(lock_key("vehicle", reg)).await?;
        if let Some(hit) = vehicle(tx, reg, b.slot_start).await? {
            return Ok(Some(hit));
        }
    }
    if let Some(hit) = driver_live(tx, b).await? {
        return Ok(Some(hit));
    }
    rate(tx, b).await
}

/// The limits that refuse `b` as things stand — the vehicle's and the driver's live
/// bookings, not the hourly rate (that one passes with time) — without serialising:
/// for joining a waitlist, whose offer is booked (and checked again) later.
pub(crate) async fn standing(tx: &mut Tx, b: &NewBooking) -> StoreResult<Option<LimitHit>> {
    if let Some(reg) = &b.registration
        && let Some(hit) = vehicle(tx, reg, b.slot_start).await?
    {
        return Ok(Some(hit));
    }
    driver_live(tx, b).await
}

/// A live booking of the same registration whose slot starts within the hour around
/// `slot_start`.
async fn vehicle(
    tx: &mut Tx,
    registration: &str,
    slot_start: DateTime<Utc>,
) -> StoreResult<Option<LimitHit>> {
    let (from, to) = limits::vehicle_window(slot_start);
    let sql = format!(
        "SELECT code, slot_start FROM bookings WHERE registration = $1 AND {} \
         AND slot_start > $2 AND slot_start < $3 ORDER BY slot_start LIMIT 1",
        live_status_sql()
    );
    let other: Option<(String, DateTime<Utc>)> = tx
        .fetch_optional(Query::assembled(sql).bind(registration).bind(from).bind(to))
        .await?;
    Ok(other.map(|(code, other_slot)| LimitHit::Vehicle {
        registration: registration.to_owned(),
        code,
        other_slot,
    }))
}

/// The driver already holds `max_live` live bookings.
async fn driver_live(tx: &mut Tx, b: &NewBooking) -> StoreResult<Option<LimitHit>> {
    let count = format!(
        "SELECT COUNT(*) FROM bookings WHERE user_id = $1 AND {}",
        live_status_sql()
    );
    let (live,): (i64,) = tx
        .fetch_one(Query::assembled(count).bind(b.user_id))
        .await?;
    let live = u32::try_from(live).unwrap_or(u32::MAX);
    if live < b.limits.max_live {
        return Ok(None);
    }
    // Only on a refusal: when the first of them stops being live at the latest (a hold
    // lapses, or a window ends and it becomes a no-show).
    let ends = format!(
        "SELECT hold_expires_at, valid_until FROM bookings WHERE user_id = $1 AND {}",
        live_status_sql()
    );
    let rows: Vec<(Option<DateTime<Utc>>, DateTime<Utc>)> =
        tx.fetch_all(Query::assembled(ends).bind(b.user_id)).await?;
    let frees_at = rows
        .into_iter()
        .map(|(hold, until)| hold.unwrap_or(until))
        .min()
        .unwrap_or(b.now);
    Ok(Some(LimitHit::Driver {
        live,
        max: b.limits.max_live,
        frees_at,
    }))
}

/// The driver made `per_hour` bookings in the last hour.
async fn rate(tx: &mut Tx, b: &NewBooking) -> StoreResult<Option<LimitHit>> {
    let since = b.now - Duration::minutes(limits::RATE_WINDOW_MINUTES);
    let (made,): (i64,) = tx
        .fetch_one(
            query("SELECT COUNT(*) FROM bookings WHERE user_id = $1 AND created_at > $2")
                .bind(b.user_id)
                .bind(since),
        )
        .await?;
    let max = b.limits.per_hour;
    if made < i64::from(max) {
        return Ok(None);
    }
    // The booking whose leaving the window brings the count below the limit.
    let oldest: Option<(DateTime<Utc>,)> = tx
        .fetch_optional(
            query(
                "SELECT created_at FROM bookings WHERE user_id = $1 AND created_at > $2 \
                 ORDER BY created_at LIMIT 1 OFFSET $3",
            )
            .bind(b.user_id)
            .bind(since)
            .bind(made - i64::from(max)),
        )
        .await?;
    Ok(Some(LimitHit::Rate {
        made: u32::try_from(made).unwrap_or(u32::MAX),
        max,
        frees_at: oldest.map_or(b.now, |(at,)| at) + Duration::minutes(limits::RATE_WINDOW_MINUTES),
    }))
}
