#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! End to end through the real programs, as a station runs: `gasq-cloud serve --demo`
//! books demo slots; `gasq-edge` is enrolled with a one-time code and runs the station
//! bus; `gasq-bridge run` drives a scanner, a display and a dispenser on ptys. A demo
//! e-token scanned at the lane is accepted by the edge, shows on the display,
//! authorises the dispenser for the booked quantity, and once the fill ends the cloud
//! reports the booking completed. The same token again is refused.
//!
//! Needs `gasq-cloud` and `gasq-edge` built next to `gasq-bridge` (the workspace test
//! run builds them); skips with a note when they are not there. `end_to_end.rs` runs
//! the bridge's side of the path against a stand-in edge.

mod common;

use common::bus::Watcher;
use common::edge::EdgeUnderTest;
use common::lane::Lane;
use common::process::BridgeProcess;
use common::programs::{DEMO_ADMIN, RealCloud, RealEdge, sibling};
use gasq_bridge::drivers::dispenser::frame::Frame;
use gasq_shared::token::{self, TokenClaims};
use gasq_shared::topics::{Reason, Verdict};

const STATION: &str = "MUM-0042";
const VERDICTS: &str = "gasq/MUM-0042/lane/1/verdict";
const EVENTS: &str = "gasq/MUM-0042/lane/1/dispenser";

fn claims(token: &str) -> TokenClaims {
    token::decode(token).unwrap().claims
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_booking_scanned_at_the_lane_is_fuelled_and_completed_in_the_cloud() {
    let (Some(cloud_bin), Some(edge_bin)) = (sibling("gasq-cloud"), sibling("gasq-edge")) else {
        // scripts/test builds the whole workspace and requires this test to run.
        assert!(
            std::env::var_os("GASQ_REQUIRE_REAL_E2E").is_none(),
            "gasq-cloud and gasq-edge are not built next to gasq-bridge"
        );
        eprintln!(
            "skipped: gasq-cloud and gasq-edge are not built next to gasq-bridge \
             (run the workspace tests, or `cargo build -p gasq-cloud -p gasq-edge --bins`)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cloud = RealCloud::start(&cloud_bin, dir.path()).await;
    let edge = RealEdge::enroll_and_start(&edge_bin, dir.path(), &cloud, STATION).await;
    let tokens = cloud.demo_tokens(2, dir.path()).await;
    let [token, next] = &tokens[..] else {
        panic!("two demo tokens, got {tokens:?}")
    };
    let (booked, next_booked) = (claims(token), claims(next));
    let mut bus = Watcher::connect(edge.mqtt, "observer", &[VERDICTS, EVENTS]).await;
    let mut lane = Lane::wire(dir.path(), &edge.mqtt_toml());
    let mut bridge = BridgeProcess::spawn(dir.path(), &lane.run_args());
    let logs = |bridge: &BridgeProcess| {
        format!(
            "bridge log:\n{}\nedge log:\n{}",
            bridge.logs(),
            edge.program.logs()
        )
    };

    // Ready: the dispenser is pinged, and its answer comes back over the edge's bus.
    assert_eq!(lane.dispenser.line(), "$PING*10");
    lane.dispenser.send(b"$OK*04\r\n");
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "ok");

    // Scan: the edge accepts, the display shows it, the dispenser is authorised.
    lane.scan(token);
    let verdict: Verdict = serde_json::from_slice(&bus.next_on(VERDICTS).await.payload).unwrap();
    assert!(verdict.accepted, "{verdict:?}\n{}", logs(&bridge));
    assert_eq!(verdict.booking_id, Some(booked.booking_id));
    assert_eq!(
        lane.display.line(),
        format!("OK 1 {}", booked.vehicle),
        "{}",
        logs(&bridge)
    );
    assert!(
        booked.quantity.kg().is_some(),
        "demo bookings have a quantity"
    );
    assert_eq!(
        lane.next_command(),
        Frame::Auth {
            booking: Some(booked.booking_id),
            kg: booked.quantity.kg()
        }
    );

    // Fill: the dispenser acknowledges, starts and ends; the cloud hears of it.
    let kg = booked.quantity.kg().unwrap();
    lane.dispenser_says(&Frame::Ack {
        booking: Some(booked.booking_id),
    });
    lane.dispenser_says(&Frame::Start { booking: None });
    lane.dispenser_says(&Frame::End {
        booking: None,
        kg,
        paise: (kg * 7_600.0).round() as i64, // the demo price, ₹76/kg
    });
    let end = bus
        .next_where(|m| m.topic == EVENTS && m.json()["event"] == "end")
        .await
        .json();
    assert_eq!(end["booking_id"], booked.booking_id.to_string());
    let staff = cloud.login(DEMO_ADMIN).await;
    cloud
        .wait_booking(&staff, &booked.booking_id.to_string(), "completed")
        .await;

    // The same token again is refused, and authorises nothing: the next command is
    // for the next booking.
    lane.scan(token);
    let again: Verdict = serde_json::from_slice(&bus.next_on(VERDICTS).await.payload).unwrap();
    assert_eq!((again.accepted, again.reason), (false, Reason::AlreadyUsed));
    assert_eq!(lane.display.line(), "NO already_used");
    lane.scan(next);
    assert_eq!(lane.display.line(), format!("OK 1 {}", next_booked.vehicle));
    assert_eq!(
        lane.next_command(),
        Frame::Auth {
            booking: Some(next_booked.booking_id),
            kg: next_booked.quantity.kg()
        }
    );

    assert!(bridge.stop().success(), "{}", logs(&bridge));
}
