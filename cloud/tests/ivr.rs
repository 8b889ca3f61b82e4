//! Booking by phone call through the real cloud: Twilio's voice webhook walked step by
//! step as Twilio would (each step signed, the next URL taken from the TwiML), in
//! Hindi; wrong keys re-asked and the third ending the call; forged steps refused.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::{Duration, DurationRound, Utc};
use common::db::TestDb;
use common::world::{World, world_with};
use gasq_cloud::messages::twilio_signature;
use reqwest::StatusCode;

const PUBLIC: &str = "https://gasq.test";
const CALLER: &str = "+919822233344";

async fn ivr_world() -> World {
    world_with(TestDb::sqlite(), |s| {
        s.public_url = Some(PUBLIC.into());
        s.notifications.worker_interval_secs = 3600;
    })
    .await
}

/// Posts a step of the call to `path` (with its query) as Twilio: the TwiML.
async fn press(w: &World, path: &str, digits: Option<&str>) -> (StatusCode, String) {
    let mut params: Vec<(String, String)> = vec![
        ("CallSid".into(), "CA0000000000000000000000000000001".into()),
        ("From".into(), CALLER.into()),
        ("To".into(), "+15005550006".into()),
    ];
    if let Some(d) = digits {
        params.push(("Digits".into(), d.into()));
    }
    let token = w.app.app.crypto.local_provider_secret("twilio auth token");
    let sig = twilio_signature::sign(&token, &format!("{PUBLIC}{path}"), &params);
    let res = w
        .app
        .http
        .post(w.app.url(path))
        .header("x-twilio-signature", sig)
        .form(&params)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// The `<Gather action>` of a TwiML answer, unescaped.
fn next(twiml: &str) -> String {
    let start = twiml
        .find("action=\"")
        .unwrap_or_else(|| panic!("no Gather in {twiml}"))
        + 8;
    twiml[start..start + twiml[start..].find('"').unwrap()].replace("&amp;", "&")
}

#[tokio::test]
async fn a_caller_books_in_hindi_by_pressing_keys() {
    let w = ivr_world().await;
    let slot = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(3);
    let hhmm = slot
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .format("%H%M")
        .to_string();
    let (status, twiml) = press(&w, "/api/v1/ivr/voice", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        twiml.contains("<Gather") && twiml.contains("हिंदी"),
        "{twiml}"
    );
    let (_, twiml) = press(&w, &next(&twiml), Some("1")).await;
    assert!(
        twiml.contains("language=\"hi-IN\"") && twiml.contains("स्टेशन"),
        "{twiml}"
    );
    // The station's code as typed on the keypad: MUM-0042.
    let (_, twiml) = press(&w, &next(&twiml), Some("6860042")).await;
    assert!(twiml.contains("numDigits=\"4\""), "{twiml}");
    let (_, twiml) = press(&w, &next(&twiml), Some(&hhmm)).await;
    let (_, twiml) = press(&w, &next(&twiml), Some("8")).await;
    assert!(
        twiml.contains("8 किलो"),
        "the confirmation repeats the order: {twiml}"
    );
    let (_, twiml) = press(&w, &next(&twiml), Some("1")).await;
    assert!(
        twiml.contains("बुक हो गया") && twiml.contains("<Hangup/>"),
        "{twiml}"
    );
    // The booking is the caller's (an account keyed by the number), and its code goes
    // by SMS too.
    let user = gasq_cloud::app::accounts::phone_driver(
        &w.app.app,
        &gasq_shared::Phone::parse(CALLER).unwrap(),
    )
    .await
    .unwrap();
    let mine = w
        .app
        .app
        .store
        .bookings_for_user(user.id, 10)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].slot_start, slot);
    assert!(
        twiml.contains(
            &mine[0]
                .code
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(" ")
        ),
        "{twiml}"
    );
    let queued = w
        .app
        .app
        .store
        .notifications_of_booking(mine[0].id)
        .await
        .unwrap();
    assert!(
        queued.iter().any(|n| n.message == "booking-confirmed"),
        "{queued:?}"
    );
}

#[tokio::test]
async fn wrong_keys_are_asked_again_and_the_third_ends_the_call_politely() {
    let w = ivr_world().await;
    let (_, twiml) = press(&w, "/api/v1/ivr/voice", None).await;
    let (_, twiml) = press(&w, &next(&twiml), Some("2")).await; // English
    let (_, twiml) = press(&w, &next(&twiml), Some("99999")).await;
    assert!(twiml.contains("no station"), "{twiml}");
    let (_, twiml) = press(&w, &next(&twiml), None).await; // silence
    assert!(twiml.contains("<Gather"), "asked again: {twiml}");
    let (_, twiml) = press(&w, &next(&twiml), Some("0")).await;
    assert!(
        twiml.contains("<Hangup/>") && twiml.contains("call again"),
        "{twiml}"
    );
}

#[tokio::test]
async fn a_step_with_its_state_altered_is_refused() {
    let w = ivr_world().await;
    let (_, twiml) = press(&w, "/api/v1/ivr/voice", None).await;
    let action = next(&twiml);
    // Signed for one URL, sent to another (the state in the query changed).
    let params = vec![
        ("CallSid".to_owned(), "CA1".to_owned()),
        ("From".to_owned(), CALLER.to_owned()),
        ("Digits".to_owned(), "1".to_owned()),
    ];
    let token = w.app.app.crypto.local_provider_secret("twilio auth token");
    let sig = twilio_signature::sign(&token, &format!("{PUBLIC}{action}"), &params);
    let altered = action.replace("step=lang", "step=confirm");
    let res = w
        .app
        .http
        .post(w.app.url(&altered))
        .header("x-twilio-signature", sig)
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_caller_told_a_time_is_full_books_another_in_the_same_call() {
    let w = ivr_world().await;
    let full = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(3);
    // Seven drivers fill the slot (2 lanes × 15 / 4).
    for n in 0..7u32 {
        let d = w.app.driver(200 + n).await;
        let v = w.app.vehicle(&d, &format!("MH12IV{n:04}")).await;
        let (status, body) = w
            .app
            .post(
                "/api/v1/bookings",
                Some(&d.token),
                serde_json::json!({"station_id": w.station, "vehicle_id": v, "slot_start": full, "payment_method": "at_station"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let hhmm = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&chrono_tz::Asia::Kolkata)
            .format("%H%M")
            .to_string()
    };
    let (_, twiml) = press(&w, "/api/v1/ivr/voice", None).await;
    let (_, twiml) = press(&w, &next(&twiml), Some("2")).await;
    let (_, twiml) = press(&w, &next(&twiml), Some(&w.station.to_string())).await;
    let (_, twiml) = press(&w, &next(&twiml), Some(&hhmm(full))).await;
    let (_, twiml) = press(&w, &next(&twiml), Some("8")).await;
    let (_, twiml) = press(&w, &next(&twiml), Some("1")).await;
    assert!(twiml.contains("That time is full"), "{twiml}");
    // Another time, in the same call.
    let later = full + Duration::minutes(15);
    let (_, twiml) = press(&w, &next(&twiml), Some(&hhmm(later))).await;
    let (_, twiml) = press(&w, &next(&twiml), Some("8")).await;
    let (_, twiml) = press(&w, &next(&twiml), Some("1")).await;
    assert!(twiml.contains("Booked."), "{twiml}");
    let user = gasq_cloud::app::accounts::phone_driver(
        &w.app.app,
        &gasq_shared::Phone::parse(CALLER).unwrap(),
    )
    .await
    .unwrap();
    let mine = w
        .app
        .app
        .store
        .bookings_for_user(user.id, 10)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].slot_start, later);
}
