//! A grace that follows the road (docs/architecture.md, "Capacity and forecasts"): a
//! driver held up by traffic or rain refreshes their token, and its late edge moves by
//! what the trip and the weather say — within the station's bounds, and only while the
//! slot they will now arrive in has room. The booking stays one booking, redeemed once.

use chrono::{DateTime, Duration, Timelike, Utc};
use gasq_shared::BookingId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bookings::{self, BookingError};
use super::suggest::{self, Suggestions};
use super::tokens::{self, TokenError};
use super::{App, Invalid, lanecodes, slots, stations};
use crate::conditions::Source;
use crate::conditions::routes::{Travel, Trip};
use crate::domain::{Actor, BookingStatus, slots as grid};
use crate::store::StoreError;

/// The most a refresh adds to the station's late grace, minutes.
pub const MAX_EXTRA_MINUTES: i64 = 60;
/// A refreshed token stays valid this long past the driver's expected arrival.
const ARRIVAL_MARGIN_MINUTES: i64 = 10;
/// A token can be refreshed from this long before its slot: a driver on the way, not
/// one stretching tomorrow's window from far away today.
pub const REFRESH_FROM_HOURS: i64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Booking(#[from] BookingError),
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The driver cannot arrive within the longest grace.
    #[error(
        "at {eta_minutes:.0} minutes away you would arrive after the longest grace this station gives: book one of the suggested slots instead"
    )]
    TooLate {
        eta_minutes: f64,
        suggestions: Suggestions,
    },
    /// The driver would arrive in a later slot, and it is full.
    #[error("the slot you would now arrive in is full: book one of the suggested slots instead")]
    SlotFull { suggestions: Suggestions },
    #[error(transparent)]
    Station(#[from] stations::StationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the driver is now (optional: without it, only the weather moves the grace).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// Why the window is what it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct GraceView {
    /// The station's own late grace, minutes.
    pub base_minutes: i64,
    /// What the road and the rain added, minutes.
    pub extra_minutes: i64,
    pub rain_mm: f64,
    pub weather: Source,
    /// The trip from where the driver is, when they said.
    pub travel: Option<Travel>,
}

/// A refreshed e-token.
#[derive(Debug, Serialize, ToSchema)]
pub struct Refreshed {
    pub token: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The lane code for the new window (it changes with the window).
    pub code: String,
    pub grace: GraceView,
}

/// Minutes the road and the rain add: the traffic delay minute for minute, plus 10 for
/// rain and 20 for heavy rain (≥ 4 mm an hour), at most [`MAX_EXTRA_MINUTES`].
pub fn extra_minutes(traffic_delay_minutes: f64, rain_mm: f64) -> i64 {
    let rain = if rain_mm >= 4.0 {
        20.0
    } else if rain_mm >= 0.5 {
        10.0
    } else {
        0.0
    };
    #[allow(clippy::cast_possible_truncation)] // bounded just below
    let extra = (traffic_delay_minutes.max(0.0) + rain).ceil().min(1e6) as i64;
    extra.clamp(0, MAX_EXTRA_MINUTES)
}

fn check_position(req: &RefreshRequest) -> Result<Option<(f64, f64)>, Invalid> {
    match (req.lat, req.lon) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            Ok(Some((lat, lon)))
        }
        (Some(_), Some(_)) => Err(Invalid::new(
            "lat",
            "use latitude -90 to 90 and longitude -180 to 180",
        )),
        _ => Err(Invalid::new("lat", "send both lat and lon, or neither")),
    }
}

/// Refreshes booking `id`'s token for the road as it is now.
pub async fn refresh(
    app: &App,
    user: &Actor,
    id: BookingId,
    req: RefreshRequest,
) -> Result<Refreshed, RefreshError> {
    let position = check_position(&req)?;
    let b = bookings::visible(app, user, id).await?;
    if b.status != BookingStatus::Confirmed {
        return Err(TokenError::Unavailable(b.status).into());
    }
    let station = stations::get(app, b.station_id).await?;
    let now = Utc::now();
    if now < b.slot_start - Duration::hours(REFRESH_FROM_HOURS) {
        return Err(Invalid::new(
            "booking",
            "a token can be refreshed from 2 hours before its slot, when you are on your way",
        )
        .into());
    }
    let (outlook, weather) = app
        .weather
        .outlook(station.id, station.lat, station.lon)
        .await;
    let rain_mm = outlook.near(now).map_or(0.0, |w| w.rain_mm);
    let travel = match position {
        Some(from) => Some(
            app.routes
                .travel(Trip {
                    station: station.id,
                    from,
                    to: (station.lat, station.lon),
                    local_hour: now.with_timezone(&station.policy.timezone).hour(),
                })
                .await,
        ),
        None => None,
    };
    let base = i64::from(station.policy.late_grace_minutes);
    let extra = extra_minutes(travel.map_or(0.0, |t| t.delay_minutes()), rain_mm);
    let slot_end = grid::slot_end(&station.policy, b.slot_start);
    let base_until = slot_end + Duration::minutes(base);
    let longest = base_until + Duration::minutes(MAX_EXTRA_MINUTES);
    #[allow(clippy::cast_possible_truncation)] // minutes of a trip
    let eta = travel.map(|t| now + Duration::seconds((t.minutes * 60.0).round() as i64));
    let mut until = base_until + Duration::minutes(extra);
    if let Some(eta) = eta {
        if eta + Duration::minutes(ARRIVAL_MARGIN_MINUTES) > longest || now > b.valid_until {
            let suggestions = suggest::around(app, &station, eta).await?;
            return Err(RefreshError::TooLate {
                eta_minutes: travel.map_or(0.0, |t| t.minutes),
                suggestions,
            });
        }
        until = until.max(eta + Duration::minutes(ARRIVAL_MARGIN_MINUTES));
        // Arriving after the slot: the slot they arrive in must have room for them.
        if eta >= slot_end {
            let day = grid::local_date(&station.policy, eta);
            let arriving = slots::of_station(app, &station, day, now)
                .await?
                .into_iter()
                .find(|s| s.start <= eta && eta < s.end);
            if arriving.is_some_and(|s| s.available == 0) {
                let suggestions = suggest::around(app, &station, eta).await?;
                return Err(RefreshError::SlotFull { suggestions });
            }
        }
    }
    let until = until.min(longest);
    let b = if until > b.valid_until {
        let codes = lanecodes::candidates(app, &station, b.id, b.valid_from, until);
        let detail = serde_json::json!({
            "extra_minutes": extra, "rain_mm": rain_mm,
            "travel_minutes": travel.map(|t| t.minutes),
        });
        let entry = user.audit("booking.token_refresh", format!("booking:{}", b.id), detail);
        app.store.extend_window(b.id, until, &codes, entry).await?
    } else {
        b
    };
    Ok(Refreshed {
        token: tokens::issue(app, &b).await?,
        valid_from: b.valid_from,
        valid_until: b.valid_until,
        code: b.code.clone(),
        grace: GraceView {
            base_minutes: base,
            extra_minutes: extra,
            rain_mm,
            weather,
            travel,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extra_grace_follows_traffic_and_rain_and_is_bounded() {
        assert_eq!(extra_minutes(0.0, 0.0), 0);
        assert_eq!(extra_minutes(7.2, 0.0), 8);
        assert_eq!(extra_minutes(0.0, 1.0), 10);
        assert_eq!(extra_minutes(12.0, 6.0), 32);
        assert_eq!(extra_minutes(500.0, 9.0), MAX_EXTRA_MINUTES);
        assert_eq!(extra_minutes(-3.0, f64::NAN), 0);
    }
}
