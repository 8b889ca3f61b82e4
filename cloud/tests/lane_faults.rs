//! A lane fault lowers capacity at once; bookings that no longer fit are moved to the
//! nearest later slot with a place (new window, new lane code, the edge and the driver
//! told, its reminder re-timed) or, with none within reach, cancelled by the station and
//! refunded in full.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::{DateTime, Utc};
use common::app::{Session, future_slot};
use common::device::{TestDevice, event};
use common::world::world;
use gasq_cloud::app::notify;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_lane_fault_moves_the_bookings_that_no_longer_fit_and_all_lanes_down_refunds_them() {
    let w = world().await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let slot = future_slot(3);
    // 2 lanes serve 7 a slot: seven drivers fill it, in order.
    let mut booked: Vec<(Session, Value)> = Vec::new();
    for n in 0..7u32 {
        let d = w.app.driver(100 + n).await;
        let v = w.app.vehicle(&d, &format!("MH12LF{n:04}")).await;
        let (status, b) = w
            .app
            .post(
                "/api/v1/bookings",
                Some(&d.token),
                json!({"station_id": w.station, "vehicle_id": v, "slot_start": slot, "payment_method": "at_station"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        booked.push((d, b));
    }
    let cursor = device.pull(&w.app, 0).await["cursor"].as_i64().unwrap();

    // Lane 2 down: one lane serves 3 a slot. The four newest bookings move.
    let (status, body) = device
        .push(
            &w.app,
            json!([event(
                1,
                json!({"kind": "lane_fault", "lane": 2, "detail": "nozzle leak"})
            )]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut now = Vec::new();
    for (d, b) in &booked {
        let (_, after) = w
            .app
            .get(
                &format!("/api/v1/bookings/{}", b["id"].as_str().unwrap()),
                Some(&d.token),
            )
            .await;
        now.push(after);
    }
    for (i, (before, after)) in booked.iter().map(|(_, b)| b).zip(&now).enumerate() {
        assert_eq!(after["status"], "confirmed", "{after}");
        if i < 3 {
            assert_eq!(
                after["slot_start"], before["slot_start"],
                "the first three stay"
            );
        } else {
            let moved_to = time(&after["slot_start"]);
            assert!(moved_to > slot, "booking {i} moved later: {after}");
            assert!(moved_to <= slot + chrono::Duration::hours(2), "{after}");
            assert_ne!(
                after["code"], before["code"],
                "a new window, a new lane code"
            );
        }
    }
    // The next slot takes three of them, the one after the last.
    let later = |s: DateTime<Utc>| now.iter().filter(|b| time(&b["slot_start"]) == s).count();
    assert_eq!(later(slot + chrono::Duration::minutes(15)), 3);
    assert_eq!(later(slot + chrono::Duration::minutes(30)), 1);
    // The edge hears of the moves with its next pull.
    let page = device.pull(&w.app, cursor).await;
    let moved_ids: Vec<&Value> = page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "booking")
        .map(|c| &c["booking"]["id"])
        .collect();
    assert_eq!(moved_ids.len(), 4, "{page}");

    // A moved booking's reminder follows it: not sent at the old slot's reminder time
    // (30 minutes before), sent at the new slot's.
    let moved = &now[6];
    let reminder = format!("reminder:{}", moved["id"].as_str().unwrap());
    let reminded = || async {
        let sent = w.app.app.store.notifications("sent", 200).await.unwrap();
        sent.iter().any(|n| n.intent == reminder)
    };
    let before_slot =
        |s: DateTime<Utc>| s - chrono::Duration::minutes(30) + chrono::Duration::seconds(1);
    notify::send_due(&w.app.app, before_slot(slot))
        .await
        .unwrap();
    assert!(!reminded().await, "reminded at the old time");
    notify::send_due(&w.app.app, before_slot(time(&moved["slot_start"])))
        .await
        .unwrap();
    assert!(reminded().await, "reminded at the new time");

    // Every lane down: no slot has a place; every booking is cancelled by the station.
    let (status, _) = device
        .push(
            &w.app,
            json!([event(2, json!({"kind": "lane_fault", "lane": 1}))]),
        )
        .await;
    assert_eq!(status, 200);
    for ((d, b), _) in booked.iter().zip(&now) {
        let (_, after) = w
            .app
            .get(
                &format!("/api/v1/bookings/{}", b["id"].as_str().unwrap()),
                Some(&d.token),
            )
            .await;
        assert_eq!(after["status"], "cancelled", "{after}");
    }
}
