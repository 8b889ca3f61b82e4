//! The station bus as an attacker on the forecourt Wi-Fi meets it (docs/architecture.md
//! "Station-bus security", invariant 8), through the real `gasq-edge`: no login, a wrong
//! password, a removed device, a client claiming the agent's or another device's id,
//! and a scanner's (or a replayed) dispenser fault. Verdicts come signed.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge, Login};
use common::fake_cloud::FakeCloud;
use common::tokens;
use gasq_shared::bussig;
use serde_json::{Value, json};

const STATION: &str = "SEC-0001";

async fn station(env: &[(&str, &str)]) -> (FakeCloud, edge::Enrolled, Edge) {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 2).await;
    let edge = Edge::start(data.path(), env).await;
    (cloud, data, edge)
}

/// A second device's login, made with the CLI.
async fn device(edge: &Edge, name: &str, role: &str) -> (String, String) {
    let line = edge::add_bus_client(&edge.data, name, role).await;
    let login: Value = serde_json::from_str(&line).unwrap();
    let pass = login["password"].as_str().unwrap().to_owned();
    (name.to_owned(), pass)
}

/// Connects as `id` once the running agent has read the new device's credentials (it
/// re-reads them within a second).
async fn connect_new_device(
    edge: &Edge,
    filters: &[String],
    id: &str,
    login: (String, String),
) -> BusClient {
    let deadline = std::time::Instant::now() + common::DEADLINE;
    loop {
        let login = Some(login.clone());
        if let Some(client) = BusClient::try_connect_as(edge.mqtt, filters, id, login).await {
            return client;
        }
        assert!(std::time::Instant::now() < deadline, "{id} never got in");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Scans a fresh valid token on lane 1 and returns the verdict's raw payload, checked to
/// be accepted and signed with the verdict key `add` printed.
async fn scan_is_answered(scanner: &mut BusClient, login: &Login) -> Vec<u8> {
    let topic = lane_topic(STATION, 1, "verdict");
    scanner
        .publish(&lane_topic(STATION, 1, "scan"), tokens::valid().text)
        .await;
    let payload = scanner.next_on(&topic).await.to_vec();
    let key = bussig::parse_key(&login.verdict_key).unwrap();
    let unsigned = bussig::verify(&key, bussig::VERDICT, &topic, &payload).unwrap();
    let verdict: Value = serde_json::from_slice(&unsigned).unwrap();
    assert_eq!(verdict["accepted"], true, "{verdict}");
    assert_eq!(verdict["kid"].as_str().map(str::len), Some(16), "{verdict}");
    payload
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_and_wrong_password_clients_are_refused() {
    let (_cloud, _data, edge) = station(&[]).await;
    let anonymous = BusClient::try_connect_as(edge.mqtt, &[], "lane-x", None).await;
    assert!(
        anonymous.is_none(),
        "a client without credentials is refused"
    );
    let wrong = Some((edge.login.username.clone(), "guess".to_owned()));
    let id = format!("{}-x", edge.login.username);
    assert!(
        BusClient::try_connect_as(edge.mqtt, &[], &id, wrong)
            .await
            .is_none()
    );
    let nobody = Some(("nobody".to_owned(), edge.login.password.clone()));
    assert!(
        BusClient::try_connect_as(edge.mqtt, &[], "nobody", nobody)
            .await
            .is_none()
    );

    let mut scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;
    scan_is_answered(&mut scanner, &edge.login).await;
    let status = edge.status().await;
    assert_eq!(status["bus_link_up"], true, "{status:#}");
    assert_eq!(status["warnings"], json!([]), "{status:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_device_is_cut_off_at_once_and_cannot_come_back() {
    let (_cloud, _data, edge) = station(&[]).await;
    let (name, pass) = device(&edge, "lane_2", "scanner").await;
    let login = Some((name.clone(), pass.clone()));
    let lane = connect_new_device(&edge, &[], "lane_2-scanner", (name, pass)).await;
    let out = edge::output(&["bus-client", "remove", "lane_2"], &edge.data).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::eventually("the removed device's connection to drop", || {
        lane.drops() > 0
    })
    .await;
    assert!(
        BusClient::try_connect_as(edge.mqtt, &[], "lane_2", login)
            .await
            .is_none()
    );
    let listed = edge::output(&["bus-client", "list"], &edge.data).await;
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("lane_2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_can_claim_the_agents_or_another_devices_client_id() {
    let (_cloud, _data, edge) = station(&[]).await;
    let mut scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;
    let (name, pass) = device(&edge, "intruder", "bridge").await;
    // Known to the agent: it connects with its own id.
    connect_new_device(&edge, &[], "intruder", (name.clone(), pass.clone())).await;
    let login = Some((name, pass));
    let tester_id = format!("{}-display", edge.login.username);
    for claimed in ["@gasq-edge-agent", "gasq-edge-agent", tester_id.as_str()] {
        let claim = BusClient::try_connect_as(edge.mqtt, &[], claimed, login.clone()).await;
        assert!(claim.is_none(), "{claimed} is not intruder's id");
    }
    // The agent still hears the lanes, and the test device's session still stands.
    scan_is_answered(&mut scanner, &edge.login).await;
    assert_eq!(scanner.drops(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_anonymous_clients_allowed_a_displaced_agent_link_is_rebuilt_at_once() {
    let (_cloud, _data, edge) = station(&[("GASQ_ALLOW_ANONYMOUS", "true")]).await;
    let status = edge.status().await;
    let warnings = status["warnings"].to_string();
    assert!(warnings.contains("allow_anonymous"), "{status:#}");
    let mut scanner = BusClient::try_connect_as(edge.mqtt, &[verdicts(STATION)], "lane-1", None)
        .await
        .expect("anonymous clients are allowed");
    scan_is_answered(&mut scanner, &edge.login).await;
    // Anyone may now claim the agent's in-process session: rumqttd drops it.
    let _thief = BusClient::try_connect_as(edge.mqtt, &[], "@gasq-edge-agent", None)
        .await
        .expect("anonymous clients are allowed");
    edge.wait_status("the agent's link dropped and back", |s| {
        s["counters"]["bus_link_drops"] == 1 && s["bus_link_up"] == true
    })
    .await;
    scan_is_answered(&mut scanner, &edge.login).await;
    let health = edge.http().get(edge.url("/healthz")).send().await.unwrap();
    assert!(health.status().is_success());
}

/// Lane `lane`'s `up` in `/status`.
fn lane_up(status: &Value, lane: u64) -> bool {
    let lanes = status["lanes"].as_array().unwrap();
    let found = lanes.iter().find(|l| l["lane"] == lane).unwrap();
    found["up"] == true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanners_or_a_replayed_fault_takes_no_lane_down() {
    let (_cloud, _data, edge) = station(&[]).await;
    let topic = lane_topic(STATION, 1, "dispenser");
    let (name, pass) = device(&edge, "scan_1", "scanner").await;
    let scanner =
        connect_new_device(&edge, std::slice::from_ref(&topic), "scan_1", (name, pass)).await;
    let fault = json!({"event": "fault", "detail": "forged"}).to_string();
    // Signed with the scanner's own key (it is no bridge), and not signed at all.
    scanner.publish(&topic, fault.clone()).await;
    scanner.publish_raw(&topic, fault.clone()).await;
    let status = edge
        .wait_status("two refused events", |s| {
            s["counters"]["dispenser_refused"] == 2
        })
        .await;
    assert!(lane_up(&status, 1), "{status:#}");

    // A real bridge's fault counts; captured and replayed after its `ok`, it does not.
    let mut spy = scanner;
    let bridge = BusClient::connect(edge.mqtt, &[], None).await;
    bridge.publish(&topic, fault).await;
    let captured = spy.next_on(&topic).await.to_vec();
    edge.wait_status("lane 1 down", |s| !lane_up(s, 1)).await;
    bridge
        .publish(&topic, json!({"event": "ok"}).to_string())
        .await;
    edge.wait_status("lane 1 up", |s| lane_up(s, 1)).await;
    spy.publish_raw(&topic, captured).await;
    let status = edge
        .wait_status("the replay refused", |s| {
            s["counters"]["dispenser_refused"] == 3
        })
        .await;
    assert!(lane_up(&status, 1), "{status:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bus_client_refuses_bad_names_and_duplicates_in_one_line() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 1).await;
    for (args, says) in [
        (vec!["bus-client", "add", "lane-1"], "no -"),
        (
            vec!["bus-client", "add", "x", "--role", "pump"],
            "not a role",
        ),
        (vec!["bus-client", "remove", "ghost"], "no bus client"),
    ] {
        let out = edge::output(&args, data.path()).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(says),
            "{args:?}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    edge::add_bus_client(data.path(), "lane_1", "bridge").await;
    let again = edge::output(&["bus-client", "add", "lane_1"], data.path()).await;
    assert!(!again.status.success());
    let listed = edge::output(&["bus-client", "list", "--json"], data.path()).await;
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["username"], "lane_1");
    assert!(listed[0].get("password_sha256").is_none(), "{listed}");
}
