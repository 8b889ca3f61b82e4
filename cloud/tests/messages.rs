//! Messages to drivers through the real cloud: SMS through a fake Twilio, e-mail through
//! a fake SMTP server, in the driver's language; retries without second sends;
//! reminders sent once by two replicas (invariant 5) and answered by their link.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::{Duration, DurationRound, Utc};
use common::app::future_slot;
use common::db::TestDb;
use common::smtp::FakeSmtp;
use common::twilio::FakeTwilio;
use common::world::{World, world_with};
use gasq_cloud::app::notify;
use gasq_cloud::secret::Secret;
use reqwest::StatusCode;
use serde_json::json;

async fn twilio_world(db: TestDb) -> (World, FakeTwilio) {
    let twilio = FakeTwilio::start().await;
    let t = twilio.clone();
    (world_with(db, move |s| t.configure(s)).await, twilio)
}

async fn book_at_station(w: &World, slot: chrono::DateTime<Utc>) -> serde_json::Value {
    let body = json!({"station_id": w.station, "vehicle_id": w.vehicle, "slot_start": slot,
        "quantity_kg": 8.0, "payment_method": "at_station"});
    let (status, b) = w
        .app
        .post("/api/v1/bookings", Some(&w.driver.token), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b
}

async fn prefer(w: &World, prefs: serde_json::Value) {
    let (status, me) = w
        .app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/me",
            Some(&w.driver.token),
            Some(prefs),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
}

#[tokio::test]
async fn a_booking_is_confirmed_by_sms_in_the_drivers_language_once() {
    let (w, twilio) = twilio_world(TestDb::sqlite()).await;
    prefer(&w, json!({"language": "hi"})).await;
    let b = book_at_station(&w, future_slot(3)).await;
    let code = b["code"].as_str().unwrap();
    for _ in 0..3 {
        notify::send_pass(&w.app.app).await.unwrap();
    }
    let sent = twilio.messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, "+919800000001", "to the driver's phone");
    assert!(sent[0].body.contains(code), "{}", sent[0].body);
    assert!(sent[0].body.contains("बुक"), "in Hindi: {}", sent[0].body);
    // A language there are no messages in is refused, naming the ones there are.
    let (status, problem) = w
        .app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/me",
            Some(&w.driver.token),
            Some(json!({"language": "xx"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("en, hi"), "{problem}");
}

#[tokio::test]
async fn twilio_failures_and_timeouts_are_retried_without_a_second_send() {
    let (w, twilio) = twilio_world(TestDb::sqlite()).await;
    twilio.with(|s| {
        s.fail_next = 1;
        s.slow_next = 1;
    });
    book_at_station(&w, future_slot(3)).await;
    let now = Utc::now();
    notify::send_due(&w.app.app, now).await.unwrap(); // 500: nothing sent
    assert_eq!(twilio.messages().len(), 0);
    notify::send_due(&w.app.app, now + Duration::seconds(20))
        .await
        .unwrap(); // accepted, answer lost
    assert_eq!(twilio.messages().len(), 1);
    notify::send_due(&w.app.app, now + Duration::minutes(5))
        .await
        .unwrap(); // found, not re-sent
    notify::send_due(&w.app.app, now + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(twilio.messages().len(), 1, "{:?}", twilio.messages());
    let sent = w.app.app.store.notifications("sent", 10).await.unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].attempts, 3);
    assert_eq!(sent[0].channel.as_deref(), Some("sms"));
}

#[tokio::test]
async fn a_driver_who_prefers_email_gets_it_over_smtp() {
    let smtp = FakeSmtp::start().await;
    let url = smtp.url.clone();
    let w = world_with(TestDb::sqlite(), move |s| {
        s.smtp_url = Some(Secret::new(url));
        s.notifications.worker_interval_secs = 3600;
    })
    .await;
    prefer(&w, json!({"notify_by": "email"})).await;
    let b = book_at_station(&w, future_slot(3)).await;
    notify::send_pass(&w.app.app).await.unwrap();
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].to[0].contains("driver1@example.in"), "{mails:?}");
    assert!(
        mails[0].data.contains("Subject: Your GasQ slot at"),
        "{}",
        mails[0].data
    );
    assert!(
        mails[0].data.contains(b["code"].as_str().unwrap()),
        "{}",
        mails[0].data
    );
}

/// Invariant 5: two replicas on one PostgreSQL, each running the notifications pass at
/// the reminder's moment over and over at once, send each message once.
#[tokio::test]
async fn reminders_go_out_once_from_two_replicas_and_their_link_answers_coming() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let second = db.same_database();
    let (w, twilio) = twilio_world(db).await;
    let t = twilio.clone();
    let replica = common::app::spawn_with(second, move |s| t.configure(s)).await;
    let (status, _) = w
        .app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/stations/{}", w.station),
            Some(&w.admin.token),
            Some(json!({"reminder_lead_minutes": 60})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let slot = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(2);
    let b = book_at_station(&w, slot).await;
    let id = b["id"].as_str().unwrap();
    let reminder_time = slot - Duration::minutes(60) + Duration::seconds(1);
    let mut passes = Vec::new();
    for i in 0..8 {
        let app = if i % 2 == 0 {
            w.app.app.clone()
        } else {
            replica.app.clone()
        };
        passes.push(tokio::spawn(async move {
            notify::send_due(&app, reminder_time).await.unwrap()
        }));
    }
    for p in passes {
        p.await.unwrap();
    }
    let sent = twilio.messages();
    assert_eq!(
        sent.len(),
        2,
        "the confirmation and the reminder, once each: {sent:?}"
    );
    let reminder = sent
        .iter()
        .find(|m| m.body.contains("Reply 1"))
        .expect("a reminder");
    // Its link opens a page; pressing Coming records it.
    let link = reminder
        .body
        .split_whitespace()
        .find(|t| t.contains("/r/"))
        .unwrap();
    let path = &link[link.find("/r/").unwrap()..];
    let page = w.app.http.get(w.app.url(path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Coming"));
    // One character of the tag changed — always to a different one, so the forged link
    // never equals the real one by chance.
    let at = path.len() - 5;
    let swapped = if &path[at..=at] == "B" { "C" } else { "B" };
    let forged = format!("{}{}{}", &path[..at], swapped, &path[at + 1..]);
    let res = w.app.http.get(w.app.url(&forged)).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "a link answers for its own booking only"
    );
    for _ in 0..2 {
        let res = w
            .app
            .http
            .post(w.app.url(path))
            .form(&[("answer", "coming")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let booking = w
        .app
        .app
        .store
        .booking(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(booking.coming_at.is_some());
    let (_, seen) = w
        .app
        .get(&format!("/api/v1/bookings/{id}"), Some(&w.admin.token))
        .await;
    assert!(
        seen["coming_at"].is_string(),
        "the station sees who is coming: {seen}"
    );
    // … and on its board, among the bookings it expects.
    let board = w.dashboard().await;
    let row = board["expected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["booking_id"] == id)
        .unwrap_or_else(|| panic!("the booking is expected: {board}"))
        .clone();
    assert_eq!(row["coming"], true, "{row}");
    notify::send_due(&w.app.app, reminder_time).await.unwrap();
    let thanks = twilio
        .messages()
        .into_iter()
        .filter(|m| m.body.contains("expects you"))
        .count();
    assert_eq!(thanks, 1, "answering twice thanks once");
}

#[tokio::test]
async fn not_coming_cancels_and_a_reminder_for_a_cancelled_booking_is_not_sent() {
    let (w, twilio) = twilio_world(TestDb::sqlite()).await;
    let slot = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(2);
    let b = book_at_station(&w, slot).await;
    let id: gasq_shared::BookingId = b["id"].as_str().unwrap().parse().unwrap();
    let path = format!(
        "/r/{}",
        gasq_cloud::app::reminders::reply_token(&w.app.app, id)
    );
    let res = w
        .app
        .http
        .post(w.app.url(&path))
        .form(&[("answer", "not_coming")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Cancelled"));
    let booking = w.app.app.store.booking(id).await.unwrap().unwrap();
    assert_eq!(booking.status.as_str(), "cancelled");
    // At the reminder's moment: the confirmation and the cancellation, no reminder.
    notify::send_due(&w.app.app, slot - Duration::minutes(29))
        .await
        .unwrap();
    let bodies: Vec<String> = twilio.messages().into_iter().map(|m| m.body).collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(
        bodies.iter().any(|b| b.contains("is cancelled")),
        "{bodies:?}"
    );
    assert!(!bodies.iter().any(|b| b.contains("Reply 1")), "{bodies:?}");
}

#[tokio::test]
async fn the_driver_is_told_their_lane_when_the_edge_assigns_it_but_not_hours_later() {
    let (w, twilio) = twilio_world(TestDb::sqlite()).await;
    let fresh = book_at_station(&w, future_slot(3)).await;
    let other = w.app.vehicle(&w.driver, "MH12ZZ0001").await;
    let body = json!({"station_id": w.station, "vehicle_id": other, "slot_start": future_slot(6),
        "payment_method": "at_station"});
    let (_, stale) = w
        .app
        .post("/api/v1/bookings", Some(&w.driver.token), body)
        .await;
    let device = common::device::TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let redeemed = |seq: i64, booking: &serde_json::Value, at: chrono::DateTime<Utc>| {
        json!({"id": uuid::Uuid::now_v7(), "seq": seq, "at": at, "kind": "redeemed",
            "booking_id": booking["id"], "lane": 3, "known": true})
    };
    let batch = json!([
        redeemed(1, &fresh, Utc::now()),
        redeemed(2, &stale, Utc::now() - Duration::hours(2)),
    ]);
    let (status, res) = device.push(&w.app, batch).await;
    assert_eq!(status, 200, "{res}");
    notify::send_pass(&w.app.app).await.unwrap();
    let turns: Vec<String> = twilio
        .messages()
        .into_iter()
        .map(|m| m.body)
        .filter(|b| b.contains("your turn"))
        .collect();
    assert_eq!(turns.len(), 1, "{turns:?}");
    assert!(turns[0].contains("lane 3"), "{turns:?}");
}

#[tokio::test]
async fn a_message_twilio_refuses_is_dead_lettered_and_shown_to_super_admins() {
    let (w, twilio) = twilio_world(TestDb::sqlite()).await;
    twilio.with(|s| s.reject_next = 1);
    book_at_station(&w, future_slot(3)).await;
    notify::send_pass(&w.app.app).await.unwrap();
    notify::send_due(&w.app.app, Utc::now() + Duration::hours(1))
        .await
        .unwrap();
    assert!(twilio.messages().is_empty(), "refused, never retried");
    let root = w
        .app
        .user_with_role(gasq_cloud::domain::Role::SuperAdmin, "root2")
        .await;
    let (status, dead) = w.app.get("/api/v1/notifications", Some(&root.token)).await;
    assert_eq!(status, StatusCode::OK, "{dead}");
    assert_eq!(dead.as_array().unwrap().len(), 1, "{dead}");
    assert_eq!(dead[0]["message"], "booking-confirmed");
    assert!(
        dead[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("not a valid phone number"),
        "{dead}"
    );
    let (status, _) = w
        .app
        .get("/api/v1/notifications", Some(&w.admin.token))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn queued_reminders_follow_a_change_of_the_stations_lead_time() {
    let w = world_with(TestDb::sqlite(), |s| {
        s.notifications.worker_interval_secs = 3600
    })
    .await;
    let lead = |minutes: u32| {
        let w = &w;
        async move {
            let (status, body) = w
                .app
                .call(
                    reqwest::Method::PATCH,
                    &format!("/api/v1/stations/{}", w.station),
                    Some(&w.admin.token),
                    Some(json!({"reminder_lead_minutes": minutes})),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    let reminded = |id: String| {
        let w = &w;
        async move {
            let sent = w.app.app.store.notifications("sent", 100).await.unwrap();
            sent.iter().any(|n| n.intent == format!("reminder:{id}"))
        }
    };
    let slot = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(3);
    let b = book_at_station(&w, slot).await;
    let id = b["id"].as_str().unwrap().to_owned();
    // Booked with 30 minutes' lead; the station moves it to 90.
    lead(90).await;
    notify::send_due(
        &w.app.app,
        slot - Duration::minutes(90) + Duration::seconds(1),
    )
    .await
    .unwrap();
    assert!(reminded(id).await, "reminded 90 minutes before");

    // Booked inside a long lead (no reminder queued), then the lead shortens: queued.
    lead(180).await;
    let soon = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(2);
    let d = w.app.driver(7).await;
    let v = w.app.vehicle(&d, "MH12LD0007").await;
    let (status, b) = w
        .app
        .post(
            "/api/v1/bookings",
            Some(&d.token),
            json!({"station_id": w.station, "vehicle_id": v, "slot_start": soon, "payment_method": "at_station"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    lead(30).await;
    notify::send_due(
        &w.app.app,
        soon - Duration::minutes(30) + Duration::seconds(1),
    )
    .await
    .unwrap();
    assert!(reminded(b["id"].as_str().unwrap().to_owned()).await);
}
