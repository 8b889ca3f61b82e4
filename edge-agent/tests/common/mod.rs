//! Test helpers: a fake cloud, the real `gasq-edge` binary as a child process, an MQTT
//! client standing in for lane scanners, a private Mosquitto, and signed test tokens.

#![allow(clippy::unwrap_used, dead_code)] // a panic in a test is a failed assertion

pub mod bus;
pub mod cloud;
pub mod edge;
pub mod fake_cloud;
pub mod mosquitto;
pub mod proxy;
pub mod qr;
pub mod relay;
pub mod tokens;

use std::time::Duration;

/// How long any single wait in a test may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Polls `check` until it holds; fails the test after [`DEADLINE`].
pub async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + DEADLINE;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An address where a connection is refused for as long as the returned socket lives:
/// it holds the port (bound, so nobody else gets it) but does not listen.
pub fn refusing_address() -> (rustix::fd::OwnedFd, std::net::SocketAddr) {
    use rustix::net::{AddressFamily, SocketType};
    let socket = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
    rustix::net::bind(&socket, &std::net::SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let bound = rustix::net::getsockname(&socket).unwrap();
    (socket, bound.try_into().unwrap())
}
