//! The real `gasq-cloud serve` binary on a port the system picks, in a fresh data dir
//! with the demo station, and whatever environment the test gives it. Killed when
//! dropped.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Served {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    _dir: tempfile::TempDir,
}

impl Served {
    /// Starts the server and waits until it answers `/healthz`. Blocking: from async
    /// tests, call it in `spawn_blocking`.
    pub fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gasq-cloud"));
        cmd.current_dir(dir.path())
            .env_remove("GASQ_DATABASE_URL")
            .env_remove("GASQ_LISTEN")
            .env("GASQ_DATA_DIR", dir.path().join("data"))
            .env("RUST_LOG", "warn")
            .args(["serve", "--listen", "127.0.0.1:0", "--demo"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let base = listening_on(&mut child);
        let deadline = Instant::now() + Duration::from_secs(30);
        let http = reqwest::blocking::Client::new();
        while http.get(format!("{base}/healthz")).send().is_err() {
            assert!(Instant::now() < deadline, "the server did not come up");
            assert!(child.try_wait().unwrap().is_none(), "the server exited");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            child,
            base,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl super::app::Cloud for Served {
    fn base(&self) -> String {
        self.base.clone()
    }
    fn client(&self) -> reqwest::Client {
        reqwest::Client::new()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address from "GasQ cloud listening on http://127.0.0.1:PORT  (…)".
fn listening_on(child: &mut Child) -> String {
    let line = printed(child, "GasQ cloud listening on ");
    line.split_whitespace().next().unwrap().to_owned()
}

/// The rest of the first line `child` prints that starts with `prefix`; panics when the
/// child exits first or after a deadline. Its stdout keeps being drained afterwards.
pub fn printed(child: &mut Child, prefix: &str) -> String {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("the program prints the line expected");
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
}
