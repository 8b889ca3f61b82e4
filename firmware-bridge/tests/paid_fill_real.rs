#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! A driver pays, fuels and gets the difference back, through the real programs on the
//! embedded default: `gasq-cloud serve --demo` (test-mode payments), `gasq-edge`
//! enrolled with it, and `gasq-bridge run` with a dispenser on a pty.
//!
//! The driver books 8 kg online and pays on the test-mode checkout page; the token is
//! scanned at the lane and the dispenser is authorised for 8 kg; the tank takes 5 kg.
//! The dispenser's end reaches the cloud through the edge, settles the bill, and the
//! payments worker refunds the 3 kg not filled, once: the receipt shows kg, price, paid
//! and refunded.
//!
//! Needs `gasq-cloud` and `gasq-edge` built next to `gasq-bridge`; skips with a note
//! when they are not (scripts/test requires it to run).

mod common;

use chrono::{FixedOffset, Utc};
use common::bus::Watcher;
use common::edge::EdgeUnderTest;
use common::lane::Lane;
use common::process::BridgeProcess;
use common::programs::{DEMO_DRIVER, RealCloud, RealEdge, sibling};
use gasq_bridge::drivers::dispenser::frame::Frame;
use gasq_shared::topics::Verdict;
use serde_json::{Value, json};

const STATION: &str = "MUM-0042";
const VERDICTS: &str = "gasq/MUM-0042/lane/1/verdict";
const EVENTS: &str = "gasq/MUM-0042/lane/1/dispenser";
/// The demo station's price, paise per kg.
const PRICE: i64 = 7_600;

/// The demo driver's online booking of `kg` in the first slot open now; its id.
async fn book_online(cloud: &RealCloud, driver: &str, kg: f64) -> String {
    let vehicle = json!({"registration": "MH12PF4455"});
    let vehicle = cloud
        .call("POST", "/api/v1/vehicles", driver, Some(vehicle))
        .await;
    let today = Utc::now().with_timezone(&FixedOffset::east_opt(19_800).unwrap());
    let path = format!("/api/v1/stations/1/slots?date={}", today.format("%Y-%m-%d"));
    let slots = cloud.call("GET", &path, driver, None).await;
    let slot = slots
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["available"].as_i64() > Some(0))
        .expect("a slot open today");
    let body = json!({"station_id": 1, "vehicle_id": vehicle["id"], "slot_start": slot["start"],
        "quantity_kg": kg, "payment_method": "online"});
    let booking = cloud
        .call("POST", "/api/v1/bookings", driver, Some(body))
        .await;
    assert_eq!(booking["status"], "pending_payment", "{booking}");
    assert_eq!(
        booking["payment"]["amount_paise"],
        (kg * PRICE as f64) as i64
    );
    booking["id"].as_str().unwrap().to_owned()
}

/// Polls the driver's receipt until `done` holds; the receipt.
async fn receipt_when(
    cloud: &RealCloud,
    driver: &str,
    booking: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + common::PATIENCE * 3;
    let path = format!("/api/v1/bookings/{booking}/receipt");
    loop {
        let receipt = cloud.call("GET", &path, driver, None).await;
        if done(&receipt) {
            return receipt;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "receipt never settled: {receipt:#}\ncloud log:\n{}",
            cloud.program.logs()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_pays_online_fuels_less_and_gets_the_difference_back() {
    let (Some(cloud_bin), Some(edge_bin)) = (sibling("gasq-cloud"), sibling("gasq-edge")) else {
        assert!(
            std::env::var_os("GASQ_REQUIRE_REAL_E2E").is_none(),
            "gasq-cloud and gasq-edge are not built next to gasq-bridge"
        );
        eprintln!("skipped: gasq-cloud and gasq-edge are not built next to gasq-bridge");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The payments worker every second, so the refund goes out while the test watches.
    let env = [("GASQ_PAYMENTS__WORKER_INTERVAL_SECS", "1")];
    let cloud = RealCloud::start_with(&cloud_bin, dir.path(), &env).await;
    let driver = cloud.login(DEMO_DRIVER).await;

    // Book 8 kg online and pay on the test-mode page: ₹608 taken, the booking confirmed.
    let booking = book_online(&cloud, &driver, 8.0).await;
    cloud.pay_in_test_mode(&booking).await;
    cloud.wait_booking(&driver, &booking, "confirmed").await;
    let path = format!("/api/v1/bookings/{booking}/token");
    let token = cloud.call("GET", &path, &driver, None).await;
    let token = token["token"].as_str().unwrap().to_owned();

    // The station: the edge learns of the booking by sync, the bridge runs lane 1.
    let edge = RealEdge::enroll_and_start(&edge_bin, dir.path(), &cloud, STATION).await;
    let mut bus = Watcher::connect(edge.mqtt, "observer", &[VERDICTS, EVENTS]).await;
    let mut lane = Lane::wire(dir.path(), &edge.mqtt_toml());
    let mut bridge = BridgeProcess::spawn(dir.path(), &lane.run_args());
    assert_eq!(lane.dispenser.line(), "$PING*10");
    lane.dispenser.send(b"$OK*04\r\n");
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "ok");

    // Scan: accepted, and the pump is armed for the 8 kg paid for.
    lane.scan(&token);
    let verdict: Verdict = serde_json::from_slice(&bus.next_on(VERDICTS).await.payload).unwrap();
    assert!(verdict.accepted, "{verdict:?}\n{}", edge.program.logs());
    let id = verdict.booking_id.unwrap();
    assert_eq!(id.to_string(), booking);
    assert_eq!(
        lane.next_command(),
        Frame::Auth {
            booking: Some(id),
            kg: Some(8.0)
        }
    );

    // The tank is full at 5 kg.
    lane.dispenser_says(&Frame::Ack { booking: Some(id) });
    lane.dispenser_says(&Frame::Start { booking: None });
    lane.dispenser_says(&Frame::End {
        booking: None,
        kg: 5.0,
        paise: 5 * PRICE,
    });
    cloud.wait_booking(&driver, &booking, "completed").await;

    // Settled by the fill: ₹608 paid, 5 kg × ₹76 = ₹380 kept, ₹228 back — once.
    let receipt = receipt_when(&cloud, &driver, &booking, |r| {
        r["refunded_paise"].as_i64() > Some(0)
    })
    .await;
    assert_eq!(receipt["price_paise_per_kg"], PRICE, "{receipt:#}");
    assert_eq!(receipt["filled_kg"], 5.0, "{receipt:#}");
    assert_eq!(receipt["fill_paise"], 5 * PRICE, "{receipt:#}");
    assert_eq!(receipt["paid_paise"], 8 * PRICE, "{receipt:#}");
    assert_eq!(receipt["refunded_paise"], 3 * PRICE, "{receipt:#}");
    assert_eq!(receipt["refund_pending_paise"], 0, "{receipt:#}");
    // Later passes of the worker send nothing more.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let again = cloud
        .call(
            "GET",
            &format!("/api/v1/bookings/{booking}/receipt"),
            &driver,
            None,
        )
        .await;
    assert_eq!(again["refunded_paise"], 3 * PRICE, "{again:#}");
    let refunds = again["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "refund")
        .count();
    assert_eq!(refunds, 1, "{again:#}");

    assert!(bridge.stop().success(), "{}", bridge.logs());
}
