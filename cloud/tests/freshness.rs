//! Freshness (invariant 10, docs/architecture.md): a pull the cloud holds answers as
//! soon as the station's change log grows — on one replica, and with two processes on one
//! database (replicas on PostgreSQL; the server and the CLI on SQLite) where the
//! cancellation is made by the other one.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::time::Duration;

use common::app::spawn_app_on;
use common::db::TestDb;
use common::device::TestDevice;
use common::world::{World, world_on};
use serde_json::Value;

/// The longest a test pull may be held: if the wake-up were missing, the pull would
/// answer only after this, with nothing — and the test would fail on its content.
const WAIT: u64 = 25;

/// Gives a pull just sent time to reach the cloud and wait there (arranging, not
/// asserting: were it late, the pull would still answer with the change, at once).
async fn let_it_wait() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// An enrolled device that has pulled everything so far; returns it and its cursor.
async fn caught_up(w: &World) -> (TestDevice, i64) {
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let first = device.pull(&w.app, 0).await;
    assert_eq!(first["full_resync"], true, "{first}");
    (device, first["cursor"].as_i64().unwrap())
}

fn revoked(answer: &Value) -> Vec<String> {
    answer["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "revoked")
        .map(|c| c["booking_id"].as_str().unwrap().to_owned())
        .collect()
}

crate::on_both_backends!(
    databases:
    a_held_pull_answers_with_the_cancellation_made_meanwhile,
    a_cancellation_on_one_replica_wakes_a_pull_held_by_another,
);

async fn a_held_pull_answers_with_the_cancellation_made_meanwhile(db: TestDb) {
    let w = world_on(db).await;
    let booking = w.book(2).await;
    let (device, cursor) = caught_up(&w).await;

    // Nothing new: the answer waits in the cloud...
    let held = async { device.pull_waiting(&w.app, cursor, WAIT).await };
    let cancel = async {
        let_it_wait().await;
        w.cancel(&booking).await;
    };
    let (answer, ()) = tokio::join!(held, cancel);

    // ...and brings the cancellation when it happens.
    assert_eq!(answer["full_resync"], false, "{answer}");
    assert_eq!(revoked(&answer), [booking], "{answer}");
    assert!(answer["cursor"].as_i64().unwrap() > cursor, "{answer}");
}

#[tokio::test]
async fn a_held_pull_with_nothing_new_answers_empty_at_its_cursor() {
    let w = world_on(TestDb::sqlite()).await;
    let (device, cursor) = caught_up(&w).await;
    let answer = device.pull_waiting(&w.app, cursor, 1).await;
    assert_eq!(answer["changes"].as_array().unwrap().len(), 0, "{answer}");
    assert_eq!(answer["cursor"], cursor, "{answer}");
}

// Two processes on one database: replicas on PostgreSQL (woken by NOTIFY), the server and
// the CLI on SQLite (the server polls the file for rows others wrote).
async fn a_cancellation_on_one_replica_wakes_a_pull_held_by_another(db: TestDb) {
    let second = db.same_database();
    let w = world_on(db).await;
    let other_replica = spawn_app_on(second).await;
    let booking = w.book(2).await;
    let (device, cursor) = caught_up(&w).await;

    // The edge's pull waits on replica A; the driver cancels through replica B.
    let held = async { device.pull_waiting(&w.app, cursor, WAIT).await };
    let cancel = async {
        let_it_wait().await;
        let (status, body) = other_replica
            .post(
                &format!("/api/v1/bookings/{booking}/cancel"),
                Some(&w.driver.token),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    };
    let (answer, ()) = tokio::join!(held, cancel);
    assert_eq!(revoked(&answer), [booking], "{answer}");
}

#[tokio::test]
async fn an_older_health_report_arriving_late_does_not_undo_a_newer_one() {
    let w = world_on(TestDb::sqlite()).await;
    let (device, cursor) = caught_up(&w).await;
    let (earlier, later) = (
        chrono::Utc::now(),
        chrono::Utc::now() + chrono::Duration::seconds(1),
    );
    let report = |depth: u32, at: chrono::DateTime<chrono::Utc>| {
        let at = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        format!("outbox_depth={depth}&quarantined=0&health_at={at}")
    };
    // The push said the outbox is empty; then a pull held since before it answers.
    let push = format!("/api/v1/edge/events?{}", report(0, later));
    let (status, _) = w
        .app
        .post(
            &push,
            Some(&device.jwt()),
            serde_json::json!({"events": []}),
        )
        .await;
    assert_eq!(status, 200);
    let pull = format!(
        "/api/v1/edge/changes?since={cursor}&{}",
        report(12, earlier)
    );
    let (status, _) = w.app.get(&pull, Some(&device.jwt())).await;
    assert_eq!(status, 200);
    let path = format!("/api/v1/stations/{}/dashboard", w.station);
    let (_, dash) = w.app.get(&path, Some(&w.admin.token)).await;
    assert_eq!(dash["edges"][0]["outbox_depth"], 0, "{dash:#}");
}
