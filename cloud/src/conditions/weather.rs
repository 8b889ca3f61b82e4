//! The weather at a station, hour by hour: OpenWeatherMap's 5-day / 3-hour forecast
//! (`GET {base}/data/2.5/forecast?lat=…&lon=…&units=metric&appid=KEY`) — each 3-hour
//! entry's temperature and humidity for its three hours, and its `rain.3h` spread over
//! them. Fetched at most once an hour per station; without a key, or when the call
//! fails, a dry 27 °C, 60 % hour (the forecast's assumed weather).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use gasq_shared::StationId;
use serde::Deserialize;

use super::Source;
use crate::config::WeatherSettings;
use crate::forecast::features::{ASSUMED_HUMIDITY, ASSUMED_RAIN_MM, ASSUMED_TEMP_C};
use crate::secret::Secret;

/// One hour's weather.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourWeather {
    pub temp_c: f64,
    pub humidity: f64,
    pub rain_mm: f64,
}

impl HourWeather {
    pub const ASSUMED: Self = Self {
        temp_c: ASSUMED_TEMP_C,
        humidity: ASSUMED_HUMIDITY,
        rain_mm: ASSUMED_RAIN_MM,
    };
}

/// The weather of the coming hours, by UTC hour start.
#[derive(Debug, Clone, Default)]
pub struct Outlook {
    hours: HashMap<DateTime<Utc>, HourWeather>,
}

impl Outlook {
    /// The weather at `at`: its hour, else the next two (the provider's 3-hour steps
    /// start at the next step).
    pub fn near(&self, at: DateTime<Utc>) -> Option<HourWeather> {
        (0..3).find_map(|h| self.at(at + Duration::hours(h)))
    }

    /// The hour containing `at`, if the outlook covers it.
    pub fn at(&self, at: DateTime<Utc>) -> Option<HourWeather> {
        let hour = at.with_minute(0)?.with_second(0)?.with_nanosecond(0)?;
        self.hours.get(&hour).copied()
    }
}

#[derive(Debug, Deserialize)]
struct ForecastAnswer {
    list: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    dt: i64,
    main: Main,
    #[serde(default)]
    rain: Option<Rain>,
}

#[derive(Debug, Deserialize)]
struct Main {
    temp: f64,
    humidity: f64,
}

#[derive(Debug, Deserialize)]
struct Rain {
    #[serde(rename = "3h", default)]
    three_hours: f64,
}

/// The weather service: OpenWeatherMap with a cache, or the assumption.
#[derive(Debug)]
pub struct Weather {
    http: Option<reqwest::Client>,
    base: String,
    key: Option<Secret>,
    cache: Mutex<HashMap<StationId, Asked>>,
}

/// Per station: when the provider was asked, what came, and whether it answered.
type Asked = (DateTime<Utc>, Outlook, Source);

/// A failed call is not tried again for this long: a provider that hangs must not
/// cost every slot list and booking its timeout.
const RETRY_AFTER_FAILURE_MINUTES: i64 = 5;

impl Weather {
    pub fn from_settings(s: &WeatherSettings) -> Self {
        Self {
            http: super::client("weather", s.api_key.as_ref(), s.timeout_secs),
            base: s.base_url.trim_end_matches('/').to_owned(),
            key: s.api_key.clone(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// "openweathermap" or "assumed", for startup and answers.
    pub fn name(&self) -> &'static str {
        if self.http.is_some() {
            "openweathermap"
        } else {
            "assumed"
        }
    }

    /// The outlook at a station's coordinates; the heuristic (an empty outlook: every
    /// hour the assumed weather) when there is no provider or it fails.
    pub async fn outlook(&self, station: StationId, lat: f64, lon: f64) -> (Outlook, Source) {
        let (Some(http), Some(key)) = (&self.http, &self.key) else {
            return (Outlook::default(), Source::Heuristic);
        };
        let now = Utc::now();
        if let Ok(cache) = self.cache.lock()
            && let Some((at, outlook, source)) = cache.get(&station)
        {
            let fresh_for = match source {
                Source::Provider => Duration::hours(1),
                Source::Heuristic => Duration::minutes(RETRY_AFTER_FAILURE_MINUTES),
            };
            if now - *at < fresh_for {
                return (outlook.clone(), *source);
            }
        }
        let answer = http
            .get(format!("{}/data/2.5/forecast", self.base))
            .query(&[
                ("lat", lat.to_string()),
                ("lon", lon.to_string()),
                ("units", "metric".to_owned()),
                ("appid", key.expose().to_owned()),
            ])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status);
        let parsed = match answer {
            Ok(res) => res
                .json::<ForecastAnswer>()
                .await
                .map_err(|e| e.without_url()),
            Err(e) => Err(e.without_url()),
        };
        match parsed {
            Ok(forecast) => {
                let outlook = spread(&forecast.list);
                if let Ok(mut cache) = self.cache.lock() {
                    cache.insert(station, (now, outlook.clone(), Source::Provider));
                }
                (outlook, Source::Provider)
            }
            Err(e) => {
                tracing::warn!(station = %station, error = %e, "weather: OpenWeatherMap failed, assuming a dry 27 °C hour for the next 5 minutes");
                if let Ok(mut cache) = self.cache.lock() {
                    cache.insert(station, (now, Outlook::default(), Source::Heuristic));
                }
                (Outlook::default(), Source::Heuristic)
            }
        }
    }
}

/// Each 3-hour entry over its three hours (rain split evenly).
fn spread(entries: &[Entry]) -> Outlook {
    let mut hours = HashMap::new();
    for e in entries {
        let Some(start) = Utc.timestamp_opt(e.dt, 0).single() else {
            continue;
        };
        let rain = e.rain.as_ref().map_or(0.0, |r| r.three_hours.max(0.0)) / 3.0;
        for h in 0..3 {
            let Some(hour) = (start + Duration::hours(h))
                .with_minute(0)
                .and_then(|t| t.with_second(0))
            else {
                continue;
            };
            hours.insert(
                hour,
                HourWeather {
                    temp_c: e.main.temp,
                    humidity: e.main.humidity.clamp(0.0, 100.0),
                    rain_mm: rain,
                },
            );
        }
    }
    Outlook { hours }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_three_hour_entry_covers_three_hours_and_shares_its_rain() {
        let entries: Vec<Entry> = serde_json::from_value(serde_json::json!([
            {"dt": 1_764_482_400, "main": {"temp": 24.5, "humidity": 88}, "rain": {"3h": 6.0}},
            {"dt": 1_764_493_200, "main": {"temp": 22.0, "humidity": 70}}
        ]))
        .unwrap();
        let o = spread(&entries);
        let first = Utc.timestamp_opt(1_764_482_400, 0).unwrap();
        let w = o.at(first + Duration::minutes(150)).unwrap();
        assert_eq!((w.temp_c, w.rain_mm), (24.5, 2.0));
        assert_eq!(o.at(first + Duration::hours(3)).unwrap().rain_mm, 0.0);
        assert!(o.at(first + Duration::hours(7)).is_none());
    }
}
