//! The edge against the real cloud: both programs as built by the workspace, an MQTT
//! client as the scanner. A technician enrolls the box with a code from the cloud, a
//! driver books and scans; the booking is redeemed in the cloud; with the cloud stopped
//! the lane goes on and, once the cloud is back, the outbox drains into it.
//!
//! Needs `gasq-cloud` built next to `gasq-edge` (the workspace test run builds both);
//! skips with a note when it is not there (e.g. `cargo nextest run -p gasq-edge` alone).

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge};
use common::relay::{Relay, Upstream};
use gasq_shared::topics::Reason;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const STATION: &str = "MUM-0042";

fn cloud_binary() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_BIN_EXE_gasq-edge")).with_file_name("gasq-cloud");
    path.exists().then_some(path)
}

/// `gasq-cloud serve --demo` on a port it picks, its data in `dir`; returns once it
/// listens, with the address it printed.
async fn start_cloud(bin: &Path, dir: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(bin)
        .current_dir(dir)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .arg("--database-url")
        .arg(format!("sqlite://{}/cloud.db", dir.display()))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // "GasQ cloud listening on http://127.0.0.1:PORT  (API docs: …)"
    let listening = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("GasQ cloud listening on http://") {
                return rest.split_whitespace().next().unwrap().parse().unwrap();
            }
        }
        panic!("gasq-cloud exited before listening");
    };
    let addr = tokio::time::timeout(common::DEADLINE, listening)
        .await
        .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method.parse().unwrap(), url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn login(&self, login: &str, password: &str) -> String {
        let body = json!({"login": login, "password": password});
        let answer = self
            .call("POST", "/api/v1/auth/login", None, Some(body))
            .await;
        answer["access_token"].as_str().unwrap().to_owned()
    }

    /// A confirmed pay-at-station booking in the first open slot, and its token text.
    async fn book(&self, driver: &str, registration: &str) -> (String, String) {
        let vehicle = json!({"registration": registration});
        let vehicle = self
            .call("POST", "/api/v1/vehicles", Some(driver), Some(vehicle))
            .await;
        let today =
            chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(19_800).unwrap());
        let slots = self
            .call(
                "GET",
                &format!("/api/v1/stations/1/slots?date={}", today.format("%Y-%m-%d")),
                None,
                None,
            )
            .await;
        let slot = slots
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["available"].as_i64() > Some(0))
            .unwrap();
        let body = json!({"station_id": 1, "vehicle_id": vehicle["id"], "slot_start": slot["start"],
            "payment_method": "at_station"});
        let booking = self
            .call("POST", "/api/v1/bookings", Some(driver), Some(body))
            .await;
        let id = booking["id"].as_str().unwrap().to_owned();
        let token = self
            .call(
                "GET",
                &format!("/api/v1/bookings/{id}/token"),
                Some(driver),
                None,
            )
            .await;
        (id, token["token"].as_str().unwrap().to_owned())
    }

    async fn status_of(&self, driver: &str, booking: &str) -> String {
        let b = self
            .call(
                "GET",
                &format!("/api/v1/bookings/{booking}"),
                Some(driver),
                None,
            )
            .await;
        b["status"].as_str().unwrap().to_owned()
    }

    /// Today's numbers on the station's dashboard.
    async fn today(&self, admin: &str) -> Value {
        let board = self
            .call("GET", "/api/v1/stations/1/dashboard", Some(admin), None)
            .await;
        board["today"].clone()
    }

    /// The station admin's dashboard, once it shows the edge online and caught up.
    async fn dashboard_caught_up(&self, admin: &str) -> Value {
        let deadline = std::time::Instant::now() + common::DEADLINE;
        loop {
            let board = self
                .call("GET", "/api/v1/stations/1/dashboard", Some(admin), None)
                .await;
            let edge = &board["edges"][0];
            if edge["status"] == "online" && edge["outbox_depth"] == 0 {
                return board;
            }
            assert!(std::time::Instant::now() < deadline, "{board:#}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    async fn wait_status(&self, driver: &str, booking: &str, want: &str) {
        let deadline = std::time::Instant::now() + common::DEADLINE;
        while self.status_of(driver, booking).await != want {
            assert!(
                std::time::Instant::now() < deadline,
                "booking {booking} never became {want}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// The technician: a code from the cloud, then enroll the box and run it until synced.
async fn enroll_and_run(api: &Api) -> (tempfile::TempDir, Edge) {
    let admin = api.login("admin@demo.gasq.in", "demo-admin-pass").await;
    let code = api
        .call(
            "POST",
            "/api/v1/stations/1/enrollment-codes",
            Some(&admin),
            None,
        )
        .await;
    let data = tempfile::tempdir().unwrap();
    let code = code["code"].as_str().unwrap();
    let args = ["enroll", "--cloud", &api.base, "--code", code];
    let out = edge::output(&args, data.path()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let station = Edge::start(data.path(), &[]).await;
    station.wait_synced().await;
    (data, station)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_enrolled_with_the_real_cloud_validates_online_and_offline() {
    let Some(bin) = cloud_binary() else {
        eprintln!("skipped: gasq-cloud is not built next to gasq-edge (run the workspace tests)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut cloud, at) = start_cloud(&bin, dir.path()).await;
    // The box knows the cloud by one URL, which stays while the cloud restarts elsewhere.
    let front = Relay::start(Upstream::Tcp(at));
    let api = Api {
        base: format!("http://{}", front.addr),
        http: reqwest::Client::new(),
    };

    let (_data, station) = enroll_and_run(&api).await;
    let mut scanner = BusClient::connect(station.mqtt, &[verdicts(STATION)], None).await;

    // Online: a driver's token is accepted once, and the cloud learns it was redeemed.
    let driver = api.login("driver@demo.gasq.in", "demo-driver-pass").await;
    let (first, token) = api.book(&driver, "MH12AB4321").await;
    let (second, offline_token) = api.book(&driver, "MH12AB9876").await;
    scanner
        .publish(&lane_topic(STATION, 1, "scan"), token.clone())
        .await;
    assert!(scanner.next_verdict().await.1.accepted);
    scanner
        .publish(&lane_topic(STATION, 2, "scan"), token)
        .await;
    assert_eq!(scanner.next_verdict().await.1.reason, Reason::AlreadyUsed);
    api.wait_status(&driver, &first, "redeemed").await;
    // What the cloud counted before going away (the edge has nothing left to send).
    station
        .wait_status("the online events to be sent", |s| s["outbox_depth"] == 0)
        .await;
    let admin = api.login("admin@demo.gasq.in", "demo-admin-pass").await;
    let before = api.today(&admin).await;

    // Offline: the lane goes on; the events wait in the outbox.
    cloud.kill().await.unwrap();
    scanner
        .publish(&lane_topic(STATION, 1, "scan"), offline_token.clone())
        .await;
    assert!(scanner.next_verdict().await.1.accepted);
    scanner
        .publish(&lane_topic(STATION, 2, "scan"), offline_token)
        .await;
    assert_eq!(scanner.next_verdict().await.1.reason, Reason::AlreadyUsed);
    scanner
        .publish(&lane_topic(STATION, 2, "scan"), "GQ1:NOT-A-TOKEN")
        .await;
    assert_eq!(scanner.next_verdict().await.1.reason, Reason::Malformed);
    station
        .wait_status("the edge to go offline", |s| {
            s["online_to_cloud"] == false && s["outbox_depth"].as_u64() >= Some(1)
        })
        .await;

    // Back: the outbox drains and the cloud counts the redemption.
    let (_cloud, at) = start_cloud(&bin, dir.path()).await;
    front.redirect(Upstream::Tcp(at));
    station
        .wait_status("the outbox to drain", |s| {
            s["outbox_depth"] == 0 && s["online_to_cloud"] == true
        })
        .await;
    api.wait_status(&driver, &second, "redeemed").await;
    let board = api.dashboard_caught_up(&admin).await;
    // Each event counted once, however often the edge tried while the cloud was gone:
    // the two refused scans made offline are two more, and the redemptions raised no
    // "redeemed twice" case.
    let after = &board["today"];
    assert_eq!(
        after["rejected_scans"].as_i64(),
        before["rejected_scans"].as_i64().map(|n| n + 2),
        "before: {before:#}\nafter: {after:#}"
    );
    assert_eq!(
        board["reconciliation"],
        json!([]),
        "no reconciliation case: {board:#}"
    );
}
