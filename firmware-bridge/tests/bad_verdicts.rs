#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! Verdicts the edge did not sign, or not now, never arm a pump (docs/architecture.md,
//! invariant 8), through the real `gasq-bridge run` with a line-protocol dispenser and
//! a display on pseudo-terminals: a forged, an altered, a stale and a replayed verdict
//! each show `NO bad_verdict` and send nothing to the dispenser; the next genuine one
//! authorises its own booking.

mod common;

use common::broker::EmbeddedBroker;
use common::bus::Watcher;
use common::lane::Lane;
use common::process::BridgeProcess;
use common::tokens::{self, VERDICT_KEY};
use common::{eventually, init_logs};
use ed25519_dalek::SigningKey;
use gasq_bridge::drivers::dispenser::frame::Frame;
use gasq_shared::{BookingId, bussig};

const TOPIC: &str = "gasq/MUM-0042/lane/1/verdict";

fn accepted(booking: BookingId, kg: f64, at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        r#"{{"scan_id":null,"accepted":true,"reason":"ok","booking_id":"{booking}","vehicle":"MH12AB1234","quantity_kg":{kg},"lane":1,"at":"{}"}}"#,
        at.to_rfc3339()
    )
}

fn signed_by(key: &SigningKey, json: &str) -> Vec<u8> {
    bussig::sign(key, bussig::VERDICT, TOPIC, json.as_bytes()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_altered_stale_and_replayed_verdicts_arm_no_dispenser() {
    init_logs();
    let broker = EmbeddedBroker::start();
    let dir = tempfile::tempdir().unwrap();
    let mqtt = format!(
        "url = \"{}\"\nverdict_key = \"{VERDICT_KEY}\"\n",
        broker.url()
    );
    let mut lane = Lane::wire(dir.path(), &mqtt);
    let mut events =
        Watcher::connect(broker.addr, "edge", &["gasq/MUM-0042/lane/1/dispenser"]).await;
    let attacker = Watcher::connect(broker.addr, "phone", &[]).await;
    let mut bridge = BridgeProcess::spawn(dir.path(), &lane.run_args());
    assert_eq!(lane.dispenser.line(), "$PING*10");
    lane.dispenser.send(b"$OK*04\r\n");
    // The bridge is subscribed once its first event is out.
    assert_eq!(events.next_on("/dispenser").await.json()["event"], "ok");

    let now = chrono::Utc::now();
    let edge = tokens::edge_bus_key();
    let forged = signed_by(
        &SigningKey::from_bytes(&[66u8; 32]),
        &accepted(BookingId::new(), 5.0, now),
    );
    let genuine =
        String::from_utf8(signed_by(&edge, &accepted(BookingId::new(), 5.0, now))).unwrap();
    let altered = genuine.replace("\"quantity_kg\":5", "\"quantity_kg\":50");
    let stale = signed_by(
        &edge,
        &accepted(BookingId::new(), 5.0, now - chrono::Duration::minutes(10)),
    );
    let unsigned = accepted(BookingId::new(), 5.0, now).into_bytes();
    for bad in [forged, altered.into_bytes(), stale, unsigned] {
        attacker.publish_raw(TOPIC, bad).await;
        assert_eq!(lane.display.line(), "NO bad_verdict", "{}", bridge.logs());
    }

    // A genuine verdict authorises its booking once; the same bytes again do not.
    let first = BookingId::new();
    let verdict = signed_by(&edge, &accepted(first, 8.5, chrono::Utc::now()));
    attacker.publish_raw(TOPIC, verdict.clone()).await;
    assert_eq!(lane.display.line(), "OK 1 MH12AB1234");
    assert_eq!(
        lane.next_command(),
        Frame::Auth {
            booking: Some(first),
            kg: Some(8.5)
        }
    );
    attacker.publish_raw(TOPIC, verdict).await;
    assert_eq!(lane.display.line(), "NO bad_verdict");

    // The next command the dispenser gets is for the next genuine verdict.
    let second = BookingId::new();
    let verdict = signed_by(&edge, &accepted(second, 3.0, chrono::Utc::now()));
    attacker.publish_raw(TOPIC, verdict).await;
    assert_eq!(lane.display.line(), "OK 1 MH12AB1234");
    assert_eq!(
        lane.next_command(),
        Frame::Auth {
            booking: Some(second),
            kg: Some(3.0)
        }
    );
    eventually("the refusals logged", || {
        bridge.logs().contains("verdict refused").then_some(())
    })
    .await;
    assert!(bridge.stop().success(), "{}", bridge.logs());
}

#[test]
fn the_verdict_key_is_the_stand_in_edges() {
    let public = tokens::edge_bus_key().verifying_key();
    assert_eq!(gasq_shared::bussig::encode_key(&public), VERDICT_KEY);
}
