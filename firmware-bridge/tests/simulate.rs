#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! `gasq-bridge simulate` against an edge: virtual lanes scan tokens from a file, the
//! edge's verdicts authorise their virtual dispensers through the same router as real
//! devices, and fills (with faults on schedule) are reported on the bus.

mod common;

use common::bus::Watcher;
use common::edge::{EdgeUnderTest, StandInEdge};
use common::init_logs;
use common::process::BridgeProcess;
use gasq_shared::{BookingId, StationCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_lanes_scan_fill_and_fault_on_schedule() {
    init_logs();
    let station = StationCode::parse("MUM-0042").unwrap();
    let edge = StandInEdge::start(&station).await;
    let mut bus = Watcher::connect(
        edge.mqtt_addr(),
        "observer",
        &["gasq/MUM-0042/lane/+/dispenser"],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let tokens: Vec<String> = (0..5)
        .map(|_| edge.token_for(BookingId::new(), None, "MH12AB1234"))
        .collect();
    let file = dir.path().join("tokens.txt");
    // The first token twice: the second scan is refused as already used.
    std::fs::write(
        &file,
        format!("# demo tokens\n{}\n{}\n", tokens.join("\n"), tokens[0]),
    )
    .unwrap();

    let mut sim = BridgeProcess::spawn(
        dir.path(),
        &[
            "simulate",
            "--station",
            "MUM-0042",
            "--mqtt-url",
            &edge.mqtt_url(),
            "--credentials",
            edge.credentials().to_str().unwrap(),
            "--lanes",
            "2",
            "--tokens",
            file.to_str().unwrap(),
            "--speed",
            "1000",
            "--fault-every",
            "3",
        ],
    );
    let status = sim.wait();
    assert!(status.success(), "{}", sim.logs());
    let summary: serde_json::Value = serde_json::from_str(sim.stdout().trim()).unwrap();
    assert_eq!(summary["scans"], 6, "{summary}");
    assert_eq!(summary["accepted"], 5, "{summary}");
    assert_eq!(summary["reasons"]["already_used"], 1, "{summary}");
    assert_eq!(summary["faults"], 1, "{summary}");
    assert_eq!(summary["fills"], 4, "{summary}");
    assert_eq!(summary["no_verdict"], 0, "{summary}");
    // Every scan's verdict latency is measured (the load-test figure).
    assert!(
        summary["verdict_ms"]["p99"].as_f64() > Some(0.0),
        "{summary}"
    );
    // Fills last 2–3 minutes divided by --speed: one lane made at least 3 of the 5 fills
    // (one cut short by the fault, at no less than a fifth), so the run cannot be
    // shorter than 2 × 120 ms + 24 ms. (A floor only: slow machines take longer.)
    assert!(summary["elapsed_secs"].as_f64() >= Some(0.264), "{summary}");

    // On the bus: per lane an `ok` at start; per fill a start and an end; the faulted
    // fill also a fault and an ok.
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    let expected = [("end", 5), ("fault", 1), ("ok", 3), ("start", 5)];
    while expected
        .iter()
        .any(|(k, n)| seen.get(*k).copied().unwrap_or(0) < *n)
    {
        let event = bus.next_on("/dispenser").await.json();
        *seen
            .entry(event["event"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    for (kind, n) in expected {
        assert_eq!(seen[kind], n, "{seen:?}");
    }
    assert!(seen.get("progress").is_some_and(|n| *n > 0), "{seen:?}");
}

/// The next dispenser event other than `progress`.
async fn next_event(bus: &mut Watcher) -> serde_json::Value {
    bus.next_where(|r| r.topic.ends_with("/dispenser") && r.json()["event"] != "progress")
        .await
        .json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_can_fault_and_clear_a_simulated_dispenser() {
    use gasq_bridge::simulate::{self, Control, SimOptions};
    use std::time::Duration;

    init_logs();
    let station = StationCode::parse("MUM-0042").unwrap();
    let edge = StandInEdge::start(&station).await;
    let mut bus = Watcher::connect(
        edge.mqtt_addr(),
        "observer",
        &[
            "gasq/MUM-0042/lane/+/dispenser",
            "gasq/MUM-0042/lane/+/verdict",
        ],
    )
    .await;
    let mqtt = edge.mqtt_config();
    let settings = gasq_bridge::bus_settings(&mqtt, "sim-test".into()).unwrap();
    let (first, second) = (BookingId::new(), BookingId::new());
    let options = SimOptions {
        lanes: 1,
        tokens: vec![
            edge.token_for(first, Some(5.0), "MH12AB1234"),
            edge.token_for(second, Some(5.0), "MH12AB5678"),
        ],
        repeat: false,
        follow: None,
        speed: 10.0, // a fill takes 12-18 s: long enough to interrupt
        fault_every: None,
        fault_rate: 0.0,
        verdict_timeout: Duration::from_secs(10),
        duration: None,
        price_paise_per_kg: 8800.0,
    };
    let (control, control_rx) = tokio::sync::mpsc::unbounded_channel();
    let stop = simulate::Stop::new();
    let run = tokio::spawn({
        let stop = stop.clone();
        async move { simulate::run(&station, settings, options, control_rx, stop).await }
    });

    assert_eq!(next_event(&mut bus).await["event"], "ok");
    let start = next_event(&mut bus).await;
    assert_eq!(start["event"], "start");
    assert_eq!(start["booking_id"], first.to_string());
    control
        .send(Control::parse("fault 1 nozzle stuck").unwrap())
        .unwrap();
    // The fill ends with what was delivered, then the pump reports its fault: the edge
    // never sees a car left at a failed pump.
    let end = next_event(&mut bus).await;
    assert_eq!(end["event"], "end");
    assert_eq!(end["booking_id"], first.to_string());
    assert!(end["kg"].as_f64().unwrap() < 5.0, "a partial fill: {end}");
    let fault = next_event(&mut bus).await;
    assert_eq!(
        (fault["event"].as_str(), fault["detail"].as_str()),
        (Some("fault"), Some("nozzle stuck"))
    );

    // The next driver is sent to this pump while it is faulted: they wait for it, and
    // are fuelled once the operator clears the fault.
    let verdict = bus.next_on("/verdict").await.json();
    assert_eq!(verdict["booking_id"], second.to_string(), "{verdict}");
    control.send(Control::Clear { lane: 1 }).unwrap();
    assert_eq!(next_event(&mut bus).await["event"], "ok");
    let start = next_event(&mut bus).await;
    assert_eq!(start["event"], "start");
    assert_eq!(start["booking_id"], second.to_string());

    // Stopped now, mid-fill: the fill ends with what it delivered.
    stop.now.cancel();
    let end = next_event(&mut bus).await;
    assert_eq!(end["event"], "end");
    assert_eq!(end["booking_id"], second.to_string());
    let summary = run.await.unwrap();
    assert_eq!(
        (
            summary.scans,
            summary.accepted,
            summary.faults,
            summary.fills
        ),
        (2, 2, 1, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finishing_fuels_the_driver_at_the_pump_in_fast_forward() {
    use gasq_bridge::simulate::{self, SimOptions};
    use std::time::Duration;

    init_logs();
    let station = StationCode::parse("MUM-0042").unwrap();
    let edge = StandInEdge::start(&station).await;
    let mut bus = Watcher::connect(
        edge.mqtt_addr(),
        "observer",
        &["gasq/MUM-0042/lane/+/dispenser"],
    )
    .await;
    let mqtt = edge.mqtt_config();
    let settings = gasq_bridge::bus_settings(&mqtt, "sim-test".into()).unwrap();
    let booking = BookingId::new();
    let options = SimOptions {
        lanes: 1,
        tokens: vec![edge.token_for(booking, Some(7.5), "MH12AB1234")],
        repeat: false,
        follow: None,
        speed: 1.0, // real time: a fill takes 2-3 minutes
        fault_every: None,
        fault_rate: 0.0,
        verdict_timeout: Duration::from_secs(10),
        duration: None,
        price_paise_per_kg: 8800.0,
    };
    let (_control, control_rx) = tokio::sync::mpsc::unbounded_channel();
    let stop = simulate::Stop::new();
    let run = tokio::spawn({
        let stop = stop.clone();
        async move { simulate::run(&station, settings, options, control_rx, stop).await }
    });
    assert_eq!(next_event(&mut bus).await["event"], "ok");
    assert_eq!(
        next_event(&mut bus).await["booking_id"],
        booking.to_string()
    );

    // Ctrl-C: no more scans, and the driver at the pump gets the whole fill — in
    // moments (this test waits 10 s at most), not minutes.
    stop.finish.cancel();
    let end = next_event(&mut bus).await;
    assert_eq!(
        (end["event"].as_str(), end["kg"].as_f64()),
        (Some("end"), Some(7.5)),
        "{end}"
    );
    let summary = run.await.unwrap();
    assert_eq!((summary.scans, summary.fills), (1, 1), "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulation_nobody_answers_fails_and_says_why() {
    init_logs();
    // A broker with no edge on it: every scan waits for a verdict in vain.
    let broker = common::broker::EmbeddedBroker::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.txt");
    std::fs::write(&file, "GQ1:NOT-A-REAL-TOKEN\n").unwrap();
    let creds = common::tokens::stand_in_credentials(dir.path());
    let mut sim = BridgeProcess::spawn(
        dir.path(),
        &[
            "simulate",
            "--station",
            "MUM-0042",
            "--mqtt-url",
            &broker.url(),
            "--credentials",
            creds.to_str().unwrap(),
            "--lanes",
            "1",
            "--tokens",
            file.to_str().unwrap(),
            "--verdict-timeout",
            "1s",
            "--speed",
            "1000",
        ],
    );
    let status = sim.wait();
    assert!(!status.success(), "{}", sim.logs());
    assert!(
        sim.logs().contains("no scan got a verdict"),
        "{}",
        sim.logs()
    );
    let summary: serde_json::Value = serde_json::from_str(sim.stdout().trim()).unwrap();
    assert_eq!(summary["no_verdict"], 1, "{summary}");
}
