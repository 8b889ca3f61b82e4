//! Booking limits over HTTP ("No hogging", docs/architecture.md): one live booking per
//! vehicle within an hour, `bookings.max_live_per_driver` live bookings per driver,
//! `bookings.max_per_driver_per_hour` bookings per driver an hour — each refused with
//! 409 `booking_limit` saying which limit and when it frees.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use common::app::{Session, TestApp, future_slot, spawn_with};
use common::db::TestDb;
use gasq_cloud::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::on_both_backends!(
    databases:
    twenty_bookings_racing_for_one_vehicle_make_exactly_one,
    a_vehicle_books_again_an_hour_later_but_not_sooner_even_from_another_account,
    a_driver_holds_at_most_the_configured_live_bookings,
    a_driver_who_books_and_cancels_in_a_loop_is_slowed,
);

async fn station(app: &TestApp) -> u64 {
    let admin = app.user_with_role(Role::SuperAdmin, "root").await;
    app.station(&admin, "MUM-0042", 8).await["id"]
        .as_u64()
        .unwrap()
}

async fn book(
    app: &TestApp,
    driver: &Session,
    station: u64,
    vehicle: &str,
    slot: DateTime<Utc>,
) -> (StatusCode, Value) {
    let body = json!({"station_id": station, "vehicle_id": vehicle, "slot_start": slot, "payment_method": "at_station"});
    app.post("/api/v1/bookings", Some(&driver.token), body)
        .await
}

fn assert_limit(status: StatusCode, body: &Value, words: &[&str]) {
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "booking_limit", "{body}");
    let detail = body["detail"].as_str().unwrap();
    for w in words {
        assert!(detail.contains(w), "{w:?} not in {detail:?}");
    }
}

async fn twenty_bookings_racing_for_one_vehicle_make_exactly_one(db: TestDb) {
    let app = Arc::new(spawn_with(db, |_| {}).await);
    let station = station(&app).await;
    let driver = app.driver(1).await;
    let vehicle = app.vehicle(&driver, "MH12AB1234").await;
    let first = future_slot(6);
    // Twenty requests at once, for slots 0 to 45 minutes after the first: every pair
    // is within the hour, so exactly one may stand.
    let start = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let (app, start) = (app.clone(), start.clone());
            let (driver, vehicle) = (driver.clone(), vehicle.clone());
            let slot = first + Duration::minutes(15 * (n % 4));
            tokio::spawn(async move {
                start.wait().await;
                book(&app, &driver, station, &vehicle, slot).await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        if status == StatusCode::CREATED {
            won += 1;
        } else {
            assert_limit(status, &body, &["MH12AB1234", "vehicle"]);
        }
    }
    assert_eq!(won, 1, "one vehicle, one live booking within the hour");
}

async fn a_vehicle_books_again_an_hour_later_but_not_sooner_even_from_another_account(db: TestDb) {
    let app = spawn_with(db, |_| {}).await;
    let station = station(&app).await;
    let (a, b) = (app.driver(1).await, app.driver(2).await);
    let (va, vb) = (
        app.vehicle(&a, "MH12AB1234").await,
        app.vehicle(&b, "MH 12 AB 1234").await,
    );
    let slot = future_slot(6);
    let (status, first) = book(&app, &a, station, &va, slot).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // The same plate under another account is the same tank.
    let (status, body) = book(&app, &b, station, &vb, slot + Duration::minutes(45)).await;
    let frees = (slot + Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let code = first["code"].as_str().unwrap();
    assert_limit(status, &body, &[code, &frees]);
    let (status, body) = book(&app, &a, station, &va, slot - Duration::minutes(15)).await;
    assert_limit(status, &body, &["MH12AB1234"]);
    let (status, body) = book(&app, &b, station, &vb, slot + Duration::hours(1)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "an hour later is another fill: {body}"
    );
    // Cancelling frees the vehicle's hour.
    let id = first["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&a.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = book(&app, &a, station, &va, slot - Duration::minutes(15)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn a_driver_holds_at_most_the_configured_live_bookings(db: TestDb) {
    let app = spawn_with(db, |s| s.bookings.max_live_per_driver = 3).await;
    let station = station(&app).await;
    let driver = app.driver(1).await;
    let slot = future_slot(6);
    let mut made = Vec::new();
    for n in 0..4 {
        let v = app.vehicle(&driver, &format!("MH12AB000{n}")).await;
        made.push(book(&app, &driver, station, &v, slot).await);
    }
    for (status, body) in &made[..3] {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = &made[3];
    assert_limit(
        *status,
        body,
        &["3 live bookings", "max_live_per_driver = 3"],
    );
    // Another driver is not held back by this one.
    let other = app.driver(2).await;
    let v = app.vehicle(&other, "MH12AB9999").await;
    assert_eq!(
        book(&app, &other, station, &v, slot).await.0,
        StatusCode::CREATED
    );
}

async fn a_driver_who_books_and_cancels_in_a_loop_is_slowed(db: TestDb) {
    let app = spawn_with(db, |s| s.bookings.max_per_driver_per_hour = 3).await;
    let station = station(&app).await;
    let driver = app.driver(1).await;
    let vehicle = app.vehicle(&driver, "MH12AB1234").await;
    let slot = future_slot(6);
    for _ in 0..3 {
        let (status, body) = book(&app, &driver, station, &vehicle, slot).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["id"].as_str().unwrap();
        let (status, _) = app
            .post(
                &format!("/api/v1/bookings/{id}/cancel"),
                Some(&driver.token),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = book(&app, &driver, station, &vehicle, slot).await;
    assert_limit(
        status,
        &body,
        &["3 bookings in the last 60 minutes", "book again at"],
    );
}
