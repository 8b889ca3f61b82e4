//! [`StationPolicy`]: how a station books — lanes, slot grid, opening hours, time zone,
//! token graces and the walk-in reserve. One value type for the cloud's model and
//! database rows, its API, and the station configuration edges sync.
//!
//! [`PolicyChanges`] is a partial policy (an admin's edit); [`StationPolicy::apply`]
//! checks the result as a whole, so a policy that exists is always a valid one.

use std::fmt;

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A station's booking policy. Fields added after edges first synced it have defaults,
/// so a configuration stored by an older edge still reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StationPolicy {
    /// Dispensers (lanes) installed, 1 to 64.
    pub lanes: u16,
    /// Minutes per bookable slot: 5, 10, 15, 20, 30 or 60.
    pub slot_minutes: u16,
    /// Minutes a lane needs per vehicle, movement included (1 to 60).
    pub service_minutes: u16,
    /// IANA time zone, e.g. `Asia/Kolkata`.
    #[serde(with = "tz_name")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "Asia/Kolkata"))]
    pub timezone: Tz,
    /// Local opening time, `HH:MM`.
    #[serde(default = "DayMinute::start")]
    pub opens_at: DayMinute,
    /// Local closing time, `HH:MM` (`24:00` = midnight; open 24 hours is 00:00–24:00).
    #[serde(default = "DayMinute::end")]
    pub closes_at: DayMinute,
    /// Minutes before its slot a token starts to be valid (0 to 240).
    #[serde(default = "defaults::early_grace")]
    pub early_grace_minutes: u16,
    /// Minutes after its slot a token stays valid (0 to 240).
    #[serde(default = "defaults::late_grace")]
    pub late_grace_minutes: u16,
    /// Places of every slot kept for drivers without a booking, whatever the forecast.
    #[serde(default)]
    pub walkin_reserve_min: u16,
    /// The most of a slot (percent) the demand forecast may keep for walk-ins.
    #[serde(default = "defaults::walkin_max_percent")]
    pub walkin_reserve_max_percent: u8,
}

mod defaults {
    pub fn early_grace() -> u16 {
        15
    }
    pub fn late_grace() -> u16 {
        30
    }
    pub fn walkin_max_percent() -> u8 {
        50
    }
}

/// The slot lengths a station may use (they divide an hour).
pub const SLOT_MINUTES: [u16; 6] = [5, 10, 15, 20, 30, 60];

impl StationPolicy {
    /// GasQ's default policy for a station of `lanes` lanes: 15-minute slots, 4 minutes a
    /// vehicle, Asia/Kolkata, open 24 hours, 15 minutes early and 30 late grace, no
    /// fixed walk-in reserve.
    pub fn with_lanes(lanes: u16) -> Self {
        Self {
            lanes,
            slot_minutes: 15,
            service_minutes: 4,
            timezone: chrono_tz::Asia::Kolkata,
            opens_at: DayMinute::start(),
            closes_at: DayMinute::end(),
            early_grace_minutes: defaults::early_grace(),
            late_grace_minutes: defaults::late_grace(),
            walkin_reserve_min: 0,
            walkin_reserve_max_percent: defaults::walkin_max_percent(),
        }
    }

    /// This policy with `changes` applied, if the result is a valid policy.
    pub fn apply(&self, changes: &PolicyChanges) -> Result<Self, PolicyError> {
        let c = changes;
        let next = Self {
            lanes: c.lanes.unwrap_or(self.lanes),
            slot_minutes: c.slot_minutes.unwrap_or(self.slot_minutes),
            service_minutes: c.service_minutes.unwrap_or(self.service_minutes),
            timezone: match &c.timezone {
                Some(name) => name.parse().map_err(|_| {
                    PolicyError::new("timezone", "use an IANA time zone such as Asia/Kolkata")
                })?,
                None => self.timezone,
            },
            opens_at: c.opens_at.unwrap_or(self.opens_at),
            closes_at: c.closes_at.unwrap_or(self.closes_at),
            early_grace_minutes: c.early_grace_minutes.unwrap_or(self.early_grace_minutes),
            late_grace_minutes: c.late_grace_minutes.unwrap_or(self.late_grace_minutes),
            walkin_reserve_min: c.walkin_reserve_min.unwrap_or(self.walkin_reserve_min),
            walkin_reserve_max_percent: c
                .walkin_reserve_max_percent
                .unwrap_or(self.walkin_reserve_max_percent),
        };
        next.check()?;
        Ok(next)
    }

    /// Checks every rule a policy must keep, naming the first field that breaks one.
    pub fn check(&self) -> Result<(), PolicyError> {
        if !(1..=64).contains(&self.lanes) {
            return Err(PolicyError::new("lanes", "a station has 1 to 64 lanes"));
        }
        if !SLOT_MINUTES.contains(&self.slot_minutes) {
            return Err(PolicyError::new(
                "slot_minutes",
                "use 5, 10, 15, 20, 30 or 60",
            ));
        }
        if !(1..=60).contains(&self.service_minutes) {
            return Err(PolicyError::new(
                "service_minutes",
                "use 1 to 60 minutes per vehicle",
            ));
        }
        if self.opens_at.minutes() + self.slot_minutes > self.closes_at.minutes() {
            return Err(PolicyError::new(
                "closes_at",
                "must be at least one slot after opens_at (overnight hours are not supported)",
            ));
        }
        for (field, grace) in [
            ("early_grace_minutes", self.early_grace_minutes),
            ("late_grace_minutes", self.late_grace_minutes),
        ] {
            if grace > 240 {
                return Err(PolicyError::new(field, "use 0 to 240 minutes"));
            }
        }
        if self.walkin_reserve_max_percent > 100 {
            return Err(PolicyError::new(
                "walkin_reserve_max_percent",
                "use 0 to 100 percent",
            ));
        }
        Ok(())
    }
}

/// Policy fields to change; the ones left out keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyChanges {
    pub lanes: Option<u16>,
    pub slot_minutes: Option<u16>,
    pub service_minutes: Option<u16>,
    /// IANA time zone, e.g. `Asia/Kolkata`.
    pub timezone: Option<String>,
    /// `HH:MM`
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "06:00"))]
    pub opens_at: Option<DayMinute>,
    /// `HH:MM` (`24:00` = midnight)
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "22:00"))]
    pub closes_at: Option<DayMinute>,
    pub early_grace_minutes: Option<u16>,
    pub late_grace_minutes: Option<u16>,
    pub walkin_reserve_min: Option<u16>,
    pub walkin_reserve_max_percent: Option<u8>,
}

/// Why a policy is not valid: the field, and what to send instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PolicyError {
    pub field: &'static str,
    pub message: &'static str,
}

impl PolicyError {
    fn new(field: &'static str, message: &'static str) -> Self {
        Self { field, message }
    }
}

/// A local time of day in whole minutes, `00:00` to `24:00`; written `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "06:00"))]
pub struct DayMinute(u16);

impl DayMinute {
    /// Midnight at the start of the day, `00:00`.
    pub fn start() -> Self {
        Self(0)
    }

    /// Midnight at the end of the day, `24:00`.
    pub fn end() -> Self {
        Self(24 * 60)
    }

    /// From minutes after midnight, 0 to 1440.
    pub fn from_minutes(minutes: u16) -> Option<Self> {
        (minutes <= 24 * 60).then_some(Self(minutes))
    }

    /// Reads `HH:MM` (`24:00` at most).
    pub fn parse(s: &str) -> Option<Self> {
        let (h, m) = s.trim().split_once(':')?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        if m >= 60 || h > 24 {
            return None;
        }
        Self::from_minutes(h * 60 + m)
    }

    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for DayMinute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for DayMinute {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DayMinute {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom("use HH:MM, 00:00 to 24:00"))
    }
}

/// A time zone as its IANA name.
mod tz_name {
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tz.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
        let name = String::deserialize(d)?;
        name.parse()
            .map_err(|_| serde::de::Error::custom(format!("unknown time zone {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(json: &str) -> PolicyChanges {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn times_of_day_read_and_write_as_hh_mm() {
        assert_eq!(DayMinute::parse("06:30").map(DayMinute::minutes), Some(390));
        assert_eq!(DayMinute::parse("24:00"), Some(DayMinute::end()));
        for bad in ["25:00", "24:01", "6", "06:5", "ab:cd", "-1:00", "12:60"] {
            assert_eq!(DayMinute::parse(bad), None, "{bad}");
        }
        assert_eq!(DayMinute::end().to_string(), "24:00");
    }

    #[test]
    fn a_change_is_checked_as_a_whole_policy() {
        let p = StationPolicy::with_lanes(2);
        let shorter = p.apply(&changes(r#"{"opens_at":"06:00","closes_at":"22:00"}"#));
        assert_eq!(shorter.map(|p| p.closes_at.minutes()), Ok(22 * 60));
        let inverted = p.apply(&changes(r#"{"opens_at":"22:00","closes_at":"06:00"}"#));
        assert_eq!(inverted.map_err(|e| e.field), Err("closes_at"));
        let mars = p.apply(&changes(r#"{"timezone":"Mars/Olympus"}"#));
        assert_eq!(mars.map_err(|e| e.field), Err("timezone"));
        assert_eq!(
            p.apply(&changes(r#"{"lanes":0}"#)).map_err(|e| e.field),
            Err("lanes")
        );
        assert_eq!(
            p.apply(&changes(r#"{"slot_minutes":7}"#))
                .map_err(|e| e.field),
            Err("slot_minutes")
        );
        assert_eq!(
            p.apply(&changes(r#"{"late_grace_minutes":241}"#))
                .map_err(|e| e.field),
            Err("late_grace_minutes")
        );
    }

    #[test]
    fn a_policy_stored_before_hours_and_graces_were_synced_still_reads() {
        let old = r#"{"timezone":"Asia/Kolkata","lanes":4,"slot_minutes":15,"service_minutes":4}"#;
        let p: StationPolicy = serde_json::from_str(old).unwrap();
        assert_eq!(p, StationPolicy::with_lanes(4));
    }

    #[test]
    fn a_policy_round_trips_through_json() {
        let mut p = StationPolicy::with_lanes(3);
        p.opens_at = DayMinute::parse("05:30").unwrap();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["opens_at"], "05:30");
        assert_eq!(json["timezone"], "Asia/Kolkata");
        assert_eq!(serde_json::from_value::<StationPolicy>(json).unwrap(), p);
    }
}
