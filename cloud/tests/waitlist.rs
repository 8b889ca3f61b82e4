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
    w.one_place_per_slot().await;
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
    w.one_place_per_slot().await;
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

#[tokio::test]
async fn an_offer_by_email_carries_a_link_that_takes_the_place_and_no_reply_yes() {
    let smtp = common::smtp::FakeSmtp::start().await;
    let url = smtp.url.clone();
    let w = world_with(TestDb::sqlite(), move |s| {
        s.smtp_url = Some(gasq_cloud::secret::Secret::new(url));
        s.public_url = Some("http://gasq.test".into());
        s.notifications.worker_interval_secs = 3600;
    })
    .await;
    w.one_place_per_slot().await;
    let booking = w.book(3).await;
    let waiter = w.app.driver(2).await;
    let (status, _) = w
        .app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/me",
            Some(&waiter.token),
            Some(json!({"notify_by": "email"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let car = w.app.vehicle(&waiter, "MH12WW0005").await;
    let want = json!({"station_id": w.station, "vehicle_id": car, "slot_start": future_slot(3)});
    let (status, _) = w
        .app
        .post("/api/v1/waitlist", Some(&waiter.token), want)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    w.cancel(&booking).await;
    notify::send_pass(&w.app.app).await.unwrap();
    let mail = smtp
        .mails()
        .into_iter()
        .find(|m| m.data.contains("place is free"))
        .unwrap_or_else(|| panic!("an offer by e-mail: {:?}", smtp.mails()));
    let text = mail.data.replace("=\r\n", "").replace("=\n", "");
    assert!(
        !text.contains("YES"),
        "an e-mail cannot be answered YES: {text}"
    );
    let path = text
        .split("http://gasq.test")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the offer's link: {text}"))
        .to_owned();
    assert!(path.starts_with("/o/"), "{path}");

    // Opening the link changes nothing; pressing the button books the place, once.
    let page = w.app.http.get(w.app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Take this place"));
    let (_, mine) = w.app.get("/api/v1/waitlist", Some(&waiter.token)).await;
    assert_eq!(mine[0]["status"], "offered", "{mine}");
    let took = w.app.http.post(w.app.url(&path)).send().await.unwrap();
    assert_eq!(took.status(), StatusCode::OK);
    assert!(took.text().await.unwrap().contains("Booked"));
    let (_, theirs) = w.app.get("/api/v1/bookings", Some(&waiter.token)).await;
    assert_eq!(theirs.as_array().unwrap().len(), 1, "{theirs}");
    let again = w.app.http.post(w.app.url(&path)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("already took"));
    // A reminder's link is not an offer's, and a forged one is nobody's.
    // (The last character changed to another: the tag no longer verifies.)
    let last = if path.ends_with('A') { "B" } else { "A" };
    let forged = format!("{}{last}", &path[..path.len() - 1]);
    let res = w.app.http.get(w.app.url(&forged)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
