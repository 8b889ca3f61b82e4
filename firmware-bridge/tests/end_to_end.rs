#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! End to end through the real binary: a QR scanner on a pty → `gasq-bridge run` →
//! the station bus → the edge → a verdict → the lane display's line and the lane
//! dispenser's `AUTH` → the fill reported back on the bus.
//!
//! The edge here is [`StandInEdge`] (signature check, one redemption per booking).
//! When `gasq-edge` runs on its own, add a `RealEdge` implementing [`EdgeUnderTest`] in
//! `common/edge.rs` and run [`scan_to_fill`] with it too.

mod common;

use common::bus::Watcher;
use common::edge::{EdgeUnderTest, StandInEdge};
use common::init_logs;
use common::process::BridgeProcess;
use common::pty::FakeDevice;
use gasq_bridge::drivers::dispenser::frame::Frame;
use gasq_shared::{BookingId, StationCode};

const EVENTS: &str = "gasq/MUM-0042/lane/1/dispenser";

/// The next frame the bridge sent to the dispenser that is not a PING.
fn command(dispenser: &mut FakeDevice) -> Frame {
    loop {
        let frame = Frame::decode(&dispenser.line()).unwrap();
        if frame != Frame::Ping {
            return frame;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_token_reaches_the_display_and_authorises_the_dispenser() {
    init_logs();
    let station = StationCode::parse("MUM-0042").unwrap();
    let edge = StandInEdge::start(&station).await;
    scan_to_fill(&edge).await;
}

async fn scan_to_fill(edge: &impl EdgeUnderTest) {
    let dir = tempfile::tempdir().unwrap();
    let mut scanner = FakeDevice::new(dir.path(), "scanner-1");
    let mut display = FakeDevice::new(dir.path(), "display-1");
    let mut dispenser = FakeDevice::new(dir.path(), "dispenser-1");
    let mut bus = Watcher::connect(
        edge.mqtt_port(),
        "observer",
        &["gasq/MUM-0042/lane/+/dispenser"],
    )
    .await;
    let config = dir.path().join("bridge.toml");
    std::fs::write(
        &config,
        format!(
            "station = \"MUM-0042\"\n[mqtt]\nurl = \"{}\"\n\
             [[scanner]]\nlane = 1\nport = \"{}\"\nterminator = \"CR\"\n\
             [[display]]\nlane = 1\nport = \"{}\"\n\
             [[dispenser]]\nlane = 1\nport = \"{}\"\nprotocol = \"line\"\n",
            edge.mqtt_url(),
            scanner.path().display(),
            display.path().display(),
            dispenser.path().display()
        ),
    )
    .unwrap();
    let mut bridge =
        BridgeProcess::spawn(dir.path(), &["run", "--config", config.to_str().unwrap()]);

    // Ready: the dispenser is pinged, and its answer comes back over the bus.
    assert_eq!(dispenser.line(), "$PING*10");
    dispenser.send(b"$OK*04\r\n");
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "ok");

    let booking = BookingId::new();
    let token = edge.token_for(booking, Some(8.5), "MH12AB1234");
    scanner.send(b"\xff\xfe\r"); // line noise: dropped by the bridge
    scanner.send(format!("{token}\r").as_bytes());
    assert_eq!(
        display.line(),
        "OK 1 MH12AB1234",
        "bridge log:\n{}",
        bridge.logs()
    );
    assert_eq!(
        command(&mut dispenser),
        Frame::Auth {
            booking: Some(booking),
            kg: Some(8.5)
        }
    );

    dispenser.send(
        Frame::Ack {
            booking: Some(booking),
        }
        .encode()
        .as_bytes(),
    );
    dispenser.send(Frame::Start { booking: None }.encode().as_bytes());
    dispenser.send(
        Frame::End {
            booking: None,
            kg: 8.5,
            paise: 74_800,
        }
        .encode()
        .as_bytes(),
    );
    let start = bus.next_on(EVENTS).await.json();
    assert_eq!(
        (start["event"].as_str(), start["booking_id"].as_str()),
        (Some("start"), Some(booking.to_string().as_str()))
    );
    let end = bus.next_on(EVENTS).await.json();
    assert_eq!(
        (end["event"].as_str(), end["kg"].as_f64()),
        (Some("end"), Some(8.5))
    );

    // The same token again is refused, and authorises nothing; garbage is malformed.
    scanner.send(format!("{token}\r").as_bytes());
    assert_eq!(display.line(), "NO already_used");
    scanner.send(b"NOT-A-TOKEN\r");
    assert_eq!(display.line(), "NO malformed");
    let full = BookingId::new();
    scanner.send(format!("{}\r", edge.token_for(full, None, "KA01XY9")).as_bytes());
    assert_eq!(display.line(), "OK 1 KA01XY9");
    // The next command is for the full fill: nothing was sent for the refused scans.
    assert_eq!(
        command(&mut dispenser),
        Frame::Auth {
            booking: Some(full),
            kg: None
        }
    );

    assert!(bridge.stop().success(), "bridge log:\n{}", bridge.logs());
}
