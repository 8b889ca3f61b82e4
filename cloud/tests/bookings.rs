//! Booking through the HTTP API, from slot list to a verifiable e-token.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::sync::Arc;

use common::app::{Session, TestApp, future_slot, spawn_app, spawn_app_on};
use common::db::TestDb;
use gasq_cloud::domain::Role;
use gasq_shared::keys::TokenKeys;
use gasq_shared::token;
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::on_both_backends!(
    databases:
    a_refused_booking_is_refused_again_on_retry_with_its_key,
    fifty_five_drivers_racing_for_one_slot_over_http,
);

async fn setup(app: &TestApp, lanes: u16) -> (Session, u64, String) {
    let admin = app.user_with_role(Role::SuperAdmin, "root").await;
    let station = app.station(&admin, "MUM-0042", lanes).await;
    let driver = app.driver(1).await;
    let vehicle = app.vehicle(&driver, "MH 12 AB 1234").await;
    (driver, station["id"].as_u64().unwrap(), vehicle)
}

fn booking_body(
    station: u64,
    vehicle: &str,
    slot: chrono::DateTime<chrono::Utc>,
    method: &str,
) -> Value {
    json!({"station_id": station, "vehicle_id": vehicle, "slot_start": slot, "quantity_kg": 8.0, "payment_method": method})
}

#[tokio::test]
async fn a_driver_books_at_station_and_gets_a_token_any_verifier_accepts() {
    let app = spawn_app().await;
    let (driver, station, vehicle) = setup(&app, 2).await;
    let slot = future_slot(3);

    let (status, booking) = app
        .post(
            "/api/v1/bookings",
            Some(&driver.token),
            booking_body(station, &vehicle, slot, "at_station"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    assert_eq!(booking["status"], "confirmed");
    assert_eq!(booking["registration"], "MH12AB1234");
    let id = booking["id"].as_str().unwrap();

    let (_, tok) = app
        .get(&format!("/api/v1/bookings/{id}/token"), Some(&driver.token))
        .await;
    let text = tok["token"].as_str().unwrap();
    let (_, keys) = app.get("/api/v1/token-keys", None).await;
    let keys: TokenKeys = serde_json::from_value(keys).unwrap();
    assert!(keys.keys.iter().all(|k| k.alg == "Ed25519"));
    let claims = token::verify(text, &keys.key_set().unwrap()).unwrap();
    assert_eq!(claims.booking_id.to_string(), id);
    assert_eq!(claims.station_id, station as u32);
    assert_eq!(claims.vehicle, "MH12AB1234");
    assert_eq!(claims.quantity.centikg(), 800);
    assert_eq!(
        i64::from(claims.valid_from),
        (slot - chrono::Duration::minutes(15)).timestamp()
    );
    assert_eq!(
        i64::from(claims.valid_until),
        (slot + chrono::Duration::minutes(45)).timestamp()
    );

    // The PNG QR code reads back as the same token.
    let png = app
        .http
        .get(app.url(&format!("/api/v1/bookings/{id}/qr.png")))
        .bearer_auth(&driver.token)
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let codes = gasq_shared::frames::decode_frame(&png.bytes().await.unwrap()).unwrap();
    assert_eq!(codes, vec![text.to_owned()]);
    let svg = app
        .http
        .get(app.url(&format!("/api/v1/bookings/{id}/qr.svg")))
        .bearer_auth(&driver.token)
        .send()
        .await
        .unwrap();
    assert!(svg.text().await.unwrap().contains("<svg"));

    // The slot shows one place fewer.
    let date = slot
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .format("%Y-%m-%d");
    let (_, slots) = app
        .get(
            &format!("/api/v1/stations/{station}/slots?date={date}"),
            None,
        )
        .await;
    let ours = slots
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["start"] == json!(slot))
        .unwrap();
    assert_eq!(
        (ours["capacity"].as_u64(), ours["available"].as_u64()),
        (Some(7), Some(6))
    );
}

#[tokio::test]
async fn an_online_booking_holds_the_slot_and_has_no_token_until_paid() {
    let app = spawn_app().await;
    let (driver, station, vehicle) = setup(&app, 1).await;
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            Some(&driver.token),
            booking_body(station, &vehicle, future_slot(3), "online"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(b["status"], "pending_payment");
    assert_eq!(b["payment"]["provider"], "test_mode");
    assert_eq!(b["amount_paise"], 60_800);
    assert!(b["hold_expires_at"].is_string());
    let (status, problem) = app
        .get(
            &format!("/api/v1/bookings/{}/token", b["id"].as_str().unwrap()),
            Some(&driver.token),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "token_unavailable");

    // "Fill to full" online pays the station's maximum (12 kg at ₹76) up front.
    let mut fill = booking_body(station, &vehicle, future_slot(6), "online");
    fill["quantity_kg"] = Value::Null;
    let (status, full) = app
        .post("/api/v1/bookings", Some(&driver.token), fill)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{full}");
    assert_eq!(full["payment"]["amount_paise"], 91_200, "{full}");
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer() {
    let app = spawn_app().await;
    let (driver, station, vehicle) = setup(&app, 2).await;
    let body = booking_body(station, &vehicle, future_slot(4), "at_station");
    let send = |body: Value, key: &'static str| {
        app.http
            .post(app.url("/api/v1/bookings"))
            .bearer_auth(&driver.token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send(body.clone(), "retry-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = send(body.clone(), "retry-1").await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let mut other = body;
    other["quantity_kg"] = json!(5.0);
    let reused = send(other, "retry-1").await.unwrap();
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reused.json::<Value>().await.unwrap()["code"],
        "idempotency_key_reused"
    );
    let (_, mine) = app.get("/api/v1/bookings", Some(&driver.token)).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
}

async fn a_refused_booking_is_refused_again_on_retry_with_its_key(db: TestDb) {
    let app = spawn_app_on(db).await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    // One lane, 15 minutes a vehicle: one place a slot.
    let body = json!({"code": "MUM-0001", "name": "Small", "lat": 19.0, "lon": 72.8, "lanes": 1, "service_minutes": 15});
    let (status, station) = app.post("/api/v1/stations", Some(&root.token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{station}");
    let station = station["id"].as_u64().unwrap();
    let slot = future_slot(4);
    let first = app.driver(1).await;
    let first_vehicle = app.vehicle(&first, "MH12AB0001").await;
    let (status, taken) = app
        .post(
            "/api/v1/bookings",
            Some(&first.token),
            booking_body(station, &first_vehicle, slot, "at_station"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    let late = app.driver(2).await;
    let vehicle = app.vehicle(&late, "MH12AB0002").await;
    let send = |key: &'static str| {
        app.http
            .post(app.url("/api/v1/bookings"))
            .bearer_auth(&late.token)
            .header("Idempotency-Key", key)
            .json(&booking_body(station, &vehicle, slot, "at_station"))
            .send()
    };
    let refused = send("late-1").await.unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(!refused.headers().contains_key("idempotent-replayed"));

    // A place comes free; a retry under the same key still gets the first answer.
    let cancel = format!("/api/v1/bookings/{}/cancel", taken["id"].as_str().unwrap());
    assert_eq!(
        app.post(&cancel, Some(&first.token), json!({})).await.0,
        StatusCode::OK
    );
    let retry = send("late-1").await.unwrap();
    assert_eq!(retry.status(), StatusCode::CONFLICT);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.json::<Value>().await.unwrap()["code"], "slot_full");
    // A new key is a new request.
    let fresh = send("late-2").await.unwrap();
    assert_eq!(fresh.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn cancelling_frees_the_place_and_only_the_owner_sees_a_booking() {
    let app = spawn_app().await;
    let (driver, station, vehicle) = setup(&app, 1).await;
    let slot = future_slot(5);
    let (_, b) = app
        .post(
            "/api/v1/bookings",
            Some(&driver.token),
            booking_body(station, &vehicle, slot, "at_station"),
        )
        .await;
    let id = b["id"].as_str().unwrap();
    let stranger = app.driver(2).await;
    let (status, _) = app
        .get(&format!("/api/v1/bookings/{id}"), Some(&stranger.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&stranger.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, c) = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&driver.token),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, c["status"].as_str()),
        (StatusCode::OK, Some("cancelled"))
    );
    let (status, again) = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&driver.token),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, again["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_cancellable"))
    );
    let (status, _) = app
        .get(&format!("/api/v1/bookings/{id}/token"), Some(&driver.token))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_slot_off_the_grid_or_in_the_past_is_refused_with_a_reason() {
    let app = spawn_app().await;
    let (driver, station, vehicle) = setup(&app, 1).await;
    for (slot, needle) in [
        (future_slot(3) + chrono::Duration::minutes(7), "grid"),
        (future_slot(-3), "ended"),
        (future_slot(24 * 30), "days ahead"),
    ] {
        let (status, p) = app
            .post(
                "/api/v1/bookings",
                Some(&driver.token),
                booking_body(station, &vehicle, slot, "at_station"),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert!(p["detail"].as_str().unwrap().contains(needle), "{p}");
    }
}

async fn fifty_five_drivers_racing_for_one_slot_over_http(db: TestDb) {
    let app = Arc::new(spawn_app_on(db).await);
    let admin = app.user_with_role(Role::SuperAdmin, "root").await;
    let station = app.station(&admin, "MUM-0099", 2).await["id"]
        .as_u64()
        .unwrap();
    let slot = future_slot(6);
    let mut drivers = Vec::new();
    for n in 0..55 {
        let d = app.driver(n).await;
        let v = app.vehicle(&d, &format!("MH12AB{n:04}")).await;
        drivers.push((d, v));
    }
    let start = Arc::new(tokio::sync::Barrier::new(drivers.len()));
    let tasks: Vec<_> = drivers
        .into_iter()
        .map(|(d, v)| {
            let (app, start) = (app.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                app.post(
                    "/api/v1/bookings",
                    Some(&d.token),
                    booking_body(station, &v, slot, "at_station"),
                )
                .await
            })
        })
        .collect();
    let (mut won, mut full) = (0, 0);
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::CREATED => won += 1,
            StatusCode::CONFLICT if body["code"] == "slot_full" => full += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((won, full), (7, 48), "2 lanes × 15 min / 4 min = 7 places");
}

#[tokio::test]
async fn a_driver_removes_a_vehicle_only_when_no_booking_of_it_is_live() {
    let app = spawn_app().await;
    let (driver, station, vehicle) = setup(&app, 2).await;
    let (status, booking) = app
        .post(
            "/api/v1/bookings",
            Some(&driver.token),
            booking_body(station, &vehicle, future_slot(3), "at_station"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let booking_id = booking["id"].as_str().unwrap();
    let path = format!("/api/v1/vehicles/{vehicle}");
    let delete = |token: String, path: String| {
        let app = &app;
        async move {
            app.call(reqwest::Method::DELETE, &path, Some(&token), None)
                .await
        }
    };

    // Someone else's vehicle, or one that does not exist: 404 alike.
    let other = app.driver(2).await;
    for (token, path) in [
        (other.token.clone(), path.clone()),
        (
            driver.token.clone(),
            format!("/api/v1/vehicles/{}", uuid::Uuid::now_v7()),
        ),
    ] {
        let (status, body) = delete(token, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["code"], "not_found", "{body}");
    }

    // A live booking of it: refused, with the way out.
    let (status, body) = delete(driver.token.clone(), path.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "vehicle_in_use", "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("cancel"),
        "{body}"
    );

    let (status, body) = app
        .post(
            &format!("/api/v1/bookings/{booking_id}/cancel"),
            Some(&driver.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = delete(driver.token.clone(), path.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, list) = app.get("/api/v1/vehicles", Some(&driver.token)).await;
    assert_eq!(list, json!([]));
    let (status, _) = delete(driver.token.clone(), path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "removed once");

    // The past booking keeps its registration.
    let (status, past) = app
        .get(
            &format!("/api/v1/bookings/{booking_id}"),
            Some(&driver.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{past}");
    assert_eq!(past["registration"], "MH12AB1234", "{past}");
    assert_eq!(past["vehicle_id"], Value::Null, "{past}");

    // Audited like vehicle.add: once, for the removal that happened.
    let removed = app
        .app
        .store
        .audit_entries(gasq_cloud::store::AuditFilter {
            action: Some("vehicle.remove".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(removed[0].target, format!("vehicle:{vehicle}"));
    assert_eq!(
        removed[0].actor_id.map(|u| u.to_string()),
        Some(driver.user_id.clone())
    );
}
