//! A station's demand forecast (docs/architecture.md, "Capacity and forecasts"):
//! expected arrivals per local hour = the station's level × the model's shape of that
//! hour; rush levels against the station's hourly capacity; expected kilograms from
//! the station's own kg per fill; the walk-ins a slot should keep room for.
//!
//! The level is fitted once a day per station (`models/README.md`: Σ arrivals / Σ shape
//! over the 28 days before today, or a prior while the station has less than 7 days of
//! history) and kept in [`LevelCache`].

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use gasq_shared::StationId;
use serde::Serialize;
use utoipa::ToSchema;

use super::App;
use crate::domain::{Station, queueing, slots};
use crate::forecast::features::is_holiday;
use crate::forecast::level::{self, LEVEL_DAYS, MIN_HISTORY_DAYS};
use crate::forecast::{HourInput, ModelError};
use crate::store::StoreError;

/// How busy a slot is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RushLevel {
    /// No forecast yet.
    Unknown,
    Low,
    Medium,
    High,
}

/// Kilograms of a fill while a station has recorded none (a car's CNG cylinder).
const PRIOR_KG_PER_FILL: f64 = 7.0;
/// The share of arrivals that are walk-ins while a station has no history.
const PRIOR_WALKIN_SHARE: f64 = 0.5;
/// Expected arrivals under this share of hourly capacity are a calm hour…
const LOW_BELOW: f64 = 0.5;
/// …and from this share on, a rush.
const HIGH_FROM: f64 = 0.85;

#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a station's level came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LevelSource {
    /// Fitted from the station's own arrivals over the last 28 days.
    History,
    /// Less than 7 days of history: 35 % of the station's hourly capacity.
    Prior,
}

/// What a station's history says, fitted once a day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct StationLevel {
    /// Arrivals an average hour brings.
    pub level: f64,
    pub source: LevelSource,
    pub kg_per_fill: f64,
    /// The share of arrivals that come without a booking.
    pub walkin_share: f64,
}

/// What a level was fitted for: the day, and the lanes and service time its prior
/// (and rush levels) depend on — a lane fault or a policy edit refits it.
type FittedFor = (NaiveDate, u16, u16);

/// Levels by station for the day (and lanes) they were fitted for.
#[derive(Debug, Default)]
pub struct LevelCache(Mutex<HashMap<StationId, (FittedFor, StationLevel)>>);

/// One hour of the forecast.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HourForecast {
    /// The local hour, 0–23.
    pub hour: u32,
    pub start: DateTime<Utc>,
    pub expected_arrivals: f64,
    pub expected_kg: f64,
    pub rush_level: RushLevel,
    /// The lane plan: lanes to staff so that a walk-in's expected wait stays under the
    /// station's target (M/M/c estimate, `domain/queueing.rs`; at most the lanes in
    /// service).
    pub lanes_needed: u32,
    /// The expected wait with every lane in service open, minutes (`null`: the lanes
    /// cannot keep up — the queue grows all hour).
    pub expected_wait_minutes: Option<f64>,
    /// Arrivals the edge reported in this hour (`null` until it begins).
    pub actual_arrivals: Option<u32>,
    /// The fewest lanes in service during this hour so far, beside `lanes_needed`
    /// (`null` until it begins).
    pub actual_lanes_in_service: Option<u16>,
}

/// A station's forecast for one local day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayForecast {
    pub station_id: StationId,
    pub date: NaiveDate,
    #[serde(flatten)]
    pub level: StationLevel,
    /// Where the weather features came from: `openweathermap` (for the hours it
    /// covers), else `assumed` (a dry 27 °C hour).
    pub weather: &'static str,
    /// Fills an hour the lanes in service can serve.
    pub hourly_capacity: f64,
    /// Lanes in service now, beside the plan's `lanes_needed` of each hour.
    pub lanes_in_service: u16,
    /// The wait the lane plan keeps walk-ins under, minutes.
    pub wait_target_minutes: u16,
    pub total_arrivals: f64,
    /// Gas the day needs, for planning supply.
    pub total_kg: f64,
    pub hours: Vec<HourForecast>,
}

/// The local hours of `date` at the station, with their UTC start (hours a daylight
/// saving change skips are left out).
fn local_hours(station: &Station, date: NaiveDate) -> Vec<(NaiveDateTime, DateTime<Utc>)> {
    let tz = station.policy.timezone;
    (0..24)
        .filter_map(|h| {
            let local = date.and_hms_opt(h, 0, 0)?;
            let utc = tz
                .from_local_datetime(&local)
                .earliest()?
                .with_timezone(&Utc);
            Some((local, utc))
        })
        .collect()
}

/// Fills an hour the station's lanes in service can serve.
pub fn hourly_capacity(station: &Station) -> f64 {
    f64::from(station.lanes_in_service()) * 60.0 / f64::from(station.policy.service_minutes.max(1))
}

/// How busy `expected` arrivals make an hour of `capacity` fills.
pub fn rush_level(expected: f64, capacity: f64) -> RushLevel {
    if capacity <= 0.0 {
        return RushLevel::High;
    }
    match expected / capacity {
        r if r < LOW_BELOW => RushLevel::Low,
        r if r < HIGH_FROM => RushLevel::Medium,
        _ => RushLevel::High,
    }
}

/// The station's level as of today (fitted at most once a day).
pub async fn station_level(app: &App, station: &Station) -> Result<StationLevel, ForecastError> {
    let today = slots::local_date(&station.policy, Utc::now());
    let fitted_for = (
        today,
        station.lanes_in_service(),
        station.policy.service_minutes,
    );
    if let Ok(cache) = app.levels.0.lock()
        && let Some((for_, level)) = cache.get(&station.id)
        && *for_ == fitted_for
    {
        return Ok(*level);
    }
    let level = fit_level(app, station, today).await?;
    if let Ok(mut cache) = app.levels.0.lock() {
        cache.insert(station.id, (fitted_for, level));
    }
    Ok(level)
}

async fn fit_level(
    app: &App,
    station: &Station,
    today: NaiveDate,
) -> Result<StationLevel, ForecastError> {
    let days: Vec<NaiveDate> = (1..=LEVEL_DAYS)
        .rev()
        .map(|d| today - Duration::days(d))
        .collect();
    let hours: Vec<(NaiveDateTime, DateTime<Utc>)> =
        days.iter().flat_map(|d| local_hours(station, *d)).collect();
    let (Some(first), Some(_)) = (hours.first(), hours.last()) else {
        return Ok(prior(station));
    };
    let end = local_hours(station, today)
        .first()
        .map_or_else(Utc::now, |(_, utc)| *utc);
    let history = app.store.demand_history(station.id, first.1, end).await?;
    let Some(began) = history.first_event_at else {
        return Ok(prior(station));
    };
    if end - began < Duration::days(MIN_HISTORY_DAYS) {
        return Ok(prior(station));
    }
    // Arrivals by local hour; hours before the station's history began are absent.
    let tz = station.policy.timezone;
    let mut counts: HashMap<NaiveDateTime, f64> = HashMap::new();
    let mut walkins = 0usize;
    for (at, walkin) in &history.arrivals {
        let local = at.with_timezone(&tz).naive_local();
        let hour = local
            .with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0));
        if let Some(h) = hour {
            *counts.entry(h).or_default() += 1.0;
        }
        walkins += usize::from(*walkin);
    }
    let present: Vec<&(NaiveDateTime, DateTime<Utc>)> = hours
        .iter()
        .filter(|(_, utc)| *utc + Duration::hours(1) > began)
        .collect();
    let features: Vec<_> = present
        .iter()
        .map(|(local, _)| {
            let mut input = HourInput::assumed(*local);
            input.holiday = is_holiday(local.date(), &app.settings.forecast.holidays);
            input.features()
        })
        .collect();
    let shapes = app.demand.shapes(&features)?;
    let fitted = level::fit(
        present
            .iter()
            .zip(shapes)
            .map(|((local, _), s)| (counts.get(local).copied().unwrap_or(0.0), s)),
    );
    let Some(level) = fitted else {
        return Ok(prior(station));
    };
    #[allow(clippy::cast_precision_loss)] // arrivals in 28 days: far below 2^52
    let walkin_share = if history.arrivals.is_empty() {
        PRIOR_WALKIN_SHARE
    } else {
        walkins as f64 / history.arrivals.len() as f64
    };
    Ok(StationLevel {
        level,
        source: LevelSource::History,
        kg_per_fill: history.mean_fill_kg.unwrap_or(PRIOR_KG_PER_FILL),
        walkin_share,
    })
}

fn prior(station: &Station) -> StationLevel {
    StationLevel {
        level: level::prior(station.lanes_in_service(), station.policy.service_minutes),
        source: LevelSource::Prior,
        kg_per_fill: PRIOR_KG_PER_FILL,
        walkin_share: PRIOR_WALKIN_SHARE,
    }
}

/// The station's forecast for its local `date`.
pub async fn day(
    app: &App,
    station: &Station,
    date: NaiveDate,
) -> Result<DayForecast, ForecastError> {
    let level = station_level(app, station).await?;
    let hours = local_hours(station, date);
    // The coming hours' weather where the provider has it (about five days ahead).
    let (outlook, _) = app
        .weather
        .outlook(station.id, station.lat, station.lon)
        .await;
    let mut from_provider = false;
    let features: Vec<_> = hours
        .iter()
        .map(|(local, utc)| {
            let mut input = HourInput::assumed(*local);
            input.holiday = is_holiday(local.date(), &app.settings.forecast.holidays);
            if let Some(w) = outlook.at(*utc) {
                from_provider = true;
                input.temp_c = w.temp_c;
                input.humidity = w.humidity;
                input.rain_mm = w.rain_mm;
            }
            input.features()
        })
        .collect();
    let shapes = app.demand.shapes(&features)?;
    let capacity = hourly_capacity(station);
    let starts: Vec<_> = hours.iter().map(|(_, start)| *start).collect();
    let actuals = super::actuals::hours(app, station, &starts, Utc::now()).await?;
    let hours: Vec<HourForecast> = hours
        .iter()
        .zip(shapes)
        .zip(actuals)
        .map(|(((local, start), shape), actual)| {
            let expected = level.level * f64::from(shape);
            let service = f64::from(station.policy.service_minutes);
            let lanes = u32::from(station.lanes_in_service());
            HourForecast {
                hour: local.hour(),
                start: *start,
                expected_arrivals: round2(expected),
                expected_kg: round2(expected * level.kg_per_fill),
                rush_level: rush_level(expected, capacity),
                lanes_needed: queueing::lanes_needed(
                    expected,
                    service,
                    f64::from(station.wait_target_minutes),
                    lanes,
                ),
                expected_wait_minutes: queueing::expected_wait_minutes(expected, service, lanes)
                    .map(round2),
                actual_arrivals: actual.map(|a| a.arrivals),
                actual_lanes_in_service: actual.map(|a| a.lanes_in_service),
            }
        })
        .collect();
    Ok(DayForecast {
        station_id: station.id,
        date,
        level,
        weather: if from_provider {
            "openweathermap"
        } else {
            "assumed"
        },
        hourly_capacity: capacity,
        lanes_in_service: station.lanes_in_service(),
        wait_target_minutes: station.wait_target_minutes,
        total_arrivals: round2(hours.iter().map(|h| h.expected_arrivals).sum()),
        total_kg: round2(hours.iter().map(|h| h.expected_kg).sum()),
        hours,
    })
}

/// Walk-ins the forecast expects in the slot starting at `slot_start`, in whole
/// vehicles (rounded: a quiet night hour keeps no place).
pub fn expected_walkins(
    forecast: &DayForecast,
    station: &Station,
    slot_start: DateTime<Utc>,
) -> u32 {
    let Some(hour) = forecast
        .hours
        .iter()
        .find(|h| h.start <= slot_start && slot_start < h.start + Duration::hours(1))
    else {
        return 0;
    };
    let per_slot = hour.expected_arrivals * f64::from(station.policy.slot_minutes) / 60.0;
    let share = f64::from(station.walkin_reserve_share_percent) / 100.0;
    let walkins = (per_slot * forecast.level.walkin_share * share).round();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // small and ≥ 0
    let walkins = walkins.max(0.0).min(f64::from(u16::MAX)) as u32;
    walkins
}

/// The rush level of the hour `slot_start` falls in.
pub fn slot_rush(forecast: &DayForecast, slot_start: DateTime<Utc>) -> RushLevel {
    forecast
        .hours
        .iter()
        .find(|h| h.start <= slot_start && slot_start < h.start + Duration::hours(1))
        .map_or(RushLevel::Unknown, |h| h.rush_level)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
