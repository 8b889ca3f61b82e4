//! Fake OpenWeatherMap and Google Routes on a real port: the 5-day forecast (`appid`
//! checked) and `computeRouteMatrix` (`X-Goog-Api-Key` and the field mask checked),
//! answering with what the test sets: the rain, and the trip with and without traffic.

use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, DurationRound, Utc};
use gasq_cloud::config::Settings;
use gasq_cloud::secret::Secret;
use serde_json::{Value, json};
use std::collections::HashMap;

pub const WEATHER_KEY: &str = "fake-owm-key";
pub const MAPS_KEY: &str = "fake-routes-key";

pub struct RoadState {
    /// Rain in each 3-hour step, mm.
    pub rain_3h_mm: f64,
    /// The trip's duration with traffic and on empty roads, seconds.
    pub trip_secs: (u64, u64),
    /// Answer 500 to everything.
    pub down: bool,
    pub weather_calls: u32,
    pub route_calls: u32,
}

#[derive(Clone)]
pub struct FakeRoads {
    pub url: String,
    pub state: Arc<Mutex<RoadState>>,
}

impl FakeRoads {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(RoadState {
            rain_3h_mm: 0.0,
            trip_secs: (900, 900),
            down: false,
            weather_calls: 0,
            route_calls: 0,
        }));
        let app = Router::new()
            .route("/data/2.5/forecast", get(forecast))
            .route("/distanceMatrix/v2:computeRouteMatrix", post(matrix))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, state }
    }

    /// Points the cloud's weather and routes clients here, with keys.
    pub fn configure(&self, s: &mut Settings) {
        s.weather.base_url = self.url.clone();
        s.weather.api_key = Some(Secret::new(WEATHER_KEY));
        s.maps.base_url = self.url.clone();
        s.maps.api_key = Some(Secret::new(MAPS_KEY));
    }
}

async fn forecast(
    State(state): State<Arc<Mutex<RoadState>>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut s = state.lock().unwrap();
    s.weather_calls += 1;
    if s.down {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    if q.get("appid").map(String::as_str) != Some(WEATHER_KEY) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"cod": 401, "message": "Invalid API key"})),
        )
            .into_response();
    }
    // 40 steps of 3 hours from the current 3-hour boundary, as the real one answers.
    let start = Utc::now().duration_trunc(Duration::hours(3)).unwrap();
    let list: Vec<Value> = (0..40)
        .map(|i| {
            let mut e = json!({"dt": (start + Duration::hours(3 * i)).timestamp(),
                "main": {"temp": 24.0, "humidity": 85}});
            if s.rain_3h_mm > 0.0 {
                e["rain"] = json!({"3h": s.rain_3h_mm});
            }
            e
        })
        .collect();
    Json(json!({"cod": "200", "cnt": 40, "list": list})).into_response()
}

async fn matrix(
    State(state): State<Arc<Mutex<RoadState>>>,
    headers: HeaderMap,
    body: Json<Value>,
) -> Response {
    let mut s = state.lock().unwrap();
    s.route_calls += 1;
    if s.down {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    if header("x-goog-api-key") != MAPS_KEY || !header("x-goog-fieldmask").contains("duration") {
        return StatusCode::FORBIDDEN.into_response();
    }
    assert_eq!(body["routingPreference"], "TRAFFIC_AWARE");
    let (traffic, free) = s.trip_secs;
    Json(
        json!([{"originIndex": 0, "destinationIndex": 0, "status": {},
        "distanceMeters": 9100, "duration": format!("{traffic}s"),
        "staticDuration": format!("{free}s"), "condition": "ROUTE_EXISTS"}]),
    )
    .into_response()
}
