//! The model's input for one hour, built exactly as `models/train.py` builds it (the
//! layout table is in `models/README.md`): hour-of-day one-hot (0–23), weekday one-hot
//! (24–30, Monday = 0), holiday (31), then temperature °C, humidity % and rain mm raw
//! (32–34) — the model standardises those itself.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// Features per row.
pub const FEATURES: usize = 35;

/// What the cloud knows about one hour at a station (local time).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourInput {
    /// The hour's start, in the station's local time.
    pub local: NaiveDateTime,
    pub temp_c: f64,
    /// Relative humidity, 0–100 %.
    pub humidity: f64,
    /// Rain in that hour, mm.
    pub rain_mm: f64,
    /// A public holiday at the station.
    pub holiday: bool,
}

/// India's national holidays, on fixed dates (month, day): Republic Day, Independence
/// Day, Gandhi Jayanti. Festivals move each year: `forecast.holidays` adds them.
const NATIONAL_HOLIDAYS: [(u32, u32); 3] = [(1, 26), (8, 15), (10, 2)];

/// Whether `date` is a public holiday: a national one, or one of `extra`.
pub fn is_holiday(date: chrono::NaiveDate, extra: &[chrono::NaiveDate]) -> bool {
    NATIONAL_HOLIDAYS.contains(&(date.month(), date.day())) || extra.contains(&date)
}

/// The weather assumed when none is known (no weather provider, or it failed): a dry,
/// warm hour of the Indian plains. Said in every answer that relies on it.
pub const ASSUMED_TEMP_C: f64 = 27.0;
pub const ASSUMED_HUMIDITY: f64 = 60.0;
pub const ASSUMED_RAIN_MM: f64 = 0.0;

impl HourInput {
    /// An hour with the assumed weather and no holiday.
    pub fn assumed(local: NaiveDateTime) -> Self {
        Self {
            local,
            temp_c: ASSUMED_TEMP_C,
            humidity: ASSUMED_HUMIDITY,
            rain_mm: ASSUMED_RAIN_MM,
            holiday: false,
        }
    }

    /// The model's input row. Numbers go in as f64 rounded to f32, as in training.
    #[allow(clippy::cast_possible_truncation)] // f64 → f32 is the training's own rounding
    pub fn features(&self) -> [f32; FEATURES] {
        let mut row = [0.0f32; FEATURES];
        row[self.local.hour() as usize] = 1.0;
        row[24 + self.local.weekday().num_days_from_monday() as usize] = 1.0;
        row[31] = if self.holiday { 1.0 } else { 0.0 };
        row[32] = self.temp_c as f32;
        row[33] = self.humidity as f32;
        row[34] = self.rain_mm as f32;
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn national_holidays_every_year_and_festivals_as_configured() {
        assert!(is_holiday(day(2027, 1, 26), &[]));
        assert!(is_holiday(day(2026, 8, 15), &[]));
        assert!(!is_holiday(day(2026, 11, 8), &[]));
        assert!(is_holiday(day(2026, 11, 8), &[day(2026, 11, 8)]));
    }

    #[test]
    fn the_features_are_the_documented_layout() {
        let local = day(2026, 11, 30).and_hms_opt(17, 0, 0).unwrap(); // a Monday
        let mut input = HourInput::assumed(local);
        input.holiday = true;
        let f = input.features();
        assert_eq!(f[17], 1.0);
        assert_eq!(f[24], 1.0, "Monday is weekday 0");
        assert_eq!(f[31], 1.0);
        assert_eq!((f[32], f[33], f[34]), (27.0, 60.0, 0.0));
        assert_eq!(f.iter().filter(|x| **x == 1.0).count(), 3);
    }
}
