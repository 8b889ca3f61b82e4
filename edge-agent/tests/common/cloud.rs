//! The real cloud for edge tests: `gasq-cloud serve --demo` as a child process, its API
//! as the demo's staff and driver use it, and a box enrolled with it.
//!
//! Needs `gasq-cloud` built next to `gasq-edge` (the workspace test run builds both);
//! tests skip with a note when it is not there.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::edge::{self, Edge};

/// The demo station's code.
pub const STATION: &str = "MUM-0042";

pub fn cloud_binary() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_BIN_EXE_gasq-edge")).with_file_name("gasq-cloud");
    path.exists().then_some(path)
}

/// `gasq-cloud serve --demo` on a port it picks, its data in `dir`; returns once it
/// listens, with the address it printed.
pub async fn start_cloud(bin: &Path, dir: &Path) -> (Child, SocketAddr) {
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
    let addr = tokio::time::timeout(super::DEADLINE, listening)
        .await
        .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

/// The demo cloud running on its own data in a temp dir, and where it listens; `None`,
/// with a note, when `gasq-cloud` is not built (the test then skips).
pub async fn running() -> Option<(tempfile::TempDir, Child, SocketAddr)> {
    let Some(bin) = cloud_binary() else {
        eprintln!("skipped: gasq-cloud is not built next to gasq-edge (run the workspace tests)");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let (child, at) = start_cloud(&bin, dir.path()).await;
    Some((dir, child, at))
}

impl Api {
    /// The API of the cloud at `addr`.
    pub fn at(addr: SocketAddr) -> Self {
        Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
        }
    }

    pub async fn call(
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

    pub async fn login(&self, login: &str, password: &str) -> String {
        let body = json!({"login": login, "password": password});
        let answer = self
            .call("POST", "/api/v1/auth/login", None, Some(body))
            .await;
        answer["access_token"].as_str().unwrap().to_owned()
    }

    /// A confirmed pay-at-station booking in the first open slot, and its token text.
    pub async fn book(&self, driver: &str, registration: &str) -> (String, String) {
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

    pub async fn status_of(&self, driver: &str, booking: &str) -> String {
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
    pub async fn today(&self, admin: &str) -> Value {
        let board = self
            .call("GET", "/api/v1/stations/1/dashboard", Some(admin), None)
            .await;
        board["today"].clone()
    }

    /// The station admin's dashboard, once it shows the edge online and caught up.
    pub async fn dashboard_caught_up(&self, admin: &str) -> Value {
        let deadline = std::time::Instant::now() + super::DEADLINE;
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

    pub async fn wait_status(&self, driver: &str, booking: &str, want: &str) {
        let deadline = std::time::Instant::now() + super::DEADLINE;
        while self.status_of(driver, booking).await != want {
            assert!(
                std::time::Instant::now() < deadline,
                "booking {booking} never became {want}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// A one-time enrollment code for the demo station, made by its admin.
pub async fn enrollment_code(api: &Api) -> String {
    let admin = api.login("admin@demo.gasq.in", "demo-admin-pass").await;
    let code = api
        .call(
            "POST",
            "/api/v1/stations/1/enrollment-codes",
            Some(&admin),
            None,
        )
        .await;
    code["code"].as_str().unwrap().to_owned()
}

/// `gasq-edge enroll` of the data dir `data` with a new code (and `extra` flags);
/// the attendant secret it printed.
pub async fn enroll(api: &Api, data: &Path, extra: &[&str]) -> String {
    let code = enrollment_code(api).await;
    let mut args = vec!["enroll", "--cloud", &api.base, "--code", &code];
    args.extend(extra);
    let out = edge::output(&args, data).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    lines.find(|l| l.starts_with("Attendant secret"));
    lines.next().unwrap_or_default().trim().to_owned()
}

/// The technician: a code from the cloud, then enroll the box and run it until synced.
pub async fn enroll_and_run(api: &Api, env: &[(&str, &str)]) -> (tempfile::TempDir, Edge) {
    let (data, station, _) = enroll_and_run_with_secret(api, env).await;
    (data, station)
}

/// [`enroll_and_run`], and the attendant secret the enrollment printed.
pub async fn enroll_and_run_with_secret(
    api: &Api,
    env: &[(&str, &str)],
) -> (tempfile::TempDir, Edge, String) {
    let data = tempfile::tempdir().unwrap();
    let secret = enroll(api, data.path(), &[]).await;
    let station = Edge::start(data.path(), env).await;
    station.wait_synced().await;
    (data, station, secret)
}
