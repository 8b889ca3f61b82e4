#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! Lane displays and gates on pseudo-terminals: each verdict of their lane arrives as
//! one documented line; a display unplugged and replugged shows the next verdict.

mod common;

use common::broker::EmbeddedBroker;
use common::bus::Watcher;
use common::pty::FakeDevice;
use common::{eventually, init_logs};
use gasq_bridge::config::parse_str;
use gasq_bridge::launch;
use std::sync::atomic::Ordering;
use tokio_util::sync::CancellationToken;

const VERDICT_TOPIC: &str = "gasq/MUM-0042/lane/1/verdict";

fn verdict(accepted: bool, reason: &str, vehicle: &str, lane: u16) -> String {
    format!(
        r#"{{"scan_id":"1-a","accepted":{accepted},"reason":"{reason}","booking_id":null,"vehicle":{vehicle},"quantity_kg":null,"lane":{lane},"at":"2025-01-01T10:00:00Z"}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_verdict_of_the_lane_reaches_its_display_and_gate_as_one_line() {
    init_logs();
    let broker = EmbeddedBroker::start();
    let dir = tempfile::tempdir().unwrap();
    let mut display = FakeDevice::new(dir.path(), "display-1");
    let mut gate = FakeDevice::new(dir.path(), "gate-1");
    let mut other = FakeDevice::new(dir.path(), "display-2");
    let config = parse_str(&format!(
        "station = \"MUM-0042\"\n[mqtt]\nverdict_key = \"_RckOFqgx1tk-3jNYC-h2ZH96_drE8WO1wLqyDXp9hg\"\nurl = \"{}\"\n\
         [[display]]\nlane = 1\nport = \"{}\"\n\
         [[display]]\nlane = 2\nport = \"{}\"\n\
         [[gate]]\nlane = 1\nport = \"{}\"\nterminator = \"LF\"\n",
        broker.url(),
        display.path().display(),
        other.path().display(),
        gate.path().display()
    ))
    .unwrap();
    let stop = CancellationToken::new();
    let bridge = launch(&config, stop.clone()).unwrap();
    let edge = Watcher::connect(broker.addr, "edge", &[]).await;
    eventually("verdicts subscribed", || {
        bridge.bus().stats().subscribed.then_some(())
    })
    .await;

    edge.publish(VERDICT_TOPIC, verdict(true, "ok", "\"MH12AB1234\"", 2))
        .await;
    assert_eq!(display.line(), "OK 2 MH12AB1234");
    assert_eq!(gate.line(), "OK 2 MH12AB1234");

    // Garbage on the verdict topic is no verdict the edge signed.
    edge.publish(VERDICT_TOPIC, "{not json").await;
    assert_eq!(display.line(), "NO bad_verdict");
    assert_eq!(gate.line(), "NO bad_verdict");
    edge.publish(VERDICT_TOPIC, verdict(false, "already_used", "null", 1))
        .await;
    assert_eq!(display.line(), "NO already_used");
    assert_eq!(gate.line(), "NO already_used");
    assert_eq!(
        bridge.router_stats().bad_verdicts.load(Ordering::Relaxed),
        1
    );
    // Lane 2's display saw none of lane 1's verdicts, only its own.
    edge.publish(
        "gasq/MUM-0042/lane/2/verdict",
        verdict(false, "expired", "null", 2),
    )
    .await;
    assert_eq!(other.line(), "NO expired");

    display.unplug();
    eventually("loss noticed", || {
        (bridge.device_counts()[0].1.lost == 1).then_some(())
    })
    .await;
    display.replug();
    eventually("reopened", || {
        (bridge.device_counts()[0].1.opened == 2).then_some(())
    })
    .await;
    edge.publish(VERDICT_TOPIC, verdict(true, "ok", "null", 1))
        .await;
    assert_eq!(display.line(), "OK 1 -");

    stop.cancel();
    bridge.wait().await;
}
