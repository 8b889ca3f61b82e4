//! The real `gasq-edge` binary: enrolled against the fake cloud, then run as a child
//! process on ports it picks itself (port 0; it prints where it listens), with
//! readiness found by polling `/healthz` against a deadline.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::DEADLINE;
use super::fake_cloud::FakeCloud;
use super::tokens;

pub const SECRET: &str = "attendant-test-secret";

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gasq-edge"));
    cmd.env_remove("RUST_LOG")
        .env("GASQ_LOG", "warn,gasq_edge=info");
    for (key, _) in std::env::vars() {
        if key.starts_with("GASQ_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs a gasq-edge command to completion.
pub async fn output(args: &[&str], data: &Path) -> Output {
    bin()
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .await
        .unwrap()
}

/// An enrolled data dir.
pub struct Enrolled {
    pub dir: tempfile::TempDir,
    pub station: String,
}

impl Enrolled {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Enrolls a fresh data dir for station `code` with `lanes` lanes through the fake cloud.
pub async fn enroll(cloud: &FakeCloud, code: &str, lanes: u16) -> Enrolled {
    let dir = tempfile::tempdir().unwrap();
    let one_time = format!("CODE-{}", uuid::Uuid::new_v4().simple());
    cloud.add_code(
        &one_time,
        tokens::station(code, lanes),
        tokens::token_keys(),
        SECRET,
    );
    let out = bin()
        .args([
            "enroll",
            "--cloud",
            &cloud.url,
            "--code",
            &one_time,
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "enroll failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Enrolled {
        dir,
        station: code.into(),
    }
}

/// The device login tests use on an agent's bus (`gasq-edge bus-client add`), made once
/// per data dir and kept in it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Login {
    pub username: String,
    pub password: String,
    pub verdict_key: String,
}

/// The test device's login for `data`, provisioned on first use.
pub async fn test_login(data: &Path) -> Login {
    let kept = data.join("test-bus-login.json");
    if let Ok(text) = std::fs::read_to_string(&kept) {
        return serde_json::from_str(&text).unwrap();
    }
    let line = add_bus_client(data, "tester", "bridge").await;
    std::fs::write(&kept, &line).unwrap();
    serde_json::from_str(&line).unwrap()
}

/// `gasq-edge bus-client add NAME --role ROLE`: its JSON line.
pub async fn add_bus_client(data: &Path, name: &str, role: &str) -> String {
    let out = output(&["bus-client", "add", name, "--role", role], data).await;
    assert!(
        out.status.success(),
        "bus-client add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A running agent. Killed (SIGKILL) when dropped.
pub struct Edge {
    child: Child,
    pub http: SocketAddr,
    pub mqtt: SocketAddr,
    pub data: PathBuf,
    /// The test device's login on this agent's bus (registered as the default for it).
    pub login: Login,
    http_client: reqwest::Client,
}

impl Edge {
    /// Starts `gasq-edge run` on `data` with extra `GASQ_*` settings; waits until ready.
    pub async fn start(data: &Path, env: &[(&str, &str)]) -> Edge {
        Self::start_logging(data, env, Stdio::inherit()).await
    }

    /// Like `start`, with the agent's log (stderr) going to `log`.
    pub async fn start_logging(data: &Path, env: &[(&str, &str)], log: Stdio) -> Edge {
        let login = test_login(data).await;
        let mut cmd = bin();
        cmd.args([
            "run",
            "--http-listen",
            "127.0.0.1:0",
            "--mqtt-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data)
        .env("GASQ_PULL_INTERVAL_SECS", "1")
        .env("GASQ_BACKOFF_MAX_SECS", "1")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true);
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let (mut http, mut mqtt) = (None, None);
        while http.is_none() || mqtt.is_none() {
            let line = tokio::time::timeout(DEADLINE, lines.next_line())
                .await
                .expect("gasq-edge says where it listens")
                .unwrap()
                .expect("gasq-edge exited before it was ready");
            http = http.or(listening_on(&line, "attendant API (HTTP) "));
            mqtt = mqtt.or(listening_on(&line, "station bus (MQTT) "));
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (http, mqtt) = (http.unwrap(), mqtt.unwrap());
        super::bus::register_login(mqtt, &login.username, &login.password);
        let edge = Edge {
            child,
            http,
            mqtt,
            data: data.to_owned(),
            login,
            http_client: reqwest::Client::new(),
        };
        edge.wait_healthy().await;
        edge
    }

    async fn wait_healthy(&self) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let ok = self
                .http_client
                .get(self.url("/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "gasq-edge did not become healthy"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http_client
    }

    /// `GET /status` as JSON.
    pub async fn status(&self) -> serde_json::Value {
        self.http_client
            .get(self.url("/status"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Polls `/status` until `pred` holds (or the deadline passes).
    pub async fn wait_status(
        &self,
        what: &str,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let status = self.status().await;
            if pred(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; last status: {status:#}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Waits for the first successful sync with the cloud.
    pub async fn wait_synced(&self) -> serde_json::Value {
        self.wait_status("a sync", |s| s["online_to_cloud"] == true)
            .await
    }

    /// The agent's process id.
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    /// The most memory the agent has held so far (`VmHWM`), in bytes.
    pub fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kb * 1024
    }

    /// SIGKILL, no goodbye.
    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }

    /// SIGTERM, and wait for a clean exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().unwrap();
        std::process::Command::new("kill")
            .arg(pid.to_string())
            .status()
            .unwrap();
        tokio::time::timeout(DEADLINE, self.child.wait())
            .await
            .unwrap()
            .unwrap()
    }
}

/// The address at the end of a line `gasq-edge run` prints about `what` (docs/edge.md):
/// "attendant API (HTTP) listening on 127.0.0.1:PORT", "station bus (MQTT) listening on
/// 127.0.0.1:PORT" or "station bus (MQTT) on the external broker 127.0.0.1:PORT".
fn listening_on(line: &str, what: &str) -> Option<SocketAddr> {
    let rest = line.strip_prefix(what)?;
    Some(rest.rsplit(' ').next()?.parse().expect("an address"))
}
