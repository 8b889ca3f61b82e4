//! A private Mosquitto for tests of the agent on an external broker: a child process with
//! a temporary config, killed on drop.
//!
//! Mosquitto 2.0 refuses port 0 ("A listener with port 0 must provide a Unix socket
//! path"), and a port found free and then handed to it would race concurrent tests. So
//! it listens on a Unix socket in its temporary dir, and a [`Relay`] on 127.0.0.1 port 0
//! carries TCP connections to it.

use std::net::SocketAddr;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use super::DEADLINE;
use super::relay::{Relay, Upstream};

/// Where Mosquitto is installed on Debian and Ubuntu (and by hand).
const BINARIES: [&str; 3] = [
    "/usr/sbin/mosquitto",
    "/usr/bin/mosquitto",
    "/usr/local/sbin/mosquitto",
];

#[derive(Debug)]
pub struct Mosquitto {
    relay: Relay,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Mosquitto {
    /// Starts one, ready for clients; `None` when Mosquitto is not installed.
    pub fn start() -> Option<Self> {
        Self::start_with("allow_anonymous true\n")
    }

    /// Like `start`, with `settings` (access rules) in its config.
    pub fn start_with(settings: &str) -> Option<Self> {
        let binary = BINARIES.into_iter().find(|p| Path::new(p).exists())?;
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("mqtt.sock");
        let config = dir.path().join("mosquitto.conf");
        // Run as root (CI), it would switch to the `mosquitto` user, which cannot create
        // the socket in our temporary dir: it stays the user we are.
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let text = format!("listener 0 {}\n{settings}user {user}\n", socket.display());
        std::fs::write(&config, text).unwrap();
        let child = Command::new(binary)
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + DEADLINE;
        while UnixStream::connect(&socket).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto never listened on {socket:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        Some(Self {
            relay: Relay::start(Upstream::Unix(socket)),
            child,
            _dir: dir,
        })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.relay.addr
    }

    pub fn url(&self) -> String {
        format!("mqtt://{}", self.relay.addr)
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
