//! The edge against the real cloud: both programs as built by the workspace, an MQTT
//! client as the scanner. A technician enrolls the box with a code from the cloud, a
//! driver books and scans; the booking is redeemed in the cloud; with the cloud stopped
//! the lane goes on and, once the cloud is back, the outbox drains into it.
//!
//! Needs `gasq-cloud` built next to `gasq-edge` (the workspace test run builds both);
//! skips with a note when it is not there (e.g. `cargo nextest run -p gasq-edge` alone).

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::bus::{BusClient, lane_topic, verdicts};
use common::cloud::{Api, STATION, cloud_binary, enroll_and_run, start_cloud};
use common::relay::{Relay, Upstream};
use gasq_shared::topics::Reason;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_enrolled_with_the_real_cloud_validates_online_and_offline() {
    let Some(bin) = cloud_binary() else {
        eprintln!("skipped: gasq-cloud is not built next to gasq-edge (run the workspace tests)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut cloud, at) = start_cloud(&bin, dir.path()).await;
    // The box knows the cloud by one URL, which stays while the cloud restarts elsewhere.
    let front = Relay::start(Upstream::Tcp(at));
    let api = Api {
        base: format!("http://{}", front.addr),
        http: reqwest::Client::new(),
    };

    let (_data, station) = enroll_and_run(&api, &[]).await;
    let mut scanner = BusClient::connect(station.mqtt, &[verdicts(STATION)], None).await;

    // Online: a driver's token is accepted once, and the cloud learns it was redeemed.
    let driver = api.login("driver@demo.gasq.in", "demo-driver-pass").await;
    let (first, token) = api.book(&driver, "MH12AB4321").await;
    let (second, offline_token) = api.book(&driver, "MH12AB9876").await;
    scanner
        .publish(&lane_topic(STATION, 1, "scan"), token.clone())
        .await;
    assert!(scanner.next_verdict().await.1.accepted);
    scanner
        .publish(&lane_topic(STATION, 2, "scan"), token)
        .await;
    assert_eq!(scanner.next_verdict().await.1.reason, Reason::AlreadyUsed);
    api.wait_status(&driver, &first, "redeemed").await;
    // What the cloud counted before going away (the edge has nothing left to send).
    station
        .wait_status("the online events to be sent", |s| s["outbox_depth"] == 0)
        .await;
    let admin = api.login("admin@demo.gasq.in", "demo-admin-pass").await;
    let before = api.today(&admin).await;

    // Offline: the lane goes on; the events wait in the outbox.
    cloud.kill().await.unwrap();
    scanner
        .publish(&lane_topic(STATION, 1, "scan"), offline_token.clone())
        .await;
    assert!(scanner.next_verdict().await.1.accepted);
    scanner
        .publish(&lane_topic(STATION, 2, "scan"), offline_token)
        .await;
    assert_eq!(scanner.next_verdict().await.1.reason, Reason::AlreadyUsed);
    scanner
        .publish(&lane_topic(STATION, 2, "scan"), "GQ1:NOT-A-TOKEN")
        .await;
    assert_eq!(scanner.next_verdict().await.1.reason, Reason::Malformed);
    station
        .wait_status("the edge to go offline", |s| {
            s["online_to_cloud"] == false && s["outbox_depth"].as_u64() >= Some(1)
        })
        .await;

    // Back: the outbox drains and the cloud counts the redemption.
    let (_cloud, at) = start_cloud(&bin, dir.path()).await;
    front.redirect(Upstream::Tcp(at));
    station
        .wait_status("the outbox to drain", |s| {
            s["outbox_depth"] == 0 && s["online_to_cloud"] == true
        })
        .await;
    api.wait_status(&driver, &second, "redeemed").await;
    let board = api.dashboard_caught_up(&admin).await;
    // Each event counted once, however often the edge tried while the cloud was gone:
    // the two refused scans made offline are two more, and the redemptions raised no
    // "redeemed twice" case.
    let after = &board["today"];
    assert_eq!(
        after["rejected_scans"].as_i64(),
        before["rejected_scans"].as_i64().map(|n| n + 2),
        "before: {before:#}\nafter: {after:#}"
    );
    assert_eq!(
        board["reconciliation"],
        json!([]),
        "no reconciliation case: {board:#}"
    );
}
