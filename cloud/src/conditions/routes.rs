//! A driver's travel time to the station: Google Routes `computeRouteMatrix` with
//! traffic (`POST {base}/distanceMatrix/v2:computeRouteMatrix`, `X-Goog-Api-Key`,
//! `X-Goog-FieldMask`), one origin and one destination. The difference between the
//! traffic-aware `duration` and the free-flow `staticDuration` is the traffic delay the
//! late grace follows. Cached per station, origin (to about a kilometre) and hour;
//! without a key, or when the call fails, an estimate from the distance.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Timelike, Utc};
use gasq_shared::StationId;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::Source;
use crate::config::MapsSettings;
use crate::domain::geo::distance_km;
use crate::secret::Secret;

/// Roads are longer than the straight line between two points.
const ROAD_FACTOR: f64 = 1.3;
/// City speeds for the estimate: free-flowing (the night), in the day's traffic, and
/// in the rush hours.
const FREE_KMH: f64 = 30.0;
const DAY_KMH: f64 = 24.0;
const RUSH_KMH: f64 = 18.0;

/// The estimate's speed at a local hour: the morning (8–11) and evening (17–21) rush
/// are slowest, the night (22–6) flows freely (no delay), the rest of the day between.
fn traffic_kmh(local_hour: u32) -> f64 {
    match local_hour {
        8..=10 | 17..=20 => RUSH_KMH,
        22..=23 | 0..=5 => FREE_KMH,
        _ => DAY_KMH,
    }
}

/// A trip to the station.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Travel {
    /// With today's traffic.
    pub minutes: f64,
    /// With empty roads.
    pub free_flow_minutes: f64,
    pub km: f64,
    pub source: Source,
}

impl Travel {
    /// What traffic adds to the trip, minutes.
    pub fn delay_minutes(&self) -> f64 {
        (self.minutes - self.free_flow_minutes).max(0.0)
    }
}

/// From where to where.
#[derive(Debug, Clone, Copy)]
pub struct Trip {
    pub station: StationId,
    pub from: (f64, f64),
    pub to: (f64, f64),
    /// The hour it starts at, at the station (for the estimate's traffic).
    pub local_hour: u32,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Element {
    #[serde(default)]
    duration: Option<String>,
    #[serde(default)]
    static_duration: Option<String>,
    #[serde(default)]
    distance_meters: Option<f64>,
    #[serde(default)]
    condition: Option<String>,
}

type CacheKey = (StationId, i64, i64, DateTime<Utc>);

/// The routes service: Google Routes with a cache, or the estimate.
#[derive(Debug)]
pub struct Routes {
    http: Option<reqwest::Client>,
    base: String,
    key: Option<Secret>,
    cache: Mutex<HashMap<CacheKey, Travel>>,
}

impl Routes {
    pub fn from_settings(s: &MapsSettings) -> Self {
        Self {
            http: super::client("routes", s.api_key.as_ref(), s.timeout_secs),
            base: s.base_url.trim_end_matches('/').to_owned(),
            key: s.api_key.clone(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// "google-routes" or "estimate", for startup and answers.
    pub fn name(&self) -> &'static str {
        if self.http.is_some() {
            "google-routes"
        } else {
            "estimate"
        }
    }

    /// The trip's travel time now.
    pub async fn travel(&self, trip: Trip) -> Travel {
        let (Some(http), Some(key)) = (&self.http, &self.key) else {
            return estimate(trip);
        };
        let now = Utc::now();
        let hour = now
            .with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(now);
        #[allow(clippy::cast_possible_truncation)] // rounded coordinates fit easily
        let key_of = (
            trip.station,
            (trip.from.0 * 100.0).round() as i64,
            (trip.from.1 * 100.0).round() as i64,
            hour,
        );
        if let Ok(cache) = self.cache.lock()
            && let Some(t) = cache.get(&key_of)
        {
            return *t;
        }
        let point = |(lat, lon): (f64, f64)| json!({"waypoint": {"location": {"latLng": {"latitude": lat, "longitude": lon}}}});
        let body = json!({
            "origins": [point(trip.from)],
            "destinations": [point(trip.to)],
            "travelMode": "DRIVE",
            "routingPreference": "TRAFFIC_AWARE",
        });
        let answer = http
            .post(format!(
                "{}/distanceMatrix/v2:computeRouteMatrix",
                self.base
            ))
            .header("X-Goog-Api-Key", key.expose())
            .header(
                "X-Goog-FieldMask",
                "originIndex,destinationIndex,duration,staticDuration,distanceMeters,condition",
            )
            .json(&body)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status);
        let parsed = match answer {
            Ok(res) => res.json::<Vec<Element>>().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.without_url().to_string()),
        };
        match parsed.and_then(|els| from_element(els.first())) {
            Ok(travel) => {
                if let Ok(mut cache) = self.cache.lock() {
                    cache.retain(|k, _| k.3 == hour);
                    cache.insert(key_of, travel);
                }
                travel
            }
            Err(e) => {
                tracing::warn!(station = %trip.station, error = %e, "routes: Google Routes failed, estimating from the distance");
                estimate(trip)
            }
        }
    }
}

fn seconds(d: Option<&String>) -> Option<f64> {
    d?.strip_suffix('s')?
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
}

fn from_element(e: Option<&Element>) -> Result<Travel, String> {
    let e = e.ok_or("an empty route matrix")?;
    if e.condition.as_deref().is_some_and(|c| c != "ROUTE_EXISTS") {
        return Err(format!(
            "no route ({})",
            e.condition.as_deref().unwrap_or("")
        ));
    }
    let traffic = seconds(e.duration.as_ref()).ok_or("no duration")?;
    let free = seconds(e.static_duration.as_ref()).unwrap_or(traffic);
    Ok(Travel {
        minutes: traffic / 60.0,
        free_flow_minutes: free / 60.0,
        km: e.distance_meters.unwrap_or(0.0) / 1000.0,
        source: Source::Provider,
    })
}

/// The estimate: the straight line × a road factor, at city speeds for the hour.
pub fn estimate(trip: Trip) -> Travel {
    let km = distance_km(trip.from.0, trip.from.1, trip.to.0, trip.to.1) * ROAD_FACTOR;
    Travel {
        minutes: km / traffic_kmh(trip.local_hour) * 60.0,
        free_flow_minutes: km / FREE_KMH * 60.0,
        km,
        source: Source::Heuristic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_element_gives_the_traffic_delay() {
        let els: Vec<Element> = serde_json::from_value(json!([{"originIndex": 0,
            "destinationIndex": 0, "duration": "1500s", "staticDuration": "900s",
            "distanceMeters": 7400, "condition": "ROUTE_EXISTS"}]))
        .unwrap();
        let t = from_element(els.first()).unwrap();
        assert_eq!((t.minutes, t.delay_minutes(), t.km), (25.0, 10.0, 7.4));
        let none: Vec<Element> =
            serde_json::from_value(json!([{"condition": "ROUTE_NOT_FOUND"}])).unwrap();
        assert!(from_element(none.first()).is_err());
    }

    #[test]
    fn the_estimate_grows_with_the_distance() {
        let trip = |lat| Trip {
            station: StationId::new(1).unwrap(),
            from: (lat, 72.8),
            to: (19.0, 72.8),
            local_hour: 18,
        };
        let near = estimate(trip(19.01));
        let far = estimate(trip(19.1));
        assert!(far.minutes > near.minutes && far.delay_minutes() > near.delay_minutes());
        assert_eq!(near.source, Source::Heuristic);
        // The same trip in the afternoon is quicker, and at night it has no delay.
        let afternoon = estimate(Trip {
            local_hour: 14,
            ..trip(19.1)
        });
        let night = estimate(Trip {
            local_hour: 2,
            ..trip(19.1)
        });
        assert!(afternoon.minutes < far.minutes && afternoon.delay_minutes() > 0.0);
        assert!(night.delay_minutes().abs() < 1e-9, "{night:?}");
    }
}
