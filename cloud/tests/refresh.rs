//! A grace that follows the road: `POST /api/v1/bookings/{id}/token/refresh` against
//! fake OpenWeatherMap and Google Routes servers, and on the embedded default with no
//! keys (the heuristics). The late edge moves by the traffic delay and the rain, within
//! the station's bounds, only while the slot the driver will arrive in has room.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::{DateTime, Duration, DurationRound, Utc};
use common::app::{Session, TestApp, spawn_app, spawn_with};
use common::db::TestDb;
use common::roads::FakeRoads;
use gasq_cloud::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Where the test stations stand (the helper's coordinates), and a driver ~9 km north.
const DRIVER: (f64, f64) = (19.08, 72.8);

struct Booked {
    id: String,
    driver: Session,
    booking: Value,
}

/// A 1-lane station (3 places a slot) and a booking of the next slot.
async fn booked(app: &TestApp, code: &str) -> (u64, Booked) {
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let station = app.station(&root, code, 1).await["id"].as_u64().unwrap();
    let driver = app.driver(1).await;
    let vehicle = app.vehicle(&driver, "MH12RF0001").await;
    let slot = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::minutes(15);
    let (status, booking) = app
        .post(
            "/api/v1/bookings",
            Some(&driver.token),
            json!({"station_id": station, "vehicle_id": vehicle, "slot_start": slot, "payment_method": "at_station"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().unwrap().to_owned();
    (
        station,
        Booked {
            id,
            driver,
            booking,
        },
    )
}

async fn refresh(app: &TestApp, b: &Booked, body: Option<Value>) -> (StatusCode, Value) {
    app.call(
        reqwest::Method::POST,
        &format!("/api/v1/bookings/{}/token/refresh", b.id),
        Some(&b.driver.token),
        body,
    )
    .await
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn traffic_and_rain_from_the_providers_move_the_late_edge_and_the_code_with_it() {
    let roads = FakeRoads::start().await;
    {
        let mut s = roads.state.lock().unwrap();
        s.rain_3h_mm = 6.0; // 2 mm an hour: rain
        s.trip_secs = (1500, 900); // 25 minutes in traffic, 15 on empty roads
    }
    let r = roads.clone();
    let app = spawn_with(TestDb::sqlite(), move |s| r.configure(s)).await;
    let (_, b) = booked(&app, "RFR-0001").await;
    let before = time(&b.booking["valid_until"]);
    let (status, fresh) = refresh(&app, &b, Some(json!({"lat": DRIVER.0, "lon": DRIVER.1}))).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    // 10 minutes of traffic and 10 for the rain.
    assert_eq!(fresh["grace"]["extra_minutes"], 20, "{fresh}");
    assert_eq!(fresh["grace"]["weather"], "provider");
    assert_eq!(fresh["grace"]["travel"]["source"], "provider");
    assert_eq!(time(&fresh["valid_until"]), before + Duration::minutes(20));
    let code = fresh["code"].as_str().unwrap();
    assert_eq!(code.len(), 8);
    assert_ne!(code, b.booking["code"], "the lane code follows the window");
    // The booking is the same one, with its new window and code.
    let (_, now) = app
        .get(&format!("/api/v1/bookings/{}", b.id), Some(&b.driver.token))
        .await;
    assert_eq!(now["code"], code);
    assert_eq!(time(&now["valid_until"]), before + Duration::minutes(20));
    // The token carries the new window.
    let (_, token) = app
        .get(
            &format!("/api/v1/bookings/{}/token", b.id),
            Some(&b.driver.token),
        )
        .await;
    assert_eq!(token["valid_until"], fresh["valid_until"]);
    // The driver is told the new code (an SMS booker has only the message).
    let mut told = app.app.store.notifications("pending", 50).await.unwrap();
    told.extend(app.app.store.notifications("sent", 50).await.unwrap());
    assert!(
        told.iter()
            .any(|n| n.intent == format!("code-changed:{}:{code}", b.id)),
        "{told:?}"
    );

    // Three hours away: past the longest grace; the answer offers slots instead.
    roads.state.lock().unwrap().trip_secs = (3 * 3600, 2 * 3600);
    let (status, late) = refresh(&app, &b, Some(json!({"lat": 19.5, "lon": 72.8}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{late}");
    assert_eq!(late["code"], "too_late");
    assert!(late["suggestions"]["slots"].is_array(), "{late}");
}

#[tokio::test]
async fn arriving_in_a_full_later_slot_is_refused_with_the_next_free_ones() {
    let roads = FakeRoads::start().await;
    roads.state.lock().unwrap().trip_secs = (50 * 60, 45 * 60);
    let r = roads.clone();
    let app = spawn_with(TestDb::sqlite(), move |s| r.configure(s)).await;
    let (station, b) = booked(&app, "RFR-0002").await;
    // Fill the slots the driver would now arrive in (either side of a boundary).
    let eta = Utc::now() + Duration::minutes(50);
    let first = eta.duration_trunc(Duration::minutes(15)).unwrap();
    for (n, slot) in [first, first + Duration::minutes(15)]
        .into_iter()
        .enumerate()
    {
        for k in 0..3u32 {
            let d = app.driver(10 + 3 * u32::try_from(n).unwrap() + k).await;
            let v = app
                .vehicle(
                    &d,
                    &format!("MH12FL{:04}", 3 * n + usize::try_from(k).unwrap()),
                )
                .await;
            let (status, body) = app
                .post(
                    "/api/v1/bookings",
                    Some(&d.token),
                    json!({"station_id": station, "vehicle_id": v, "slot_start": slot, "payment_method": "at_station"}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    let (status, full) = refresh(&app, &b, Some(json!({"lat": DRIVER.0, "lon": DRIVER.1}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{full}");
    assert_eq!(full["code"], "slot_full");
    let (_, same) = app
        .get(&format!("/api/v1/bookings/{}", b.id), Some(&b.driver.token))
        .await;
    assert_eq!(
        same["valid_until"], b.booking["valid_until"],
        "nothing moved"
    );
}

#[tokio::test]
async fn with_no_keys_or_a_failing_provider_the_heuristics_answer() {
    // No keys: an estimate from the distance, the assumed dry weather.
    let app = spawn_app().await;
    let (_, b) = booked(&app, "RFR-0003").await;
    let (status, fresh) = refresh(&app, &b, Some(json!({"lat": DRIVER.0, "lon": DRIVER.1}))).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(fresh["grace"]["weather"], "heuristic");
    assert_eq!(fresh["grace"]["travel"]["source"], "heuristic");
    // The estimate's traffic delay for this hour at the station (none at night).
    let expected = |at: chrono::DateTime<chrono::Utc>| {
        use chrono::Timelike as _;
        let trip = gasq_cloud::conditions::routes::Trip {
            station: gasq_shared::StationId::new(1).unwrap(),
            from: DRIVER,
            to: (19.0, 72.8),
            local_hour: at.with_timezone(&chrono_tz::Asia::Kolkata).hour(),
        };
        gasq_cloud::app::grace::extra_minutes(
            gasq_cloud::conditions::routes::estimate(trip).delay_minutes(),
            0.0,
        )
    };
    let extra = fresh["grace"]["extra_minutes"].as_i64().unwrap();
    let now = chrono::Utc::now();
    assert!(
        extra == expected(now) || extra == expected(now - chrono::Duration::minutes(1)),
        "{fresh}"
    );
    // No body at all: the weather alone (dry), nothing moves.
    let (status, plain) = refresh(&app, &b, None).await;
    assert_eq!(status, StatusCode::OK, "{plain}");
    assert_eq!(plain["grace"]["extra_minutes"], 0);
    // A position that is not one.
    let (status, bad) = refresh(&app, &b, Some(json!({"lat": 123.0, "lon": 72.8}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");

    // Keys, but the providers are down: the heuristics, said so.
    let roads = FakeRoads::start().await;
    roads.state.lock().unwrap().down = true;
    let r = roads.clone();
    let app = spawn_with(TestDb::sqlite(), move |s| r.configure(s)).await;
    let (_, b) = booked(&app, "RFR-0004").await;
    let (status, fresh) = refresh(&app, &b, Some(json!({"lat": DRIVER.0, "lon": DRIVER.1}))).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(fresh["grace"]["weather"], "heuristic");
    assert_eq!(fresh["grace"]["travel"]["source"], "heuristic");
    assert!(roads.state.lock().unwrap().route_calls >= 1);
}
