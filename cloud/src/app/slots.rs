//! A station's slots for a day, with the places left in each.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use gasq_shared::StationId;
use serde::Serialize;
use utoipa::ToSchema;

use super::forecast::{self, DayForecast};
use super::stations::{self, StationError};
use crate::domain::{money, slots};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SlotsError {
    #[error(transparent)]
    Station(#[from] StationError),
    /// The `date` asked for is not one we can answer.
    #[error("{0}")]
    BadDate(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Forecast(#[from] forecast::ForecastError),
}

pub use super::forecast::RushLevel;

/// One slot of the day.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotView {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Bookable places in this slot.
    pub capacity: u32,
    /// Places still free now (0 for a slot that has ended).
    pub available: u32,
    pub rush_level: RushLevel,
    /// What a kilogram costs if booked in this slot now (the calm-slot discount
    /// included where the station gives one), paise.
    pub price_paise_per_kg: i64,
}

/// How far from today a date may be asked for.
const MAX_DAYS_AWAY: i64 = 366;

/// The slots of the station's local `date` (default today). `date` is `YYYY-MM-DD`.
pub async fn day(
    app: &super::App,
    id: StationId,
    date: Option<&str>,
) -> Result<Vec<SlotView>, SlotsError> {
    let station = stations::get(app, id).await?;
    let now = Utc::now();
    let date = requested_date(&station, date, now)?;
    Ok(of_station(app, &station, date, now).await?)
}

/// The slots of `station` on its local `date`, as they are at `now`.
pub async fn of_station(
    app: &super::App,
    station: &crate::domain::Station,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<SlotView>, StoreError> {
    let starts = slots::slot_starts(&station.policy, date);
    let (Some(first), Some(last)) = (starts.first(), starts.last()) else {
        return Ok(Vec::new());
    };
    let loads = app
        .store
        .slot_loads(station.id, *first, *last + Duration::seconds(1))
        .await?;
    let forecast = forecast_or_none(app, station, date).await;
    Ok(starts
        .into_iter()
        .map(|start| {
            let load = loads.iter().find(|l| l.slot_start == start);
            // A slot nobody booked yet is sized now, from the forecast; a booked slot
            // keeps the capacity it was given (a new forecast never cancels anyone).
            let walkins = forecast
                .as_ref()
                .map_or(0, |f| forecast::expected_walkins(f, station, start));
            let capacity = load.map_or_else(|| slots::capacity(station, walkins), |l| l.capacity);
            let held = load.map_or(0, |l| l.held);
            let end = slots::slot_end(&station.policy, start);
            let available = if end <= now {
                0
            } else {
                capacity.saturating_sub(held)
            };
            let rush_level = forecast
                .as_ref()
                .map_or(RushLevel::Unknown, |f| forecast::slot_rush(f, start));
            SlotView {
                start,
                end,
                capacity,
                available,
                rush_level,
                price_paise_per_kg: money::slot_price(
                    station.price_paise_per_kg,
                    &station.money,
                    rush_level == RushLevel::Low,
                ),
            }
        })
        .collect())
}

/// The station's local `date` (`YYYY-MM-DD`, default today), if it is one we answer.
fn requested_date(
    station: &crate::domain::Station,
    date: Option<&str>,
    now: DateTime<Utc>,
) -> Result<NaiveDate, SlotsError> {
    let today = slots::local_date(&station.policy, now);
    let date = match date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            let shaped = d.len() == 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-';
            SlotsError::BadDate(if shaped {
                "no such date: check the day and the month"
            } else {
                "date must be YYYY-MM-DD"
            })
        })?,
        None => today,
    };
    if (date - today).num_days().abs() > MAX_DAYS_AWAY {
        return Err(SlotsError::BadDate("date must be within a year of today"));
    }
    Ok(date)
}

/// The station's demand forecast for its local `date` (default today).
pub async fn forecast(
    app: &super::App,
    id: StationId,
    date: Option<&str>,
) -> Result<DayForecast, SlotsError> {
    let station = stations::get(app, id).await?;
    let date = requested_date(&station, date, Utc::now())?;
    Ok(forecast::day(app, &station, date).await?)
}

/// The station's forecast for `date`, or none when it cannot be made (said in the log:
/// slots then show `unknown` and keep only the station's fixed walk-in reserve).
pub async fn forecast_or_none(
    app: &super::App,
    station: &crate::domain::Station,
    date: NaiveDate,
) -> Option<DayForecast> {
    match forecast::day(app, station, date).await {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(station = %station.id, error = %e, "no forecast: slots sized without it");
            None
        }
    }
}
