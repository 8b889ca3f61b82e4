//! The slot grid and bookable capacity (docs/architecture.md, "Capacity").
//!
//! Capacity of a slot = lanes in service × slot minutes / service minutes, less the
//! walk-in reserve: the demand forecast's expected walk-ins (none until it lands),
//! bounded below by the station's fixed reserve and above by its percent cap.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use gasq_shared::policy::StationPolicy;

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

/// Vehicles one slot can serve with the lanes in service, before any walk-in reserve.
pub fn raw_capacity(station: &Station) -> u32 {
    let service = u32::from(station.policy.service_minutes.max(1));
    u32::from(station.lanes_in_service()) * u32::from(station.policy.slot_minutes) / service
}

/// Places of a slot kept for walk-ins, given the forecast's expected walk-ins: at least
/// the station's fixed reserve, at most its cap, and never so many that fewer than its
/// floor of bookable places is left.
pub fn walkin_reserve(station: &Station, forecast_walkins: u32) -> u32 {
    let raw = raw_capacity(station);
    let floor = u32::from(station.policy.walkin_reserve_min);
    let cap = raw * u32::from(station.policy.walkin_reserve_max_percent.min(100)) / 100;
    let bookable_floor = u32::from(station.min_bookable_places).min(raw);
    forecast_walkins
        .clamp(floor, floor.max(cap))
        .min(raw - bookable_floor)
}

/// Bookable capacity of a slot, given the forecast's expected walk-ins for its hour.
pub fn capacity(station: &Station, forecast_walkins: u32) -> u32 {
    raw_capacity(station) - walkin_reserve(station, forecast_walkins)
}

/// Slot starts (UTC) of a local date, within opening hours, in order.
pub fn slot_starts(policy: &StationPolicy, date: NaiveDate) -> Vec<DateTime<Utc>> {
    let step = u32::from(policy.slot_minutes.max(1));
    let (open, close) = (
        u32::from(policy.opens_at.minutes()),
        u32::from(policy.closes_at.minutes()),
    );
    let midnight = date.and_time(NaiveTime::MIN);
    (open..close)
        .step_by(step as usize)
        .filter(|m| m + step <= close)
        .filter_map(|m| {
            let local = midnight + Duration::minutes(i64::from(m));
            // A local time that a DST jump skips has no slot.
            policy.timezone.from_local_datetime(&local).earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .collect()
}

/// The end of the slot that starts at `start`.
pub fn slot_end(policy: &StationPolicy, start: DateTime<Utc>) -> DateTime<Utc> {
    start + Duration::minutes(i64::from(policy.slot_minutes))
}

/// Checks that `start` is a slot of this station that can still be booked at `now`.
pub fn check_bookable(
    policy: &StationPolicy,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    horizon_days: i64,
) -> Result<(), SlotError> {
    let local = start.with_timezone(&policy.timezone);
    let minute = local.hour() * 60 + local.minute();
    if local.second() != 0 || start.timestamp_subsec_nanos() != 0 {
        return Err(SlotError::OffGrid(policy.slot_minutes));
    }
    let (open, close) = (
        u32::from(policy.opens_at.minutes()),
        u32::from(policy.closes_at.minutes()),
    );
    let step = u32::from(policy.slot_minutes.max(1));
    if minute < open || minute + step > close {
        return Err(SlotError::Closed);
    }
    if !(minute - open).is_multiple_of(step) {
        return Err(SlotError::OffGrid(policy.slot_minutes));
    }
    if slot_end(policy, start) <= now {
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
    policy: &StationPolicy,
    slot_start: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = slot_start - Duration::minutes(i64::from(policy.early_grace_minutes));
    let until =
        slot_end(policy, slot_start) + Duration::minutes(i64::from(policy.late_grace_minutes));
    (from, until)
}

/// The station's local date of an instant.
pub fn local_date(policy: &StationPolicy, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&policy.timezone).date_naive()
}

/// The station's local day that `at` falls in: its date and its start and end in UTC.
pub fn local_day(
    policy: &StationPolicy,
    at: DateTime<Utc>,
) -> (NaiveDate, DateTime<Utc>, DateTime<Utc>) {
    let date = local_date(policy, at);
    let start = policy
        .timezone
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .earliest()
        .map_or(at - Duration::hours(24), |t| t.with_timezone(&Utc));
    (date, start, start + Duration::hours(24))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn station() -> Station {
        Station {
            id: gasq_shared::StationId::new(1).unwrap(),
            code: gasq_shared::StationCode::parse("MUM-0001").unwrap(),
            name: "Test".into(),
            lat: 19.0,
            lon: 72.8,
            policy: StationPolicy::with_lanes(2),
            lanes_down: 0,
            price_paise_per_kg: 7_600,
            money: crate::domain::MoneyPolicy::default(),
            reminder_lead_minutes: 30,
            wait_target_minutes: 5,
            walkin_reserve_share_percent: 100,
            min_bookable_places: 1,
            lane_code_version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn policy() -> StationPolicy {
        station().policy
    }

    fn hours(open: &str, close: &str) -> StationPolicy {
        let changes = gasq_shared::policy::PolicyChanges {
            opens_at: gasq_shared::policy::DayMinute::parse(open),
            closes_at: gasq_shared::policy::DayMinute::parse(close),
            ..Default::default()
        };
        policy().apply(&changes).unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn two_lanes_serve_seven_vehicles_a_quarter_hour() {
        assert_eq!(raw_capacity(&station()), 7);
        assert_eq!(capacity(&station(), 0), 7);
        assert_eq!(capacity(&station(), 2), 5);
    }

    #[test]
    fn the_walkin_reserve_is_bounded_by_the_station_policy() {
        let mut s = station();
        // The forecast may keep at most half the slot (3 of 7) by default…
        assert_eq!(capacity(&s, 20), 4);
        // …and the station's fixed reserve holds even without a forecast.
        s.policy.walkin_reserve_min = 2;
        assert_eq!(capacity(&s, 0), 5);
        s.policy.walkin_reserve_max_percent = 100;
        // The floor of bookable places holds (1 by default; 0 lets walk-ins take all).
        assert_eq!(capacity(&s, 20), 1);
        s.min_bookable_places = 0;
        assert_eq!(capacity(&s, 20), 0);
        s.min_bookable_places = 3;
        assert_eq!(capacity(&s, 20), 3);
        s.min_bookable_places = 1;
        // A fixed reserve above the cap wins over the cap.
        s.policy.walkin_reserve_min = 5;
        s.policy.walkin_reserve_max_percent = 10;
        assert_eq!(capacity(&s, 0), 2);
    }

    #[test]
    fn a_faulted_lane_lowers_capacity() {
        let mut s = station();
        s.lanes_down = 1;
        assert_eq!(raw_capacity(&s), 3);
    }

    #[test]
    fn a_day_open_24_hours_has_96_slots_starting_at_local_midnight() {
        let starts = slot_starts(&policy(), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        assert_eq!(starts.len(), 96);
        assert_eq!(starts[0], at("2026-11-23T18:30:00Z"));
    }

    #[test]
    fn opening_hours_bound_the_grid() {
        let s = hours("06:00", "22:00");
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
        let s = policy();
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
        let s = policy();
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
        let (from, until) = validity_window(&policy(), at("2026-11-24T10:00:00Z"));
        assert_eq!(from, at("2026-11-24T09:45:00Z"));
        assert_eq!(until, at("2026-11-24T10:45:00Z"));
    }
}
