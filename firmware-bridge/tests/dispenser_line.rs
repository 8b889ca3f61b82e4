#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! A line-protocol dispenser on a pseudo-terminal (docs/dispenser-protocol.md): the
//! bridge pings it, authorises it when the edge accepts a token on its lane, turns its
//! frames into contract events, drops damaged frames, and reports a lost or silent
//! dispenser as a fault.

mod common;

use common::broker::EmbeddedBroker;
use common::bus::Watcher;
use common::pty::FakeDevice;
use common::{eventually, init_logs};
use gasq_bridge::config::parse_str;
use gasq_bridge::drivers::dispenser::frame::{Frame, wrap};
use gasq_bridge::{Bridge, launch};
use gasq_shared::BookingId;
use tokio_util::sync::CancellationToken;

const EVENTS: &str = "gasq/MUM-0042/lane/1/dispenser";

struct Lane {
    bridge: Bridge,
    stop: CancellationToken,
    dispenser: FakeDevice,
    bus: Watcher,
    _dir: tempfile::TempDir,
}

/// A bridge with one line-protocol dispenser on lane 1; `settings` are more keys of its
/// `[[dispenser]]` block.
async fn lane_with_line_dispenser(settings: &str) -> Lane {
    init_logs();
    let broker = EmbeddedBroker::start();
    let dir = tempfile::tempdir().unwrap();
    let dispenser = FakeDevice::new(dir.path(), "dispenser-1");
    let bus = Watcher::connect(broker.addr, "edge", &["gasq/MUM-0042/lane/+/dispenser"]).await;
    let config = parse_str(&format!(
        "station = \"MUM-0042\"\n[mqtt]\nverdict_key = \"_RckOFqgx1tk-3jNYC-h2ZH96_drE8WO1wLqyDXp9hg\"\nurl = \"{}\"\n[[dispenser]]\nlane = 1\nport = \"{}\"\nprotocol = \"line\"\n{settings}\n",
        broker.url(),
        dispenser.path().display()
    ))
    .unwrap();
    let stop = CancellationToken::new();
    let bridge = launch(&config, stop.clone()).unwrap();
    eventually("verdicts subscribed", || {
        bridge.bus().stats().subscribed.then_some(())
    })
    .await;
    Lane {
        bridge,
        stop,
        dispenser,
        bus,
        _dir: dir,
    }
}

fn accepted(booking: BookingId, kg: &str) -> String {
    format!(
        r#"{{"scan_id":"1-a","accepted":true,"reason":"ok","booking_id":"{booking}","vehicle":"MH12AB1234","quantity_kg":{kg},"lane":1,"at":"2025-01-01T10:00:00Z"}}"#
    )
}

/// The next frame the bridge sent that is not a PING.
fn command(dispenser: &mut FakeDevice) -> Frame {
    loop {
        let frame = Frame::decode(&dispenser.line()).unwrap();
        if frame != Frame::Ping {
            return frame;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_token_authorises_the_fill_and_the_fill_is_reported() {
    let mut lane = lane_with_line_dispenser("ping_interval = \"10s\"").await;
    assert_eq!(lane.dispenser.line(), "$PING*10");
    lane.dispenser.send(b"$OK*04\r\n");
    assert_eq!(lane.bus.next_on(EVENTS).await.json()["event"], "ok");

    let booking = BookingId::new();
    lane.bus
        .publish("gasq/MUM-0042/lane/1/verdict", accepted(booking, "8.5"))
        .await;
    assert_eq!(
        command(&mut lane.dispenser),
        Frame::Auth {
            booking: Some(booking),
            kg: Some(8.5)
        }
    );
    lane.dispenser.send(
        Frame::Ack {
            booking: Some(booking),
        }
        .encode()
        .as_bytes(),
    );

    lane.dispenser.send(wrap("START,-").as_bytes());
    lane.dispenser.send(b"$PROG,-,4.2*00\r\n"); // damaged: wrong checksum
    lane.dispenser.send(b"\xff\xfe\r\n");
    lane.dispenser.send(
        Frame::Progress {
            booking: None,
            kg: 4.25,
        }
        .encode()
        .as_bytes(),
    );
    lane.dispenser.send(
        Frame::End {
            booking: None,
            kg: 8.5,
            paise: 74_800,
        }
        .encode()
        .as_bytes(),
    );

    let start = lane.bus.next_on(EVENTS).await.json();
    assert_eq!(
        (start["event"].as_str(), start["booking_id"].as_str()),
        (Some("start"), Some(booking.to_string().as_str()))
    );
    assert!(start["at"].is_string());
    let progress = lane.bus.next_on(EVENTS).await.json();
    assert_eq!(
        (progress["event"].as_str(), progress["kg"].as_f64()),
        (Some("progress"), Some(4.25))
    );
    let end = lane.bus.next_on(EVENTS).await.json();
    assert_eq!(end["event"], "end");
    assert_eq!(end["kg"], 8.5);
    assert_eq!(end["amount_paise"], 74_800);
    assert_eq!(end["booking_id"], booking.to_string());
    assert_eq!(lane.bridge.device_counts()[0].1.dropped_bad_frame, 2);

    // A full fill is authorised as FULL; a fault is reported with its code and text.
    let full = BookingId::new();
    lane.bus
        .publish("gasq/MUM-0042/lane/1/verdict", accepted(full, "null"))
        .await;
    assert_eq!(
        command(&mut lane.dispenser),
        Frame::Auth {
            booking: Some(full),
            kg: None
        }
    );
    lane.dispenser.send(b"$FAULT,E12,nozzle sensor*32\r\n");
    let fault = lane.bus.next_on(EVENTS).await.json();
    assert_eq!(
        (fault["event"].as_str(), fault["detail"].as_str()),
        (Some("fault"), Some("E12: nozzle sensor"))
    );
    // The same fault repeated (its answer to each PING) is not published again; a new
    // one is — and it may arrive split across reads, the rest of a line coming later.
    lane.dispenser.send(b"$FAULT,E12,nozzle sensor*32\r\n");
    let next = wrap("FAULT,E13,pressure low");
    let (head, tail) = next.split_at(9);
    lane.dispenser.send(head.as_bytes());
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    lane.dispenser.send(tail.as_bytes());
    let fault = lane.bus.next_on(EVENTS).await.json();
    assert_eq!(fault["detail"], "E13: pressure low");

    lane.stop.cancel();
    lane.bridge.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unplugged_dispenser_is_a_fault_until_it_answers_again() {
    let mut lane = lane_with_line_dispenser("ping_interval = \"10s\"").await;
    assert_eq!(lane.dispenser.line(), "$PING*10");
    lane.dispenser.send(b"$OK*04\r\n");
    assert_eq!(lane.bus.next_on(EVENTS).await.json()["event"], "ok");

    lane.dispenser.unplug();
    let fault = lane.bus.next_on(EVENTS).await.json();
    assert_eq!(fault["event"], "fault");
    assert!(
        fault["detail"]
            .as_str()
            .unwrap()
            .contains("serial link lost"),
        "{fault}"
    );

    lane.dispenser.replug();
    assert_eq!(lane.dispenser.line(), "$PING*10");
    lane.dispenser.send(b"$OK*04\r\n");
    assert_eq!(lane.bus.next_on(EVENTS).await.json()["event"], "ok");
    lane.stop.cancel();
    lane.bridge.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispenser_that_stops_answering_is_a_fault_once() {
    let mut lane = lane_with_line_dispenser("ping_interval = \"100ms\"").await;
    assert_eq!(lane.dispenser.line(), "$PING*10");
    lane.dispenser.send(b"$OK*04\r\n");
    assert_eq!(lane.bus.next_on(EVENTS).await.json()["event"], "ok");
    // Silence: pings go unanswered.
    let fault = lane.bus.next_on(EVENTS).await.json();
    assert_eq!(fault["detail"], "dispenser not responding");
    // It answers again: one `ok`, no second fault in between.
    lane.dispenser.send(b"$OK*04\r\n");
    assert_eq!(lane.bus.next_on(EVENTS).await.json()["event"], "ok");
    lane.stop.cancel();
    lane.bridge.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorisation_that_waited_too_long_for_an_unplugged_dispenser_is_never_sent() {
    let Lane {
        bridge,
        stop,
        mut dispenser,
        mut bus,
        _dir,
    } = lane_with_line_dispenser("auth_timeout = \"300ms\"").await;
    assert_eq!(dispenser.line(), "$PING*10");
    dispenser.send(b"$OK*04\r\n");
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "ok");

    // Unplugged while a driver is accepted: the authorisation waits...
    dispenser.unplug();
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "fault");
    let stale = BookingId::new();
    bus.publish("gasq/MUM-0042/lane/1/verdict", accepted(stale, "8.5"))
        .await;
    // ...longer than auth_timeout (this sleep only makes it stale; slower is staler).
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    dispenser.replug();
    // Back (the bridge pings on reopening): the next driver's authorisation is the
    // first one the pump gets.
    assert_eq!(dispenser.line(), "$PING*10");
    let fresh = BookingId::new();
    bus.publish("gasq/MUM-0042/lane/1/verdict", accepted(fresh, "5"))
        .await;
    assert_eq!(
        command(&mut dispenser),
        Frame::Auth {
            booking: Some(fresh),
            kg: Some(5.0)
        }
    );
    eventually("the stale authorisation counted", || {
        (bridge.device_counts()[0].1.write_dropped == 1).then_some(())
    })
    .await;
    stop.cancel();
    bridge.wait().await;
}
