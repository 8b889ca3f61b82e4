//! The embedded station-bus broker: rumqttd on its own threads (it blocks), listening
//! for devices on `mqtt_listen`, with an in-process link for the agent itself.
//!
//! Devices log in with their own credentials (`gasq-edge bus-client add`), checked at
//! CONNECT by the [`Registry`], which also binds each client id to its username — unless
//! `allow_anonymous` is set (a lab setting). The agent's own in-process link has an id
//! no device can claim ([`AGENT_LINK_ID`]). Payloads are capped a little above the
//! largest frame the contract allows, so a huge publish is refused by the broker before
//! it reaches us.

pub mod nodelay;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use rumqttd::local::{LinkRx, LinkTx};
use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use crate::busclients::registry::Registry;

/// The largest publish the broker accepts from a device.
pub const MAX_PAYLOAD: usize = gasq_shared::topics::MAX_FRAME_BYTES + 64 * 1024;
/// The client id of the agent's in-process link. It starts with `@`, which no device
/// name may, and a client id must start with its device's name: no device can take it.
pub const AGENT_LINK_ID: &str = "@gasq-edge-agent";
/// How long the broker may take to start listening.
const START_DEADLINE: Duration = Duration::from_secs(5);

/// Why the broker did not start.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error(
        "station bus port {0} is in use (another MQTT broker such as Mosquitto?): stop it, choose another --mqtt-listen, or set mqtt_url to use that broker"
    )]
    PortInUse(SocketAddr),
    #[error("station bus cannot listen on {0}: {1}")]
    Listen(SocketAddr, String),
    #[error("embedded broker: {0}")]
    Start(String),
}

/// A running embedded broker.
#[derive(Debug)]
pub struct EmbeddedBroker {
    /// Where devices connect (the real port when port 0 was asked for).
    pub addr: SocketAddr,
    /// Whether Nagle is off on device connections (see `nodelay`).
    pub nodelay: bool,
}

/// Who may connect: the provisioned devices, or anyone (`allow_anonymous`).
#[derive(Debug, Clone)]
pub enum Access {
    Devices(Registry),
    Anonymous,
}

/// Starts the broker and returns it with the agent's link.
pub fn start(
    listen: SocketAddr,
    access: Access,
) -> Result<(EmbeddedBroker, LinkTx, LinkRx), BrokerError> {
    if listen.port() != 0 {
        // rumqttd only logs a failed bind from its own thread; find out here instead.
        TcpListener::bind(listen).map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => BrokerError::PortInUse(listen),
            _ => BrokerError::Listen(listen, e.to_string()),
        })?;
    }
    let before = nodelay::existing_sockets();
    let mut broker = Broker::new(config(listen, access));
    let (tx, rx) = broker
        .link(AGENT_LINK_ID)
        .map_err(|e| BrokerError::Start(e.to_string()))?;
    let thread = std::thread::Builder::new()
        .name("station-bus".into())
        .spawn(move || {
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "embedded broker stopped");
            }
        })
        .map_err(|e| BrokerError::Start(e.to_string()))?;
    let broker = wait_listening(listen, &before, &thread)?;
    Ok((broker, tx, rx))
}

/// Waits (polling, with a deadline) until rumqttd's listener exists, then turns Nagle
/// off on it.
fn wait_listening(
    listen: SocketAddr,
    before: &std::collections::HashSet<String>,
    thread: &std::thread::JoinHandle<()>,
) -> Result<EmbeddedBroker, BrokerError> {
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        match nodelay::find_listener(listen, before) {
            Ok(Some(listener)) => {
                let nodelay = match nodelay::set_nodelay(&listener) {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot turn Nagle off on the station bus; verdicts may lag ~40 ms");
                        false
                    }
                };
                return Ok(EmbeddedBroker {
                    addr: listener.addr,
                    nodelay,
                });
            }
            Ok(None) => {}
            Err(e) => return fallback(listen, &e),
        }
        if thread.is_finished() {
            return Err(BrokerError::Listen(
                listen,
                "the broker thread ended".into(),
            ));
        }
        if Instant::now() > deadline {
            return Err(BrokerError::Listen(
                listen,
                "it did not start listening in time".into(),
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Without `pidfd_getfd` we cannot reach the listener: probe the port instead.
fn fallback(listen: SocketAddr, why: &std::io::Error) -> Result<EmbeddedBroker, BrokerError> {
    tracing::warn!(error = %why, "cannot inspect the broker's listener; verdicts to devices using QoS 1 may lag ~40 ms (Nagle)");
    if listen.port() == 0 {
        return Err(BrokerError::Listen(
            listen,
            "port 0 needs Linux pidfd_getfd to learn the port; give a port".into(),
        ));
    }
    let deadline = Instant::now() + START_DEADLINE;
    while std::net::TcpStream::connect(listen).is_err() {
        if Instant::now() > deadline {
            return Err(BrokerError::Listen(
                listen,
                "it did not start listening in time".into(),
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(EmbeddedBroker {
        addr: listen,
        nodelay: false,
    })
}

fn config(listen: SocketAddr, access: Access) -> Config {
    let mut server = ServerSettings {
        name: "station-bus".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 10_000,
            max_payload_size: MAX_PAYLOAD,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    if let Access::Devices(registry) = access {
        // rumqttd refuses a CONNECT without a login before it asks us.
        server.set_auth_handler(move |client_id, user, pass| {
            let allowed = registry.check_connect(&client_id, &user, &pass);
            if !allowed {
                tracing::warn!(%client_id, %user, "station bus: login refused");
            }
            std::future::ready(allowed)
        });
    }
    Config {
        id: 0,
        router: RouterConfig {
            max_connections: 1024,
            max_outgoing_packet_count: 200,
            // A segment must hold the largest publish; two per topic bound memory.
            max_segment_size: 2 * MAX_PAYLOAD,
            max_segment_count: 2,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("1".to_owned(), server)])),
        ..Config::default()
    }
}

/// Whether this machine lets the agent turn Nagle off on the broker's listener (for
/// doctor). Tries it on a throwaway listener.
pub fn nodelay_supported() -> Result<(), String> {
    let before = nodelay::existing_sockets();
    let probe = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = probe.local_addr().map_err(|e| e.to_string())?;
    match nodelay::find_listener(addr, &before) {
        Ok(Some(found)) => nodelay::set_nodelay(&found).map_err(|e| e.to_string()),
        Ok(None) => Err("the listener was not found among this process's sockets".into()),
        Err(e) => Err(format!("pidfd_getfd is not available: {e}")),
    }
}
