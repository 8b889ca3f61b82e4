//! Booking by SMS through the real cloud: Twilio's webhook signed as Twilio signs it
//! (forged and replayed ones get nothing), each command and its errors, replies in
//! Hindi, a full slot answered with free times and a station nearby, refusals in the
//! driver's words, and the per-phone limit.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::{Duration, DurationRound, Utc};
use common::db::TestDb;
use common::world::{World, world_with};
use gasq_cloud::messages::twilio_signature;
use reqwest::StatusCode;
use serde_json::json;

const PUBLIC: &str = "https://gasq.test";

async fn sms_world() -> World {
    world_with(TestDb::sqlite(), |s| {
        s.public_url = Some(PUBLIC.into());
        // Notifications are looked at, not sent, here.
        s.notifications.worker_interval_secs = 3600;
    })
    .await
}

/// Posts an SMS as Twilio would; the status and the TwiML answer.
async fn text(w: &World, from: &str, body: &str, sid: &str) -> (StatusCode, String) {
    let params: Vec<(String, String)> = [
        ("MessageSid", sid),
        ("AccountSid", "ACtest"),
        ("From", from),
        ("To", "+15005550006"),
        ("Body", body),
        ("NumMedia", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let token = w.app.app.crypto.local_provider_secret("twilio auth token");
    let sig = twilio_signature::sign(&token, &format!("{PUBLIC}/api/v1/sms/inbound"), &params);
    post(w, &params, &sig).await
}

async fn post(w: &World, params: &[(String, String)], sig: &str) -> (StatusCode, String) {
    let res = w
        .app
        .http
        .post(w.app.url("/api/v1/sms/inbound"))
        .header("x-twilio-signature", sig)
        .form(params)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// The `<Message>` of a TwiML answer.
fn said(twiml: &str) -> String {
    twiml
        .split("<Message>")
        .nth(1)
        .and_then(|m| m.split("</Message>").next())
        .unwrap_or_default()
        .replace("&quot;", "\"")
}

fn hhmm(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Asia::Kolkata)
        .format("%H:%M")
        .to_string()
}

#[tokio::test]
async fn a_new_number_books_checks_and_cancels_by_sms() {
    let w = sms_world().await;
    let phone = "+919811122233";
    let slot = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(3);
    let (status, twiml) = text(&w, phone, &format!("BOOK MUM-0042 {}", hhmm(slot)), "SM1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(twiml.starts_with("<?xml"), "{twiml}");
    assert!(said(&twiml).contains("add your vehicle number"), "{twiml}");

    let (_, twiml) = text(
        &w,
        phone,
        &format!("book  mum-0042 {} 8 MH 14 ZZ 9999", hhmm(slot)),
        "SM2",
    )
    .await;
    let reply = said(&twiml);
    assert!(reply.starts_with("GasQ: booked"), "{reply}");
    let code = reply.split("Code ").nth(1).unwrap()[..8].to_owned();
    // The reply was the confirmation: the confirmation SMS is not sent as well.
    let skipped = w.app.app.store.notifications("skipped", 10).await.unwrap();
    assert!(
        skipped
            .iter()
            .any(|n| n.intent.starts_with("booking-confirmed:")),
        "{skipped:?}"
    );

    let (_, twiml) = text(&w, phone, "STATUS", "SM3").await;
    assert!(said(&twiml).contains(&code), "{twiml}");
    // The same message delivered again is not acted on or answered again.
    let (status, twiml) = text(&w, phone, "STATUS", "SM3").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!twiml.contains("<Message>"), "{twiml}");

    let (_, twiml) = text(&w, phone, &format!("cancel {}", code.to_lowercase()), "SM4").await;
    assert!(said(&twiml).contains("is cancelled"), "{twiml}");
    // Cancelling again says it is cancelled (a repeat is not an error); an unknown code
    // is not found.
    let (_, twiml) = text(&w, phone, &format!("CANCEL {code}"), "SM5").await;
    assert!(said(&twiml).contains("is cancelled"), "{twiml}");
    let (_, twiml) = text(&w, phone, "CANCEL ZZZZ2222", "SM5b").await;
    assert!(said(&twiml).contains("no booking"), "{twiml}");
    let (_, twiml) = text(&w, phone, "STATUS", "SM6").await;
    assert!(said(&twiml).contains("no bookings"), "{twiml}");
    let (_, twiml) = text(&w, phone, "what?", "SM7").await;
    assert!(said(&twiml).contains("HELP"), "{twiml}");
    let (_, twiml) = text(&w, phone, "BOOK NOPE-0001 17:30", "SM8").await;
    assert!(said(&twiml).contains("no station"), "{twiml}");
    let (_, twiml) = text(&w, phone, "1", "SM9").await;
    assert!(said(&twiml).contains("no reminder"), "{twiml}");
}

#[tokio::test]
async fn forged_signatures_are_refused() {
    let w = sms_world().await;
    let params: Vec<(String, String)> = vec![
        ("MessageSid".into(), "SMx".into()),
        ("From".into(), "+919811122233".into()),
        ("Body".into(), "STATUS".into()),
    ];
    let (status, _) = post(&w, &params, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let token = w.app.app.crypto.local_provider_secret("twilio auth token");
    // Signed for another URL (the cloud's own address instead of the public one).
    let sig = twilio_signature::sign(&token, &w.app.url("/api/v1/sms/inbound"), &params);
    assert_eq!(post(&w, &params, &sig).await.0, StatusCode::FORBIDDEN);
    // Signed right, then a parameter changed on the way.
    let sig = twilio_signature::sign(&token, &format!("{PUBLIC}/api/v1/sms/inbound"), &params);
    let mut altered = params.clone();
    altered[2].1 = "CANCEL ABCD2345".into();
    assert_eq!(post(&w, &altered, &sig).await.0, StatusCode::FORBIDDEN);
    assert_eq!(post(&w, &params, &sig).await.0, StatusCode::OK);
}

#[tokio::test]
async fn hindi_keywords_get_hindi_replies_and_a_full_slot_gets_free_times() {
    let w = sms_world().await;
    w.one_place_per_slot().await;
    // A station next door, with room.
    let root = w
        .app
        .user_with_role(gasq_cloud::domain::Role::SuperAdmin, "root2")
        .await;
    w.app.station(&root, "MUM-0043", 2).await;
    let slot = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(3);
    let (_, twiml) = text(
        &w,
        "+919800000011",
        &format!("बुक MUM-0042 {} MH01AA1111", hhmm(slot)),
        "SMh1",
    )
    .await;
    assert!(said(&twiml).contains("बुक"), "{twiml}");
    let (_, twiml) = text(
        &w,
        "+919800000022",
        &format!("BOOK MUM-0042 {} MH01BB2222", hhmm(slot)),
        "SMh2",
    )
    .await;
    let reply = said(&twiml);
    assert!(reply.contains("is full at"), "{reply}");
    let next = hhmm(slot + Duration::minutes(15));
    assert!(reply.contains(&next), "the nearest free times: {reply}");
    assert!(
        reply.ends_with(&format!("Or BOOK MUM-0043 {}, 0.0 km away.", hhmm(slot))),
        "the station next door: {reply}"
    );
    let suggested = reply
        .split("Send ")
        .nth(1)
        .unwrap()
        .split("\n")
        .next()
        .unwrap()
        .to_owned();
    let (_, twiml) = text(&w, "+919800000022", &suggested, "SMh3").await;
    assert!(said(&twiml).starts_with("GasQ: booked"), "{twiml}");
}

#[tokio::test]
async fn a_number_is_answered_thirty_times_an_hour_then_told_once_then_not_at_all() {
    let w = sms_world().await;
    let phone = "+919800000033";
    for i in 0..30 {
        let (_, twiml) = text(&w, phone, "HELP", &format!("SMr{i}")).await;
        assert!(twiml.contains("<Message>"), "{i}: {twiml}");
    }
    let (_, twiml) = text(&w, phone, "HELP", "SMr30").await;
    assert!(said(&twiml).contains("too many messages"), "{twiml}");
    let (status, twiml) = text(&w, phone, "HELP", "SMr31").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!twiml.contains("<Message>"), "{twiml}");
    // Another number is not held back.
    let (_, twiml) = text(&w, "+919800000044", "HELP", "SMr32").await;
    assert!(twiml.contains("<Message>"), "{twiml}");
}

#[tokio::test]
async fn answers_racing_each_other_get_no_server_error_and_cancel_once() {
    let w = sms_world().await;
    let phone = "+919844444442";
    let slot = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(3);
    let (_, twiml) = text(
        &w,
        phone,
        &format!("BOOK MUM-0042 {} MH01RR0001", hhmm(slot)),
        "SMq1",
    )
    .await;
    assert!(said(&twiml).starts_with("GasQ: booked"), "{twiml}");
    // The reminder goes out (to the console here) half an hour before the slot.
    gasq_cloud::app::notify::send_due(&w.app.app, slot - Duration::minutes(29))
        .await
        .unwrap();
    let sids: Vec<String> = (0..4).map(|i| format!("SMq2-{i}")).collect();
    let answers = sids.iter().map(|sid| text(&w, phone, "2", sid));
    let answered = futures::future::join_all(answers).await;
    for (status, twiml) in &answered {
        assert_eq!(*status, StatusCode::OK, "{twiml}");
    }
    let cancelled = answered
        .iter()
        .filter(|(_, t)| said(t).contains("is cancelled"))
        .count();
    assert!(cancelled >= 1, "{answered:?}");
    let (_, twiml) = text(&w, phone, "STATUS", "SMq3").await;
    assert!(said(&twiml).contains("no bookings"), "{twiml}");
}

#[tokio::test]
async fn a_time_after_closing_is_refused_not_booked_at_the_last_slot() {
    let w = sms_world().await;
    w.app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/stations/{}", w.station),
            Some(&w.admin.token),
            Some(json!({"opens_at": "06:00", "closes_at": "22:00"})),
        )
        .await;
    let (_, twiml) = text(
        &w,
        "+919844444443",
        "BOOK MUM-0042 23:30 MH01RR0002",
        "SMc1",
    )
    .await;
    let reply = said(&twiml);
    assert!(reply.contains("takes no bookings then"), "{reply}");
}

#[tokio::test]
async fn a_refusal_says_why_in_the_drivers_words_and_the_stations_time() {
    let w = sms_world().await;
    let phone = "+919844444444";
    let slot = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(3);
    let (_, twiml) = text(
        &w,
        phone,
        &format!("BOOK MUM-0042 {} MH01RR0003", hhmm(slot)),
        "SMr1",
    )
    .await;
    assert!(said(&twiml).starts_with("GasQ: booked"), "{twiml}");
    // The same vehicle a quarter of an hour later: one booking per vehicle per hour.
    let later = slot + Duration::minutes(15);
    let (_, twiml) = text(&w, phone, &format!("BOOK MUM-0042 {}", hhmm(later)), "SMr2").await;
    let reply = said(&twiml);
    let free_from = hhmm(slot + Duration::minutes(60));
    assert!(
        reply.contains("this vehicle already has a booking near then")
            && reply.contains(&format!("after {free_from}")),
        "{reply}"
    );
    for api_text in ["UTC", "_", "+00:00", "live booking ("] {
        assert!(!reply.contains(api_text), "{reply}");
    }
    // In Hindi too, with the station's time.
    let (_, twiml) = text(&w, phone, &format!("बुक MUM-0042 {}", hhmm(later)), "SMr3").await;
    let reply = said(&twiml);
    assert!(
        reply.contains("इस गाड़ी") && reply.contains(&free_from),
        "{reply}"
    );
    // A mistyped quantity is refused, not glued onto the vehicle's number.
    let (_, twiml) = text(
        &w,
        phone,
        &format!("BOOK MUM-0042 {} 2000 MH01RR0009", hhmm(later)),
        "SMr4",
    )
    .await;
    let reply = said(&twiml);
    assert!(reply.contains("किलो"), "{reply}");
}

#[tokio::test]
async fn a_booking_in_a_rush_slot_is_made_and_told_the_calmer_times() {
    let w = sms_world().await;
    let kolkata = chrono_tz::Asia::Kolkata;
    let now = Utc::now();
    let slots = |date: chrono::NaiveDate| {
        let w = &w;
        async move {
            let path = format!("/api/v1/stations/{}/slots?date={date}", w.station);
            w.app.get(&path, None).await.1.as_array().unwrap().clone()
        }
    };
    let start = |s: &serde_json::Value| {
        s["start"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap()
    };
    let today = now.with_timezone(&kolkata).date_naive();
    // A rush slot BOOK <HH:MM> reaches: today's still ahead, else tomorrow's at a time
    // of day already past today.
    let mut rush = slots(today)
        .await
        .into_iter()
        .filter(|s| s["rush_level"] == "high" && start(s) > now + Duration::minutes(5))
        .collect::<Vec<_>>();
    if rush.is_empty() {
        let past = now.with_timezone(&kolkata).time();
        rush = slots(today + Duration::days(1))
            .await
            .into_iter()
            .filter(|s| s["rush_level"] == "high" && start(s).with_timezone(&kolkata).time() < past)
            .collect();
    }
    let slot = start(&rush[0]);
    let (_, twiml) = text(
        &w,
        "+919844444466",
        &format!("BOOK MUM-0042 {} MH01RR0066", hhmm(slot)),
        "SMrush1",
    )
    .await;
    let reply = said(&twiml);
    assert!(reply.starts_with("GasQ: booked"), "{reply}");
    assert!(reply.contains("Rush hour then; calmer: "), "{reply}");
}
