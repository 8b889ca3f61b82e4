#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! End to end through the real binary: a QR scanner on a pty → `gasq-bridge run` →
//! the station bus → the edge → a verdict → the lane display's line and the lane
//! dispenser's `AUTH` → the fill reported back on the bus.
//!
//! The edge here is [`StandInEdge`] (signature check, one redemption per booking), so
//! the bridge's side can be pinned down with tokens made on the spot (any booking, a
//! full fill). `end_to_end_real.rs` runs the same path through the real `gasq-edge`
//! and `gasq-cloud`, with demo bookings, on to the booking completed in the cloud.

mod common;

use common::bus::Watcher;
use common::edge::{EdgeUnderTest, StandInEdge};
use common::init_logs;
use common::lane::Lane;
use common::process::BridgeProcess;
use gasq_bridge::drivers::dispenser::frame::Frame;
use gasq_shared::{BookingId, StationCode};

const EVENTS: &str = "gasq/MUM-0042/lane/1/dispenser";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_token_reaches_the_display_and_authorises_the_dispenser() {
    init_logs();
    let station = StationCode::parse("MUM-0042").unwrap();
    let edge = StandInEdge::start(&station).await;
    scan_to_fill(&edge).await;
}

async fn scan_to_fill(edge: &impl EdgeUnderTest) {
    let dir = tempfile::tempdir().unwrap();
    let mut bus = Watcher::connect(
        edge.mqtt_addr(),
        "observer",
        &["gasq/MUM-0042/lane/+/dispenser"],
    )
    .await;
    let mut lane = Lane::wire(dir.path(), &edge.mqtt_toml());
    let mut bridge = BridgeProcess::spawn(dir.path(), &lane.run_args());

    // Ready: the dispenser is pinged, and its answer comes back over the bus.
    assert_eq!(lane.dispenser.line(), "$PING*10");
    lane.dispenser.send(b"$OK*04\r\n");
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "ok");

    let booking = BookingId::new();
    let token = edge.token_for(booking, Some(8.5), "MH12AB1234");
    lane.scanner.send(b"\xff\xfe\r"); // line noise: dropped by the bridge
    lane.scan(&token);
    assert_eq!(
        lane.display.line(),
        "OK 1 MH12AB1234",
        "bridge log:\n{}",
        bridge.logs()
    );
    assert_eq!(
        lane.next_command(),
        Frame::Auth {
            booking: Some(booking),
            kg: Some(8.5)
        }
    );

    lane.dispenser_says(&Frame::Ack {
        booking: Some(booking),
    });
    lane.dispenser_says(&Frame::Start { booking: None });
    lane.dispenser_says(&Frame::End {
        booking: None,
        kg: 8.5,
        paise: 74_800,
    });
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
    lane.scan(&token);
    assert_eq!(lane.display.line(), "NO already_used");
    lane.scan("NOT-A-TOKEN");
    assert_eq!(lane.display.line(), "NO malformed");
    let full = BookingId::new();
    lane.scan(&edge.token_for(full, None, "KA01XY9"));
    assert_eq!(lane.display.line(), "OK 1 KA01XY9");
    // The next command is for the full fill: nothing was sent for the refused scans.
    assert_eq!(
        lane.next_command(),
        Frame::Auth {
            booking: Some(full),
            kg: None
        }
    );

    assert!(bridge.stop().success(), "bridge log:\n{}", bridge.logs());
}
