#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! `simulate` against the real station: `gasq-cloud serve --demo` books demo slots,
//! `gasq-edge` (enrolled with a one-time code) validates the scans and runs the lane
//! queue. Simulated drivers go where the edge's verdict sends them, and that lane's
//! dispenser fuels them: the edge's queue empties and the cloud sees every booking
//! completed.
//!
//! Needs `gasq-cloud` and `gasq-edge` built next to `gasq-bridge`; skips with a note
//! when they are not there (see `end_to_end_real.rs`).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::bus::Watcher;
use common::edge::EdgeUnderTest;
use common::programs::{DEMO_ADMIN, RealCloud, RealEdge, sibling};
use common::{PATIENCE, init_logs};
use gasq_bridge::simulate::{self, Control, SimOptions};
use gasq_shared::StationCode;
use gasq_shared::token;
use serde_json::Value;

const STATION: &str = "MUM-0042";

/// The programs, or `None` (and a note) when they are not built.
fn programs() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let found = sibling("gasq-cloud").zip(sibling("gasq-edge"));
    if found.is_none() {
        assert!(
            std::env::var_os("GASQ_REQUIRE_REAL_E2E").is_none(),
            "gasq-cloud and gasq-edge are not built next to gasq-bridge"
        );
        eprintln!(
            "skipped: gasq-cloud and gasq-edge are not built next to gasq-bridge \
             (run the workspace tests, or `cargo build -p gasq-cloud -p gasq-edge --bins`)"
        );
    }
    found
}

/// Polls the edge's `/status` until `check` holds for it (panics after [`PATIENCE`]).
async fn wait_status(edge: &RealEdge, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let status: Option<Value> = match http.get(format!("{}/status", edge.http)).send().await {
            Ok(r) => r.json().await.ok(),
            Err(_) => None,
        };
        if let Some(status) = status.filter(|s| check(s)) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; edge log:\n{}",
            edge.program.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `simulate` in this process (so the test can command faults) on the edge's bus,
/// following `tokens`, fills lasting 120-180 ms.
fn simulate(
    edge: &RealEdge,
    lanes: u16,
    fault_every: Option<u64>,
    tokens: &Path,
    stop: &simulate::Stop,
) -> (
    tokio::sync::mpsc::UnboundedSender<Control>,
    tokio::task::JoinHandle<simulate::Summary>,
) {
    let mqtt = edge.mqtt_config();
    let settings = gasq_bridge::bus_settings(&mqtt, "gasq-sim-test".into()).unwrap();
    let options = SimOptions {
        lanes,
        tokens: Vec::new(),
        repeat: false,
        follow: Some(tokens.to_owned()),
        speed: 1000.0,
        fault_every,
        fault_rate: 0.0,
        verdict_timeout: Duration::from_secs(10),
        duration: None,
        price_paise_per_kg: 7600.0,
    };
    let (control, control_rx) = tokio::sync::mpsc::unbounded_channel();
    let station = StationCode::parse(STATION).unwrap();
    let stop = stop.clone();
    let run =
        tokio::spawn(
            async move { simulate::run(&station, settings, options, control_rx, stop).await },
        );
    (control, run)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drivers_sent_to_another_lane_are_fuelled_there() {
    let Some((cloud_bin, edge_bin)) = programs() else {
        return;
    };
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let cloud = RealCloud::start(&cloud_bin, dir.path()).await;
    let edge = RealEdge::enroll_and_start(&edge_bin, dir.path(), &cloud, STATION).await;
    let mut bus = Watcher::connect(
        edge.mqtt,
        "observer",
        &[
            "gasq/MUM-0042/lane/+/verdict",
            "gasq/MUM-0042/lane/+/dispenser",
        ],
    )
    .await;
    let followed = dir.path().join("tokens.txt");
    std::fs::write(&followed, "").unwrap();
    let stop = simulate::Stop::new();
    let (control, run) = simulate(&edge, 4, None, &followed, &stop);

    // Only lane 2's pump works, so the edge sends every driver there, wherever they
    // scanned: lanes 1, 3 and 4 keep scanning with their pumps out of order.
    for lane in [1, 3, 4] {
        let detail = "out of order".to_owned();
        control.send(Control::Fault { lane, detail }).unwrap();
    }
    wait_status(&edge, "lanes 1, 3 and 4 down", |s| {
        let up: Vec<bool> = (0..4).map(|i| s["lanes"][i]["up"] == true).collect();
        up == [false, true, false, false]
    })
    .await;
    let tokens = cloud.demo_tokens(6, dir.path()).await;
    std::fs::write(&followed, tokens.join("\n") + "\n").unwrap();

    // Every driver is accepted and sent to lane 2, whose dispenser starts and ends a
    // fill for each booking.
    let mut scanned_at = BTreeMap::new();
    let mut fuelled = BTreeMap::<String, Vec<String>>::new();
    while fuelled
        .values()
        .filter(|e| e.contains(&"end".into()))
        .count()
        < tokens.len()
    {
        let message = bus.next_where(|_| true).await;
        let json = message.json();
        let lane = message.topic.split('/').nth(3).unwrap().to_owned();
        if message.topic.ends_with("/verdict") {
            assert_eq!(
                (json["accepted"].as_bool(), json["lane"].as_u64()),
                (Some(true), Some(2)),
                "{json}"
            );
            scanned_at.insert(json["booking_id"].as_str().unwrap().to_owned(), lane);
        } else if let Some(booking) = json["booking_id"].as_str() {
            assert_eq!(lane, "2", "fuelled at the lane the edge named: {json}");
            let event = json["event"].as_str().unwrap().to_owned();
            fuelled.entry(booking.to_owned()).or_default().push(event);
        }
    }
    for t in &tokens {
        let booking = token::decode(t).unwrap().claims.booking_id.to_string();
        let events = &fuelled[&booking];
        assert_eq!(
            (events.first(), events.last()),
            (Some(&"start".into()), Some(&"end".into())),
            "{booking}: {events:?}"
        );
    }
    assert!(
        scanned_at.values().any(|lane| lane != "2"),
        "some drivers scanned at another lane: {scanned_at:?}"
    );

    // The edge's queue is empty again, and the cloud counts every fill.
    wait_status(&edge, "nobody waiting or at a pump", |s| {
        (0..4).all(|i| s["lanes"][i]["serving"].is_null() && s["lanes"][i]["waiting"] == 0)
    })
    .await;
    let staff = cloud.login(DEMO_ADMIN).await;
    for booking in fuelled.keys() {
        cloud.wait_booking(&staff, booking, "completed").await;
    }
    stop.finish.cancel();
    let summary = run.await.unwrap();
    assert_eq!((summary.accepted, summary.fills), (6, 6), "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_during_fills_leave_nobody_stranded_at_the_edge() {
    let Some((cloud_bin, edge_bin)) = programs() else {
        return;
    };
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let cloud = RealCloud::start(&cloud_bin, dir.path()).await;
    let edge = RealEdge::enroll_and_start(&edge_bin, dir.path(), &cloud, STATION).await;
    let mut bus =
        Watcher::connect(edge.mqtt, "observer", &["gasq/MUM-0042/lane/+/dispenser"]).await;
    let tokens = cloud.demo_tokens(8, dir.path()).await;
    let followed = dir.path().join("tokens.txt");
    std::fs::write(&followed, tokens.join("\n") + "\n").unwrap();
    let stop = simulate::Stop::new();
    let (_control, run) = simulate(&edge, 4, Some(2), &followed, &stop);

    // Every other fill is cut short by a fault: it ends with what was delivered, then
    // the pump is down for a moment while the drivers sent to it wait. A faulted fill
    // publishes its `end` before its `fault`, so the last fault can follow the last end.
    let mut ended = std::collections::BTreeSet::new();
    let mut faults = 0;
    while ended.len() < tokens.len() || faults < 4 {
        let json = bus.next_on("/dispenser").await.json();
        match json["event"].as_str() {
            Some("end") => {
                ended.insert(json["booking_id"].as_str().unwrap().to_owned());
            }
            Some("fault") => faults += 1,
            _ => {}
        }
    }
    assert_eq!(faults, 4, "every second fill faulted");

    // Nobody is left waiting or at a pump, every lane is back up, and the cloud counts
    // every booking as completed (a partial fill is a fill).
    wait_status(&edge, "an empty queue with every lane up", |s| {
        (0..4).all(|i| {
            let lane = &s["lanes"][i];
            lane["up"] == true && lane["serving"].is_null() && lane["waiting"] == 0
        })
    })
    .await;
    let staff = cloud.login(DEMO_ADMIN).await;
    for booking in &ended {
        cloud.wait_booking(&staff, booking, "completed").await;
    }
    stop.finish.cancel();
    let summary = run.await.unwrap();
    assert_eq!(summary.accepted, 8, "{summary:?}");
}
