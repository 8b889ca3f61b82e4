//! Booking limits ("No hogging", docs/architecture.md): one tank cannot hold two places
//! within an hour, one driver cannot hold a station's horizon, and nobody books in a
//! loop. The store checks them inside the booking's transaction; this module holds the
//! rules' numbers and says which limit was hit and when it frees.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// A vehicle holds at most one live booking whose slot starts within this much of
/// another's: it is one tank (CNG autos fill about twice a day, so later bookings the
/// same day are fine).
pub const VEHICLE_WINDOW_MINUTES: i64 = 60;

/// The span [`Limits::per_hour`] counts over.
pub const RATE_WINDOW_MINUTES: i64 = 60;

/// The per-driver limits in force (from `bookings.*` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Live (confirmed or held for payment) bookings a driver may hold at once.
    pub max_live: u32,
    /// Bookings a driver may make per [`RATE_WINDOW_MINUTES`], whatever became of them.
    pub per_hour: u32,
}

/// The vehicle window around a slot start: live bookings of the same vehicle starting
/// strictly inside `(start - 60 min, start + 60 min)` conflict with it.
pub fn vehicle_window(slot_start: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let w = Duration::minutes(VEHICLE_WINDOW_MINUTES);
    (slot_start - w, slot_start + w)
}

/// Which limit refused a booking, and when it frees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitHit {
    #[error(
        "vehicle {registration} already has a live booking ({code}) for the slot at {}: \
         a vehicle holds one booking per {VEHICLE_WINDOW_MINUTES} minutes, so pick a slot \
         {VEHICLE_WINDOW_MINUTES} minutes or more from each of its live bookings (from this \
         one: at or after {}, or at or before {}), or cancel that booking",
        rfc(*other_slot),
        rfc(*other_slot + Duration::minutes(VEHICLE_WINDOW_MINUTES)),
        rfc(*other_slot - Duration::minutes(VEHICLE_WINDOW_MINUTES))
    )]
    Vehicle {
        registration: String,
        code: String,
        other_slot: DateTime<Utc>,
    },
    #[error(
        "you hold {live} live bookings, the most a driver may hold (bookings.max_live_per_driver \
         = {max}): one frees when it is used or cancelled, at the latest at {}",
        rfc(*frees_at)
    )]
    Driver {
        live: u32,
        max: u32,
        frees_at: DateTime<Utc>,
    },
    #[error(
        "you made {made} bookings in the last {RATE_WINDOW_MINUTES} minutes, the most a driver \
         may make (bookings.max_per_driver_per_hour = {max}): you can book again at {}",
        rfc(*frees_at)
    )]
    Rate {
        made: u32,
        max: u32,
        frees_at: DateTime<Utc>,
    },
}

impl LimitHit {
    /// Which limit, as a word (`vehicle`, `driver`, `rate`).
    pub fn which(&self) -> &'static str {
        match self {
            Self::Vehicle { .. } => "vehicle",
            Self::Driver { .. } => "driver",
            Self::Rate { .. } => "rate",
        }
    }

    /// When a booking refused by this limit could go through (for the vehicle limit: the
    /// earliest slot start after the other booking that no longer conflicts).
    pub fn frees_at(&self) -> DateTime<Utc> {
        match self {
            Self::Vehicle { other_slot, .. } => {
                *other_slot + Duration::minutes(VEHICLE_WINDOW_MINUTES)
            }
            Self::Driver { frees_at, .. } | Self::Rate { frees_at, .. } => *frees_at,
        }
    }
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_an_hour_apart_do_not_conflict_but_closer_ones_do() {
        let start: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        let (from, to) = vehicle_window(start);
        let inside = |t: DateTime<Utc>| from < t && t < to;
        assert!(inside(start + Duration::minutes(45)));
        assert!(inside(start - Duration::minutes(45)));
        assert!(!inside(start + Duration::minutes(60)));
        assert!(!inside(start - Duration::minutes(60)));
    }

    #[test]
    fn a_refusal_names_its_limit_and_when_it_frees() {
        let at: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        let hit = LimitHit::Vehicle {
            registration: "MH12AB1234".into(),
            code: "K7Q2".into(),
            other_slot: at,
        };
        let text = hit.to_string();
        assert!(
            text.contains("MH12AB1234") && text.contains("2026-01-01T11:00:00Z"),
            "{text}"
        );
        assert_eq!(hit.frees_at(), at + Duration::hours(1));
        let rate = LimitHit::Rate {
            made: 20,
            max: 20,
            frees_at: at,
        };
        assert!(rate.to_string().contains("max_per_driver_per_hour"));
    }
}
