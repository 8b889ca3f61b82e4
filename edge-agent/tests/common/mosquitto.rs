//! A private Mosquitto for tests of the agent on an external broker: a child process with
//! a temporary config, killed on drop.
//!
//! Mosquitto 2.0 refuses port 0 ("A listener with port 0 must provide a Unix socket
//! path"), and a port found free and then handed to it would race concurrent tests. So
//! it listens on a Unix socket in its temporary dir, and a relay this test process binds
//! on 127.0.0.1 port 0 (never released) carries TCP connections to it, byte for byte.

use std::net::{Shutdown, SocketAddr, TcpListener};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use super::DEADLINE;

/// Where Mosquitto is installed on Debian and Ubuntu (and by hand).
const BINARIES: [&str; 3] = [
    "/usr/sbin/mosquitto",
    "/usr/bin/mosquitto",
    "/usr/local/sbin/mosquitto",
];

#[derive(Debug)]
pub struct Mosquitto {
    /// Where clients connect.
    pub addr: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Mosquitto {
    /// Starts one, ready for clients; `None` when Mosquitto is not installed.
    pub fn start() -> Option<Self> {
        let binary = BINARIES.into_iter().find(|p| Path::new(p).exists())?;
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("mqtt.sock");
        let config = dir.path().join("mosquitto.conf");
        // Run as root (CI), it would switch to the `mosquitto` user, which cannot create
        // the socket in our temporary dir: it stays the user we are.
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let text = format!(
            "listener 0 {}\nallow_anonymous true\nuser {user}\n",
            socket.display()
        );
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
            addr: relay(&socket),
            child,
            _dir: dir,
        })
    }

    pub fn url(&self) -> String {
        format!("mqtt://{}", self.addr)
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Listens on 127.0.0.1 port 0 and carries each connection to the Unix socket at
/// `target`, both ways, each direction closing when its source ends (so a client that
/// dies is, to the broker, a connection lost); returns where it listens.
fn relay(target: &Path) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let target = target.to_owned();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            // With the broker gone, the client sees its connection close.
            let Ok(server) = UnixStream::connect(&target) else {
                continue;
            };
            let (client, server) = (Arc::new(client), Arc::new(server));
            let (c, s) = (Arc::clone(&client), Arc::clone(&server));
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut &*c, &mut &*s);
                let _ = s.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut &*server, &mut &*client);
                let _ = client.shutdown(Shutdown::Write);
            });
        }
    });
    addr
}
