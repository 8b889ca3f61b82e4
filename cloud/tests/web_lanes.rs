//! The lane board says who each lane is fuelling: a booking redeemed at a lane shows
//! there (by registration, since when) until its fill comes in.

#![allow(clippy::unwrap_used)] // a test: a panic is a failure

mod common;

use common::browser::Browser;
use common::device::{TestDevice, event};
use common::world::world;
use serde_json::json;

#[tokio::test]
async fn the_lane_board_shows_who_each_lane_is_fuelling_until_the_fill_ends() {
    let w = world().await;
    let booking = w.book(1).await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let redeemed = json!([event(
        1,
        json!({"kind": "redeemed", "booking_id": booking, "lane": 2, "known": true})
    )]);
    let (status, body) = device.push(&w.app, redeemed).await;
    assert_eq!(status, 200, "{body}");

    let mut admin = Browser::new(w.app.url(""));
    admin.sign_in("admin@example.in", "staff-pass-1").await;
    let path = format!("/admin/stations/{}", w.station);
    let board = admin.get(&path).await;
    assert!(
        board.body.contains("Lane 2: fuelling MH12AB1234 since"),
        "{}",
        board.body
    );
    assert!(!board.body.contains("Lane 1: fuelling"), "{}", board.body);
    let (_, dash) = w
        .app
        .get(
            &format!("/api/v1/stations/{}/dashboard", w.station),
            Some(&w.admin.token),
        )
        .await;
    assert_eq!(
        dash["lanes"][1]["serving"]["registration"], "MH12AB1234",
        "{dash}"
    );

    // The fill ends: the lane is free again.
    let filled = json!([event(
        2,
        json!({"kind": "fill", "booking_id": booking, "lane": 2, "kg": 6.0, "amount_paise": 45_600})
    )]);
    let (status, body) = device.push(&w.app, filled).await;
    assert_eq!(status, 200, "{body}");
    let board = admin.get(&path).await;
    assert!(!board.body.contains("fuelling"), "{}", board.body);
}
