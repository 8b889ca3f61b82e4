//! The real `gasq-cloud` and `gasq-edge` as child processes, for end-to-end tests that
//! run the bridge against the whole station: the cloud seeds its demo station, hands
//! out an enrollment code and demo bookings; the edge enrolls with the code and runs
//! the station bus on a port it picks itself.
//!
//! Integration tests only get `CARGO_BIN_EXE_*` for their own package, so the other
//! programs are looked up next to `gasq-bridge` (as `edge-agent/tests/real_cloud.rs`
//! finds `gasq-cloud`). The workspace test run builds them; [`sibling`] is `None` when
//! they are not there and the test skips.
//!
//! Each program gets a clean environment (no inherited `GASQ_*` or `RUST_LOG`), logs to
//! a file in the test's temporary dir (shown when a wait fails), and is killed when its
//! handle is dropped. Readiness is polled against [`STARTUP`], never slept for.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a program may take to come up (debug builds on a busy CI box).
pub const STARTUP: Duration = Duration::from_secs(30);

/// The demo station's admin `gasq-cloud serve --demo` seeds (cloud/src/demo/mod.rs):
/// it sees every booking at the station, those `demo-traffic` makes for the demo
/// fleet's drivers too.
pub const DEMO_ADMIN: (&str, &str) = ("admin@demo.gasq.in", "demo-admin-pass");

/// The demo driver `gasq-cloud serve --demo` seeds.
pub const DEMO_DRIVER: (&str, &str) = ("driver@demo.gasq.in", "demo-driver-pass");

/// `name` built next to `gasq-bridge`, if it is there.
pub fn sibling(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_BIN_EXE_gasq-bridge")).with_file_name(name);
    path.exists().then_some(path)
}

/// `bin` with none of the test runner's `GASQ_*` settings or `RUST_LOG`.
fn clean(bin: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env_remove("RUST_LOG").stdin(Stdio::null());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GASQ_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs a one-shot command to completion; its stdout, or a panic with its stderr.
async fn output(cmd: Command) -> String {
    let what = format!("{cmd:?}");
    let out = tokio::process::Command::from(cmd).output().await.unwrap();
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A long-running child: stdout to `dir/<name>.out`, stderr to `dir/<name>.log`;
/// SIGKILLed on drop.
#[derive(Debug)]
pub struct Program {
    name: String,
    child: Child,
    out: PathBuf,
    log: PathBuf,
}

impl Program {
    fn spawn(mut cmd: Command, dir: &Path, name: &str) -> Self {
        let out = dir.join(format!("{name}.out"));
        let log = dir.join(format!("{name}.log"));
        let child = cmd
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self {
            name: name.into(),
            child,
            out,
            log,
        }
    }

    /// Its log so far (stderr).
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the program has printed a line starting with `prefix`; the rest of it.
    async fn wait_line(&mut self, prefix: &str) -> String {
        let out = self.out.clone();
        let what = format!("{} to print {prefix:?}", self.name);
        self.wait_for(&what, || {
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            let line = text.lines().find_map(|l| l.strip_prefix(prefix));
            std::future::ready(line.map(str::to_owned))
        })
        .await
    }

    /// Polls `check` until it returns `Some`; panics (with the log) when the program
    /// exits or `STARTUP` passes.
    async fn wait_for<T, F: Future<Output = Option<T>>>(
        &mut self,
        what: &str,
        mut check: impl FnMut() -> F,
    ) -> T {
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Some(v) = check().await {
                return v;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("{} exited ({status}); log:\n{}", self.name, self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; {} log:\n{}",
                self.name,
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// 200 from `GET url`?
async fn answers(http: &reqwest::Client, url: &str) -> Option<()> {
    let response = http.get(url).send().await.ok()?;
    response.status().is_success().then_some(())
}

/// `gasq-cloud serve --demo` on a port it picks itself, with its SQLite data in its own
/// dir.
#[derive(Debug)]
pub struct RealCloud {
    pub program: Program,
    bin: PathBuf,
    data: PathBuf,
    pub base: String,
    http: reqwest::Client,
}

impl RealCloud {
    /// Starts the cloud with its data in `dir` and waits for `/readyz`.
    pub async fn start(bin: &Path, dir: &Path) -> Self {
        Self::start_with(bin, dir, &[]).await
    }

    /// [`RealCloud::start`] with extra `GASQ_*` settings.
    pub async fn start_with(bin: &Path, dir: &Path, env: &[(&str, &str)]) -> Self {
        let data = dir.join("cloud");
        std::fs::create_dir_all(&data).unwrap();
        let mut cmd = clean(bin);
        cmd.args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .env("GASQ_DATA_DIR", &data)
            .env("RUST_LOG", "info,sqlx=warn")
            .envs(env.iter().copied());
        let mut program = Program::spawn(cmd, dir, "gasq-cloud");
        // "GasQ cloud listening on http://127.0.0.1:PORT  (API docs: …)"
        let rest = program.wait_line("GasQ cloud listening on ").await;
        let base = rest.split_whitespace().next().unwrap().to_owned();
        let mut cloud = Self {
            program,
            bin: bin.to_owned(),
            data,
            base,
            http: reqwest::Client::new(),
        };
        let (http, ready) = (cloud.http.clone(), format!("{}/readyz", cloud.base));
        cloud
            .program
            .wait_for("the cloud's /readyz", || answers(&http, &ready))
            .await;
        cloud
    }

    /// A `gasq-cloud` command on the same data (SQLite WAL: fine while it serves).
    fn cli(&self, args: &[&str]) -> Command {
        let mut cmd = clean(&self.bin);
        cmd.args(args)
            .env("GASQ_DATA_DIR", &self.data)
            .env("RUST_LOG", "warn");
        cmd
    }

    /// A one-time enrollment code for station `code`.
    pub async fn enrollment_code(&self, code: &str) -> String {
        let out = output(self.cli(&["enrollment-code", "--station", code])).await;
        out.trim().to_owned()
    }

    /// Books `count` confirmed demo bookings (`demo-traffic`) and returns their tokens.
    pub async fn demo_tokens(&self, count: usize, dir: &Path) -> Vec<String> {
        let file = dir.join("demo-tokens.txt");
        let count = count.to_string();
        let file_arg = file.to_str().unwrap();
        output(self.cli(&["demo-traffic", "--count", &count, "--out", file_arg])).await;
        let text = std::fs::read_to_string(&file).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    /// `POST /api/v1/auth/login`: a bearer token.
    pub async fn login(&self, (login, password): (&str, &str)) -> String {
        let answer: Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"login": login, "password": password}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["access_token"].as_str().unwrap().to_owned()
    }

    /// `method path` of the API as `bearer` with a JSON `body`; the JSON answer, or a
    /// panic with the status and the problem.
    pub async fn call(&self, method: &str, path: &str, bearer: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(bearer);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// `GET /api/v1/bookings/{id}` as `bearer`: the booking's status.
    pub async fn booking_status(&self, bearer: &str, id: &str) -> String {
        let path = format!("/api/v1/bookings/{id}");
        let booking = self.call("GET", &path, bearer, None).await;
        booking["status"].as_str().unwrap().to_owned()
    }

    /// Presses Pay on the test-mode checkout page `/pay/{booking}` and posts the signed
    /// callback the page hands its script to the verify path, as the page does.
    pub async fn pay_in_test_mode(&self, booking: &str) {
        let page = self
            .http
            .post(format!("{}/pay/{booking}", self.base))
            .form(&[("outcome", "pay")])
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("TEST MODE"), "{page}");
        let attribute = |name: &str| {
            let at = page
                .find(&format!("{name}=\""))
                .unwrap_or_else(|| panic!("{name} in {page}"));
            let rest = &page[at + name.len() + 2..];
            rest[..rest.find('"').unwrap()].to_owned()
        };
        let callback = json!({"razorpay_order_id": attribute("data-order"),
            "razorpay_payment_id": attribute("data-payment"),
            "razorpay_signature": attribute("data-signature")});
        let res = self
            .http
            .post(format!("{}/api/v1/payments/razorpay/verify", self.base))
            .json(&callback)
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "verify: {}",
            res.text().await.unwrap()
        );
    }

    /// Polls the booking until its status is `want` (panics with the last one seen).
    pub async fn wait_booking(&self, bearer: &str, id: &str, want: &str) {
        let deadline = Instant::now() + super::PATIENCE;
        loop {
            let status = self.booking_status(bearer, id).await;
            if status == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "booking {id} is {status}, never {want}; cloud log:\n{}",
                self.program.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// `gasq-edge run`, enrolled with the real cloud, its broker and HTTP API on ports it
/// picked itself.
#[derive(Debug)]
pub struct RealEdge {
    pub program: Program,
    /// The bridge's credentials file (`gasq-edge bus-client add bridge_test`).
    pub credentials: PathBuf,
    /// The embedded broker (the station bus).
    pub mqtt: SocketAddr,
    /// The attendant HTTP API, `http://127.0.0.1:PORT`.
    pub http: String,
}

impl RealEdge {
    /// Enrolls a data dir under `dir` for `station` with a fresh code from `cloud`, runs
    /// the agent and waits for `/healthz`.
    pub async fn enroll_and_start(
        bin: &Path,
        dir: &Path,
        cloud: &RealCloud,
        station: &str,
    ) -> Self {
        let data = dir.join("edge");
        let code = cloud.enrollment_code(station).await;
        let mut enroll = clean(bin);
        enroll
            .args([
                "enroll",
                "--cloud",
                &cloud.base,
                "--code",
                &code,
                "--data-dir",
            ])
            .arg(&data);
        output(enroll).await;
        // The station bus refuses strangers: one device for the bridge and the watchers.
        let mut add = clean(bin);
        add.args(["bus-client", "add", "bridge_test", "--data-dir"])
            .arg(&data);
        let line = output(add).await;
        let credentials = dir.join("bus-credentials.json");
        std::fs::write(&credentials, &line).unwrap();
        let login: Value = serde_json::from_str(&line).unwrap();

        let mut cmd = clean(bin);
        cmd.args(["run", "--mqtt-listen", "127.0.0.1:0"])
            .args(["--http-listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .env("RUST_LOG", "info,rumqttd=warn")
            .env("GASQ_BACKOFF_MAX_SECS", "1");
        let mut program = Program::spawn(cmd, dir, "gasq-edge");
        // The ports it bound, as docs/edge.md documents the lines.
        let bus = program.wait_line("station bus (MQTT) listening on ").await;
        let http = program
            .wait_line("attendant API (HTTP) listening on ")
            .await;
        let http = format!("http://{http}");
        let mqtt = bus.parse().unwrap();
        super::bus::register_login(
            mqtt,
            login["username"].as_str().unwrap(),
            login["password"].as_str().unwrap(),
        );
        let client = reqwest::Client::new();
        let health = format!("{http}/healthz");
        program
            .wait_for("the edge's /healthz", || answers(&client, &health))
            .await;
        Self {
            program,
            credentials,
            mqtt,
            http,
        }
    }
}

impl super::edge::EdgeUnderTest for RealEdge {
    fn mqtt_url(&self) -> String {
        format!("mqtt://{}", self.mqtt)
    }
    fn mqtt_addr(&self) -> SocketAddr {
        self.mqtt
    }
    fn credentials(&self) -> &Path {
        &self.credentials
    }
}
