#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! Serial scanners on pseudo-terminals: whole scans reach the bus as contract JSON;
//! garbage, oversized lines and partial lines are handled; unplug and replug recover.

mod common;

use common::broker::EmbeddedBroker;
use common::bus::Watcher;
use common::pty::FakeDevice;
use common::{eventually, init_logs};
use gasq_bridge::config::parse_str;
use gasq_bridge::stats::DeviceCounts;
use gasq_bridge::{Bridge, launch};
use tokio_util::sync::CancellationToken;

fn counts(bridge: &Bridge) -> DeviceCounts {
    bridge.device_counts()[0].1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_are_published_and_bad_lines_are_dropped_and_counted() {
    init_logs();
    let broker = EmbeddedBroker::start();
    let dir = tempfile::tempdir().unwrap();
    let mut scanner = FakeDevice::new(dir.path(), "scanner-3");
    let mut bus = Watcher::connect(broker.addr, "watcher", &["gasq/MUM-0042/lane/+/scan"]).await;
    let config = parse_str(&format!(
        "station = \"MUM-0042\"\n[mqtt]\nverdict_key = \"_RckOFqgx1tk-3jNYC-h2ZH96_drE8WO1wLqyDXp9hg\"\nurl = \"{}\"\n[[scanner]]\nlane = 3\nport = \"{}\"\nterminator = \"CRLF\"\nprefix = \"]Q1\"\nmax_line = 64\n",
        broker.url(),
        scanner.path().display()
    ))
    .unwrap();
    let stop = CancellationToken::new();
    let bridge = launch(&config, stop.clone()).unwrap();
    eventually("port open and bus up", || {
        (counts(&bridge).opened == 1 && bridge.bus().stats().connected).then_some(())
    })
    .await;

    scanner.send(b"\xff\xfe\x00garbage\r\n");
    scanner.send(b"]Q1GQ1:PART");
    scanner.send(b"IAL\r\n");
    scanner.send(&[b'A'; 300]);
    scanner.send(b"\r\nSECOND\r\n");

    let first = bus.next_on("/lane/3/scan").await;
    assert_eq!(first.topic, "gasq/MUM-0042/lane/3/scan");
    let json = first.json();
    assert_eq!(json["code"], "GQ1:PARTIAL");
    assert!(json["id"].as_str().unwrap().starts_with("3-"), "{json}");
    assert_eq!(bus.next_on("/lane/3/scan").await.json()["code"], "SECOND");
    let c = eventually("drops counted", || {
        let c = counts(&bridge);
        (c.published == 2).then_some(c)
    })
    .await;
    assert_eq!((c.dropped_not_utf8, c.dropped_too_long), (1, 1));

    stop.cancel();
    bridge.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unplugged_scanner_is_reopened_when_it_comes_back() {
    init_logs();
    let broker = EmbeddedBroker::start();
    let dir = tempfile::tempdir().unwrap();
    let mut scanner = FakeDevice::new(dir.path(), "scanner-1");
    let mut bus = Watcher::connect(broker.addr, "watcher", &["gasq/MUM-0042/lane/+/scan"]).await;
    let config = parse_str(&format!(
        "station = \"MUM-0042\"\n[mqtt]\nverdict_key = \"_RckOFqgx1tk-3jNYC-h2ZH96_drE8WO1wLqyDXp9hg\"\nurl = \"{}\"\n[[scanner]]\nlane = 1\nport = \"{}\"\n",
        broker.url(),
        scanner.path().display()
    ))
    .unwrap();
    let stop = CancellationToken::new();
    let bridge = launch(&config, stop.clone()).unwrap();
    eventually("port open", || (counts(&bridge).opened == 1).then_some(())).await;
    scanner.send(b"BEFORE-HALF");

    scanner.unplug();
    eventually("loss noticed", || (counts(&bridge).lost == 1).then_some(())).await;
    scanner.replug();
    eventually("port reopened", || {
        (counts(&bridge).opened == 2).then_some(())
    })
    .await;
    scanner.send(b"AFTER\r");

    // The half line from before the unplug is gone, not glued to the new one.
    assert_eq!(bus.next_on("/lane/1/scan").await.json()["code"], "AFTER");
    stop.cancel();
    bridge.wait().await;
}
