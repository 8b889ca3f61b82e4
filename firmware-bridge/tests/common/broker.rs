//! MQTT brokers for tests: rumqttd embedded on its own thread (as the edge agent runs
//! it), or a Mosquitto child process when the binary is installed. Both on free ports,
//! both ready (accepting TCP) when `start` returns.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rumqttd::{Config, ConnectionSettings, RouterConfig, ServerSettings};

use super::{PATIENCE, free_port};

/// Blocks until something accepts TCP on `port`.
pub fn wait_listening(port: u16) {
    let deadline = Instant::now() + PATIENCE;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "broker on port {port} never came up"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// rumqttd on a free port. It lives until the test process ends (rumqttd has no stop).
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedBroker {
    pub port: u16,
}

impl EmbeddedBroker {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Self {
        let listen = SocketAddr::from(([127, 0, 0, 1], port));
        let server = ServerSettings {
            name: "v4".into(),
            listen,
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
        wait_listening(port);
        Self { port }
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

/// A Mosquitto child process on a free port; killed on drop.
#[derive(Debug)]
pub struct Mosquitto {
    pub port: u16,
    child: Child,
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
        .find(|p| std::path::Path::new(p).exists())?;
        let port = free_port();
        let child = Command::new(binary)
            .args(["-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        wait_listening(port);
        Some(Self { port, child })
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
