//! When a lane goes down, bookings that no longer fit are moved or refunded, and their
//! drivers told (docs/architecture.md, "Capacity and forecasts"). Each overflowing
//! booking (the newest of its slot) goes to the nearest later slot of its station
//! within [`MOVE_WITHIN_HOURS`] that has a place — its window and lane code made anew,
//! the driver told "moved by a lane fault" — or, with none, is cancelled by the
//! station (refunded in full) and the driver told.

use chrono::{Duration, Utc};
use gasq_shared::StationId;

use super::{App, forecast, lanecodes, slots as slot_views};
use crate::domain::money::CancelledBy;
use crate::domain::{AuditEntry, slots};
use crate::store::{BookingMove, StoreError};

/// How much later a moved booking may go; beyond it, a refund serves the driver better.
pub const MOVE_WITHIN_HOURS: i64 = 2;

/// What a pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub moved: usize,
    pub cancelled: usize,
}

fn system(action: &str, target: String) -> AuditEntry {
    AuditEntry {
        action: action.into(),
        target,
        ..AuditEntry::default()
    }
}

/// Moves or cancels the bookings of `station` that no longer fit their slot.
pub async fn settle_overflow(app: &App, station: StationId) -> Result<Settled, StoreError> {
    let now = Utc::now();
    let overflow = app.store.overflowing_bookings(station, now).await?;
    let mut done = Settled::default();
    if overflow.is_empty() {
        return Ok(done);
    }
    let Some(station) = app.store.station(station).await? else {
        return Ok(done);
    };
    for b in overflow {
        let date = slots::local_date(&station.policy, b.slot_start);
        let forecast = slot_views::forecast_or_none(app, &station, date).await;
        let mut candidates = slot_views::of_station(app, &station, date, now).await?;
        let next_day = date.succ_opt().unwrap_or(date);
        if next_day != date {
            candidates.extend(slot_views::of_station(app, &station, next_day, now).await?);
        }
        let latest = b.slot_start + Duration::hours(MOVE_WITHIN_HOURS);
        let mut moved = None;
        for slot in candidates
            .into_iter()
            .filter(|s| s.start > b.slot_start && s.start <= latest && s.available > 0)
        {
            let (valid_from, valid_until) = slots::validity_window(&station.policy, slot.start);
            let walkins = forecast
                .as_ref()
                .map_or(0, |f| forecast::expected_walkins(f, &station, slot.start));
            let m = BookingMove {
                id: b.id,
                station: station.id,
                from: b.slot_start,
                to: slot.start,
                to_end: slot.end,
                valid_from,
                valid_until,
                codes: lanecodes::candidates(app, &station, b.id, valid_from, valid_until),
                capacity: slot.capacity,
                forecast_walkins: walkins,
                now,
                audit: system("booking.moved_by_lane_fault", format!("booking:{}", b.id)),
            };
            if let Some(m) = app.store.move_booking(m).await? {
                moved = Some(m);
                break;
            }
        }
        if moved.is_some() {
            done.moved += 1;
            continue;
        }
        let entry = system(
            "booking.cancelled_by_lane_fault",
            format!("booking:{}", b.id),
        );
        match app
            .store
            .cancel_paid_booking(b.id, now, CancelledBy::Station, entry)
            .await
        {
            Ok(_) => done.cancelled += 1,
            // Cancelled or used meanwhile: nothing left to do for it.
            Err(StoreError::Conflict(_) | StoreError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if done != Settled::default() {
        tracing::warn!(station = %station.code, moved = done.moved, cancelled = done.cancelled,
            "lanes down: bookings that no longer fit were moved or cancelled");
    }
    Ok(done)
}
