//! The cloud side of edge sync: enrollment codes, enrollment, pulls by cursor with
//! full resyncs, idempotent event ingestion, reconciliation, the station dashboard.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::Utc;
use common::app::future_slot;
use common::device::{TestDevice, event};
use common::world::{World, world};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn kinds(changes: &Value) -> Vec<String> {
    changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_code_enrolls_one_box_once_and_tells_it_the_station_and_keys() {
    let w = world().await;
    let code = TestDevice::code(&w.app, &w.admin, w.station).await;
    assert_eq!(code.len(), 14, "XXXX-XXXX-XXXX: {code}");
    let device = TestDevice::enroll_with(&w.app, &code.to_lowercase())
        .await
        .unwrap();
    let e = &device.enrollment;
    assert_eq!(e["station"]["code"], "MUM-0042");
    assert_eq!(e["station"]["lanes"], 2);
    assert!(!e["keys"]["keys"].as_array().unwrap().is_empty());
    assert_eq!(e["attendant_secret"].as_str().unwrap().len(), 16);
    let (status, again) = TestDevice::enroll_with(&w.app, &code).await.err().unwrap();
    assert_eq!(status, 404);
    assert!(
        again["detail"].as_str().unwrap().contains("already used"),
        "{again}"
    );
    // The audit log names the enrollment.
    let root = w.app.login("root@example.in", "staff-pass-1").await;
    let (_, audit) = w
        .app
        .get("/api/v1/audit?action=edge.enroll", Some(&root.token))
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn ten_wrong_guesses_burn_a_code() {
    let w = world().await;
    let (_, code) = w
        .app
        .post(
            &format!("/api/v1/stations/{}/enrollment-codes", w.station),
            Some(&w.admin.token),
            json!({}),
        )
        .await;
    let code = code["code"].as_str().unwrap().to_owned();
    let wrong = format!("{}ZZZZ-ZZZZ", &code[..5]);
    for _ in 0..10 {
        assert_eq!(
            TestDevice::enroll_with(&w.app, &wrong)
                .await
                .err()
                .unwrap()
                .0,
            404
        );
    }
    let (status, p) = TestDevice::enroll_with(&w.app, &code).await.err().unwrap();
    assert_eq!(status, 404);
    assert!(p["detail"].as_str().unwrap().contains("too often"), "{p}");
}

#[tokio::test]
async fn a_first_pull_is_the_full_picture_and_later_pulls_bring_only_changes() {
    let w = world().await;
    let early = w.book(3).await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let full = device.pull(&w.app, 0).await;
    assert_eq!(full["full_resync"], true);
    assert_eq!(kinds(&full), ["station", "keys", "booking"]);
    assert_eq!(full["changes"][2]["booking"]["id"], early.as_str());
    assert_eq!(full["changes"][2]["booking"]["vehicle"], "MH12AB1234");
    let cursor = full["cursor"].as_i64().unwrap();

    let nothing = device.pull(&w.app, cursor).await;
    assert_eq!(
        (nothing["full_resync"].as_bool(), kinds(&nothing).len()),
        (Some(false), 0)
    );

    let later = w.book(4).await;
    let (status, _) = w
        .app
        .post(
            &format!("/api/v1/bookings/{early}/cancel"),
            Some(&w.driver.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let delta = device.pull(&w.app, cursor).await;
    assert_eq!(delta["full_resync"], false);
    let changes = delta["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["kind"] == "booking" && c["booking"]["id"] == later.as_str()),
        "{delta}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["kind"] == "revoked" && c["booking_id"] == early.as_str()),
        "{delta}"
    );

    // A cursor from the future (the cloud was restored from a backup) means resync.
    let unknown = device
        .pull(&w.app, delta["cursor"].as_i64().unwrap() + 1000)
        .await;
    assert_eq!(unknown["full_resync"], true);
    assert!(
        kinds(&unknown).contains(&"revoked".to_owned()),
        "cancelled bookings stay revoked: {unknown}"
    );
}

#[tokio::test]
async fn a_device_token_must_verify_against_the_enrolled_key() {
    let w = world().await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let impostor = TestDevice {
        key: ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
        id: device.id.clone(),
        enrollment: Value::Null,
    };
    for token in [
        impostor.jwt(),
        device.jwt_for("someone-else", 300),
        device.jwt_for(gasq_shared::sync::DEVICE_JWT_AUDIENCE, -3600),
        device.jwt_for(gasq_shared::sync::DEVICE_JWT_AUDIENCE, 365 * 24 * 3600),
        w.driver.token.clone(),
    ] {
        let (status, p) = w.app.get("/api/v1/edge/changes", Some(&token)).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_device_token"))
        );
    }
}

#[tokio::test]
async fn events_count_once_however_often_they_are_sent() {
    let w = world().await;
    let booking = w.book(3).await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let batch = json!([
        event(
            1,
            json!({"kind": "redeemed", "booking_id": booking, "lane": 1, "known": true})
        ),
        event(
            2,
            json!({"kind": "fill", "booking_id": booking, "lane": 1, "kg": 7.85, "amount_paise": 59660})
        ),
        event(3, json!({"kind": "queue", "waiting": 4, "lanes_up": 2})),
    ]);
    for _ in 0..3 {
        let (status, res) = device.push(&w.app, batch.clone()).await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["acked"].as_array().unwrap().len(), 3);
    }
    let station = gasq_shared::StationId::new(w.station as u32).unwrap();
    assert_eq!(w.app.app.store.count_events(station).await.unwrap(), 3);
    let (_, b) = w
        .app
        .get(
            &format!("/api/v1/bookings/{booking}"),
            Some(&w.driver.token),
        )
        .await;
    assert_eq!(b["status"], "completed");
    let dash = w.dashboard().await;
    assert_eq!(dash["today"]["fills"], 1);
    assert_eq!(dash["today"]["filled_kg"], 7.85);
    assert_eq!(dash["queue"]["waiting"], 4);
    // Pushes alone do not make an edge current: staleness runs from its last pull.
    assert_ne!(dash["edges"][0]["status"], "online", "{dash}");
    let (status, _) = w.app.get("/api/v1/edge/changes", Some(&device.jwt())).await;
    assert_eq!(status, 200);
    let dash = w.dashboard().await;
    assert_eq!(dash["edges"][0]["status"], "online");
    assert_eq!(
        dash["edges"][0]["outbox_depth"],
        Value::Null,
        "pushes without health keep the last value"
    );
}

#[tokio::test]
async fn a_redemption_of_a_cancelled_booking_wins_and_raises_a_case() {
    let w = world().await;
    let booking = w.book(3).await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    w.app
        .post(
            &format!("/api/v1/bookings/{booking}/cancel"),
            Some(&w.driver.token),
            json!({}),
        )
        .await;
    let case = redeem_late(&w, &device, &booking, 2, false).await;
    assert_eq!(case["kind"], "redeemed_after_cancel");
}

#[tokio::test]
async fn a_redemption_of_a_no_show_booking_wins_and_raises_a_case() {
    let w = world().await;
    let booking = w.book(3).await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    // The no-show sweep runs as if the booking's window had passed (the edge was
    // offline and reports the redemption late).
    let swept = w
        .app
        .app
        .store
        .mark_no_shows(Utc::now() + chrono::Duration::days(1), 100)
        .await
        .unwrap();
    assert!(
        swept.iter().any(|b| b.id.to_string() == booking),
        "{swept:?}"
    );
    let case = redeem_late(&w, &device, &booking, 1, true).await;
    assert!(
        case["detail"].as_str().unwrap().contains("no_show"),
        "{case}"
    );
}

/// The edge reports `booking` redeemed at `lane`: the lane wins (the booking is
/// `redeemed`), and the dashboard shows exactly one reconciliation case, returned.
async fn redeem_late(
    w: &World,
    device: &TestDevice,
    booking: &str,
    lane: u16,
    known: bool,
) -> Value {
    let (status, _) = device
        .push(
            &w.app,
            json!([event(
                1,
                json!({"kind": "redeemed", "booking_id": booking, "lane": lane, "known": known})
            )]),
        )
        .await;
    assert_eq!(status, 200);
    let (_, b) = w
        .app
        .get(
            &format!("/api/v1/bookings/{booking}"),
            Some(&w.driver.token),
        )
        .await;
    assert_eq!(b["status"], "redeemed", "the redemption at the lane wins");
    let dash = w.dashboard().await;
    let cases = dash["reconciliation"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{dash}");
    assert_eq!(cases[0]["booking_id"], booking, "{dash}");
    cases[0].clone()
}

#[tokio::test]
async fn a_lane_fault_lowers_capacity_at_once_and_the_edge_hears_of_it() {
    let w = world().await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let cursor = device.pull(&w.app, 0).await["cursor"].as_i64().unwrap();
    let (status, _) = device
        .push(
            &w.app,
            json!([event(
                1,
                json!({"kind": "lane_fault", "lane": 2, "detail": "nozzle leak"})
            )]),
        )
        .await;
    assert_eq!(status, 200);
    let (_, s) = w
        .app
        .get(&format!("/api/v1/stations/{}", w.station), None)
        .await;
    assert_eq!(
        (s["lanes_in_service"].as_u64(), s["slot_capacity"].as_u64()),
        (Some(1), Some(3))
    );
    let date = future_slot(3)
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .format("%Y-%m-%d");
    let (_, slots) = w
        .app
        .get(
            &format!("/api/v1/stations/{}/slots?date={date}", w.station),
            None,
        )
        .await;
    assert!(
        slots.as_array().unwrap().iter().all(|s| s["capacity"] == 3),
        "1 lane × 15 / 4 = 3"
    );
    let delta = device.pull(&w.app, cursor).await;
    assert_eq!(kinds(&delta), ["station"], "{delta:#}");
    let dash = w.dashboard().await;
    assert_eq!(
        (
            dash["lanes"][1]["up"].as_bool(),
            dash["lanes"][1]["detail"].as_str()
        ),
        (Some(false), Some("nozzle leak"))
    );
    device
        .push(
            &w.app,
            json!([event(2, json!({"kind": "lane_ok", "lane": 2}))]),
        )
        .await;
    let (_, s) = w
        .app
        .get(&format!("/api/v1/stations/{}", w.station), None)
        .await;
    assert_eq!(s["lanes_in_service"], 2);
}

#[tokio::test]
async fn a_poison_event_is_refused_alone_and_a_batch_without_ids_whole() {
    let w = world().await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let poison = event(1, json!({"kind": "lane_fault", "lane": 99}));
    let alien = event(2, json!({"kind": "teleported", "to": "mars"}));
    let fine = event(3, json!({"kind": "walkin", "ticket": 7, "vehicle": null}));
    let (status, res) = device.push(&w.app, json!([poison, alien, fine])).await;
    assert_eq!(status, 200, "{res}");
    let rejected: Vec<&str> = res["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rejected,
        [
            poison["id"].as_str().unwrap(),
            alien["id"].as_str().unwrap()
        ]
    );
    assert_eq!(res["acked"][0], fine["id"]);
    let (status, _) = device.push(&w.app, json!([{"kind": "walkin"}])).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn an_edge_that_never_synced_is_never_shown_online() {
    let w = world().await;
    TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let dash = w.dashboard().await;
    assert_eq!(dash["edges"][0]["status"], "never_synced");
}

#[tokio::test]
async fn events_an_edge_quarantined_show_on_the_dashboard_until_it_reports_none() {
    let w = world().await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let dashboard = || async {
        let dash = w.dashboard().await;
        dash["edges"][0].clone()
    };
    assert_eq!(
        dashboard().await["quarantined"],
        Value::Null,
        "not said yet"
    );
    let (status, body) = w
        .app
        .get(
            "/api/v1/edge/changes?since=0&outbox_depth=4&quarantined=2",
            Some(&device.jwt()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let edge = dashboard().await;
    assert_eq!(
        (edge["outbox_depth"].as_i64(), edge["quarantined"].as_i64()),
        (Some(4), Some(2))
    );
    // A push that reports health updates it; one that does not keeps the last value.
    let (status, body) = w
        .app
        .post(
            "/api/v1/edge/events?outbox_depth=0&quarantined=0",
            Some(&device.jwt()),
            json!({ "events": [] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(dashboard().await["quarantined"], 0);
    device.push(&w.app, json!([])).await;
    assert_eq!(dashboard().await["quarantined"], 0);
}

/// The station's lane-code secret and one booking: does the booking's code check
/// against it, as the edge will check it?
fn code_checks(secret: &Value, booking: &Value, station: u64) -> bool {
    use gasq_shared::lanecode::{self, CodeSubject, LaneCodeSecret};
    let secret: LaneCodeSecret = serde_json::from_value(secret.clone()).unwrap();
    let subject = CodeSubject {
        booking: booking["id"].as_str().unwrap().parse().unwrap(),
        station: gasq_shared::StationId::new(u32::try_from(station).unwrap()).unwrap(),
        valid_from: booking["valid_from"].as_str().unwrap().parse().unwrap(),
        valid_until: booking["valid_until"].as_str().unwrap().parse().unwrap(),
    };
    lanecode::matches(
        &secret.bytes().unwrap(),
        &subject,
        booking["code"].as_str().unwrap(),
    )
}

#[tokio::test]
async fn lane_codes_check_at_the_edge_and_a_rotation_reaches_it_by_sync() {
    let w = world().await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let secrets = device.enrollment["lane_code_secrets"].clone();
    assert_eq!(secrets.as_array().unwrap().len(), 1, "{secrets}");
    assert_eq!(secrets[0]["version"], 1);
    let first = w.book(2).await;
    let (_, b1) = w
        .app
        .get(&format!("/api/v1/bookings/{first}"), Some(&w.driver.token))
        .await;
    let code = b1["code"].as_str().unwrap();
    assert!(
        code.len() == 8 && code.bytes().all(|c| c.is_ascii_digit()),
        "{code}"
    );
    // The pull carries the booking with its window: the edge can check the code.
    let page = device.pull(&w.app, 0).await;
    let synced = page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "booking")
        .unwrap()["booking"]
        .clone();
    assert!(code_checks(&secrets[0], &synced, w.station));

    // A rotation: the next pull brings the new secret and keeps the old one.
    let version = gasq_cloud::app::lanecodes::rotate(
        &w.app.app,
        None,
        gasq_shared::StationId::new(u32::try_from(w.station).unwrap()).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(version, 2);
    let next = device.pull(&w.app, page["cursor"].as_i64().unwrap()).await;
    let station = next["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "station")
        .expect("the rotation is a station change");
    let rotated = station["lane_code_secrets"].as_array().unwrap();
    assert_eq!(rotated.len(), 2);
    assert_eq!(rotated[0]["version"], 2);
    assert_eq!(
        rotated[1], secrets[0],
        "the previous secret stays for codes given out"
    );
    assert!(!code_checks(&rotated[0], &synced, w.station));
    // A new booking's code is made under the new secret.
    let second = w.book(4).await;
    let (_, b2) = w
        .app
        .get(&format!("/api/v1/bookings/{second}"), Some(&w.driver.token))
        .await;
    assert!(code_checks(&rotated[0], &b2, w.station), "{b2}");
    assert!(!code_checks(&rotated[1], &b2, w.station));
}
