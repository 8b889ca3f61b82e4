//! MQTT brokers for tests: rumqttd embedded on its own thread (as the edge agent runs
//! it), or a Mosquitto child process when the binary is installed. Neither is given a
//! port picked in advance (a port found free and then reused races concurrent tests):
//! each binds what the system gives it, and `start` returns once it accepts
//! connections, with the address it got.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use rumqttd::{Config, ConnectionSettings, RouterConfig, ServerSettings};

use super::PATIENCE;

/// rumqttd on port 0 of a loopback address of its own (127.77.0.N, one per broker in
/// this process), so the listener found among this process's sockets is certainly its
/// own. It lives until the test process ends (rumqttd has no stop).
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedBroker {
    pub addr: SocketAddr,
}

impl EmbeddedBroker {
    pub fn start() -> Self {
        static NEXT: AtomicU8 = AtomicU8::new(1);
        let ip = Ipv4Addr::new(127, 77, 0, NEXT.fetch_add(1, Ordering::Relaxed));
        let server = ServerSettings {
            name: "v4".into(),
            listen: SocketAddr::from((ip, 0)),
            tls: None,
            next_connection_delay_ms: 1,
            connections: ConnectionSettings {
                connection_timeout_ms: 60_000,
                max_payload_size: 1 << 20,
                max_inflight_count: 200,
                auth: None,
                external_auth: None,
                dynamic_filters: true,
            },
        };
        let config = Config {
            router: RouterConfig {
                max_connections: 100,
                max_outgoing_packet_count: 200,
                max_segment_size: 10 * 1024 * 1024,
                max_segment_count: 10,
                ..RouterConfig::default()
            },
            v4: Some(HashMap::from([("1".to_owned(), server)])),
            ..Config::default()
        };
        std::thread::spawn(move || {
            let mut broker = rumqttd::Broker::new(config);
            let _ = broker.start();
        });
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(port) = own_listener(ip) {
                return Self {
                    addr: SocketAddr::from((ip, port)),
                };
            }
            assert!(Instant::now() < deadline, "rumqttd on {ip} never listened");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn url(&self) -> String {
        format!("mqtt://{}", self.addr)
    }
}

/// The port of the listening TCP socket on `ip` that this process holds, if any: its
/// descriptors (`/proc/self/fd`) name socket inodes, `/proc/net/tcp` their addresses.
fn own_listener(ip: Ipv4Addr) -> Option<u16> {
    let fds = std::fs::read_dir("/proc/self/fd").ok()?.flatten();
    let links = fds.filter_map(|fd| std::fs::read_link(fd.path()).ok());
    let inodes: HashSet<String> = links
        .filter_map(|l| {
            Some(
                l.to_str()?
                    .strip_prefix("socket:[")?
                    .trim_end_matches(']')
                    .into(),
            )
        })
        .collect();
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    table.lines().skip(1).find_map(|row| {
        // sl local_address rem_address st … inode: "0: 014D007F:1F90 00000000:0000 0A …"
        let fields: Vec<&str> = row.split_whitespace().collect();
        let (hex_ip, hex_port) = fields.get(1)?.split_once(':')?;
        let address = u32::from_str_radix(hex_ip, 16).ok()?.to_ne_bytes();
        let listening = fields.get(3) == Some(&"0A") && inodes.contains(*fields.get(9)?);
        let port = u16::from_str_radix(hex_port, 16).ok()?;
        (listening && address == ip.octets()).then_some(port)
    })
}

/// A Mosquitto child process with a temporary config; killed on drop.
///
/// Mosquitto 2.0 refuses port 0 ("A listener with port 0 must provide a Unix socket
/// path"), so it listens on a Unix socket in its temporary dir, and a relay this test
/// process binds on 127.0.0.1 port 0 (never released) carries TCP connections to it.
#[derive(Debug)]
pub struct Mosquitto {
    pub addr: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Mosquitto {
    /// `None` when Mosquitto is not installed (the test then skips).
    pub fn start() -> Option<Self> {
        let binary = [
            "/usr/sbin/mosquitto",
            "/usr/bin/mosquitto",
            "/usr/local/sbin/mosquitto",
        ]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
        let dir = tempfile::tempdir().expect("a temporary dir");
        let socket = dir.path().join("mqtt.sock");
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let config = format!(
            "listener 0 {}\nallow_anonymous true\nuser {user}\n",
            socket.display()
        );
        std::fs::write(dir.path().join("mosquitto.conf"), config).expect("config written");
        let child = Command::new(binary)
            .arg("-c")
            .arg(dir.path().join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto starts");
        let deadline = Instant::now() + PATIENCE;
        while UnixStream::connect(&socket).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto never listened on {socket:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let addr = relay(&socket);
        Some(Self {
            addr,
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
/// `target`, both ways, each direction closing when its source ends; returns where it
/// listens.
fn relay(target: &Path) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a relay port");
    let addr = listener.local_addr().expect("the relay's address");
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
