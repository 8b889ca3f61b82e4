//! Exposure and growth: enrollment-code guesses learn nothing about which codes exist,
//! and the station change log is pruned below the oldest cursor in use (bounded in
//! age), with an edge behind the cut resynced in full. (The scrape token of `/metrics`
//! is tested in `ops.rs`.)

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::{Duration, Utc};
use common::app::{Session, TestApp, future_slot};
use common::db::TestDb;
use common::device::TestDevice;
use common::world::{World, world_on};
use gasq_cloud::app::upkeep;
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::on_both_backends!(
    databases:
    a_wrong_secret_and_an_unknown_code_get_the_same_answer,
    the_change_log_is_pruned_below_the_oldest_cursor_in_use_and_a_late_edge_resyncs,
);

/// The common world, its driver with two more vehicles.
async fn world(db: TestDb) -> (World, Vec<String>) {
    let w = world_on(db).await;
    let mut vehicles = vec![w.vehicle.clone()];
    for n in 1..3 {
        vehicles.push(w.app.vehicle(&w.driver, &format!("MH12AB000{n}")).await);
    }
    (w, vehicles)
}

async fn a_wrong_secret_and_an_unknown_code_get_the_same_answer(db: TestDb) {
    let (w, _) = world(db).await;
    let (app, admin, station) = (&w.app, &w.admin, w.station);
    let live = TestDevice::code(app, admin, station).await;
    let used = TestDevice::code(app, admin, station).await;
    TestDevice::enroll_with(app, &used).await.unwrap();
    let unknown = ["ZZZZ", "YYYY", "XXXX"]
        .into_iter()
        .find(|id| !live.starts_with(id) && !used.starts_with(id))
        .map(|id| format!("{id}-ZZZZ-ZZZZ"))
        .unwrap();
    let wrong = |code: &str| format!("{}ZZZZ-ZZZZ", &code[..5]);
    let mut answers = Vec::new();
    for guess in [unknown, wrong(&live), wrong(&used)] {
        answers.push(TestDevice::enroll_with(app, &guess).await.err().unwrap());
    }
    // Status, code and text alike: nothing says which ids exist, or were used.
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].1["code"], "enrollment_code_invalid");
    // Each refusal is audited alike.
    let root = app.login("root@example.in", "staff-pass-1").await;
    let path = "/api/v1/audit?action=edge.enroll_refused";
    let (_, audit) = app.get(path, Some(&root.token)).await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 3, "{audit}");
    // The whole code still works, and a used one says so to whoever holds it.
    let (status, again) = TestDevice::enroll_with(app, &used).await.err().unwrap();
    assert_eq!(status, 404);
    assert!(
        again["detail"].as_str().unwrap().contains("already used"),
        "{again}"
    );
    TestDevice::enroll_with(app, &live).await.unwrap();
}

async fn book(app: &TestApp, driver: &Session, station: u64, vehicle: &str, hours: i64) {
    let body = json!({"station_id": station, "vehicle_id": vehicle, "slot_start": future_slot(hours), "payment_method": "at_station"});
    let (status, b) = app
        .post("/api/v1/bookings", Some(&driver.token), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
}

fn cursor(page: &Value) -> i64 {
    page["cursor"].as_i64().unwrap()
}

fn bookings(page: &Value) -> usize {
    let changes = page["changes"].as_array().unwrap();
    changes.iter().filter(|c| c["kind"] == "booking").count()
}

async fn the_change_log_is_pruned_below_the_oldest_cursor_in_use_and_a_late_edge_resyncs(
    db: TestDb,
) {
    let (w, vehicles) = world(db).await;
    let (app, admin, station, driver) = (&w.app, &w.admin, w.station, &w.driver);
    book(app, driver, station, &vehicles[0], 3).await;
    let (slow, fast) = (
        TestDevice::enroll(app, admin, station).await,
        TestDevice::enroll(app, admin, station).await,
    );
    let slow_cursor = cursor(&slow.pull(app, 0).await);
    book(app, driver, station, &vehicles[1], 5).await;
    let fast_cursor = cursor(&fast.pull(app, 0).await);
    // The station's and the first booking's changes are below both cursors.
    assert!(slow_cursor >= 2 && fast_cursor > slow_cursor);

    // Both boxes are live: the log goes only up to the slower one's cursor.
    let pruned = upkeep::prune_pass(&app.app, Utc::now()).await.unwrap();
    assert!(pruned >= 1, "the changes before both cursors go");
    let page = slow.pull(app, slow_cursor).await;
    assert_eq!(page["full_resync"], false, "{page}");
    assert_eq!(
        bookings(&page),
        1,
        "the slow box still gets what it missed: {page}"
    );
    // A cursor below the cut (an edge restored from an old backup) is resynced.
    let page = fast.pull(app, slow_cursor - 1).await;
    assert_eq!(
        (page["full_resync"].as_bool(), bookings(&page)),
        (Some(true), 2)
    );

    // Both boxes fall silent for longer than the retention: they hold nothing any more,
    // and every change recorded before then goes.
    book(app, driver, station, &vehicles[2], 7).await;
    let stale = cursor(&fast.pull(app, cursor(&page)).await) - 1;
    let later = Utc::now() + Duration::hours(app.app.settings.edge.change_log_retention_hours + 1);
    assert!(upkeep::prune_pass(&app.app, later).await.unwrap() >= 1);
    let page = slow.pull(app, stale).await;
    assert_eq!(page["full_resync"], true, "behind the floor: {page}");
    assert_eq!(bookings(&page), 3, "the full picture: {page}");
    // After the resync, its new cursor works incrementally again.
    book(app, driver, station, &vehicles[0], 9).await;
    let page = slow.pull(app, cursor(&page)).await;
    assert_eq!(
        (page["full_resync"].as_bool(), bookings(&page)),
        (Some(false), 1)
    );
}
