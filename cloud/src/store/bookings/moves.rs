//! Moving bookings a lane fault no longer has room for (docs/architecture.md,
//! "Capacity and forecasts"): which ones (the newest of each overflowing slot: first
//! come, first kept), and the move itself — a place taken in the new slot before the
//! old one is given back, the window and lane code made anew, the edge and the driver
//! told. The app layer picks the new slot and makes the codes.

use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, StationId};

use super::window::free_code;
use crate::domain::{AuditEntry, Booking};
use crate::store::booking_rows::{BookingRow, bookings};
use crate::store::changes::{self, ChangeKind};
use crate::store::db::{Db, Lock, Query, query};
use crate::store::stations::{live_status_sql, station_in};
use crate::store::{StoreResult, audit, notifications, places};

/// A booking's move to another slot of its station.
#[derive(Debug, Clone)]
pub struct BookingMove {
    pub id: BookingId,
    pub station: StationId,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub to_end: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The lane codes for the new window, best first.
    pub codes: Vec<String>,
    /// How the new slot is sized if nobody booked it yet.
    pub capacity: u32,
    pub forecast_walkins: u32,
    pub now: DateTime<Utc>,
    pub audit: AuditEntry,
}

/// The live bookings that no longer fit their slot (slots not yet started whose places
/// held exceed their capacity), newest of each slot first.
pub(super) async fn overflow(
    db: &Db,
    station: StationId,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Booking>> {
    let slots: Vec<(DateTime<Utc>, i32, i32)> = db
        .fetch_all(
            query(
                "SELECT slot_start, capacity, held FROM slot_loads WHERE station_id = $1 \
                 AND slot_start > $2 AND held > capacity ORDER BY slot_start",
            )
            .bind(station)
            .bind(now),
        )
        .await?;
    let mut out = Vec::new();
    for (slot, capacity, held) in slots {
        let sql = format!(
            "SELECT * FROM bookings WHERE station_id = $1 AND slot_start = $2 AND {} \
             ORDER BY created_at DESC LIMIT $3",
            live_status_sql()
        );
        let rows: Vec<BookingRow> = db
            .fetch_all(
                Query::assembled(sql)
                    .bind(station)
                    .bind(slot)
                    .bind(i64::from(held - capacity)),
            )
            .await?;
        out.extend(bookings(rows)?);
    }
    Ok(out)
}

/// Moves a booking if it is still live in `m.from` and `m.to` has a place; the booking
/// as moved, or `None` (nothing changed).
pub(super) async fn move_booking(db: &Db, m: BookingMove) -> StoreResult<Option<Booking>> {
    let mut tx = db.begin().await?;
    let sql = format!(
        "SELECT * FROM bookings WHERE id = $1 AND slot_start = $2 AND {}{}",
        live_status_sql(),
        tx.lock(Lock::Update)
    );
    let q = Query::assembled(sql).bind(m.id).bind(m.from);
    if tx.fetch_optional::<BookingRow>(q).await?.is_none() {
        return Ok(None);
    }
    if !places::take(&mut tx, m.station, m.to, (m.capacity, m.forecast_walkins)).await? {
        return Ok(None);
    }
    places::release(&mut tx, m.station, m.from).await?;
    let code = free_code(&mut tx, &m.codes).await?;
    let row: BookingRow = tx
        .fetch_one(
            query(
                "UPDATE bookings SET slot_start = $2, slot_end = $3, valid_from = $4, \
                 valid_until = $5, code = $6, updated_at = $7 WHERE id = $1 RETURNING *",
            )
            .bind(m.id)
            .bind(m.to)
            .bind(m.to_end)
            .bind(m.valid_from)
            .bind(m.valid_until)
            .bind(code)
            .bind(m.now),
        )
        .await?;
    let moved = Booking::try_from(row)?;
    changes::log(&mut tx, m.station, ChangeKind::Booking(m.id)).await?;
    let notice = notifications::about(&moved, "lane-moved", serde_json::json!({}), m.now);
    notifications::enqueue(&mut tx, &notice, m.now).await?;
    // Its reminder follows it to the new time.
    if let Some(station) = station_in(&mut tx, m.station).await? {
        notifications::reschedule_reminder(&mut tx, &moved, station.reminder_lead_minutes, m.now)
            .await?;
    }
    let mut entry = m.audit;
    entry.detail = serde_json::json!({ "from": m.from, "to": m.to });
    audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(Some(moved))
}
