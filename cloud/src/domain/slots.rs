//! The slot grid and bookable capacity (DESIGN.md "Capacity and forecasts").
//!
//! Capacity of a slot = lanes in service × slot minutes / service minutes, less the
//! walk-in reserve for that hour (zero until the forecast provides one).

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};

use super::model::Station;

/// Why a requested slot start is not bookable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error("slot_start must be on the station's {0}-minute grid (e.g. 10:00, 10:15)")]
    OffGrid(u16),
    #[error("the station is closed at that time")]
    Closed,
    #[error("that slot has already ended; pick a later one")]
    Past,
    #[error("bookings open {0} days ahead at most")]
    TooFarAhead(i64),
}

/// Vehicles one slot can serve with `lanes` lanes, before any walk-in reserve.
pub fn raw_capacity(station: &Station) -> u32 {
    let service = u32::from(station.service_minutes.max(1));
    u32::from(station.lanes_in_service()) * u32::from(station.slot_minutes) / service
}

/// Bookable capacity of a slot given the walk-in reserve for its hour.
pub fn capacity(station: &Station, walkin_reserve: u32) -> u32 {
    raw_capacity(station).saturating_sub(walkin_reserve)
}

/// Slot starts (UTC) of a local date, within opening hours, in order.
pub fn slot_starts(station: &Station, date: NaiveDate) -> Vec<DateTime<Utc>> {
    let step = u32::from(station.slot_minutes.max(1));
    let (open, close) = (
        u32::from(station.open_minute),
        u32::from(station.close_minute),
    );
    let midnight = date.and_time(NaiveTime::MIN);
    (open..close)
        .step_by(step as usize)
        .filter(|m| m + step <= close)
        .filter_map(|m| {
            let local = midnight + Duration::minutes(i64::from(m));
            // A local time that a DST jump skips has no slot.
            station.timezone.from_local_datetime(&local).earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .collect()
}

/// The end of the slot that starts at `start`.
pub fn slot_end(station: &Station, start: DateTime<Utc>) -> DateTime<Utc> {
    start + Duration::minutes(i64::from(station.slot_minutes))
}

/// Checks that `start` is a slot of this station that can still be booked at `now`.
pub fn check_bookable(
    station: &Station,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    horizon_days: i64,
) -> Result<(), SlotError> {
    let local = start.with_timezone(&station.timezone);
    let minute = local.hour() * 60 + local.minute();
    if local.second() != 0 || start.timestamp_subsec_nanos() != 0 {
        return Err(SlotError::OffGrid(station.slot_minutes));
    }
    let (open, close) = (
        u32::from(station.open_minute),
        u32::from(station.close_minute),
    );
    let step = u32::from(station.slot_minutes.max(1));
    if minute < open || minute + step > close {
        return Err(SlotError::Closed);
    }
    if !(minute - open).is_multiple_of(step) {
        return Err(SlotError::OffGrid(station.slot_minutes));
    }
    if slot_end(station, start) <= now {
        return Err(SlotError::Past);
    }
    if start > now + Duration::days(horizon_days) {
        return Err(SlotError::TooFarAhead(horizon_days));
    }
    Ok(())
}

/// The token validity window of a slot: from its start less the early grace, to its
/// end plus the late grace.
pub fn validity_window(
    station: &Station,
    slot_start: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = slot_start - Duration::minutes(i64::from(station.early_grace_minutes));
    let until =
        slot_end(station, slot_start) + Duration::minutes(i64::from(station.late_grace_minutes));
    (from, until)
}

/// The station's local date of an instant.
pub fn local_date(station: &Station, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&station.timezone).date_naive()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn station() -> Station {
        let code = gasq_shared::StationCode::parse("MUM-0001").unwrap();
        crate::store::NewStation::with_defaults(code, "Test", 19.0, 72.8, 2).draft()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn two_lanes_serve_seven_vehicles_a_quarter_hour() {
        assert_eq!(raw_capacity(&station()), 7);
        assert_eq!(capacity(&station(), 2), 5);
        assert_eq!(capacity(&station(), 20), 0);
    }

    #[test]
    fn a_faulted_lane_lowers_capacity() {
        let mut s = station();
        s.lanes_down = 1;
        assert_eq!(raw_capacity(&s), 3);
    }

    #[test]
    fn a_day_open_24_hours_has_96_slots_starting_at_local_midnight() {
        let starts = slot_starts(&station(), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        assert_eq!(starts.len(), 96);
        assert_eq!(starts[0], at("2026-11-23T18:30:00Z"));
    }

    #[test]
    fn opening_hours_bound_the_grid() {
        let mut s = station();
        s.open_minute = 6 * 60;
        s.close_minute = 22 * 60;
        let starts = slot_starts(&s, NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        assert_eq!(starts.len(), 64);
        let now = at("2026-11-24T00:00:00Z");
        assert_eq!(
            check_bookable(&s, at("2026-11-24T23:00:00Z"), now, 7),
            Err(SlotError::Closed)
        );
    }

    #[test]
    fn a_start_off_the_grid_is_refused() {
        let now = at("2026-11-24T00:00:00Z");
        let s = station();
        assert_eq!(
            check_bookable(&s, at("2026-11-24T10:07:00Z"), now, 7),
            Err(SlotError::OffGrid(15))
        );
        assert_eq!(
            check_bookable(&s, at("2026-11-24T10:00:30Z"), now, 7),
            Err(SlotError::OffGrid(15))
        );
        assert_eq!(
            check_bookable(&s, at("2026-11-24T10:00:00Z"), now, 7),
            Ok(())
        );
    }

    #[test]
    fn a_slot_in_progress_is_bookable_but_an_ended_one_is_not() {
        let s = station();
        let now = at("2026-11-24T10:10:00Z");
        assert_eq!(
            check_bookable(&s, at("2026-11-24T10:00:00Z"), now, 7),
            Ok(())
        );
        assert_eq!(
            check_bookable(&s, at("2026-11-24T09:45:00Z"), now, 7),
            Err(SlotError::Past)
        );
        assert_eq!(
            check_bookable(&s, at("2026-12-24T10:00:00Z"), now, 7),
            Err(SlotError::TooFarAhead(7))
        );
    }

    #[test]
    fn the_window_adds_the_graces() {
        let (from, until) = validity_window(&station(), at("2026-11-24T10:00:00Z"));
        assert_eq!(from, at("2026-11-24T09:45:00Z"));
        assert_eq!(until, at("2026-11-24T10:45:00Z"));
    }
}
