//! The waitlist through the API: waiting for a full slot, the offer when a place frees
//! (by SMS), nobody else getting the place meanwhile, and taking it.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::app::future_slot;
use common::db::TestDb;
use common::twilio::FakeTwilio;
use common::world::world_with;
use gasq_cloud::app::notify;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_driver_waiting_for_a_full_slot_is_offered_the_freed_place_and_takes_it() {
    let twilio = FakeTwilio::start().await;
    let t = twilio.clone();
    let w = world_with(TestDb::sqlite(), move |s| t.configure(s)).await;
    // One place a slot.
    w.app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/stations/{}", w.station),
            Some(&w.admin.token),
            Some(json!({"lanes": 1, "service_minutes": 15})),
        )
        .await;
    let slot = future_slot(3);
    let want = |vehicle: &str| json!({"station_id": w.station, "vehicle_id": vehicle, "slot_start": slot, "quantity_kg": 8.0});
    // While the slot has a place, waiting is refused: book it.
    let (status, problem) = w
        .app
        .post("/api/v1/waitlist", Some(&w.driver.token), want(&w.vehicle))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "slot_has_places");
    let booking = w.book(3).await;
    let waiter = w.app.driver(2).await;
    let car = w.app.vehicle(&waiter, "MH12WW0002").await;
    let (status, entry) = w
        .app
        .post("/api/v1/waitlist", Some(&waiter.token), want(&car))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(entry["position"], 1);
    let id = entry["id"].as_str().unwrap().to_owned();

    w.cancel(&booking).await;
    let (_, mine) = w.app.get("/api/v1/waitlist", Some(&waiter.token)).await;
    assert_eq!(mine[0]["status"], "offered", "{mine}");
    // The place is held for the offer: a third driver cannot take it.
    let third = w.app.driver(3).await;
    let car3 = w.app.vehicle(&third, "MH12WW0003").await;
    let body = json!({"station_id": w.station, "vehicle_id": car3, "slot_start": slot, "payment_method": "at_station"});
    let (status, problem) = w
        .app
        .post("/api/v1/bookings", Some(&third.token), body)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "slot_full");
    // The offer went by SMS.
    notify::send_pass(&w.app.app).await.unwrap();
    let offer = twilio
        .messages()
        .into_iter()
        .find(|m| m.body.contains("place is free"))
        .expect("an offer SMS");
    assert_eq!(offer.to, "+919800000002");
    let (status, booked) = w
        .app
        .post(
            &format!("/api/v1/waitlist/{id}/accept"),
            Some(&waiter.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["status"], "confirmed");
    let (status, problem) = w
        .app
        .post(
            &format!("/api/v1/waitlist/{id}/accept"),
            Some(&waiter.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "no_offer");
}

#[tokio::test]
async fn a_driver_the_booking_limits_refuse_cannot_wait_for_a_place_they_could_not_take() {
    let w = world_with(TestDb::sqlite(), |_| {}).await;
    w.app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/stations/{}", w.station),
            Some(&w.admin.token),
            Some(json!({"lanes": 1, "service_minutes": 15})),
        )
        .await;
    // The slot at 3 hours is full; the waiting driver's car is booked 15 minutes later.
    w.book(3).await;
    let waiter = w.app.driver(2).await;
    let car = w.app.vehicle(&waiter, "MH12WW0004").await;
    let slot = future_slot(3);
    let later = slot + chrono::Duration::minutes(15);
    let (status, b) = w
        .app
        .post(
            "/api/v1/bookings",
            Some(&waiter.token),
            json!({"station_id": w.station, "vehicle_id": car, "slot_start": later, "payment_method": "at_station"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (status, problem) = w
        .app
        .post(
            "/api/v1/waitlist",
            Some(&waiter.token),
            json!({"station_id": w.station, "vehicle_id": car, "slot_start": slot}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "booking_limit", "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("MH12WW0004"),
        "{problem}"
    );
    let (_, mine) = w.app.get("/api/v1/waitlist", Some(&waiter.token)).await;
    assert_eq!(mine, json!([]), "not on the list");
}
