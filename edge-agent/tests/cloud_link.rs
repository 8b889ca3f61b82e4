//! The edge's link to the real cloud when the road between them is hostile or slow to
//! matter (docs/architecture.md, invariants 9 and 10):
//! - a proxy in front of the cloud that answers pushes with pages of its own never
//!   costs an event: nothing is quarantined, the edge says it is offline and what
//!   answered, and once the proxy heals everything arrives;
//! - a booking cancelled in the cloud is refused at the lane as soon as the held pull
//!   brings it, not at the next pull interval;
//! - a box re-enrolled in its own place revokes its old device, and a revoked box says
//!   so, with doctor telling the technician how to enroll it again.
//!
//! Needs `gasq-cloud` built next to `gasq-edge` (the workspace test run builds both).

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::{DateTime, Utc};
use common::bus::{BusClient, lane_topic, verdicts};
use common::cloud::{self, Api, STATION, enroll, enroll_and_run};
use common::edge::{self, Edge};
use common::proxy::{Misbehaviour, Proxy};
use gasq_shared::topics::Reason;
use serde_json::{Value, json};

const DRIVER: (&str, &str) = ("driver@demo.gasq.in", "demo-driver-pass");
const ADMIN: (&str, &str) = ("admin@demo.gasq.in", "demo-admin-pass");

/// Waits until the edge says it is offline because of `says`, with nothing quarantined.
async fn offline_because(edge: &Edge, says: &str) {
    let status = edge
        .wait_status(&format!("the edge to report {says:?}"), |s| {
            s["online_to_cloud"] == false
                && s["last_sync_error"]
                    .as_str()
                    .is_some_and(|e| e.contains(says))
        })
        .await;
    assert_eq!(status["quarantined"], 0, "{status:#}");
    assert!(status["outbox_depth"].as_u64() >= Some(1), "{status:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_answering_pushes_with_its_own_pages_never_costs_an_event() {
    let Some((_dir, _cloud, at)) = cloud::running().await else {
        return;
    };
    let proxy = Proxy::start(at).await;
    let api = Api::at(proxy.addr);
    // A silent proxy is given up on after a second (a held pull gets its wait on top).
    let (_data, edge) = enroll_and_run(&api, &[("GASQ_REQUEST_TIMEOUT_SECS", "1")]).await;
    let mut scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;
    let driver = api.login(DRIVER.0, DRIVER.1).await;
    let admin = api.login(ADMIN.0, ADMIN.1).await;
    let (booking, token) = api.book(&driver, "MH12AB4321").await;
    let before = api.today(&admin).await;

    // The reproduction: nginx answers the pushes with its 404 page while a car is
    // fuelled, for long enough that the edge retries several times.
    proxy.misbehave(Misbehaviour::Html404);
    scanner
        .publish(&lane_topic(STATION, 1, "scan"), token)
        .await;
    assert!(scanner.next_verdict().await.1.accepted);
    offline_because(&edge, "HTTP 404").await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    offline_because(&edge, "404 Not Found").await;

    // Every other way a proxy gets it wrong, each with an event waiting.
    let faults = [
        (Misbehaviour::Bare405, "HTTP 405"),
        (Misbehaviour::Gateway502, "502 Bad Gateway"),
        (Misbehaviour::Json503, "down for maintenance"),
        (Misbehaviour::WrongShape200, "HTTP 200"),
        (Misbehaviour::Silent, "timed out"),
    ];
    for (how, says) in faults {
        proxy.misbehave(how);
        scanner
            .publish(&lane_topic(STATION, 2, "scan"), "GQ1:NOT-A-TOKEN")
            .await;
        assert_eq!(scanner.next_verdict().await.1.reason, Reason::Malformed);
        offline_because(&edge, says).await;
    }

    // Healed: everything arrives once, nothing was set aside.
    proxy.misbehave(Misbehaviour::None);
    let status = edge
        .wait_status("the outbox to drain", |s| {
            s["outbox_depth"] == 0 && s["online_to_cloud"] == true
        })
        .await;
    assert_eq!(status["quarantined"], 0, "{status:#}");
    assert_eq!(status["last_sync_error"], Value::Null, "{status:#}");
    api.wait_status(&driver, &booking, "redeemed").await;
    let board = api.dashboard_caught_up(&admin).await;
    assert_eq!(
        board["today"]["rejected_scans"].as_i64(),
        before["rejected_scans"].as_i64().map(|n| n + 5),
        "{board:#}"
    );
}

/// The edge's last pull, from its `/status`.
fn last_pull(status: &Value) -> Option<DateTime<Utc>> {
    status["last_pull_at"].as_str().map(|t| t.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_booking_is_refused_at_the_lane_without_waiting_for_a_pull_interval() {
    let Some((_dir, _cloud, at)) = cloud::running().await else {
        return;
    };
    let api = Api::at(at);
    // Pulls that bring nothing would repeat only every 5 minutes: only a held pull can
    // bring the cancellation within the test's patience.
    let (_data, edge) = enroll_and_run(&api, &[("GASQ_PULL_INTERVAL_SECS", "300")]).await;
    let mut scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;
    let driver = api.login(DRIVER.0, DRIVER.1).await;

    // The booking reaches the edge first (its pull answers with it)...
    let booked_at = Utc::now();
    let (booking, token) = api.book(&driver, "MH12AB4321").await;
    edge.wait_status("the edge to pull the booking", |s| {
        last_pull(s).is_some_and(|t| t > booked_at)
    })
    .await;

    // ...then the driver cancels, and the very next answer to the edge carries it.
    let path = format!("/api/v1/bookings/{booking}/cancel");
    api.call("POST", &path, Some(&driver), Some(json!({})))
        .await;
    let cancelled_at = Utc::now();
    edge.wait_status("a pull after the cancellation", |s| {
        last_pull(s).is_some_and(|t| t > cancelled_at)
    })
    .await;
    scanner
        .publish(&lane_topic(STATION, 1, "scan"), token)
        .await;
    let verdict = scanner.next_verdict().await.1;
    assert_eq!(verdict.reason, Reason::Revoked, "{verdict:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_or_revoked_box_is_cut_off_and_told_how_to_come_back() {
    let Some((_dir, _cloud, at)) = cloud::running().await else {
        return;
    };
    let api = Api::at(at);
    let admin = api.login(ADMIN.0, ADMIN.1).await;
    let (data, edge) = enroll_and_run(&api, &[]).await;
    let old = edge.status().await["device_id"].clone();
    edge.terminate().await;

    // Enrolled again in its own place: the old device is revoked, the new one syncs.
    enroll(&api, data.path(), &["--force"]).await;
    let edge = Edge::start(data.path(), &[]).await;
    let new = edge.wait_synced().await["device_id"].clone();
    let devices = api
        .call("GET", "/api/v1/stations/1/devices", Some(&admin), None)
        .await;
    let revoked = |id: &Value| {
        let d = devices.as_array().unwrap().iter().find(|d| d["id"] == *id);
        d.unwrap()["revoked_at"].is_string()
    };
    assert!(revoked(&old) && !revoked(&new), "{devices:#}");

    // Revoked by the station's admin: the box stops syncing and says why.
    let path = format!("/api/v1/edge/devices/{}/revoke", new.as_str().unwrap());
    api.call("POST", &path, Some(&admin), Some(json!({}))).await;
    edge.wait_status("the edge to hear it was revoked", |s| {
        s["online_to_cloud"] == false
            && s["last_sync_error"]
                .as_str()
                .is_some_and(|e| e.contains("device_revoked"))
    })
    .await;
    let doctor = edge::output(&["doctor"], data.path()).await;
    let said = String::from_utf8_lossy(&doctor.stdout);
    assert!(!doctor.status.success(), "{said}");
    assert!(
        said.contains("revoked") && said.contains("gasq-edge enroll --force"),
        "{said}"
    );
}
