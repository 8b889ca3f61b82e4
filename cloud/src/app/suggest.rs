//! Where to go instead (docs/architecture.md, "Capacity and forecasts"): when a slot is
//! full or a rush, the nearest calmer slots at the same station, and the stations
//! nearby with a free place at that time, calmest first — for the booking API's 409.

use chrono::{DateTime, Utc};
use gasq_shared::StationId;
use serde::Serialize;
use utoipa::ToSchema;

use super::App;
use super::slots::{self, RushLevel, SlotView};
use crate::domain::geo::distance_km;
use crate::domain::{Station, slots as grid};
use crate::store::StoreError;

/// Stations farther than this are no help to a driver on their way.
const NEARBY_KM: f64 = 15.0;
/// Suggestions of each kind, at most.
const HOW_MANY: usize = 3;

/// A slot to take instead.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotSuggestion {
    pub start: DateTime<Utc>,
    pub available: u32,
    pub rush_level: RushLevel,
    /// With the calm-slot discount where the station gives one.
    pub price_paise_per_kg: i64,
}

/// Another station, at about the time wanted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StationSuggestion {
    pub station_id: StationId,
    pub code: String,
    pub name: String,
    /// As the crow flies from the station asked for.
    pub distance_km: f64,
    pub start: DateTime<Utc>,
    pub available: u32,
    pub rush_level: RushLevel,
    pub price_paise_per_kg: i64,
}

/// Calmer slots here, and calm stations nearby.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Suggestions {
    pub slots: Vec<SlotSuggestion>,
    pub stations: Vec<StationSuggestion>,
}

/// A slot worth suggesting at the station asked for: free, and not a rush.
fn calm(s: &SlotView) -> bool {
    s.available > 0 && s.rush_level != RushLevel::High
}

fn rank(r: RushLevel) -> u8 {
    match r {
        RushLevel::Low => 0,
        RushLevel::Medium | RushLevel::Unknown => 1,
        RushLevel::High => 2,
    }
}

/// Suggestions for a driver who took `wanted` at `station`, if the forecast calls that
/// slot a rush (a nudge: the booking stands); `None` for a calmer slot.
pub async fn if_rush(
    app: &App,
    station: &Station,
    wanted: DateTime<Utc>,
) -> Result<Option<Suggestions>, StoreError> {
    let date = grid::local_date(&station.policy, wanted);
    let day = slots::of_station(app, station, date, Utc::now()).await?;
    let rush = day.iter().find(|s| s.start == wanted).map(|s| s.rush_level);
    if rush != Some(RushLevel::High) {
        return Ok(None);
    }
    let found = around(app, station, wanted).await?;
    Ok((!found.slots.is_empty() || !found.stations.is_empty()).then_some(found))
}

/// Suggestions for a driver who wanted `wanted` at `station`.
pub async fn around(
    app: &App,
    station: &Station,
    wanted: DateTime<Utc>,
) -> Result<Suggestions, StoreError> {
    let now = Utc::now();
    let date = grid::local_date(&station.policy, wanted);
    let mut here: Vec<SlotView> = slots::of_station(app, station, date, now)
        .await?
        .into_iter()
        .filter(|s| s.start != wanted && s.end > now && calm(s))
        .collect();
    here.sort_by_key(|s| (s.start - wanted).num_seconds().abs());
    let slots = here
        .into_iter()
        .take(HOW_MANY)
        .map(|s| SlotSuggestion {
            start: s.start,
            available: s.available,
            rush_level: s.rush_level,
            price_paise_per_kg: s.price_paise_per_kg,
        })
        .collect();

    let mut stations = Vec::new();
    for other in app.store.stations().await? {
        if other.id == station.id {
            continue;
        }
        let km = distance_km(station.lat, station.lon, other.lat, other.lon);
        if km > NEARBY_KM {
            continue;
        }
        let day = grid::local_date(&other.policy, wanted);
        let theirs = slots::of_station(app, &other, day, now).await?;
        // Their slot that holds the time wanted.
        let Some(slot) = theirs
            .into_iter()
            .find(|s| s.start <= wanted && wanted < s.end && s.available > 0)
        else {
            continue;
        };
        stations.push(StationSuggestion {
            station_id: other.id,
            code: other.code.to_string(),
            name: other.name.clone(),
            distance_km: (km * 10.0).round() / 10.0,
            start: slot.start,
            available: slot.available,
            rush_level: slot.rush_level,
            price_paise_per_kg: slot.price_paise_per_kg,
        });
    }
    stations.sort_by(|a, b| {
        rank(a.rush_level)
            .cmp(&rank(b.rush_level))
            .then(a.distance_km.total_cmp(&b.distance_km))
    });
    stations.truncate(HOW_MANY);
    Ok(Suggestions { slots, stations })
}
